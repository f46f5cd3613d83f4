"""What only a browser shows: the animation plays over a visible surface, clicks, links."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote, unquote

import numpy as np
from PIL import Image
from playwright.sync_api import Page, expect

RACE = ".js-plotly-plot"  # the race is the first Plotly chart on the page


def wait_for_app(page: Page, timeout: float = 60_000, chart: bool = True) -> None:
    """Wait until Streamlit has connected and finished running the script, with no exception.

    With ``chart``, also wait for the race to be drawn.
    """
    page.wait_for_timeout(200)
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=timeout
    )
    page.locator(
        "[data-testid='stApp'][data-test-script-state='notRunning'],"
        "[data-testid='stApp'][data-test-script-state='compilationError']"
    ).wait_for(state="attached", timeout=timeout)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    if chart:
        page.locator(".js-plotly-plot").first.wait_for(timeout=timeout)


def url_has(text: str):
    """A wait_for_url predicate: the address bar (which Streamlit percent-encodes) holds ``text``."""
    return lambda url: text in unquote(url)


def race_state(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const gd = document.querySelector('.js-plotly-plot');
            return {
                lengths: gd._fullData.map(t => t._length),
                names: gd._fullData.map(t => t.name),
                active: gd._fullLayout.sliders[0].active,
                frames: gd._transitionData._frames.length,
            };
        }"""
    )


def trace_xy(page: Page, index: int) -> list[list[float]]:
    return page.evaluate(
        "(i) => { const t = document.querySelector('.js-plotly-plot')._fullData[i]; return [Array.from(t.x), Array.from(t.y)]; }",
        index,
    )


def run_count(page: Page) -> int:
    return page.evaluate(
        "() => document.querySelector('.js-plotly-plot')._fullData.filter(t => t.showlegend && t.mode === 'lines').length"
    )


def plot_area(page: Page) -> dict:
    return page.locator(RACE).first.locator(".nsewdrag").first.bounding_box()


def shaded_fraction(page: Page) -> float:
    """The share of the plot area's pixels that are not white: the surface's background."""
    png = page.screenshot(clip=plot_area(page), animations="disabled")
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    return float((pixels.min(axis=-1) < 250).mean())


def test_default_page_shows_the_race(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url)
    wait_for_app(page)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(3)
    state = race_state(page)
    assert run_count(page) == 8
    assert state["frames"] == 51
    assert state["active"] == 0
    expect(page.locator(RACE).first.locator(".updatemenu-button").filter(has_text="Play")).to_be_visible()


