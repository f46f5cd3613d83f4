"""The race answers a change while it is made: the start dragged, a slider moved, a setting
changed with the player where it was; and a race not played yet waits under a big Play."""

from __future__ import annotations

from urllib.parse import unquote

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from optviz.settings import parse
from optviz.study.results import run_experiment
from tests.browser.pages import PLAYER, canvas_colours, page_point, player, url_has, wait_for_app
from tests.link_grammar import query_from_string
from ui.component import clicked_point

CALM = "/?v=2&still=1"  # the default page, not playing by itself
ONE_RUN = "/?v=2&still=1&surface=valley:kappa=10,angle=30&run=sgd:lr=0.19"  # one zig-zag: no path over another


def record_previews(page: Page) -> None:
    """Keep every preview the player draws: its answer and its runs' first points and arrays."""
    page.evaluate(
        """() => {
            const p = document.querySelector('.ovp').__player, update = p.update.bind(p);
            window.__previews = [];
            p.update = (data, ...rest) => {
                const drawn = update(data, ...rest);
                if (data.preview) Promise.resolve(drawn).then(() => window.__previews.push({
                    answer: data.preview, scene: data.scene.id,
                    runs: p.runs.map((r) => ({x: Array.from(r.x), y: Array.from(r.y)})),
                }));
                return drawn;
            };
        }"""
    )


def previews(page: Page) -> list[dict]:
    return page.evaluate("() => window.__previews")


def first_path(link: str) -> np.ndarray:
    """The first run's path of the page ``link`` opens, as the engine computes it."""
    experiment, problems = parse(query_from_string(link))
    assert not problems
    return run_experiment(experiment)[0].points.astype(np.float32)


def test_dragging_the_start_moves_the_paths_and_letting_go_keeps_the_point(
    page: Page, app_url: str, console_errors: list[str]
):
    page.goto(app_url + CALM)
    wait_for_app(page)
    record_previews(page)
    before = player(page)
    start = tuple(page.evaluate("() => document.querySelector('.ovp').__player.start"))
    x0, y0 = page_point(page, *start)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 13):  # a slow drag, down and to the right
        page.mouse.move(x0 + 12 * i, y0 + 8 * i)
        page.wait_for_timeout(80)
    page.wait_for_function("() => window.__previews.length > 0")
    during = previews(page)
    # While it moves: Plotly did not pan the plot, the paths follow the start being dragged.
    assert page.evaluate("() => document.querySelector('.ovp').__player.start") == list(start)
    assert during[-1]["runs"][0]["x"][0] != before["runs"][0]["x"][0]
    # Let go: the start is where the pointer left it, the paths start there, the link says so.
    released = page.evaluate(
        """([x, y]) => {
            const p = document.querySelector('.ovp').__player, a = p.plotArea(), box = p.gd.getBoundingClientRect();
            return [a.xa.p2l(x - box.left - a.left), a.ya.p2l(y - box.top - a.top)];
        }""",
        [x0 + 144, y0 + 96],
    )
    page.mouse.up()
    domain = page.evaluate("() => document.querySelector('.ovp').__player.scene.domain")
    expected = clicked_point({"x": released[0], "y": released[1]}, domain)
    page.wait_for_url(url_has(f"start={expected[0]:g},{expected[1]:g}"))
    wait_for_app(page)
    after = player(page)
    assert page.evaluate("() => document.querySelector('.ovp').__player.start") == list(expected)
    path = first_path(f"v=2&start={expected[0]!r},{expected[1]!r}")
    np.testing.assert_array_equal(after["runs"][0]["x"], path[:, 0])
    np.testing.assert_array_equal(after["runs"][0]["y"], path[:, 1])


def test_a_click_beside_the_start_still_sets_the_start_exactly(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + CALM)
    wait_for_app(page)
    x, y = page_point(page, 0.5, 1.0)
    page.mouse.click(x, y)
    page.wait_for_url(url_has("start="))
    wait_for_app(page)
    start = page.evaluate("() => document.querySelector('.ovp').__player.start")
    assert start == pytest.approx([0.5, 1.0], abs=0.02)


def test_a_slider_moves_the_race_while_it_is_dragged(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + CALM)
    wait_for_app(page)
    record_previews(page)
    scene = page.evaluate("() => document.querySelector('.ovp').__player.scene.id")
    thumb = page.locator(".st-key-surface_rosenbrock_a [data-testid='stSliderThumbValue']").bounding_box()
    x, y = thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(x + 5 * i, y)
        page.wait_for_timeout(120)
    page.wait_for_function("() => window.__previews.length > 0")
    # Before it is let go: the race already shows the moved surface (its picture and its paths),
    # and the link has not changed.
    assert previews(page)[-1]["scene"] != scene
    assert "rosenbrock:a" not in unquote(page.url)
    page.mouse.up()
    page.wait_for_url(url_has("rosenbrock:a="))
    wait_for_app(page)
    page.wait_for_timeout(300)
    a = float(unquote(page.url).split("rosenbrock:a=")[1].split("&")[0])
    final = player(page)
    np.testing.assert_array_equal(final["runs"][0]["x"], first_path(f"v=2&surface=rosenbrock:a={a!r}")[:, 0])
    last = previews(page)[-1]  # the last preview was the race the slider was let go on
    assert last["runs"][0]["x"] == final["runs"][0]["x"]


