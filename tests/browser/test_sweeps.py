"""The sweep and map views in a real browser: a click on a basin map moves the start; a click
on a sweep's point gives that run its learning rate; a click on a map's cell its settings."""

import pytest
from playwright.sync_api import Page

from tests.browser.pages import player, url_has, wait_for_app

FIGURE_POINT = """([index, x, y]) => {
    const gd = document.querySelectorAll('.ovf-gd')[index], fl = gd._fullLayout;
    const box = gd.getBoundingClientRect();
    return [box.left + fl.xaxis._offset + fl.xaxis.l2p(x), box.top + fl.yaxis._offset + fl.yaxis.l2p(y)];
}"""
FIGURE_DATA = """([index, x, y]) => {
    const gd = document.querySelectorAll('.ovf-gd')[index], fl = gd._fullLayout;
    const box = gd.getBoundingClientRect();
    return [fl.xaxis.p2l(x - box.left - fl.xaxis._offset), fl.yaxis.p2l(y - box.top - fl.yaxis._offset)];
}"""


def _wait_for_figures(page: Page, count: int) -> None:
    page.wait_for_function(
        f"() => document.querySelectorAll('.ovf-gd').length >= {count} && "
        "Array.from(document.querySelectorAll('.ovf-gd')).every(gd => gd._fullLayout && gd._fullLayout.xaxis)",
        timeout=60_000,
    )


def test_a_click_on_a_basin_map_moves_the_start(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&surface=himmelblau&view=basins&basin_n=20&run=sgd:lr=0.01&run=adam:lr=0.1")
    wait_for_app(page)
    _wait_for_figures(page, 2)
    page.locator(".ovf-gd").nth(1).scroll_into_view_if_needed()
    x, y = (round(c) for c in page.evaluate(FIGURE_POINT, [1, 2.5, -3.0]))  # on the second run's map
    expected = tuple(round(c, 3) for c in page.evaluate(FIGURE_DATA, [1, x, y]))  # 1e-4 of the width, 10
    page.mouse.click(x, y)
    page.wait_for_url(url_has(f"start={expected[0]!r},{expected[1]!r}"), timeout=30_000)
    wait_for_app(page)
    run = player(page)["runs"][0]
    assert (run["x"][0], run["y"][0]) == pytest.approx(expected, abs=1e-6)  # the race starts there now


def test_a_click_on_a_sweep_point_gives_the_run_that_rate(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&surface=valley&view=sweep&sweep_n=50&run=sgd:lr=0.02&run=adam:lr=0.1")
    wait_for_app(page)
    _wait_for_figures(page, 1)
    lr = page.evaluate(
        "() => { const gd = document.querySelector('.ovf-gd');"
        " return gd.data.find(t => t.customdata && t.customdata.length > 20 && t.customdata[0][0] === 1).x[42]; }"
    )
    steps_trace = page.evaluate(
        "() => { const gd = document.querySelector('.ovf-gd');"
        " return gd.data.findIndex(t => t.yaxis === 'y2' && t.customdata && t.customdata[0][0] === 1); }"
    )
    y = page.evaluate(f"() => document.querySelector('.ovf-gd').data[{steps_trace}].y[42]")
    assert y is not None  # Adam converges at that rate: its point is on the steps curve
    page.locator(".ovf-gd").first.scroll_into_view_if_needed()
    px, py = page.evaluate(
        """([x, y]) => {
            const gd = document.querySelector('.ovf-gd'), fl = gd._fullLayout, box = gd.getBoundingClientRect();
            return [box.left + fl.xaxis2._offset + fl.xaxis2.l2p(Math.log10(x)), box.top + fl.yaxis2._offset + fl.yaxis2.l2p(y)];
        }""",
        [lr, y],
    )
    page.mouse.click(round(px), round(py))
    page.wait_for_url(url_has(f"adam:lr={lr!r}"), timeout=30_000)
    wait_for_app(page)
    assert player(page)["runs"][1]["label"] == f"Adam, lr {lr!r}"
