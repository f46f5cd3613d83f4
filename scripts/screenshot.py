"""Remake docs/screenshot.png from the running app: python3 -m scripts.screenshot

Starts the app on a free loopback port, opens an example link in Debian's Chromium through
Playwright, waits for the script to finish, and saves the page.
"""

from playwright.sync_api import sync_playwright

from scripts.app_server import ROOT, running_app

LINK = (
    "/?v=1&surface=valley:kappa=20,angle=30&steps=200"
    "&run=sgd:lr=0.09&run=sgd:lr=0.02,momentum=0.9&run=adam:lr=0.1&run=rmsprop:lr=0.05"
)


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
        page.get_by_test_id("stPlotlyChart").first.wait_for()
        page.wait_for_timeout(2000)
        page.screenshot(path=ROOT / "docs" / "screenshot.png")
        browser.close()


if __name__ == "__main__":
    main()
