"""The figure builders, without Streamlit: the surface's shading, the loss and 3-D figures."""

import base64
import json
import struct
import zlib

import numpy as np
import plotly.graph_objects as go
import pytest

import optviz
import surfaces
from optviz.draw import figures
from optviz.settings import DEFAULT, MAX_RUNS, PRESETS, Experiment, Run, lesson_experiment
from optviz.study.results import run_experiment, summarise
from optviz.text import Words, axis_names


def decode(typed):
    return np.frombuffer(base64.b64decode(typed["bdata"]), dtype=np.float32)


def build(experiment):
    surf = experiment.build_surface()
    return surf, run_experiment(experiment)


def test_figures_are_valid_plotly():
    surf, trajectories = build(DEFAULT)
    go.Figure(figures.loss_figure(DEFAULT, surf, trajectories))  # validates every trace and layout key
    go.Figure(figures.surface_3d_figure(DEFAULT, surf, trajectories))


def test_png_encoder_writes_a_valid_image():
    rgb = np.arange(4 * 3 * 3, dtype=np.uint8).reshape(4, 3, 3)
    data = figures.png(rgb)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (3, 4)
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(4, 1 + 9)
    np.testing.assert_array_equal(raw[:, 1:], rgb.reshape(4, 9))


def pixels(shading: figures.Shading) -> np.ndarray:
    """The shading's picture as an (h, w, 3) array."""
    data = base64.b64decode(shading.uri.split(",", 1)[1])
    width, height = struct.unpack(">II", data[16:24])
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    return (
        np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + 3 * width)[:, 1:].reshape(height, width, 3)
    )


def test_the_shading_says_what_its_greys_mean():
    """The legend beside the race: f − f* on a log scale where the shading is logarithmic, its
    greys light (low) to dark (high), and its range the shaded values' own."""
    rosenbrock = surfaces.get("rosenbrock")
    shading = figures.background(rosenbrock, 60)
    assert shading.log
    assert shading.delta > 0
    assert len(shading.greys) == figures.BANDS
    lightness = [int(grey[4:].split(",")[0]) for grey in shading.greys]
    assert lightness == sorted(lightness, reverse=True)
    _, _, z = figures.grid(rosenbrock, 60)
    shaded = figures.shade(rosenbrock, z, z)
    assert (shading.low, shading.high) == (float(shaded.min()), float(shaded.max()))
    bowl = figures.background(surfaces.get("booth"), 60)
    assert bowl.log == surfaces.get("booth").log_scale


@pytest.mark.parametrize("name", surfaces.names())
def test_contour_lines_are_drawn_where_bands_meet_and_never_cover_the_picture(name):
    surf = surfaces.get(name)
    plain = pixels(figures.background(surf, 120, contours=False)).astype(int)
    lined = pixels(figures.background(surf, 120, contours=True)).astype(int)
    darker = (plain - lined)[..., 0]
    assert set(np.unique(darker)) <= {0, figures.CONTOUR_DARKER}  # a line is its band, darker; nothing else changes
    assert (darker > 0).mean() <= figures.CONTOUR_SHARE  # lines, not a darker picture
    # every line pixel sits where the plain picture's band changes to the right or above
    band = plain[..., 0][::-1]  # north is up in the picture
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, :-1] |= band[:, 1:] != band[:, :-1]
    edge[:-1, :] |= band[1:, :] != band[:-1, :]
    assert not (darker[::-1] > 0)[~edge].any()
    if name in ("valley", "booth", "rosenbrock"):  # a smooth bowl or valley has its lines
        assert (darker > 0).mean() > 0.02


def test_divergence_is_named_in_the_loss_figure():
    experiment = Experiment.make("rosenbrock", runs=[Run.make("sgd", lr=0.1), Run.make("adam", lr=0.01)])
    surf, trajectories = build(experiment)
    k = trajectories[0].diverged_at
    loss = figures.loss_figure(experiment, surf, trajectories)
    assert any(f"diverged at step {k}" in str(trace.get("text")) for trace in loss["data"])


def test_colours_are_distinct_for_the_most_runs():
    assert len(set(figures.PALETTE)) == MAX_RUNS


@pytest.mark.parametrize("name", surfaces.names())
def test_log_shading_is_finite(name):
    surf = surfaces.get(name)
    _, _, z = figures.grid(surf, 50)
    assert np.isfinite(figures.shade(surf, z, z)).all()


