"""Screenshots of the page as its users see it: phone, laptop and projector, light and dark.

    python3 -m scripts.screenshots [--out DIR] [--screens ...] [--themes ...] [LINK ...]

Starts the app on a free loopback port and saves, for each link (the default page when none
is given), one PNG per screen size and theme into DIR (``screenshots-tmp/`` by default, which
git ignores): ``<name>-<width>x<height>-<theme>.png``. Pick the view beside the race with
``view=`` in the link; the "tall" screen shows a long view whole. With ``--answer``, a lesson's
question is answered (rightly) first and the race plays for ``--wait`` seconds. Chinese text
needs a CJK font on this machine (``apt-get install fonts-wqy-microhei``); a visitor's browser
has its own. Nothing here is a test; the pictures are for people to look at.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from urllib.parse import parse_qs

from playwright.sync_api import Page, sync_playwright

from optviz.settings.lessons import LESSONS
from optviz.text import Words
from scripts.app_server import ROOT, running_app

SCREENS = {"phone": (400, 860), "laptop": (1280, 720), "projector": (1920, 1080), "tall": (1280, 3200)}
THEMES = ("light", "dark")


def wait_for_page(page: Page) -> None:
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=60_000
    )
    page.wait_for_timeout(2500)  # let charts and fonts settle (2 cores: about 2 s)


def answer(page: Page, wait: float) -> None:
    """Choose the lesson's right answer and press its button, then let the race play."""
    query = parse_qs(page.url.partition("?")[2])
    name, lang = query["lesson"][0], query.get("lang", ["en"])[0]
    say = Words(lang)
    main = page.get_by_test_id("stMain")
    main.get_by_text(say.list(f"lesson.{name}.choices")[LESSONS[name].answer], exact=True).click()
    main.get_by_role("button", name=say("lesson.check")).click()
    wait_for_page(page)
    page.wait_for_timeout(wait * 1000)


def name_of(link: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", link).strip("-")[:60] or "default"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("links", nargs="*", default=[""], help="query strings, e.g. 'v=1&surface=saddle'")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots-tmp")
    parser.add_argument("--screens", default="phone,laptop,projector", help=", ".join(SCREENS))
    parser.add_argument("--themes", default=",".join(THEMES), help="light,dark")
    parser.add_argument("--full-page", action="store_true", help="the whole page, not only the first screen")
    parser.add_argument("--answer", action="store_true", help="answer a lesson's question before the picture")
    parser.add_argument("--wait", type=float, default=3.0, help="seconds the race plays after the answer")
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
                    if args.answer:
                        answer(page, args.wait)
                    suffix = "-answered" if args.answer else ""
                    path = args.out / f"{name_of(link)}{suffix}-{width}x{height}-{theme}.png"
                    page.screenshot(path=path, full_page=args.full_page)
                    print(path)  # noqa: T201  (the script's output is the list of files)
                    context.close()
        browser.close()


if __name__ == "__main__":
    main()
