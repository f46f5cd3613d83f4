"""Start the app headless on a free loopback port, for the browser tests and the screenshot."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    """Whether the Streamlit server (or the proxy) at ``url`` answers its health check."""
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"{url}/_stcore/health", timeout=2).text == "ok"
    return False


def wait_healthy(url: str, process: subprocess.Popen, timeout: float) -> bool:
    """Until ``url`` is healthy (True), or ``process`` has stopped or ``timeout`` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while not healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.3)
    return True


@contextlib.contextmanager
def running_app(
    script: str = "app.py", log: Path | None = None, timeout: float = 60, *, data: Path | None = None
) -> Iterator[str]:
    """``streamlit run app.py`` on 127.0.0.1; yields its URL once /_stcore/health answers ok."""
    with running_server(script, log, timeout, data=data) as (url, _):
        yield url


@contextlib.contextmanager
def running_server(
    script: str = "app.py",
    log: Path | None = None,
    timeout: float = 60,
    *,
    settings: bool = True,
    data: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """``streamlit run`` on 127.0.0.1; yields its URL and its process once it is healthy.

    ``script`` is the entry point, relative to the repository (the tests also start the page
    with a fault injected). The server reads the repository's .streamlit/config.toml, as a
    deployment would (with ``settings`` False, none: Streamlit's defaults, run from an empty
    folder), and writes what it prints to ``log`` (a temporary file by default: a pipe nobody
    reads would block it). Its classes (optviz.classroom) are kept in ``data`` (OPTVIZ_DATA; a
    temporary folder by default, never the user's). It is stopped whatever happens; if it never
    becomes healthy, RuntimeError carries what it printed.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / script),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with contextlib.ExitStack() as stack:
        if log is None:
            log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "server.log"
        output = stack.enter_context(log.open("w"))
        folder = ROOT if settings else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if data is None:
            data = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        environment = {**os.environ, "OPTVIZ_DATA": str(data)}
        if not settings:
            environment["PYTHONPATH"] = str(ROOT)
        server = subprocess.Popen(
            command, cwd=folder, env=environment, stdout=output, stderr=subprocess.STDOUT, text=True
        )
        url = f"http://127.0.0.1:{port}"
        try:
            if not wait_healthy(url, server, timeout):
                server.kill()
                server.wait(10)
                msg = f"the app did not start:\n{log.read_text()}"
                raise RuntimeError(msg)
            yield url, server
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)