def test_summary_rows():
    experiment = Experiment.make("himmelblau", runs=[Run.make("adam", lr=0.1)], steps=800, tolerance=1e-6)
    surf = experiment.build_surface()
    trajectories = run_experiment(experiment)
    (row,) = summarise(experiment, surf, trajectories)
    t = optviz.run("adam", surf, steps=800, lr=0.1)
    assert row.final_loss == t.losses[-1]
    assert row.distance < 1e-3
    assert row.nearest_minimum in {(m.x, m.y) for m in surf.minima}
    within = t.losses - surf.f_star <= 1e-6
    assert row.first_within == int(np.flatnonzero(within)[0])
    assert row.steps_to_tolerance == int(np.flatnonzero(~within)[-1]) + 1  # within from there to the end
    assert within[row.steps_to_tolerance :].all()
    assert row.diverged_at is None
    json.dumps(row.__dict__)


# ------------------------------------------------------------------ loss per step and the 3-D view

DIVERGING = Experiment.make("rosenbrock", runs=[*DEFAULT.runs[:4], Run.make("sgd", lr=0.01)])


def computed(experiment):
    surf = experiment.build_surface()
    return surf, run_experiment(experiment)


def log_range(figure):
    low, high = figure["layout"]["yaxis"]["range"]
    return 10.0**low, 10.0**high


def test_loss_axis_is_scaled_to_the_runs_that_did_not_diverge():
    surf, trajectories = computed(DIVERGING)
    f_star = min(m.value for m in surf.minima)
    figure = figures.loss_figure(DIVERGING, surf, trajectories)
    bottom, top = log_range(figure)
    diverged = [i for i, t in enumerate(trajectories) if t.diverged_at is not None]
    assert diverged == [4]
    assert np.nanmax(trajectories[4].losses[: trajectories[4].diverged_at] - f_star) > 1e4
    assert top < 1e4  # the diverged run's climb does not stretch the axis
    lines = [trace for trace in figure["data"] if trace["mode"] == "lines"]
    for i, t in enumerate(trajectories):
        y = decode(lines[i]["y"])
        assert np.all((y >= bottom) & (y <= top))  # everything drawn is on the plot
        if t.diverged_at is None:  # every value of every step of a run that did not diverge
            gaps = t.losses - f_star
            assert gaps.max() <= top
            assert gaps[gaps > 0].min() >= bottom
    # The diverged run is drawn up to where it leaves the plot, and ends on the top edge.
    y = decode(lines[4]["y"])
    assert y[-1] == pytest.approx(np.float32(10.0 ** figure["layout"]["yaxis"]["range"][1]), rel=1e-6)


def test_divergence_is_marked_inside_the_plot_in_the_runs_colour():
    surf, trajectories = computed(DIVERGING)
    figure = figures.loss_figure(DIVERGING, surf, trajectories)
    bottom, top = log_range(figure)
    (mark,) = [trace for trace in figure["data"] if trace["mode"] == "markers+text"]
    k = trajectories[4].diverged_at
    assert mark["text"] == [f"diverged at step {k}"]
    assert mark["textfont"]["color"] == mark["marker"]["color"] == figures.colour(4)
    assert bottom < mark["y"][0] < top
    assert mark["y"][0] > top / 10 ** (0.05 * np.log10(top / bottom))  # at the top edge
    assert 0 <= mark["x"][0] <= DIVERGING.steps


def test_divergence_marks_of_runs_diverging_together_do_not_overlap():
    runs = [Run.make("sgd", lr=0.01), Run.make("sgd", lr=0.02), Run.make("adam", lr=0.05)]
    experiment = Experiment.make("rosenbrock", runs=runs)
    surf, trajectories = computed(experiment)
    figure = figures.loss_figure(experiment, surf, trajectories)
    bottom, top = log_range(figure)
    marks = [trace for trace in figure["data"] if trace["mode"] == "markers+text"]
    assert len(marks) == 2
    assert len({mark["y"][0] for mark in marks}) == 2
    assert all(bottom < mark["y"][0] < top for mark in marks)


