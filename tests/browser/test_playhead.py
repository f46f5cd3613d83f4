"""The player's step on the other views: the loss chart's playhead (which a click or a drag moves)
and the 3-D view's trails and heads, in a real browser."""

from __future__ import annotations

import base64

import numpy as np
from playwright.sync_api import Page, expect

from optviz.draw import figures
from tests.browser.pages import PLAYER, wait_for_app, whole_story

FIGURE = "document.querySelector('.ovf-gd').parentElement"
STEP = "document.querySelector('.ovp').__player.step"


def press(page: Page, *keys: str) -> None:
    page.locator(PLAYER).focus()
    for key in keys:
        page.keyboard.press(key)


def open_loss_chart(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)
    page.wait_for_function(f"() => {FIGURE}?.__playhead && {FIGURE}.dataset.playheadStep !== undefined")


def playhead(page: Page) -> dict:
    """The step the loss chart's line says, where the line is, and where the chart's own x axis
    puts the player's step (page pixels)."""
    return page.evaluate(
        f"""() => {{
            const root = {FIGURE}, gd = root.querySelector('.ovf-gd'), xa = gd._fullLayout.xaxis;
            const line = root.querySelector('.ovf-playhead-line').getBoundingClientRect();
            const step = document.querySelector('.ovp').__player.step;
            return {{step: Number(root.dataset.playheadStep), player: step, hidden: root.querySelector('.ovf-playhead').hidden,
                     line: line.left + line.width / 2, axis: gd.getBoundingClientRect().left + xa._offset + xa.l2p(step),
                     label: root.querySelector('.ovf-playhead-label').textContent}};
        }}"""
    )


def chart_point(page: Page, step: float) -> tuple[float, float]:
    """Where the loss chart draws ``step``, half-way up its plot area (page pixels), once in view."""
    page.locator(".ovf-gd").first.scroll_into_view_if_needed()
    return tuple(
        page.evaluate(
            f"""(step) => {{
                const gd = {FIGURE}.querySelector('.ovf-gd'), fl = gd._fullLayout, box = gd.getBoundingClientRect();
                return [box.left + fl.xaxis._offset + fl.xaxis.l2p(step), box.top + fl.yaxis._offset + fl.yaxis._length / 2];
            }}""",
            step,
        )
    )


def test_the_loss_charts_playhead_follows_the_player(page: Page, app_url: str, console_errors: list[str]):
    open_loss_chart(page, app_url + "/?v=2")
    whole_story(page)
    page.wait_for_function(f"() => {FIGURE}.dataset.playheadStep === '500'")
    at = playhead(page)
    assert not at["hidden"]
    assert abs(at["line"] - at["axis"]) <= 1.5  # at step 500 on the chart's own axis
    assert at["label"] == "step 500"
    press(page, "Home", "ArrowRight", "ArrowRight", "ArrowRight")
    page.wait_for_function(f"() => {FIGURE}.dataset.playheadStep === '3'")
    at = playhead(page)
    assert at["player"] == 3
    assert abs(at["line"] - at["axis"]) <= 1.5
    assert at["label"] == "step 3"


def test_the_playhead_speaks_chinese(page: Page, app_url: str, console_errors: list[str]):
    open_loss_chart(page, app_url + "/?v=2&lang=zh")
    whole_story(page)
    expect(page.locator(".ovf-playhead-label")).to_have_text("第 500 步")


def test_a_click_on_the_loss_chart_moves_the_player_there(page: Page, app_url: str, console_errors: list[str]):
    open_loss_chart(page, app_url + "/?v=2")
    whole_story(page)
    page.mouse.click(*chart_point(page, 200))
    page.wait_for_function(f"() => Math.abs({STEP} - 200) <= 1")
    assert not page.evaluate("() => document.querySelector('.ovp').__player.playing")
    page.wait_for_function(f"() => {FIGURE}.dataset.playheadStep === String({STEP})")
    at = playhead(page)
    assert abs(at["line"] - at["axis"]) <= 1.5


