"""Real-browser fixtures: the app on a free loopback port, and pages of Debian's Chromium (the
``browser`` fixture is in tests/conftest.py: tests/serve open pages too, and one process runs one
Playwright)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from scripts.app_server import running_app


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies, no storage) for each test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def class_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the app's classes (OPTVIZ_DATA): a test may start a class in its file directly."""
    return tmp_path_factory.mktemp("classes")


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, class_data: Path) -> Iterator[tuple[str, Path]]:
    """The app, headless on a free loopback port, stopped whatever happens, and its server's log."""
    log = tmp_path_factory.mktemp("app") / "server.log"
    with running_app(log=log, data=class_data) as url:
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