def test_loss_draws_every_step():
    experiment = Experiment.make("valley", surface_params={"kappa": 10, "angle": 30}, runs=DEFAULT.runs[:3], steps=5000)
    surf, trajectories = computed(experiment)
    figure = figures.loss_figure(experiment, surf, trajectories)
    lines = [trace for trace in figure["data"] if trace["mode"] == "lines"]
    floor = min(decode(trace["y"]).min() for trace in lines)  # where values near 0 are drawn
    for trace, t in zip(lines, trajectories, strict=True):
        x, y = decode(trace["x"]), decode(trace["y"])
        assert x.size == y.size == experiment.steps + 1
        np.testing.assert_array_equal(x, np.arange(experiment.steps + 1))
        np.testing.assert_allclose(y, np.maximum(t.losses, floor).astype(np.float32), rtol=1e-6)
    assert figure["layout"]["xaxis"]["range"] == [0, experiment.steps]
    assert "step %{x" in figure["data"][0]["hovertemplate"]
    assert "f − f* = %{y" in figure["data"][0]["hovertemplate"]


def test_a_line_drawn_along_the_floor_is_marked_where_it_goes_below():
    """The learning-rate lesson's lr 0.18 run falls below the axis' floor (1e-16 of its top) at
    step 91: from there it is drawn along the bottom edge, and a mark on the edge says so."""
    experiment = lesson_experiment("learning_rate")
    surf, trajectories = computed(experiment)
    figure = figures.loss_figure(experiment, surf, trajectories)
    bottom, _ = log_range(figure)
    marks = [trace for trace in figure["data"] if trace["mode"] == "markers"]
    floors = [mark for mark in marks if mark["marker"]["symbol"] == "triangle-down"]
    assert len(floors) == 1
    (mark,) = floors
    right = trajectories[1].losses - surf.f_star
    floor = decode([t for t in figure["data"] if t["mode"] == "lines"][1]["y"]).min()
    assert mark["x"] == [int(np.flatnonzero(right < floor)[0])] == [91]
    assert mark["marker"]["symbol"] == "triangle-down"
    assert mark["name"] == figure["data"][1]["name"]  # the run's
    assert "below" in mark["hovertemplate"]
    assert bottom < mark["y"][0] < 10 * bottom  # on the bottom edge
    for i in (0, 2):  # the others never go below it (the diverged one is marked at the top)
        assert not any(m["name"] == figure["data"][i]["name"] for m in floors)


def test_a_diverged_run_is_marked_at_its_step_and_where_its_line_left_the_axis():
    """The learning-rate lesson's lr 0.21 run climbs above every other run's values by step 10
    and diverges at step 61: an upward triangle on the top edge at 10, the x and its words at 61."""
    experiment = lesson_experiment("learning_rate")
    surf, trajectories = computed(experiment)
    figure = figures.loss_figure(experiment, surf, trajectories)
    _, top = log_range(figure)
    name = figure["data"][2]["name"]
    mine = [trace for trace in figure["data"][3:] if trace["name"] == name]
    (above,) = [m for m in mine if m["marker"]["symbol"] == "triangle-up"]
    (crossed,) = [m for m in mine if m["marker"]["symbol"] == "x"]
    assert trajectories[2].diverged_at == 61
    assert crossed["x"] == [61]
    assert crossed["text"] == ["diverged at step 61"]
    assert 5 < above["x"][0] < 20
    assert decode(figure["data"][2]["x"])[-1] == pytest.approx(above["x"][0])  # where its line meets the edge
    assert above["y"][0] > top / 10


def test_a_run_that_reaches_the_minimum_exactly_does_not_stretch_the_axis():
    # On a round bowl, plain gradient descent with lr 1 lands on the minimum in one step.
    experiment = Experiment.make(
        "valley", surface_params={"kappa": 1}, steps=500, runs=[Run.make("sgd", lr=1.0), PRESETS["Adam"]]
    )
    surf, trajectories = computed(experiment)
    assert trajectories[0].losses[1] == 0.0
    figure = figures.loss_figure(experiment, surf, trajectories)
    low, high = figure["layout"]["yaxis"]["range"]
    assert high - low <= 16 * 1.08 + 1e-9  # sixteen decades below the top at most, and a margin
    y = decode(figure["data"][0]["y"])
    top = max(t.losses.max() for t in trajectories)  # f* = 0
    assert y[1] == pytest.approx(figures.LOSS_FLOOR * top, rel=1e-6)  # the exact minimum, at the floor
    assert 10.0**low < y[1]


