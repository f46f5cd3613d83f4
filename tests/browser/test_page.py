"""What only a browser shows of the page: clicks, links, Back and Forward, errors, the results."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import PLAYER, data_point, page_point, player, url_has, wait_for_app, whole_story


def test_default_page_shows_the_race(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url)
    wait_for_app(page)
    state = player(page)
    assert len(state["runs"]) == 8
    assert state["playing"]
    assert state["step"] < state["steps"] == 500
    whole_story(page)
    assert all(len(run["x"]) == 501 for run in state["runs"])
    expect(page.locator(PLAYER).get_by_role("button", name="Play or pause")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(0)  # one copy of plotly.js, the app's own


def test_a_click_sets_the_start_exactly_there_and_the_url_follows(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&run=adam:lr=0.05")
    wait_for_app(page)
    x, y = (round(c) for c in page_point(page, 0.3, 1.7))  # a mouse clicks whole pixels
    expected = tuple(round(c, 4) for c in data_point(page, x, y))  # 1e-4 of the domain, far below a pixel
    page.mouse.click(x, y)
    page.wait_for_url(url_has(f"start={expected[0]!r},{expected[1]!r}"), timeout=30_000)
    wait_for_app(page)
    run = player(page)["runs"][0]
    assert (run["x"][0], run["y"][0]) == pytest.approx(expected, abs=1e-6)  # the run restarted there
    expect(page.get_by_label("start x")).to_have_value(repr(expected[0]))
    x, y = (round(c) for c in page_point(page, *expected))  # where that start is drawn now
    page.mouse.click(x, y)  # the same place again: nothing breaks, the start stays there
    wait_for_app(page)
    assert player(page)["runs"][0]["x"][0] == pytest.approx(expected[0], abs=2e-3)
    page.mouse.click(x + 1, y)  # one pixel to the right is another start: no grid
    page.wait_for_url(lambda url: f"start={expected[0]!r}," not in unquote(url), timeout=30_000)
    wait_for_app(page)
    assert player(page)["runs"][0]["x"][0] > expected[0]


def test_the_share_link_restores_the_same_experiment(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&surface=valley:kappa=20,angle=30&run=sgd:lr=0.09&run=adam:lr=0.1")
    wait_for_app(page)
    steps = page.get_by_role("spinbutton", name="Steps")
    steps.fill("150")
    steps.press("Enter")
    page.wait_for_url(url_has("steps=150"), timeout=30_000)
    wait_for_app(page)
    link = page.get_by_test_id("stCode").inner_text().strip()
    assert "steps=150" in link
    assert "surface=valley:kappa=20,angle=30" in link
    original = player(page)["runs"]

    fresh = page.context.browser.new_context()  # no cookies or storage shared with the first page
    try:
        other = fresh.new_page()
        other.goto(link)
        wait_for_app(other)
        assert player(other)["runs"] == original
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
    assert len(player(page)["runs"]) == 1


def test_back_and_forward_keep_the_address_bar_and_the_page_in_agreement(
    page: Page, app_url: str, console_errors: list[str]
):
    page.goto(app_url + "/?v=2")
    wait_for_app(page)
    steps = page.get_by_role("spinbutton", name="Steps")
    expect(steps).to_have_value("500")
    before = player(page)["runs"][0]["x"]  # the first run's whole path
    steps.fill("150")
    steps.press("Enter")
    page.wait_for_url(url_has("steps=150"), timeout=30_000)
    wait_for_app(page)
    after = player(page)["runs"][0]["x"]
    assert len(after) < len(before)

    page.go_back()  # Streamlit reruns the script with the earlier query string
    expect(steps).to_have_value("500", timeout=30_000)
    wait_for_app(page)
    assert unquote(page.url).endswith("/?v=2")  # the page did not write the later link back
    assert player(page)["runs"][0]["x"] == before

    page.go_forward()
    expect(steps).to_have_value("150", timeout=30_000)
    wait_for_app(page)
    assert unquote(page.url).endswith("/?v=2&steps=150")
    assert player(page)["runs"][0]["x"] == after


def test_a_forced_error_shows_a_short_message_and_no_traceback(
    page: Page, failing_app: tuple[str, Path], console_errors: list[str]
):
    url, log = failing_app
    page.goto(url + "/?v=2&steps=200")
    wait_for_app(page, race=False)
    alert = page.get_by_test_id("stAlert")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("Something went wrong while drawing this page")
    main = page.get_by_test_id("stMain").inner_text()
    for leak in ("Traceback", ".py", "injected fault", "RuntimeError"):
        assert leak not in main
    expect(page.locator(PLAYER)).to_have_count(0)
    assert "injected fault" in log.read_text()  # the server logged what happened
    back = page.get_by_role("link", name="Start again from the default page")
    expect(back).to_have_attribute("href", "?v=2")
    back.click()  # in the same tab, to the default page (which fails here too, the same way)
    page.wait_for_url(lambda address: unquote(address).endswith("/?v=2"), timeout=30_000)
    wait_for_app(page, race=False)
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
    through React's fiber of the grid's canvas; a missing value (which the grid draws as the
    table's placeholder, a dash) reads "(missing)".
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
                for (let r = 0; r < grid.rows; r++) {
                    const cell = grid.getCellContent([c, r]);
                    table[column.title].push(cell.isMissingValue ? "(missing)" : cell.displayData);
                }
            });
            return table;
        }"""
    )


def test_the_results_table_shows_huge_and_tiny_numbers_in_scientific_notation(
    page: Page, app_url: str, console_errors: list[str]
):
    page.goto(app_url + "/?v=2&surface=saddle&steps=500&view=results&run=sgd:lr=3&run=adagrad:lr=0.5&run=adam:lr=0.05")
    wait_for_app(page)
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    page.get_by_test_id("stDataFrame").locator("canvas").first.wait_for()
    cells = grid_cells(page)
    assert cells["run"] == ["SGD, lr 3", "Adagrad, lr 0.5", "Adam, lr 0.05"]
    assert cells["final loss"] == ["5.062e+4", "-2.500e-1", "-2.500e-1"]  # diverged at step 4
    assert cells["distance to it"][1] == "2.369e-43"
    assert cells["steps to tolerance"] == ["(missing)", "20", "83"]  # drawn as a dash, never "None"
    assert cells["first within"] == ["(missing)", "20", "49"]
    assert cells["diverged at step"] == ["4", "(missing)", "(missing)"]


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
    page.goto(f"{app_url}/?v=2&{query}")
    wait_for_app(page)
    alert = page.get_by_test_id("stAlertContentWarning")
    text = alert.inner_text().replace("\u2060", "")  # the invisible joiners that stop automatic links
    for key in hostile:
        assert key in text
    assert alert.locator("img, a, [style*='background']").count() == 0
    elsewhere = [url for url in requested if url.startswith("http") and not url.startswith(app_url)]
    assert not elsewhere  # nothing fetched from anywhere but the app
