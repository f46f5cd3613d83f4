"""Remake docs/screenshot.png from the running app: python3 -m scripts.screenshot

Starts the app on a free loopback port, opens an example link in Debian's Chromium through
Playwright, waits for the script to finish, and saves the page.
"""

from playwright.sync_api import sync_playwright

from scripts.app_server import ROOT, running_app

LINK = "/?v=2&surface=valley"  # the valley's default page: the zig-zag, the crawl, momentum, Adam


def main() -> None:
    with running_app() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 980})
        page.goto(url + LINK)
        page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
            state="attached", timeout=60_000
        )
        page.wait_for_function("() => document.querySelector('.ovp')?.__ready?.done", timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=ROOT / "docs" / "screenshot.png")
        browser.close()


if __name__ == "__main__":
    main()