def test_loss_keeps_runs_colours_given():
    surf, trajectories = computed(DIVERGING)
    colours = ["#000001", "#000002", "#000003", "#000004", "#000005"]
    figure = figures.loss_figure(DIVERGING, surf, trajectories, colours=colours)
    lines = [trace for trace in figure["data"] if trace["mode"] == "lines"]
    assert [trace["line"]["color"] for trace in lines] == colours
    with pytest.raises(ValueError, match="colours"):
        figures.loss_figure(DIVERGING, surf, trajectories, colours=colours[:2])
    default = figures.loss_figure(DIVERGING, surf, trajectories)
    assert [t["line"]["color"] for t in default["data"] if t["mode"] == "lines"] == [
        figures.colour(i) for i in range(5)
    ]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("valley", {"kappa": 1}),
        ("valley", {"kappa": 10, "angle": 30}),
        ("valley", {"kappa": 100, "angle": 30}),
        ("valley", {"kappa": 1000, "angle": 0}),
        ("valley", {"kappa": 1000, "angle": 45}),
        ("valley", {"kappa": 1000, "angle": 90}),
        ("rosenbrock", {}),
        ("rosenbrock", {"b": 1000}),
        ("rosenbrock", {"a": -1.5, "b": 1000}),
        ("saddle", {}),
        ("himmelblau", {}),
        ("rastrigin", {}),
        ("booth", {}),
        ("six_hump_camel", {}),
        ("styblinski_tang", {}),
    ],
)
def test_3d_height_is_linear_unless_the_surface_spans_orders_of_magnitude(name, params):
    surf = surfaces.get(name, **params)
    _, _, f = figures.grid(surf, figures.SURFACE_GRID)
    assert figures._spread_ratio(f) < figures.LOG_HEIGHT_RATIO / 2  # not near the edge
    experiment = Experiment.make(name, surface_params=params, runs=[PRESETS["Adam"]])
    figure = figures.surface_3d_figure(experiment, surf, run_experiment(experiment))
    assert figure["layout"]["scene"]["zaxis"]["title"]["text"] == "f"
    z = decode(figure["data"][0]["z"])
    np.testing.assert_allclose(z, f.ravel().astype(np.float32))  # the height is f itself


@pytest.mark.parametrize("name", ["beale", "goldstein_price"])
def test_3d_height_is_log_for_surfaces_that_span_orders_of_magnitude(name):
    surf = surfaces.get(name)
    _, _, f = figures.grid(surf, figures.SURFACE_GRID)
    assert figures._spread_ratio(f) > 2 * figures.LOG_HEIGHT_RATIO  # not near the edge
    experiment = Experiment.make(name, runs=[PRESETS["Adam"]])
    figure = figures.surface_3d_figure(experiment, surf, run_experiment(experiment))
    title = figure["layout"]["scene"]["zaxis"]["title"]["text"]
    assert title.startswith("log₁₀(f − f* + δ), δ = ")
    z = decode(figure["data"][0]["z"])
    assert z.max() - z.min() > 2  # decades
    assert z.min() > np.log10(1e-6 * (f.max() - f.min()))  # the minimum is no bottomless funnel


def test_3d_height_rule_at_its_edges():
    surf = surfaces.get("goldstein_price")
    ratio = figures.LOG_HEIGHT_RATIO
    at_edge = np.array([0.0, 1.0, 1.0, ratio])  # range / median of f − min f = the ratio exactly
    assert figures._spread_ratio(at_edge) == ratio
    assert not figures._heights(surf, at_edge).log
    assert figures._heights(surf, at_edge * [1, 1, 1, 1.001]).log
    assert figures._spread_ratio(np.full((4, 4), 3.0)) == 1.0  # a flat surface is drawn flat
    assert not figures._heights(surf, np.full((4, 4), 3.0)).log
    mostly_flat = np.zeros((10, 10))
    mostly_flat[0, 0] = 5.0  # more than half the domain at the minimum: infinitely many decades
    assert figures._spread_ratio(mostly_flat) == np.inf
    heights = figures._heights(surf, mostly_flat + 3.0)
    assert heights.log
    assert np.isfinite(heights(mostly_flat + 3.0)).all()


