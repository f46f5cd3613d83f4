"""The 3-D view the race player animates (figures.surface_3d_figure(..., live=True)): the surface
and, per run, a trail and a head that the browser fills from the race's arrays."""

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz.draw import figures, race
from optviz.settings import DEFAULT, Experiment, Run
from optviz.study.results import run_experiment

DIVERGING = Experiment.make("rosenbrock", runs=[Run.make("sgd", lr=0.1), Run.make("adam", lr=0.05)])


def live(experiment):
    surf = experiment.build_surface()
    trajectories = run_experiment(experiment)
    return surf, trajectories, figures.surface_3d_figure(experiment, surf, trajectories, live=True)


def without_references(figure):
    return {**figure, "data": [{k: v for k, v in t.items() if k != "fromRace"} for t in figure["data"]]}


def test_each_run_is_a_trail_and_a_head_drawn_from_the_races_arrays():
    surf, trajectories, figure = live(DEFAULT)
    go.Figure(without_references(figure))  # every other key is Plotly's
    moving = [t for t in figure["data"] if "fromRace" in t]
    assert [t["fromRace"]["part"] for t in moving] == ["trail", "head"] * len(DEFAULT.runs)
    ids = [race.run_id(DEFAULT, run) for run in DEFAULT.runs]
    assert [t["fromRace"]["run"] for t in moving[::2]] == ids  # the player's arrays, by the player's ids
    assert [t["fromRace"]["run"] for t in moving[1::2]] == ids
    assert all("x" not in t and "z" not in t for t in moving)  # no path travels twice
    static = figures.surface_3d_figure(DEFAULT, surf, trajectories)
    assert figure["data"][0] == static["data"][0]  # the same surface
    assert len(json.dumps(figure)) < len(json.dumps(static))
    colours = [race.colour(slot) for slot in DEFAULT.slots()]
    assert [t["line"]["color"] for t in moving[::2]] == colours
    assert [t["marker"]["color"] for t in moving[1::2]] == colours


def test_a_diverged_runs_reference_says_where_it_diverged():
    _, trajectories, figure = live(DIVERGING)
    moving = [t for t in figure["data"] if "fromRace" in t]
    assert trajectories[0].diverged_at is not None
    assert moving[0]["fromRace"]["diverged_at"] == trajectories[0].diverged_at
    assert moving[2]["fromRace"]["diverged_at"] is None


@pytest.mark.parametrize("name", ["rosenbrock", "beale"])  # linear and logarithmic heights
def test_the_lifting_rule_puts_the_races_points_where_the_static_paths_are(name):
    """view.js lifts each point of the race's arrays (x, y, f − f*) by layout.meta.live and the
    surface trace's grid: the rule gives _Relief.above's heights."""
    experiment = Experiment.make(name, runs=DEFAULT.runs[:3])
    surf, trajectories, figure = live(experiment)
    spec = figure["layout"]["meta"]["live"]
    assert spec["log"] is (name == "beale")
    relief = figures._Relief(surf, figures.SURFACE_GRID)
    grid = figure["data"][0]
    x, y = (np.frombuffer(base64.b64decode(grid[k]["bdata"]), dtype="<f4") for k in ("x", "y"))
    z = np.frombuffer(base64.b64decode(grid["z"]["bdata"]), dtype="<f4").reshape(y.size, x.size)
    for t in trajectories:
        points = np.asarray(t.points[:200], dtype=np.float64)
        (x0, x1), (y0, y1) = spec["domain"]
        points = points[(points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)]
        f = spec["f_star"] + (surf.value_fn(points[:, 0], points[:, 1]) - surf.f_star)
        h = np.log10(np.maximum(f - spec["log_f_star"], 0.0) + spec["delta"]) if spec["log"] else f
        mesh = figures._mesh_height((x.astype(np.float64), y.astype(np.float64), z.astype(np.float64)), *points.T)
        lifted = np.minimum(np.maximum(h, mesh) + spec["lift"], spec["top"])
        np.testing.assert_allclose(lifted, relief.above(points), rtol=1e-5, atol=1e-6 * (relief.high - relief.low))


def test_a_rules_second_point_has_a_trail_of_its_own_bold_over_its_faint_iterates():
    """ASGD's average (the rule's answer) is drawn bold from the race's cx, cy, cgap, its head on it,
    and its iterates faint: lighter and thinner, as the race draws them."""
    experiment = Experiment.make(
        "valley", steps=120, noise=3.0, runs=[Run.make("asgd", lr=0.08, t0=20.0), Run.make("adam", lr=0.05)]
    )
    surf, trajectories, figure = live(experiment)
    moving = [t for t in figure["data"] if "fromRace" in t]
    parts = [(t["fromRace"]["part"], t["fromRace"].get("second", False)) for t in moving]
    assert parts == [("trail", False), ("trail", True), ("head", True), ("trail", False), ("head", False)]
    colour = race.colour(experiment.slots()[0])
    iterates, average = moving[0]["line"], moving[1]["line"]
    assert average == {"color": colour, "width": figures.PATH_WIDTH}
    assert iterates["width"] < average["width"]
    faint = [int(iterates["color"][k : k + 2], 16) for k in (1, 3, 5)]
    full = [int(colour[k : k + 2], 16) for k in (1, 3, 5)]
    assert all(f >= c for f, c in zip(faint, full, strict=True))  # lighter: toward the white
    assert faint != full
    arrays = race.run_arrays(trajectories[0])  # what the trail of the average is lifted from
    second_gap = np.frombuffer(base64.b64decode(arrays["cgap"]), dtype="<f4")
    expected = (surf.value(trajectories[0].companion) - surf.f_star).astype(np.float32)
    np.testing.assert_array_equal(second_gap, expected)
    assert "cgap" not in race.run_arrays(trajectories[1])
