"""The race player in a real browser: every step drawn, one step at a time, in full screen too."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

import optviz
import surfaces
from optviz.draw import figures
from optviz.settings import parse
from optviz.study.results import run_experiment
from tests.browser.pages import PLAYER, canvas_colours, hex_rgb, player, wait_for_app, whole_story
from tests.link_grammar import query_from_string

ZIGZAG = "/?v=2&surface=valley:kappa=10,angle=30&steps=500&run=sgd:lr=0.19&run=sgd:lr=0.05,momentum=0.9"


def close_to(colour: list[int], expected: str, tolerance: int = 40) -> bool:
    """Opaque and of ``expected``'s colour (a solid path or head, not the faint whole path)."""
    return colour[3] >= 230 and all(abs(c - e) <= tolerance for c, e in zip(colour, hex_rgb(expected), strict=False))


def press(page: Page, key: str) -> None:
    page.locator(PLAYER).focus()
    page.keyboard.press(key)


def test_a_zigzag_is_drawn_with_every_vertex(page: Page, app_url: str, console_errors: list[str]):
    # SGD at lr 0.19 on the valley (kappa 10, 2/L = 0.2) reverses direction across the valley
    # at every step: a path resampled at any other step would miss its corners.
    page.goto(app_url + ZIGZAG.split("&run=", maxsplit=1)[0] + "&run=sgd:lr=0.19")  # alone, so no other path covers it
    wait_for_app(page)
    whole_story(page)
    surf = surfaces.get("valley", kappa=10, angle=30)
    t = optviz.run("sgd", surf, start=surf.default_start, steps=500, lr=0.19)
    state = player(page)
    np.testing.assert_array_equal(state["runs"][0]["x"], t.points[:, 0].astype(np.float32))
    np.testing.assert_array_equal(state["runs"][0]["y"], t.points[:, 1].astype(np.float32))
    colour = state["runs"][0]["colour"]
    # Every vertex of the first 60 steps (the visible corners; later ones pile up at the minimum)
    # is drawn, solid, in the run's colour.
    corners = [tuple(p) for p in t.points[:60]]
    drawn = canvas_colours(page, "trails", corners)
    missing = [k for k, c in enumerate(drawn) if not close_to(c, colour)]
    assert not missing, f"steps not drawn: {missing}"

    press(page, "Home")  # the start: only the faint whole path is there
    assert player(page)["step"] == 0
    faint = canvas_colours(page, "trails", corners[5:20])
    assert all(c[3] < 150 for c in faint), faint


def test_stepping_moves_every_head_by_exactly_one_step(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + ZIGZAG)
    wait_for_app(page)
    runs = player(page)["runs"]
    press(page, "Home")
    for step in range(1, 6):
        press(page, "ArrowRight")
        state = player(page)
        assert state["step"] == step
        for run in runs:
            head = canvas_colours(page, "heads", [(run["x"][step], run["y"][step])])[0]
            assert close_to(head, run["colour"]), (step, run["label"], head)
        # The solid path reaches this step and no further.
        ahead = canvas_colours(page, "trails", [(runs[0]["x"][step + 2], runs[0]["y"][step + 2])])[0]
        assert not close_to(ahead, runs[0]["colour"])
    page.locator(PLAYER).get_by_role("button", name="One step back").click()
    assert player(page)["step"] == 4
    page.locator(PLAYER).get_by_role("button", name="Last step").click()
    assert player(page)["step"] == 500
    page.locator(PLAYER).get_by_role("button", name="Play again from the start").click()
    assert player(page)["step"] < 100  # from the start (it was at 500), playing
    assert player(page)["playing"]


def plot_shaded_fraction(page: Page) -> float:
    """The share of the plot area's pixels that are not white: the surface's background."""
    box = page.locator(f"{PLAYER} .ovp-trails").bounding_box()
    pixels = np.asarray(Image.open(io.BytesIO(page.screenshot(clip=box))).convert("RGB"), dtype=int)
    return float((pixels.min(axis=-1) < 250).mean())