def mesh_interpolation(figure, x, y):
    """The drawn surface's bilinear interpolation at points (x, y), from the figure itself."""
    trace = figure["data"][0]
    gx, gy = decode(trace["x"]).astype(float), decode(trace["y"]).astype(float)
    gz = decode(trace["z"]).astype(float).reshape(gy.size, gx.size)
    i = np.clip(np.searchsorted(gx, x, side="right") - 1, 0, gx.size - 2)
    j = np.clip(np.searchsorted(gy, y, side="right") - 1, 0, gy.size - 2)
    u = (x - gx[i]) / (gx[i + 1] - gx[i])
    v = (y - gy[j]) / (gy[j + 1] - gy[j])
    return (
        (1 - u) * (1 - v) * gz[j, i]
        + u * (1 - v) * gz[j, i + 1]
        + (1 - u) * v * gz[j + 1, i]
        + u * v * gz[j + 1, i + 1]
    )


@pytest.mark.parametrize(
    "experiment",
    [
        Experiment.make("rosenbrock", runs=DEFAULT.runs),
        DIVERGING,
        Experiment.make("valley", surface_params={"kappa": 100, "angle": 30}, runs=DEFAULT.runs),
        Experiment.make("rastrigin", runs=DEFAULT.runs),
        Experiment.make("goldstein_price", runs=DEFAULT.runs),
        Experiment.make("beale", runs=DEFAULT.runs),
    ],
    ids=lambda e: f"{e.surface}-{len(e.runs)}",
)
def test_3d_paths_lie_above_the_surface(experiment):
    surf, trajectories = computed(experiment)
    figure = figures.surface_3d_figure(experiment, surf, trajectories)
    go.Figure(figure)
    heights = figures._Relief(surf, figures.SURFACE_GRID).heights
    (x0, x1), (y0, y1) = surf.domain
    paths = [trace for trace in figure["data"] if trace["type"] == "scatter3d" and trace.get("mode") == "lines"]
    assert len(paths) == len(trajectories)
    z_low, z_high = figure["layout"]["scene"]["zaxis"]["range"]
    for trace in paths:
        x, y, z = (decode(trace[axis]).astype(float) for axis in "xyz")
        drawn = np.isfinite(x)
        x, y, z = x[drawn], y[drawn], z[drawn]
        assert np.all((x >= x0 - 1e-6) & (x <= x1 + 1e-6) & (y >= y0 - 1e-6) & (y <= y1 + 1e-6))
        surface = heights(surf.value(np.stack([x, y], axis=-1)))
        assert np.all(z > surface)  # above the true surface, in the drawn units
        assert np.all(z > mesh_interpolation(figure, x, y))  # and above the drawn mesh
        assert np.all((z >= z_low) & (z <= z_high))  # nothing stretches the box
    # Each run's end is marked, and the start once.
    assert sum(trace.get("name") == "start" for trace in figure["data"]) == 1
    ends = [
        t for t in figure["data"] if t["type"] == "scatter3d" and t.get("mode") == "markers" and t["name"] != "start"
    ]
    assert len(ends) == len(trajectories)


def test_3d_diverged_path_stops_at_the_domain_edge():
    surf, trajectories = computed(DIVERGING)
    figure = figures.surface_3d_figure(DIVERGING, surf, trajectories)
    path = next(t for t in figure["data"] if t.get("name", "").startswith("SGD, lr 0.01 — diverged at step"))
    x, y = decode(path["x"]), decode(path["y"])
    assert np.isfinite(x).all()
    (x0, x1), (y0, y1) = surf.domain
    last = (float(x[-1]), float(y[-1]))
    assert min(abs(last[0] - x0), abs(last[0] - x1), abs(last[1] - y0), abs(last[1] - y1)) < 1e-5  # on the edge
    end = next(t for t in figure["data"] if t.get("mode") == "markers" and t["name"] == path["name"])
    assert end["marker"]["symbol"] == "cross"
    assert (end["x"][0], end["y"][0]) == pytest.approx(last, abs=1e-5)
    without = Experiment.make("rosenbrock", runs=DIVERGING.runs[:4])
    others = figures.surface_3d_figure(without, surf, trajectories[:4])
    assert figure["layout"]["scene"]["zaxis"]["range"] == others["layout"]["scene"]["zaxis"]["range"]