def test_a_change_of_settings_keeps_the_players_step(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + CALM)
    wait_for_app(page)
    page.locator(PLAYER).focus()
    for _ in range(37):
        page.keyboard.press("ArrowRight")
    assert player(page)["step"] == 37
    steps = page.get_by_test_id("stSidebar").get_by_label("Steps", exact=True)
    steps.fill("300")
    steps.press("Enter")
    page.wait_for_url(url_has("steps=300"))
    wait_for_app(page)
    state = player(page)
    assert (state["step"], state["steps"], state["playing"]) == (37, 300, False)
    # At the end, the whole story: a longer race shows its whole new story.
    page.locator(PLAYER).focus()
    page.keyboard.press("End")
    steps.fill("400")
    steps.press("Enter")
    page.wait_for_url(url_has("steps=400"))
    wait_for_app(page)
    assert (player(page)["step"], player(page)["steps"]) == (400, 400)


# The component's code as Streamlit loads it (a blob: URL, one module per page).
KEEP_MODULE_URLS = """(() => {
    const make = URL.createObjectURL;
    window.__modules = [];
    URL.createObjectURL = function (blob) {
        const url = make.call(URL, blob);
        if (blob && blob.type === "text/javascript") window.__modules.push(url);
        return url;
    };
})()"""


def test_a_player_mounted_again_in_a_new_element_keeps_its_step(page: Page, app_url: str, console_errors: list[str]):
    """Streamlit now and then mounts the race's component again in a new element, under a new
    frontend key (seen after reruns on a loaded machine, once in ten changes of settings): the
    player moves there whole, at its step, with its drawn plot, instead of a new one at step 0."""
    page.add_init_script(KEEP_MODULE_URLS)
    page.goto(app_url + CALM)
    wait_for_app(page)
    page.locator(PLAYER).focus()
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    moved = page.evaluate(
        """async () => {
            const root = document.querySelector('.ovp'), before = root.__player, plot = before.gd;
            const modules = await Promise.all(window.__modules.map((url) => import(url).catch(() => ({}))));
            const mount = modules.find((m) => m.default && m.default.length === 1).default;
            const host = document.createElement('div');
            root.parentElement.parentElement.appendChild(host);
            mount({data: before.data, key: 'st-bidi-another', name: 'optviz_view', parentElement: host,
                   setStateValue: () => {}, setTriggerValue: () => {}});
            await new Promise((done) => { const wait = () => root.__ready.done ? done() : setTimeout(wait, 20); wait(); });
            const now = host.querySelector('.ovp');
            return {moved: now === root, same: now.__player === before, plot: now.__player.gd === plot,
                    step: now.__player.step, roots: document.querySelectorAll('.ovp').length};
        }"""
    )
    assert moved == {"moved": True, "same": True, "plot": True, "step": 12, "roots": 1}


@pytest.mark.parametrize(("lang", "word"), [("en", "Play"), ("zh", "播放")])
def test_a_race_not_played_waits_under_a_big_play(
    page: Page, app_url: str, console_errors: list[str], lang: str, word: str
):
    page.goto(app_url + ONE_RUN + f"&lang={lang}")
    wait_for_app(page)
    big = page.locator(".ovp-bigplay")
    expect(big).to_be_visible()
    expect(big).to_have_text(word)
    state = player(page)
    assert (state["step"], state["playing"]) == (0, False)
    assert page.locator(".ovp-step").inner_text().startswith("第 0 步" if lang == "zh" else "step 0 ")
    # Its paths are there, faint: the student sees where they go, and that it has not been played.
    points = [(state["runs"][0]["x"][k], state["runs"][0]["y"][k]) for k in (5, 10, 15)]
    faint = canvas_colours(page, "trails", points)
    assert all(0 < c[3] < 150 for c in faint), faint
    big.click()
    page.wait_for_function("() => document.querySelector('.ovp').__player.step > 5")
    expect(big).to_be_hidden()


def test_replay_plays_again_from_the_start(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + CALM)
    wait_for_app(page)
    page.locator(PLAYER).focus()
    page.keyboard.press("End")
    replay = page.locator(".ovp-replay")
    expect(replay).to_have_text("Replay")
    page.evaluate(
        "() => { const p = document.querySelector('.ovp').__player; p.speed.value = '0'; p.showSpeed(); }"
    )  # 1 step/s
    replay.click()
    state = player(page)
    assert state["playing"]
    assert state["step"] <= 1
    expect(page.locator(".ovp-bigplay")).to_be_hidden()


def test_the_page_remembers_nothing_a_link_does_not_say(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + CALM)
    wait_for_app(page)
    page.locator(PLAYER).focus()
    page.keyboard.press("End")
    page.reload()
    wait_for_app(page)
    assert (player(page)["step"], player(page)["playing"]) == (0, False)
    expect(page.locator(".ovp-bigplay")).to_be_visible()
