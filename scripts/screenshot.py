"""Remake docs/screenshot.png from the running app: python3 scripts/screenshot.py

Starts `streamlit run app.py` on a free loopback port, opens an example link in Debian's
Chromium through Playwright, waits for the script to finish, and saves the page.
"""

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
LINK = "/?v=1&surface=valley:kappa=20,angle=30&steps=200&run=sgd:lr=0.09&run=sgd:lr=0.02,momentum=0.9&run=adam:lr=0.1&run=rmsprop:lr=0.05"


def main() -> None:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(120):
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/_stcore/health", timeout=1).text == "ok":
                    break
            time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(
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
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