def test_3d_camera_matches_the_map():
    for name in ("valley", "rosenbrock", "six_hump_camel"):
        experiment = Experiment.make(name, runs=[PRESETS["Adam"]])
        surf, trajectories = computed(experiment)
        scene = figures.surface_3d_figure(experiment, surf, trajectories)["layout"]["scene"]
        eye = scene["camera"]["eye"]
        assert eye["x"] == 0  # x to the right
        assert eye["y"] < 0  # seen from the south: y goes away from the viewer
        assert eye["z"] > 0  # looking down
        assert 35 <= np.degrees(np.arctan2(eye["z"], -eye["y"])) <= 45
        assert scene["camera"]["up"] == {"x": 0.0, "y": 0.0, "z": 1.0}
        (x0, x1), (y0, y1) = surf.domain
        aspect = scene["aspectratio"]
        assert aspect["x"] / aspect["y"] == pytest.approx((x1 - x0) / (y1 - y0))
        assert max(aspect["x"], aspect["y"]) == 1
        assert aspect["z"] == pytest.approx(0.6)
        assert scene["xaxis"]["range"] == [x0, x1]
        assert scene["yaxis"]["range"] == [y0, y1]


def test_both_figures_leave_the_theme_to_the_page():
    surf, trajectories = computed(DIVERGING)
    for figure in (
        figures.loss_figure(DIVERGING, surf, trajectories),
        figures.surface_3d_figure(DIVERGING, surf, trajectories),
    ):
        go.Figure(figure)
        layout = figure["layout"]
        assert not {"paper_bgcolor", "plot_bgcolor", "font", "template"} & set(layout)
        assert "#ffffff" not in json.dumps(layout)
        assert "#000000" not in json.dumps(layout)
        assert 460 <= layout["height"] <= 560
        assert layout["legend"]["orientation"] == "h"
        assert layout["legend"]["yanchor"] == "top"
        assert all(value <= 64 for value in layout["margin"].values())


def test_ui_revision_keeps_the_view_only_on_the_same_surface():
    def revisions(experiment):
        surf, trajectories = computed(experiment)
        return (
            figures.loss_figure(experiment, surf, trajectories)["layout"]["uirevision"],
            figures.surface_3d_figure(experiment, surf, trajectories)["layout"]["uirevision"],
        )

    valley = {"kappa": 10, "angle": 30}
    a = revisions(Experiment.make("valley", surface_params=valley, runs=[PRESETS["Adam"]]))
    b = revisions(Experiment.make("valley", surface_params=valley, runs=[PRESETS["SGD"]], steps=100))
    c = revisions(Experiment.make("valley", surface_params={"kappa": 100, "angle": 30}, runs=[PRESETS["Adam"]]))
    d = revisions(Experiment.make("rosenbrock", runs=[PRESETS["Adam"]]))
    assert a == b
    assert len({a[0], c[0], d[0]}) == 3
    assert len({a[1], c[1], d[1]}) == 3


def test_clip_to_domain_cuts_at_the_edge_and_leaves_a_gap():
    domain = ((0.0, 1.0), (0.0, 1.0))
    points = np.array([[0.5, 0.5], [1.5, 0.5], [1.5, 0.25], [0.5, 0.25], [0.25, 0.25], [-1.0, 2.0], [3.0, -2.0]])
    path = figures._clip_to_domain(points, domain)
    expected = [[0.5, 0.5], [1.0, 0.5], [np.nan, np.nan], [1.0, 0.25], [0.5, 0.25], [0.25, 0.25], [0.0, 0.6]]
    expected += [[np.nan, np.nan], [0.0, 1.0], [1.0, 0.0]]  # a step that crosses the whole domain
    np.testing.assert_allclose(path, expected)
    assert figures._clip_to_domain(np.array([[0.5, 0.5]]), domain).shape == (1, 2)