def test_a_drag_on_the_loss_chart_scrubs_the_player(page: Page, app_url: str, console_errors: list[str]):
    open_loss_chart(page, app_url + "/?v=2")
    whole_story(page)
    before = page.evaluate(f"() => {FIGURE}.querySelector('.ovf-gd')._fullLayout.xaxis.range.slice()")
    x0, y = chart_point(page, 100)
    x1, _ = chart_point(page, 300)
    page.mouse.move(x0, y)
    page.mouse.down()
    page.wait_for_function(f"() => Math.abs({STEP} - 100) <= 1")
    seen = []
    for i in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * i / 10, y)
        seen.append(page.evaluate(f"() => {STEP}"))
    page.mouse.up()
    page.wait_for_function(f"() => Math.abs({STEP} - 300) <= 1")
    assert seen == sorted(seen)
    assert len(set(seen)) >= 5
    after = page.evaluate(f"() => {FIGURE}.querySelector('.ovf-gd')._fullLayout.xaxis.range.slice()")
    assert after == before  # the drag scrubbed; Plotly did not zoom


def decode(typed: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(typed["bdata"]), dtype=typed["dtype"]).astype(np.float64)


def live_3d(page: Page) -> dict:
    """The 3-D view's trails and heads as Plotly draws them, the player's arrays, and the figure's
    surface grid and lifting rule."""
    return page.evaluate(
        f"""() => {{
            const root = {FIGURE}, gd = root.querySelector('.ovf-gd'), live = root.__live;
            const p = document.querySelector('.ovp').__player;
            const points = (t) => ({{x: Array.from(gd.data[t.index].x), y: Array.from(gd.data[t.index].y),
                                     z: Array.from(gd.data[t.index].z)}});
            const s = gd._fullData.find(t => t.type === 'surface');
            return {{
                step: p.step,
                trails: live.trails.map(points),
                heads: live.heads.map(t => ({{...points(t), symbol: gd._fullData[t.index].marker.symbol}})),
                runs: p.runs.map(r => ({{x: Array.from(r.x), y: Array.from(r.y), gap: Array.from(r.gap), diverged_at: r.diverged_at}})),
                spec: gd.layout.meta.live,
                surface: {{x: Array.from(s.x), y: Array.from(s.y), z: s.z.flatMap(row => Array.from(row))}},
            }};
        }}"""
    )


def lifted(state: dict, run: dict, k: int) -> float:
    """Where optviz.draw.figures._Relief.above puts the run's point at step k: the drawn height
    of f (or the drawn mesh's, where higher), plus the lift, capped at the top of the box."""
    spec, surface = state["spec"], state["surface"]
    f = spec["f_star"] + np.float64(np.float32(run["gap"][k]))
    height = np.log10(max(f - spec["log_f_star"], 0.0) + spec["delta"]) if spec["log"] else f
    x, y = np.array(surface["x"]), np.array(surface["y"])
    z = np.array(surface["z"]).reshape(y.size, x.size)
    mesh = figures._mesh_height((x, y, z), np.array([run["x"][k]]), np.array([run["y"][k]]))[0]
    return min(max(height, mesh) + spec["lift"], spec["top"])


def open_3d(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)
    page.wait_for_function(f"() => {FIGURE}?.__live && {FIGURE}.__live.heads?.length > 0", timeout=60_000)


def test_the_3d_heads_are_at_the_players_step(page: Page, app_url: str, console_errors: list[str]):
    open_3d(page, app_url + "/?v=2&view=3d")
    whole_story(page)
    press(page, "Home", *["ArrowRight"] * 7)
    page.wait_for_function(f"() => {FIGURE}.dataset.liveStep === '7' && {FIGURE}.dataset.liveMode === 'gl'")
    state = live_3d(page)
    assert state["step"] == 7
    assert len(state["heads"]) == len(state["runs"]) == 8
    for run, head, trail in zip(state["runs"], state["heads"], state["trails"], strict=True):
        assert head["x"] == [run["x"][7]]
        assert head["y"] == [run["y"][7]]
        np.testing.assert_allclose(head["z"], [lifted(state, run, 7)], rtol=1e-6)  # its f, lifted
        assert len(trail["x"]) == len(trail["z"]) == 8  # steps 0 .. 7
        assert trail["x"] == run["x"][:8]
        assert trail["y"] == run["y"][:8]
        np.testing.assert_allclose(trail["z"], [lifted(state, run, k) for k in range(8)], rtol=1e-6)
    press(page, "End")
    page.wait_for_function(f"() => {FIGURE}.dataset.liveStep === '500' && {FIGURE}.dataset.liveMode === 'gl'")
    state = live_3d(page)
    assert all(len(trail["x"]) == 501 for trail in state["trails"])
    assert [h["x"] for h in state["heads"]] == [[run["x"][500]] for run in state["runs"]]


