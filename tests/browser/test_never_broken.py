"""No action leads to a dead page: each case a class met, in a real browser.

Each test does what a person did (or what anyone can send over the websocket), then checks
that the page still shows its race and its sidebar, with at most one clear message.
"""

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from optviz.text import Words
from tests.browser.pages import PLAYER, player, url_has, wait_for_app

EN, ZH = Words("en"), Words("zh")


def alive(page: Page) -> None:
    """The page is whole: the race is drawn, the sidebar is there, no exception or guard message."""
    wait_for_app(page)
    expect(page.locator(PLAYER)).to_have_count(1)
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    for say in (EN, ZH):
        expect(page.get_by_text(say("guard.message", reference="")[:20])).to_have_count(0)


def warnings(page: Page) -> str:
    return "\n".join(page.get_by_test_id("stAlert").all_inner_texts())


@pytest.mark.parametrize(
    "case",
    [
        ("/?v=2&surface=saddle", "中文", EN, ZH),
        ("/?v=2&lesson=saddle&lang=zh", "English", ZH, EN),
    ],
)
def test_a_change_of_language_and_back_keep_the_page(page: Page, app_url: str, console_errors: list[str], case):
    link, switch_to, first, then = case
    page.goto(app_url + link)
    alive(page)
    page.get_by_text(switch_to, exact=True).click()
    page.wait_for_url(url_has("lang=zh") if then is ZH else lambda url: "lang=" not in url, timeout=30_000)
    alive(page)
    page.go_back()
    page.wait_for_url(lambda url: url.endswith(link), timeout=30_000)
    alive(page)
    expect(page.get_by_test_id("stSidebar").get_by_text(first("sidebar.surface"), exact=True).first).to_be_visible()
    # And every widget works after it: a choice of speed, worded in the page's language.
    page.get_by_test_id("stSidebar").get_by_text(first("setting.speed.choice.fast"), exact=True).click()
    page.wait_for_url(url_has("speed=fast"), timeout=30_000)
    alive(page)


@pytest.mark.parametrize("typed", ["2(x+1)", "x**2；y**2"])
def test_a_refused_formula_keeps_the_last_surface_drawn(page: Page, app_url: str, console_errors: list[str], typed):
    page.goto(app_url + "/?v=2&surface=formula")
    alive(page)
    drawn = player(page)["runs"][0]["x"][:5]
    box = page.get_by_test_id("stSidebar").get_by_role("textbox", name="f")
    box.fill(typed)
    box.press("Control+Enter")
    expect(page.get_by_test_id("stSidebar").get_by_test_id("stAlert")).to_contain_text(EN("formula.invalid"))
    alive(page)
    assert player(page)["runs"][0]["x"][:5] == drawn  # the race of the last formula drawn


