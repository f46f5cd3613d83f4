"""A network's landscape as a race (optviz.draw.landscape_figure): the slice is the player's
surface, every run's path is there projected onto the plane and says so, and each point's
distance off the plane is in a figure that follows the player."""

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest

import optviz
from optviz.draw import figures
from optviz.draw import landscape_figure as lf
from optviz.draw import race as race_data
from optviz.text import LANGUAGES, Words
from surfaces.network import network

LABELS = ["Adam <b>fast</b>", "SGD, every tenth step"]
SLOTS = [2, 5]


@pytest.fixture(scope="module")
def iris():
    return network("iris", "mlp", seed=0)


@pytest.fixture(scope="module")
def runs(iris):
    return (
        optviz.run("adam", iris, steps=40, batch_size=16, seed=0, lr=0.02),
        optviz.run("sgd", iris, steps=50, batch_size=16, seed=1, lr=0.1, record="final", every=10),
    )


@pytest.fixture(scope="module", params=["filter", "pca"])
def view(request, iris, runs):
    return lf.landscape_view(iris, runs[0], runs[1:], labels=LABELS, slots=SLOTS, plane=request.param, points=11)


def _floats(encoded):
    return np.frombuffer(base64.b64decode(encoded), dtype="<f4")


def _typed(array):
    return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])


def test_the_runs_are_drawn_projected_onto_the_plane_and_say_so(view, runs):
    player, found = view.player, view.landscape
    words = Words("en")
    assert [run["label"] for run in player["runs"]] == [words("landscape.projected", label=label) for label in LABELS]
    assert all("projected onto the plane" in run["label"] for run in player["runs"])
    assert [run["colour"] for run in player["runs"]] == [race_data.colour(slot) for slot in SLOTS]
    for run, trajectory, projection, steps in zip(player["runs"], runs, found.projections, found.steps, strict=True):
        x, y, gap = (_floats(run["arrays"][key]) for key in ("x", "y", "gap"))
        assert x.size == y.size == gap.size == trajectory.steps + 1  # every step, a kept row held until the next
        rows = np.searchsorted(steps, np.arange(trajectory.steps + 1), side="right") - 1
        np.testing.assert_array_equal(x, projection.a[rows].astype("<f4"))
        np.testing.assert_array_equal(y, projection.b[rows].astype("<f4"))
        np.testing.assert_array_equal(gap, trajectory.losses[rows].astype("<f4"))  # the run's own loss (f* = 0)
    assert player["steps"] == max(t.steps for t in runs)
    assert player["start"] == [float(found.projections[0].a[0]), float(found.projections[0].b[0])]
    assert len({run["id"] for run in player["runs"]}) == 2
    json.dumps(player)  # what the component sends


def test_the_slice_is_the_players_surface(view):
    player, sliced = view.player, view.landscape.slice
    scene = player["scene"]
    assert scene["domain"] == [list(sliced.domain[0]), list(sliced.domain[1])]
    assert scene["background"].startswith("data:image/png;base64,")
    assert scene["minima"] == [[0.0, 0.0, sliced.centre_loss]]  # θ*, marked as the plane's centre
    assert scene["f_star"] == 0.0
    assert player["text"]["minimum"] == Words("en")("landscape.centre")
    assert player["kind"] == "race"
    assert player["forces"] is None
    assert player["inspect"] is None
    assert player["live"] == {}


def test_the_slice_as_a_surface_is_the_grid_between_its_points(view):
    sliced = view.landscape.slice
    surf = lf.slice_surface(view.landscape)
    a, b = np.meshgrid(sliced.a, sliced.b)
    np.testing.assert_allclose(surf.value_fn(a, b), sliced.loss, rtol=1e-14)
    middle = surf.value_fn((sliced.a[0] + sliced.a[1]) / 2, sliced.b[0])
    assert middle == pytest.approx((sliced.loss[0, 0] + sliced.loss[0, 1]) / 2, rel=1e-12)
    gx, gy = surf.grad_fn(np.array([0.1]), np.array([0.1]))
    assert np.isfinite(gx).all()
    assert np.isfinite(gy).all()
    figures.background(surf, 40)  # the shading the scene carries


def test_each_points_distance_off_the_plane_is_in_a_figure_of_the_steps(view, runs):
    fig = view.distances
    go.Figure(fig)  # a valid Plotly figure
    assert len(fig["data"]) == len(runs)
    for trace, projection, steps in zip(fig["data"], view.landscape.projections, view.landscape.steps, strict=True):
        np.testing.assert_array_equal(_typed(trace["x"]), steps.astype("<f4"))
        np.testing.assert_array_equal(_typed(trace["y"]), projection.distance.astype("<f4"))
        assert "distance off the plane" in trace["hovertemplate"]
    assert "&lt;b&gt;" in fig["data"][0]["name"]  # a person's label, shown as written
    assert fig["layout"]["yaxis"]["title"]["text"] == Words("en")("landscape.distance")


def test_the_axes_and_the_caption_name_the_plane(view):
    plane = view.landscape.plane
    x_axis, y_axis = view.player["text"]["x_axis"], view.player["text"]["y_axis"]
    if plane.explained is None:
        assert "filter-normalised" in x_axis
        assert "filter normalisation" in view.caption[0]
        assert f"{plane.cosine:.3f}" in view.caption[0]
    else:
        assert f"{100 * plane.explained[0]:.1f} %" in x_axis
        assert f"{100 * plane.explained[1]:.1f} %" in y_axis
        assert f"{100 * plane.explained[1]:.1f} %" in view.caption[0]
    assert any("projections" in line for line in view.caption)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_words_the_landscape(iris, runs, lang):
    found = lf.landscape_view(iris, runs[0], labels=LABELS[:1], slots=SLOTS[:1], plane="pca", points=3, lang=lang)
    texts = [*found.caption, found.player["text"]["x_axis"], found.player["runs"][0]["label"]]
    assert all(text and "{" not in text for text in texts)
    if lang == "zh":
        assert "投影" in found.player["runs"][0]["label"]
        assert "主成分" in found.player["text"]["x_axis"]
        assert "解释方差" in found.caption[0]


def test_labels_and_slots_go_with_the_runs(iris, runs):
    with pytest.raises(ValueError, match="one per run"):
        lf.landscape_view(iris, runs[0], runs[1:], labels=LABELS[:1], slots=SLOTS, points=3)
