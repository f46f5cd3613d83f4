"""Screenshots of the page as its users see it: phone, laptop and projector, light and dark.

    python3 -m scripts.screenshots [--out DIR] [--screens ...] [--themes ...] [LINK ...]

Starts the app on a free loopback port and saves, for each link (the default page when none
is given), one PNG per screen size and theme into DIR (``screenshots-tmp/`` by default, which
git ignores): ``<name>-<width>x<height>-<theme>.png``. Pick the view beside the race with
``view=`` in the link; the "tall" screen shows a long view whole. Nothing here is a test; the pictures are for people to look at.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from scripts.app_server import ROOT, running_app

SCREENS = {"phone": (400, 860), "laptop": (1280, 720), "projector": (1920, 1080), "tall": (1280, 3200)}
THEMES = ("light", "dark")


def wait_for_page(page: Page) -> None:
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=60_000
    )
    page.wait_for_timeout(1500)  # let charts and fonts settle


def name_of(link: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", link).strip("-")[:60] or "default"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("links", nargs="*", default=[""], help="query strings, e.g. 'v=1&surface=saddle'")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots-tmp")
    parser.add_argument("--screens", default="phone,laptop,projector", help=", ".join(SCREENS))
    parser.add_argument("--themes", default=",".join(THEMES), help="light,dark")
    parser.add_argument("--full-page", action="store_true", help="the whole page, not only the first screen")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with running_app() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking"],
        )
        for link in args.links:
            for screen in args.screens.split(","):
                width, height = SCREENS[screen]
                for theme in args.themes.split(","):
                    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=theme)
                    page = context.new_page()
                    page.goto(f"{url}/?{link}")
                    wait_for_page(page)
                    path = args.out / f"{name_of(link)}-{width}x{height}-{theme}.png"
                    page.screenshot(path=path, full_page=args.full_page)
                    print(path)  # noqa: T201  (the script's output is the list of files)
                    context.close()
        browser.close()


if __name__ == "__main__":
    main()