def test_play_grows_the_paths_and_the_surface_stays_visible(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=1&speed=slow")
    wait_for_app(page)
    k = run_count(page)
    before = shaded_fraction(page)
    assert before > 0.9  # the whole plot area is shaded
    assert race_state(page)["lengths"][1 + k] == 1

    page.locator(RACE).first.locator(".updatemenu-button").filter(has_text="Play").click()
    during = []
    for _ in range(5):  # several moments of playback, as the flicker check in the notes
        page.wait_for_timeout(300)
        during.append(shaded_fraction(page))
    page.wait_for_function(
        "() => document.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active >= 50", timeout=30_000
    )
    state = race_state(page)
    assert min(during) > 0.9 * before, (before, during)
    assert state["lengths"][1 + k] > 100  # the first path has grown to (nearly) its whole drawn length
    np.testing.assert_allclose(
        trace_xy(page, 1 + k), trace_xy(page, 1), rtol=1e-6
    )  # and ends where the faint path does


def test_a_click_sets_the_start_and_the_url_follows(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=1&run=adam:lr=0.05")
    wait_for_app(page)
    # The pick grid has nodes every 4/60 on Rosenbrock's [-2, 2] x [-1, 3]; (0, 2) is one.
    x, y = page.evaluate(
        """() => {
            const l = document.querySelector('.js-plotly-plot')._fullLayout;
            return [l.xaxis._offset + l.xaxis.l2p(0), l.yaxis._offset + l.yaxis.l2p(2)];
        }"""
    )
    box = page.locator(RACE).first.bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(url_has("start=0,2"), timeout=30_000)
    wait_for_app(page)
    start = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData.find(t => t.name === 'start')")
    assert (start["x"][0], start["y"][0]) == (0, 2)
    faint = trace_xy(page, 1)
    assert (faint[0][0], faint[1][0]) == (0, 2)  # the run restarted there
    expect(page.get_by_label("start x")).to_have_value("0")
    expect(page.get_by_label("start y")).to_have_value("2")


def test_the_share_link_restores_the_same_experiment(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=1&surface=valley:kappa=20,angle=30&run=sgd:lr=0.09&run=adam:lr=0.1")
    wait_for_app(page)
    steps = page.get_by_role("spinbutton", name="Steps")
    steps.fill("150")
    steps.press("Enter")
    page.wait_for_url(url_has("steps=150"), timeout=30_000)
    wait_for_app(page)
    link = page.get_by_test_id("stCode").inner_text().strip()
    assert "steps=150" in link
    assert "surface=valley:kappa=20,angle=30" in link
    original = [trace_xy(page, i) for i in (1, 2)]

    fresh = page.context.browser.new_context()  # no cookies or storage shared with the first page
    try:
        other = fresh.new_page()
        other.goto(link)
        wait_for_app(other)
        assert [trace_xy(other, i) for i in (1, 2)] == original
        expect(other.get_by_test_id("stAlert")).to_have_count(0)
    finally:
        fresh.close()


def test_a_bad_link_shows_the_warning_and_a_working_chart(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?surface=banana&steps=abc&run=adam:lr=nan")
    wait_for_app(page)
    warning = page.get_by_test_id("stAlert")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("unknown surface 'banana'")
    expect(warning).to_contain_text("Ignored steps 'abc'")
    expect(warning).to_contain_text("Ignored lr='nan'")
    assert race_state(page)["frames"] == 51
    assert run_count(page) == 1


def test_back_and_forward_keep_the_address_bar_and_the_page_in_agreement(
    page: Page, app_url: str, console_errors: list[str]
):
    page.goto(app_url + "/?v=1")
    wait_for_app(page)
    steps = page.get_by_role("spinbutton", name="Steps")
    expect(steps).to_have_value("500")
    before = trace_xy(page, 1)  # the first run's whole path
    steps.fill("150")
    steps.press("Enter")
    page.wait_for_url(url_has("steps=150"), timeout=30_000)
    wait_for_app(page)
    after = trace_xy(page, 1)
    assert len(after[0]) < len(before[0])

    page.go_back()  # Streamlit reruns the script with the earlier query string
    expect(steps).to_have_value("500", timeout=30_000)
    wait_for_app(page)
    assert unquote(page.url).endswith("/?v=1")  # the page did not write the later link back
    assert trace_xy(page, 1) == before

    page.go_forward()
    expect(steps).to_have_value("150", timeout=30_000)
    wait_for_app(page)
    assert unquote(page.url).endswith("/?v=1&steps=150")
    assert trace_xy(page, 1) == after


def test_a_forced_error_shows_a_short_message_and_no_traceback(
    page: Page, failing_app: tuple[str, Path], console_errors: list[str]
):
    url, log = failing_app
    page.goto(url + "/?v=1&steps=200")
    wait_for_app(page, chart=False)
    alert = page.get_by_test_id("stAlert")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("Something went wrong while drawing this page")
    main = page.get_by_test_id("stMain").inner_text()
    for leak in ("Traceback", ".py", "injected fault", "RuntimeError"):
        assert leak not in main
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(0)
    assert "injected fault" in log.read_text()  # the server logged what happened
    back = page.get_by_role("link", name="Start again from the default page")
    expect(back).to_have_attribute("href", "?v=1")
    back.click()  # in the same tab, to the default page (which fails here too, the same way)
    page.wait_for_url(lambda address: unquote(address).endswith("/?v=1"), timeout=30_000)
    wait_for_app(page, chart=False)
    expect(page.get_by_test_id("stAlert")).to_contain_text("Something went wrong while drawing this page")
    assert len(page.context.pages) == 1


def test_visitors_get_the_viewer_toolbar(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url)
    wait_for_app(page)
    expect(page.get_by_test_id("stAppDeployButton")).to_have_count(0)
    page.get_by_test_id("stApp").click(position={"x": 5, "y": 400})
    page.keyboard.press("c")  # the developer shortcut that would open "Clear caches"
    page.get_by_test_id("stMainMenu").click()
    menu = page.get_by_test_id("stMainMenuPopover")
    expect(menu).to_contain_text("Print")
    expect(menu).not_to_contain_text("Clear cache")
    expect(menu).not_to_contain_text("Rerun")
    expect(page.get_by_text("Clear caches")).to_have_count(0)


def grid_cells(page: Page) -> dict[str, list[str]]:
    """What the results table shows, column by column, as drawn (its canvas has no text).

    Reads the display text of each cell from the data grid's own cell function, reached
    through React's fiber of the grid's canvas.
    """
    return page.evaluate(
        """() => {
            const canvas = document.querySelector('[data-testid=stDataFrame] canvas');
            let fiber = canvas[Object.keys(canvas).find(k => k.startsWith('__reactFiber$'))];
            while (fiber && !(fiber.memoizedProps?.getCellContent && fiber.memoizedProps?.columns)) fiber = fiber.return;
            const grid = fiber.memoizedProps;
            const table = {};
            grid.columns.forEach((column, c) => {
                table[column.title] = [];
                for (let r = 0; r < grid.rows; r++) table[column.title].push(grid.getCellContent([c, r]).displayData);
            });
            return table;
        }"""
    )


def test_the_results_table_shows_huge_and_tiny_numbers_in_scientific_notation(
    page: Page, app_url: str, console_errors: list[str]
):
    page.goto(app_url + "/?v=1&surface=saddle&run=sgd:lr=3&run=adagrad:lr=0.5&run=adam:lr=0.05")
    wait_for_app(page)
    page.get_by_role("tab", name="Results").click()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    page.get_by_test_id("stDataFrame").locator("canvas").first.wait_for()
    cells = grid_cells(page)
    assert cells["run"] == ["SGD, lr 3", "Adagrad, lr 0.5", "Adam, lr 0.05"]
    assert cells["final loss"] == ["4.747e+129", "-2.500e-1", "-2.500e-1"]  # diverged at step 11
    assert cells["distance to it"][1] == "2.369e-43"
    assert cells["steps to tolerance"] == ["", "20", "49"]
    assert cells["diverged at step"] == ["11", "", ""]


def test_text_from_a_link_is_shown_as_text(page: Page, app_url: str, console_errors: list[str]):
    # Markdown an attacker might put in a link: an image every visitor would fetch, a fake
    # sign-in link, styled fake text, raw HTML. All of it must be shown as the text it is.
    hostile = [
        "![](http://pixel.invalid/p.png)",
        "[Sign in again](https://login.invalid/)",
        ":red-background[**Expired**]<img src=x>",
        "www.pixel.invalid",
        "me@mail.invalid",
    ]
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    query = "&".join(f"{quote(key, safe='')}=1" for key in hostile)
    page.goto(f"{app_url}/?v=1&{query}")
    wait_for_app(page)
    alert = page.get_by_test_id("stAlertContentWarning")
    text = alert.inner_text().replace("\u2060", "")  # the invisible joiners that stop automatic links
    for key in hostile:
        assert key in text
    assert alert.locator("img, a, [style*='background']").count() == 0
    assert not [url for url in requested if not url.startswith(app_url)]  # nothing fetched from elsewhere
