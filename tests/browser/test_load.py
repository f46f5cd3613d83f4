"""The load benchmark's driver (benchmarks/load.py) against the served app: sessions that open a
link over the websocket as the page's frontend does, with no browser."""

from __future__ import annotations

import pytest

from benchmarks import load


def test_a_class_opening_one_link_at_once_gets_every_page_whole(app_url):
    views = load.opened(app_url, load.links("same", 6), timeout=60)
    assert [view.error for view in views] == [None] * 6
    assert all(view.received > 100_000 for view in views)  # the race came with each (its paths, the shading)
    assert len({view.received for view in views}) == 1  # the same page for all


def test_distinct_links_are_distinct_pages(app_url):
    queries = load.links("distinct", 3)
    assert len(set(queries)) == 3
    views = load.opened(app_url, queries, timeout=60)
    assert [view.error for view in views] == [None] * 3


def test_a_page_that_shows_an_error_counts_as_one(failing_app):
    url, _ = failing_app
    (view,) = load.opened(url, ["v=2"], timeout=60)
    assert view.error is not None


@pytest.mark.parametrize("url", ["http://192.0.2.1:8501", "http://example.org", "http://10.0.0.1:80"])
def test_it_loads_no_one_elses_server(url):
    with pytest.raises(ValueError, match="loopback servers only"):
        load.loopback(url)
    assert load.loopback("http://127.0.0.1:8501/") == "http://127.0.0.1:8501"
    assert load.loopback("http://localhost:8501") == "http://localhost:8501"