def test_paths_follow_the_surface_over_hills_only():
    valley = figures._Relief(surfaces.get("valley", kappa=10.0, angle=30.0), figures.SURFACE_GRID)
    across = np.array([[-2.5, 1.0], [2.5, -1.0]])  # over a bowl the straight segment stays above
    path, _ = valley.drape(across)
    assert path.shape == (2, 2)
    rosenbrock = figures._Relief(surfaces.get("rosenbrock"), figures.SURFACE_GRID)
    over = np.array([[-1.5, 2.0], [1.5, 2.0]])  # over the hill inside the banana
    path, z = rosenbrock.drape(over)
    assert path.shape[0] > 10
    np.testing.assert_allclose(path[[0, -1]], over)
    assert np.all(z > rosenbrock.heights(rosenbrock.surf.value(path)))


def test_3d_paths_keep_every_visible_vertex():
    # The zig-zag of SGD just below 2/kappa: every step is a visible vertex and none is dropped.
    experiment = Experiment.make(
        "valley", surface_params={"kappa": 10, "angle": 30}, runs=[Run.make("sgd", lr=0.19)], steps=500
    )
    surf, (t,) = computed(experiment)
    figure = figures.surface_3d_figure(experiment, surf, [t])
    x = decode(figure["data"][1]["x"])
    step = np.hypot(*np.diff(t.points, axis=0).T)
    visible = np.concatenate([[True], step > figures.PATH_TOLERANCE * 6])
    assert x.size >= visible.sum()
    np.testing.assert_allclose(x[:50], t.points[:50, 0].astype(np.float32))
    # A run that settles costs no more than its shape.
    points = np.concatenate([np.linspace([0, 0], [1, 1], 11), np.full((5000, 2), 1.0)])
    thinned = figures._simplify(points, 1e-3)
    assert thinned.shape[0] == 12
    np.testing.assert_array_equal(thinned[-1], points[-1])


@pytest.mark.parametrize("experiment", [DIVERGING, Experiment.make("goldstein_price", runs=DEFAULT.runs)])
def test_3d_path_segments_do_not_cut_through_hills(experiment):
    surf, trajectories = computed(experiment)
    figure = figures.surface_3d_figure(experiment, surf, trajectories)
    heights = figures._Relief(surf, figures.SURFACE_GRID).heights
    for trace in figure["data"][1 : 1 + len(trajectories)]:
        x, y, z = (decode(trace[axis]).astype(float) for axis in "xyz")
        for t in (0.25, 0.5, 0.75):  # points along every drawn segment
            between = np.stack([x[:-1] + t * np.diff(x), y[:-1] + t * np.diff(y)], axis=-1)
            drawn = np.isfinite(between[:, 0])
            chord = (z[:-1] + t * np.diff(z))[drawn]
            assert np.all(chord > heights(surf.value(between[drawn])))


def test_a_run_name_is_text_in_the_legends():
    runs = [Run.make("adam", lr=0.05, name='<a href="https://x.invalid">click</a>'), Run.make("sgd", slot=5)]
    experiment = Experiment.make("valley", runs=runs)
    surf, trajectories = computed(experiment)
    for figure in (
        figures.loss_figure(experiment, surf, trajectories),
        figures.surface_3d_figure(experiment, surf, trajectories),
    ):
        names = [trace.get("name", "") for trace in figure["data"]]
        # plotly.js decodes &lt; &gt; &amp; and numeric references, not &quot;: quotes stay quotes
        # (no tag can form around them), so the legend shows the name as written.
        assert '&lt;a href="https://x.invalid"&gt;click&lt;/a&gt;' in names
        assert not any("<a" in name for name in names)
    lines = [t for t in figures.loss_figure(experiment, surf, trajectories)["data"] if t["mode"] == "lines"]
    assert lines[1]["line"]["color"] == figures.colour(5)  # the colour the run keeps in the race


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_data_surface_names_its_axes_by_the_models_parameters(lang):
    """Tips' x is the line's slope and y its intercept; iris' the classifier's weight and bias."""
    say = Words(lang)
    assert axis_names("tips", lang) == (say("surface.tips.axis.x"), say("surface.tips.axis.y"))
    assert axis_names("iris", lang) == (say("surface.iris.axis.x"), say("surface.iris.axis.y"))
    assert axis_names("rosenbrock", lang) == ("x", "y")
    experiment = Experiment.make("tips", lang=lang)
    surf, trajectories = build(experiment)
    scene = figures.surface_3d_figure(experiment, surf, trajectories)["layout"]["scene"]
    assert (scene["xaxis"]["title"]["text"], scene["yaxis"]["title"]["text"]) == axis_names("tips", lang)
