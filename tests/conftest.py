"""Shared test settings, and Debian's Chromium through Playwright for every test that opens a page.

Playwright never downloads a browser here: it launches the system Chromium
(``CHROMIUM_PATH``, default /usr/bin/chromium). When Chromium is missing these tests fail
with the command that installs it; they never skip, so CI cannot pass them silently. One
Chromium for the session: a process can run one Playwright (tests/browser and tests/serve may
share an xdist worker).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

# They need torch, which is not a dependency: they are run by hand to record tests/data (see their docstrings).
collect_ignore = ["torch_reference.py", "torch_schedules.py", "torch_network_reference.py"]

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