def test_a_diverged_runs_trail_stops_at_its_divergence(page: Page, app_url: str, console_errors: list[str]):
    open_3d(page, app_url + "/?v=2&view=3d&surface=rosenbrock&run=sgd:lr=0.1&run=adam:lr=0.05")  # SGD diverges
    whole_story(page)
    page.wait_for_function(f"() => {FIGURE}.dataset.liveStep === '500' && {FIGURE}.dataset.liveMode === 'gl'")
    state = live_3d(page)
    diverged, _steady = state["runs"]
    k = diverged["diverged_at"]
    assert k is not None
    assert k < 500
    assert len(state["trails"][0]["x"]) == k  # steps 0 .. k-1: the last finite point
    assert state["heads"][0]["symbol"] == "cross"  # where it was last seen
    (x0, x1), (y0, y1) = state["spec"]["domain"]
    x, y = diverged["x"][k - 1], diverged["y"][k - 1]
    if x0 <= x <= x1 and y0 <= y <= y1:
        assert state["heads"][0]["x"] == [x]
    else:  # outside the surface drawn: not drawn
        assert np.isnan(state["heads"][0]["x"][0])
    assert len(state["trails"][1]["x"]) == 501
    assert state["heads"][1]["symbol"] != "cross"
    press(page, "Home")  # before its divergence, its head is its own marker again
    page.wait_for_function(f"() => {FIGURE}.dataset.liveStep === '0' && {FIGURE}.dataset.liveMode === 'gl'")
    state = live_3d(page)
    assert state["heads"][0]["symbol"] != "cross"
    assert len(state["trails"][0]["x"]) == 1


def test_while_the_race_plays_the_3d_trails_and_heads_are_drawn_over_the_scene(
    page: Page, app_url: str, console_errors: list[str]
):
    open_3d(page, app_url + "/?v=2&view=3d&run=sgd:lr=0.001,momentum=0.9&run=adagrad:lr=0.5")  # apart
    whole_story(page)
    page.locator(".ovf-gd").first.scroll_into_view_if_needed()
    page.evaluate(
        "() => { const p = document.querySelector('.ovp').__player; p.speed.value = '0'; p.go(150); p.play(); }"
    )
    page.wait_for_function(f"() => {FIGURE}.__live.mode === 'canvas' && !{FIGURE}.querySelector('.ovf-live').hidden")
    colours = page.evaluate("() => document.querySelector('.ovp').__player.runs.map(r => r.colour)")
    found = page.evaluate(
        f"""(colours) => {{
            const c = {FIGURE}.querySelector('.ovf-live'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const want = colours.map(h => [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16)));
            const counts = want.map(() => 0);
            for (let i = 0; i < d.length; i += 4) {{
                if (d[i + 3] < 250) continue;
                want.forEach((w, k) => {{ if (w.every((v, j) => Math.abs(d[i + j] - v) < 8)) counts[k]++; }});
            }}
            return counts;
        }}""",
        colours,
    )
    assert all(count > 10 for count in found), found  # every run's trail and head, in its colour
    press(page, "ArrowRight")  # a rest: Plotly's own traces at the step again, the canvas gone
    page.wait_for_function(f"() => {FIGURE}.__live.mode === 'gl' && {FIGURE}.querySelector('.ovf-live').hidden")
    page.wait_for_function(f"() => {FIGURE}.dataset.liveStep === String({STEP})")
    state = live_3d(page)
    k = state["step"]
    assert [h["x"] for h in state["heads"]] == [[run["x"][k]] for run in state["runs"]]
    assert all(len(trail["x"]) == k + 1 for trail in state["trails"])
