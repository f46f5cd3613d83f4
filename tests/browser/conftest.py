"""Real-browser fixtures: the app on a free loopback port, Debian's Chromium through Playwright.

Playwright never downloads a browser here: it launches the system Chromium
(``CHROMIUM_PATH``, default /usr/bin/chromium). When Chromium is missing these tests fail
with the command that installs it; they never skip, so CI cannot pass them silently.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from scripts.app_server import running_app

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, launched once for the session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Debian's Chromium is needed for the browser tests: apt-get install chromium (looked for {CHROMIUM})"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies, no storage) for each test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app, headless on a free loopback port, stopped whatever happens, and its server's log."""
    log = tmp_path_factory.mktemp("app") / "server.log"
    with running_app(log=log) as url:
        yield url, log


@pytest.fixture(scope="session")
def app_url(served: tuple[str, Path]) -> str:
    """The app's address (see ``served``)."""
    return served[0]


@pytest.fixture(scope="session")
def failing_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The page with a fault injected (tests/browser/failing_app.py), and its server's log.

    The fault is chosen when the server starts, from the entry script; nothing a visitor
    sends can trigger it.
    """
    log = tmp_path_factory.mktemp("failing_app") / "server.log"
    with running_app("tests/browser/failing_app.py", log=log) as url:
        yield url, log


@pytest.fixture(scope="session")
def failing_callbacks_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The page with every component's click callback made to fail
    (tests/browser/failing_callbacks_app.py), and its server's log."""
    log = tmp_path_factory.mktemp("failing_callbacks_app") / "server.log"
    with running_app("tests/browser/failing_callbacks_app.py", log=log) as url:
        yield url, log


@pytest.fixture
def console_errors(page: Page) -> Iterator[list[str]]:
    """Every error the page logs; each test ends by asserting there were none."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield errors
    assert errors == []