def test_a_sweeps_clicks_are_read_like_a_link(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&surface=valley&steps=100&view=sweep&sweep_n=50&sweep_to=10&run=adam:lr=0.1")
    alive(page)
    page.wait_for_function("() => document.querySelector('.ovf-gd')?.parentElement.__send", timeout=60_000)

    def send(customdata):
        page.evaluate(
            "(c) => document.querySelector('.ovf-gd').parentElement.__send("
            "'clicked', {x: 1, y: 1, customdata: c, at: Date.now()})",
            customdata,
        )

    send([0, 100])  # a rate beyond any a run can take: the highest there is, said so
    page.wait_for_url(url_has("adam:lr=10"), timeout=30_000)
    alive(page)
    expect(page.get_by_test_id("stAlert").first).to_contain_text("outside [1e-05, 10]; using 10")
    send([0, True])  # a JSON true is not the number 1
    expect(page.get_by_test_id("stAlert").first).to_contain_text("not a number", timeout=30_000)
    alive(page)
    assert url_has("adam:lr=10")(page.url)  # unchanged
    send([7, 0.5])  # no such run: nothing happens
    send("junk")
    page.wait_for_timeout(500)
    alive(page)


def test_a_maps_clicks_are_read_like_a_link(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&surface=valley&steps=50&view=map&map_n=10&run=sgd:lr=0.05,momentum=0.5")
    alive(page)
    page.wait_for_function("() => document.querySelector('.ovf-gd')?.parentElement.__send", timeout=60_000)
    for x, y, wanted in ((-1, 5, "sgd:lr=1e-05,momentum=0.999"), (1e308, 0.5, "sgd:lr=10,momentum=0.5")):
        page.evaluate(
            "([x, y]) => document.querySelector('.ovf-gd').parentElement.__send("
            "'clicked', {x: x, y: y, customdata: null, at: Date.now()})",
            [x, y],
        )
        page.wait_for_url(url_has(wanted), timeout=30_000)
        alive(page)
        expect(page.get_by_test_id("stAlert").first).to_contain_text("is outside")


@pytest.mark.parametrize(
    "link",
    [
        "/?v=2&run=adagrad:lr=0.1,schedule=onecyclelr",
        "/?v=2&run=adadelta:schedule=onecyclelr",
        "/?v=2&surface=valley&steps=100&run=rmsprop:lr=0.01,schedule=onecyclelr:max_momentum=0:base_momentum=0.5:total_steps=100",
    ],
)
def test_a_link_that_breaks_a_rule_says_so_and_draws(page: Page, app_url: str, console_errors: list[str], link: str):
    page.goto(app_url + link)
    alive(page)
    expect(page.get_by_test_id("stAlert").first).to_contain_text("OneCycleLR now cycles the learning rate only")
    assert len(player(page)["runs"]) == 1


def test_a_chinese_page_words_the_sidebars_problems_in_chinese(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&lang=zh&run=sgd:lr=0.1,schedule=multisteplr:milestones=100/200")
    alive(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("SGD", exact=False).first.click()  # open the run's panel
    box = sidebar.get_by_role("textbox", name=ZH("schedule_title.milestones"))
    box.fill("soon")
    box.press("Enter")
    expect(sidebar.get_by_test_id("stAlert")).to_contain_text("已忽略 milestones", timeout=30_000)
    assert "Invalid" not in sidebar.inner_text()
    alive(page)


def test_twin_runs_draw_and_the_page_rests(page: Page, app_url: str, console_errors: list[str]):
    """Two runs with the same trajectory share their arrays: both are drawn, and the page stops
    asking the server for anything once it has drawn them (it once asked 11 times a second)."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(str(payload)[:40])))
    for attempt in range(3):
        page.goto(app_url + "/?v=2&surface=valley&run=adam:lr=0.05&run=adam:lr=0.05,name=Twin")
        alive(page)
        runs = player(page)["runs"]
        assert [run["label"] for run in runs] == ["Adam, lr 0.05", "Twin"]
        assert runs[0]["x"] == runs[1]["x"]
        assert len(runs[0]["x"]) == 101
        # drawn exactly under its twin, so the table says so
        expect(page.locator(".ovp-same")).to_have_text(["same path as Adam, lr 0.05"])
        page.wait_for_timeout(300)
        before = len(frames)
        page.wait_for_timeout(1500)
        assert len(frames) - before <= 1, (attempt, frames[before:])


def test_a_fault_in_a_click_callback_keeps_the_race(
    page: Page, failing_callbacks_app: tuple[str, Path], console_errors: list[str]
):
    url, log = failing_callbacks_app
    page.goto(url + "/?v=2&surface=valley&steps=100")
    alive(page)
    start = player(page)["runs"][0]["x"][0]
    page.evaluate(
        "() => document.querySelector('.ovp').__player.setTriggerValue('clicked', {x: 1, y: 1, at: Date.now()})"
    )
    expect(page.get_by_test_id("stAlert").first).to_contain_text(EN("guard.callback_failed", reference="")[:40])
    alive(page)
    assert player(page)["runs"][0]["x"][0] == start  # the race as it was
    main = page.get_by_test_id("stMain").inner_text()
    for leak in ("Traceback", ".py", "injected fault", "RuntimeError"):
        assert leak not in main
    assert "injected fault" in log.read_text()
    # A figure's click (a sweep's, a basin map's) goes through the same guard.
    for view in ("sweep", "basins"):
        page.goto(url + f"/?v=2&surface=valley&steps=50&view={view}&sweep_n=50&basin_n=10&run=sgd:lr=0.1")
        alive(page)
        page.wait_for_function("() => document.querySelector('.ovf-gd')?.parentElement.__send", timeout=60_000)
        page.evaluate(
            "() => document.querySelector('.ovf-gd').parentElement.__send("
            "'clicked', {x: 0.5, y: 0.5, customdata: [0, 0.1], at: Date.now()})"
        )
        expect(page.get_by_test_id("stAlert").first).to_contain_text(EN("guard.callback_failed", reference="")[:40])
        alive(page)


def test_work_stops_when_its_visitor_leaves(browser, served: tuple[str, Path]):
    """A heavy link dropped at once costs the server no more than a moment: the work checks for
    its visitor and stops (it once went on for a minute, for nobody)."""
    url, log = served
    page = browser.new_page()
    heavy = "/?v=2&surface=rosenbrock&steps=5000&view=map&map_n=100&run=adam:lr=0.01&run=sgd:lr=0.001"
    page.goto(url + heavy, wait_until="commit")
    # The first thing the page writes has arrived: its run is under way (it takes a second or
    # more, most of it the map, made last; once the player reports ready, the run is over).
    page.get_by_test_id("stElementContainer").first.wait_for(timeout=30_000)
    page.close()
    for _ in range(40):
        if "its visitor left" in log.read_text():
            break
        time.sleep(0.25)
    assert "its visitor left" in log.read_text()