def test_play_advances_with_the_surface_visible_and_loops(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&speed=slow")
    wait_for_app(page)
    press(page, "Home")
    before = plot_shaded_fraction(page)
    assert before > 0.9
    page.locator(PLAYER).get_by_role("button", name="Play or pause").click()
    steps = []
    for _ in range(4):
        page.wait_for_timeout(400)
        steps.append(player(page)["step"])
        assert plot_shaded_fraction(page) > 0.9 * before
    assert steps == sorted(steps)
    assert steps[-1] > steps[0] > 0
    press(page, "End")
    page.locator(f"{PLAYER} .ovp-loop").check()
    press(page, " ")  # play again from the end: it starts over, and loops
    page.wait_for_function(f"() => document.querySelector('{PLAYER}').__player.step < 450", timeout=10_000)
    press(page, " ")
    assert not player(page)["playing"]


def test_play_in_full_screen_advances_the_paths(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&speed=fast")
    wait_for_app(page)
    press(page, "Home")
    page.locator(PLAYER).get_by_role("button", name="Full screen").click()
    page.wait_for_function(f"() => document.fullscreenElement === document.querySelector('{PLAYER}')")
    page.locator(PLAYER).get_by_role("button", name="Play or pause").click()
    page.wait_for_function(f"() => document.querySelector('{PLAYER}').__player.step > 100", timeout=20_000)
    press(page, " ")  # pause, to look
    state = player(page)
    assert not state["playing"]
    run = state["runs"][0]
    step = state["step"]
    head = canvas_colours(page, "heads", [(run["x"][step], run["y"][step])])[0]
    assert head[3] > 0  # drawn where the step is, in full screen
    page.locator(PLAYER).get_by_role("button", name="Full screen").click()  # the same button leaves it
    page.wait_for_function("() => document.fullscreenElement === null")
    press(page, "Home")
    press(page, "ArrowRight")
    assert player(page)["step"] == 1  # and the page still works after leaving full screen


def test_removing_a_run_keeps_the_others_colours(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&run=sgd:lr=0.001&run=adam:lr=0.05&run=rmsprop")
    wait_for_app(page)
    before = [(run["label"], run["colour"]) for run in player(page)["runs"]]
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Run 1: SGD, lr 0.001").click()
    sidebar.get_by_role("button", name="Remove").first.click()
    wait_for_app(page)
    after = [(run["label"], run["colour"]) for run in player(page)["runs"]]
    assert after == before[1:]


def test_a_duplicated_run_is_drawn_beside_its_original(page: Page, app_url: str, console_errors: list[str]):
    # The copy has the same settings, so the same path and the same arrays: sent once, drawn twice.
    page.goto(app_url + "/?v=2&surface=valley&steps=80&run=sgd:lr=0.05&run=adam:lr=0.1")
    wait_for_app(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Run 1: SGD, lr 0.05").click()
    sidebar.get_by_role("button", name="Duplicate").first.click()
    page.wait_for_url(lambda url: url.count("run=") == 3, timeout=30_000)
    wait_for_app(page)
    runs = player(page)["runs"]
    assert [run["label"] for run in runs] == ["SGD, lr 0.05", "Adam, lr 0.1", "SGD, lr 0.05 (2)"]
    assert (runs[2]["x"], runs[2]["y"]) == (runs[0]["x"], runs[0]["y"])
    assert len(runs[2]["x"]) == 81
    page.goto(app_url + "/?v=2&surface=valley&steps=80&run=sgd:lr=0.05&run=sgd:lr=0.05,name=Copy")  # from a link too
    wait_for_app(page)
    assert [run["label"] for run in player(page)["runs"]] == ["SGD, lr 0.05", "Copy"]


@pytest.mark.parametrize("width", [400, 1280])
def test_the_controls_fit_a_phone_and_a_laptop(page: Page, app_url: str, console_errors: list[str], width: int):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(app_url)
    wait_for_app(page)
    boxes = [
        page.locator(PLAYER).get_by_role("button", name=name).bounding_box() for name in ("Play or pause", "Last step")
    ]
    scrub = page.locator(f"{PLAYER} .ovp-scrub").bounding_box()
    plot = page.locator(f"{PLAYER} .ovp-plot").bounding_box()
    for box in [*boxes, scrub]:
        assert box["x"] >= 0  # on screen
        assert box["x"] + box["width"] <= width
        # no control covers the step slider
        overlap = min(box["x"] + box["width"], scrub["x"] + scrub["width"]) - max(box["x"], scrub["x"])
        vertical = min(box["y"] + box["height"], scrub["y"] + scrub["height"]) - max(box["y"], scrub["y"])
        assert box is scrub or overlap <= 0 or vertical <= 0
    assert plot["width"] >= min(width - 60, 600) * 0.6
    whole_story(page)
    expect(page.locator(f"{PLAYER} .ovp-step")).to_contain_text("step 500 of 500")


def test_the_loss_chart_is_drawn_from_the_races_arrays(page: Page, app_url: str, console_errors: list[str]):
    link = "v=2&surface=rosenbrock&run=sgd:lr=0.1&run=adam:lr=0.05&run=rmsprop"  # SGD diverges
    page.goto(f"{app_url}/?{link}")
    wait_for_app(page)
    page.wait_for_function("() => document.querySelector('.ovf-gd')?._fullData?.length > 0")
    drawn = page.evaluate(
        "() => document.querySelector('.ovf-gd')._fullData.filter(t => t.mode === 'lines')"
        ".map(t => [Array.from(t.x), Array.from(t.y)])"
    )
    experiment, _ = parse(query_from_string(link))
    surf = experiment.build_surface()
    expected = figures.loss_figure(experiment, surf, run_experiment(experiment))
    for (x, y), trace in zip(drawn, expected["data"], strict=False):
        np.testing.assert_array_equal(x, decode(trace["x"]))
        np.testing.assert_allclose(y, decode(trace["y"]), rtol=1e-7)
    assert len(drawn) == 3


def decode(typed):
    return np.frombuffer(base64.b64decode(typed["bdata"]), dtype=typed["dtype"]).astype(np.float64)


def test_a_divergence_is_marked_where_the_run_left_the_frame(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&run=sgd:lr=0.1&run=adam:lr=0.05")  # SGD leaves Rosenbrock's plot and diverges
    wait_for_app(page)
    colour = player(page)["runs"][0]["colour"]
    found = page.evaluate(
        """(colour) => {
            const p = document.querySelector('.ovp').__player, c = p.heads;
            const data = c.getContext('2d', {willReadFrequently: true}).getImageData(0, 0, c.width, c.height).data;
            const want = [1, 3, 5].map(i => parseInt(colour.slice(i, i + 2), 16));
            const hits = [];
            for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) {
                const i = 4 * (y * c.width + x);
                if (data[i + 3] > 200 && want.every((v, k) => Math.abs(data[i + k] - v) < 30)) hits.push([x, y]);
            }
            const border = Math.min(...hits.map(([x, y]) => Math.min(x, y, c.width - 1 - x, c.height - 1 - y)));
            return {count: hits.length, border, width: c.width};
        }""",
        colour,
    )
    assert found["count"] > 20  # the diverged marker, in the run's colour, is on the plot
    assert found["border"] < 0.05 * found["width"]  # at the frame's edge, where the run left it


def test_the_panel_being_edited_stays_open(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&run=sgd:lr=0.001&run=adam:lr=0.05")
    wait_for_app(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Run 2: Adam, lr 0.05").click()
    wait_for_app(page)
    exact = sidebar.get_by_role("spinbutton", name="lr, exact")
    exact.fill("0.07")
    exact.press("Enter")
    wait_for_app(page)
    expect(sidebar.get_by_text("Run 2: Adam, lr 0.07")).to_be_visible()
    expect(sidebar.get_by_role("spinbutton", name="lr, exact")).to_have_value("0.07")  # still open, its widgets there
    assert player(page)["runs"][1]["label"] == "Adam, lr 0.07"


def test_a_browser_that_lost_the_arrays_gets_them_again(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&run=adam:lr=0.05&run=sgd:lr=0.001")
    wait_for_app(page)
    before = player(page)["runs"]
    page.evaluate("() => window.__optvizCache.clear()")  # as if the page had lost them
    tolerance = page.get_by_role("spinbutton", name="Tolerance for the results table, exact")
    tolerance.fill("0.01")  # a change that moves no path: the race comes as references only
    tolerance.press("Enter")
    # The player asks for what it lacks, and the page sends the two runs and the surface again.
    page.wait_for_function("() => window.__optvizCache.size === 3", timeout=30_000)
    wait_for_app(page)
    assert player(page)["runs"] == before


def centre_pixels(page: Page, layer: str, points: list[tuple[float, float]]) -> list[list[int]]:
    """The one device pixel (r, g, b, a) of a canvas layer under each data point."""
    return page.evaluate(
        """([layer, points]) => {
            const p = document.querySelector('.ovp').__player, a = p.plotArea();
            const ctx = (layer === 'heads' ? p.heads : p.trails).getContext('2d', {willReadFrequently: true});
            return points.map(([x, y]) => {
                const [px, py] = p.toPixel(a, x, y);
                return Array.from(ctx.getImageData(Math.round(px), Math.round(py), 1, 1).data);
            });
        }""",
        [layer, [list(point) for point in points]],
    )


def distance_to_path(points: np.ndarray, path: np.ndarray) -> np.ndarray:
    """Each point's distance to the polyline through ``path``'s points, in data units."""
    a, b = path[:-1][None], path[1:][None]
    ab, ap = b - a, points[:, None] - a
    along = np.clip((ap * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-300), 0.0, 1.0)
    return np.linalg.norm(ap - along[..., None] * ab, axis=-1).min(axis=1)


def test_asgds_average_is_drawn_bold_over_its_faint_iterates(page: Page, app_url: str, console_errors: list[str]):
    link = "/?v=2&surface=valley:kappa=20,angle=30&steps=300&noise=3&run=asgd:lr=0.08,t0=20"
    page.goto(app_url + link)
    wait_for_app(page)
    whole_story(page)
    t = run_experiment(parse(query_from_string(link))[0])[0]
    run = page.evaluate(
        "() => { const r = document.querySelector('.ovp').__player.runs[0]; return {cx: Array.from(r.cx), cy: Array.from(r.cy), colour: r.colour}; }"
    )
    np.testing.assert_array_equal(run["cx"], t.companion[:, 0].astype(np.float32))
    np.testing.assert_array_equal(run["cy"], t.companion[:, 1].astype(np.float32))
    # The average, from its start to the last step, solid in the run's colour on the top layer
    # (away from the heads at the last step, edged in white).
    heads = np.stack([t.companion[-1], t.points[-1]])
    away = np.linalg.norm(t.companion[:, None] - heads[None], axis=-1).min(axis=1) > 0.2
    average = [tuple(p) for p in t.companion[away][::3]]
    assert len(average) >= 10
    drawn = centre_pixels(page, "heads", average)
    assert all(close_to(c, run["colour"]) for c in drawn), drawn
    # The iterates far from it are drawn faintly beneath, and not on the top layer.
    inner = t.points[21:-1]  # the last point has its ring on the top layer
    far = [tuple(p) for p in inner[distance_to_path(inner, t.companion) > 0.3][:20]]
    assert len(far) >= 10
    assert all(c[3] == 0 for c in centre_pixels(page, "heads", far))
    assert all(c[3] > 0 for c in centre_pixels(page, "trails", far))
    note = page.locator(f"{PLAYER} .ovp-companion")
    expect(note).to_have_text(
        "Bold: the average of the points since step t0, ASGD's answer. Faint, a hollow ring: the point where the gradient is taken."
    )


def test_lbfgs_draws_every_point_its_steps_evaluated_faintly(page: Page, app_url: str, console_errors: list[str]):
    link = "/?v=2&surface=rosenbrock&steps=40&run=lbfgs:max_iter=4"
    page.goto(app_url + link)
    wait_for_app(page)
    whole_story(page)
    t = run_experiment(parse(query_from_string(link))[0])[0]
    run = page.evaluate(
        "() => { const r = document.querySelector('.ovp').__player.runs[0];"
        " return {px: Array.from(r.px), py: Array.from(r.py), ps: Array.from(r.ps)}; }"
    )
    np.testing.assert_array_equal(run["px"], t.probes.points[:, 0].astype(np.float32))
    np.testing.assert_array_equal(run["py"], t.probes.points[:, 1].astype(np.float32))
    np.testing.assert_array_equal(run["ps"], t.probes.steps.astype(np.float32))
    # The trials away from the path and its heads are painted on the trails layer, faintly.
    away = t.probes.points[distance_to_path(t.probes.points, t.points) > 0.12]
    inside = away[(np.abs(away[:, 0]) < 1.9) & (away[:, 1] > -0.9) & (away[:, 1] < 2.9)]  # on the plot
    trials = [tuple(p) for p in inside[:12]]
    assert len(trials) >= 3
    drawn = centre_pixels(page, "trails", trials)
    assert all(0 < c[3] < 255 for c in drawn), drawn  # there, and not opaque: faint
    assert all(c[3] == 0 for c in centre_pixels(page, "heads", trials))
    note = page.locator(f"{PLAYER} .ovp-companion")
    expect(note).to_have_text(
        "Faint dots: the points each step tried besides its iterate (its iterations, its line search), in order."
    )
