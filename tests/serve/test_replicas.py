"""A lecture hall: replicas of the app behind Debian's nginx (scripts/serve.py), on loopback.

nginx comes from Debian (apt-get install nginx; scripts/test installs it when missing): these
tests fail, never skip, without it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest
import requests
from playwright.sync_api import Browser, expect

from benchmarks import load
from optviz.classroom import Classroom
from optviz.text import Words
from scripts.app_server import ROOT, free_port
from scripts.serve import all_healthy, keep_healthy, nginx_config, serving
from tests.browser.pages import wait_for_app


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    """Two replicas behind nginx on a free loopback port, their classes in a folder of their own."""
    with serving(2, free_port(), data=tmp_path_factory.mktemp("classes")) as (url, replicas, proxy):
        yield url, replicas, proxy


def replica_of(url: str, cookie: str | None = None) -> tuple[str, str | None]:
    """Which replica answers a request with ``cookie`` (None: a first visit), and the cookie given."""
    cookies = {} if cookie is None else {"optviz_replica": cookie}
    answer = requests.get(f"{url}/_stcore/health", cookies=cookies, timeout=10)
    assert answer.text == "ok"
    return answer.headers["X-Replica"], answer.cookies.get("optviz_replica")


def test_a_class_opens_the_page_through_the_proxy_and_both_replicas_serve(hall):
    url, replicas, _ = hall
    before = [load.cpu_seconds(replica.process.pid) for replica in replicas]
    views = load.opened(url, load.links("distinct", 30), timeout=120)
    assert [view.error for view in views] == [None] * 30
    assert all(view.received > 100_000 for view in views)  # each page whole, its race included
    spent = [load.cpu_seconds(replica.process.pid) - start for replica, start in zip(replicas, before, strict=True)]
    assert min(spent) > 0.1  # the visitors were spread over both


def teacher_sees(browser: Browser, url: str, code: str, teacher: str, text: str) -> None:
    """The teacher link opened in Chromium (through the proxy) shows ``text``."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.goto(f"{url}/?class={code}&teacher={teacher}")
        wait_for_app(page)
        expect(page.get_by_test_id("stMain").get_by_text(text)).to_be_visible()
    finally:
        context.close()


def test_thirty_students_vote_through_the_replicas_and_a_restart_loses_nothing(hall, browser):
    url, replicas, _ = hall
    room = Classroom(replicas[0].data / "classes.sqlite3")
    started = room.start("momentum", 3, client="the teacher")
    before = [load.cpu_seconds(replica.process.pid) for replica in replicas]
    views = load.voted(url, f"v=2&class={started.code}", [k % 3 for k in range(30)], timeout=120)
    assert [view.error for view in views] == [None] * 30
    spent = [load.cpu_seconds(replica.process.pid) - start for replica, start in zip(replicas, before, strict=True)]
    assert min(spent) > 0.05  # the class was spread over both replicas, and both wrote to the one file
    assert room.find(started.code, client="the test").counts == (10, 10, 10)
    votes = Words("en")("class.votes", count=30)
    teacher_sees(browser, url, started.code, started.teacher, votes)
    logged = (replicas[0].log.parent / "nginx-access.log").read_text()
    assert '"GET /"' in logged  # the teacher's page was logged, by its path only
    assert started.teacher not in logged

    for replica in replicas:  # every server stopped and started again
        replica.stop()
        replica.start()
    all_healthy(replicas)
    teacher_sees(browser, url, started.code, started.teacher, votes)


def test_a_browser_keeps_its_replica_and_new_ones_are_spread(hall):
    url, _, _ = hall
    first, cookie = replica_of(url)
    assert cookie  # a random number, given on the first visit
    assert all(replica_of(url, cookie)[0] == first for _ in range(10))  # its websocket, its downloads
    seen = {replica_of(url, f"{k:032x}")[0] for k in range(40)}
    assert seen == {"1", "2"}


def test_the_metrics_stay_private_and_the_websocket_passes(hall):
    url, _, _ = hall
    assert requests.get(f"{url}/_stcore/metrics", timeout=10).status_code == 404
    (view,) = load.opened(url, ["v=2&lang=zh"], timeout=60)
    assert view.error is None


def test_a_replica_that_stops_is_started_again(hall):
    url, replicas, proxy = hall
    stop = [False]
    watcher = threading.Thread(target=keep_healthy, args=(replicas, proxy, stop), daemon=True)
    watcher.start()
    try:
        replicas[0].process.kill()
        deadline = time.monotonic() + 90
        while not (replicas[0].running() and replicas[0].healthy()):
            assert time.monotonic() < deadline, "the replica was not started again"
            time.sleep(0.5)
        views = load.opened(url, load.links("same", 6), timeout=120)
        assert [view.error for view in views] == [None] * 6
    finally:
        stop[0] = True
        watcher.join(10)


def test_sigterm_stops_nginx_and_every_replica(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "scripts.serve", "--replicas", "1", "--port", str(port), "--data", str(tmp_path)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as serve:
        try:
            line = serve.stdout.readline()
            assert "1 replicas behind nginx" in line, line
            assert requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=10).text == "ok"
            serve.send_signal(signal.SIGTERM)
            assert serve.wait(30) == 0
            assert "stopped" in serve.stdout.read()
            with pytest.raises(requests.ConnectionError):
                requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=5)
        finally:
            if serve.poll() is None:
                serve.kill()


def test_the_proxy_configuration_names_every_replica_and_listens_where_asked(tmp_path):
    config = nginx_config(tmp_path, "0.0.0.0", 8501, [9001, 9002, 9003])
    assert "listen 0.0.0.0:8501;" in config
    for k, port in enumerate((9001, 9002, 9003), start=1):
        assert f"server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" in config
        assert f'"127.0.0.1:{port}" "{k}";' in config
    assert "location = /_stcore/metrics { return 404; }" in config
    assert "hash $optviz_key consistent;" in config
    assert "proxy_set_header X-Real-IP $remote_addr;" in config
    assert "$request_method $uri" in config
    assert "$args" not in config
    assert '"$request"' not in config
    with pytest.raises(ValueError, match="between 1 and 16 replicas"), serving(0, 8501):
        pass
