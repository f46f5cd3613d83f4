"""The figure builders, without Streamlit: schema, traces, frames, markers and sizes."""

import base64
import json
import struct
import zlib

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import optviz
import surfaces
from optviz import figures
from optviz.experiment import DEFAULT, MAX_RUNS, PRESETS, STEPS, Experiment, Run
from optviz.results import run_experiment, summarise


def decode(typed):
    return np.frombuffer(base64.b64decode(typed["bdata"]), dtype=np.float32)


def build(experiment):
    surf = experiment.build_surface()
    trajectories = run_experiment(experiment)
    race = figures.main_figure(experiment, surf, trajectories, figures.background(surf, n=40))
    return surf, trajectories, race


def test_race_figure_is_valid_plotly():
    surf, trajectories, race = build(DEFAULT)
    go.Figure(race)  # validates every trace, frame and layout key
    go.Figure(figures.loss_figure(DEFAULT, surf, trajectories))
    go.Figure(figures.surface_3d_figure(DEFAULT, surf, trajectories))


def test_race_frames_animate_only_the_trajectories():
    _, trajectories, race = build(DEFAULT)
    k = len(trajectories)
    frames = race["frames"]
    assert [f["name"] for f in frames][:3] == ["0", "10", "20"]  # 500 steps in 50 frames
    assert frames[-1]["name"] == str(DEFAULT.steps)
    assert len(frames) == figures.MAX_FRAMES + 1
    for frame in frames:
        assert frame["traces"] == list(range(1 + k, 1 + 3 * k))  # never the pick grid or the landmarks
    # The last frame holds the whole path and the final position of every run.
    last = frames[-1]["data"]
    for i, t in enumerate(trajectories):
        np.testing.assert_allclose(decode(last[i]["x"])[-1], t.points[-1, 0], rtol=1e-6)
        assert last[k + i]["x"] == [float(t.points[-1, 0])]
    play, pause = race["layout"]["updatemenus"][0]["buttons"]
    assert play["args"][1]["frame"]["redraw"] is False
    assert pause["args"][0] == [None]
    assert len(race["layout"]["sliders"][0]["steps"]) == len(frames)


def test_surface_is_a_background_image_with_fixed_axes():
    surf, _, race = build(DEFAULT)
    assert not any(trace["type"] in {"contour", "heatmap"} for trace in race["data"])
    image = race["layout"]["images"][0]
    assert image["layer"] == "below"
    assert image["source"].startswith("data:image/png;base64,")
    assert race["layout"]["xaxis"]["range"] == list(surf.domain[0])
    assert race["layout"]["yaxis"]["range"] == list(surf.domain[1])


def test_png_encoder_writes_a_valid_image():
    rgb = np.arange(4 * 3 * 3, dtype=np.uint8).reshape(4, 3, 3)
    data = figures.png(rgb)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (3, 4)
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(4, 1 + 9)
    np.testing.assert_array_equal(raw[:, 1:], rgb.reshape(4, 9))


def test_landmarks_are_marked():
    experiment = Experiment.make("himmelblau", runs=[PRESETS["Adam"]])
    surf, _, race = build(experiment)
    by_name = {trace.get("name"): trace for trace in race["data"]}
    assert len(by_name["minimum"]["x"]) == 4
    assert len(by_name["saddle point"]["x"]) == 4
    assert by_name["start"]["x"] == [surf.default_start[0]]


def test_divergence_is_marked_and_named():
    experiment = Experiment.make("rosenbrock", runs=[Run.make("sgd", lr=0.1), Run.make("adam", lr=0.01)])
    surf, trajectories, race = build(experiment)
    k = trajectories[0].diverged_at
    names = [trace.get("name", "") for trace in race["data"]]
    assert f"SGD, lr 0.1 — diverged at step {k}" in names
    assert "diverged" in names
    loss = figures.loss_figure(experiment, surf, trajectories)
    assert any(f"diverged at {k}" in str(trace.get("text")) for trace in loss["data"])


def test_pick_grid_covers_the_domain():
    surf = surfaces.get("valley")
    grid = figures._pick_grid(surf)
    xs, ys = decode(grid["x"]), decode(grid["y"])
    assert xs.size == figures.PICK_GRID**2
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (-3, 3, -3, 3)
    assert grid["marker"]["opacity"] == 0


def test_colours_are_distinct_for_the_most_runs():
    assert len(set(figures.PALETTE)) == MAX_RUNS


@pytest.mark.parametrize("name", surfaces.names())
def test_log_shading_is_finite(name):
    surf = surfaces.get(name)
    _, _, z = figures.grid(surf, 50)
    assert np.isfinite(figures.shade(surf, z, z)).all()


def test_largest_experiment_stays_under_2_mb():
    runs = [Run.make("sgd", lr=1e-4 * (i + 1), momentum=0.9) for i in range(MAX_RUNS)]  # as benchmarks.app
    experiment = Experiment.make("rosenbrock", steps=STEPS.high, runs=runs)
    surf, trajectories, _ = build(experiment)
    race = figures.main_figure(experiment, surf, trajectories, figures.background(surf))
    size = len(pio.to_json(race, validate=False))
    assert size < 2_000_000, size


def test_summary_rows():
    experiment = Experiment.make("himmelblau", runs=[Run.make("adam", lr=0.1)], steps=800, tolerance=1e-6)
    surf = experiment.build_surface()
    trajectories = run_experiment(experiment)
    (row,) = summarise(experiment, surf, trajectories)
    t = optviz.run("adam", surf, steps=800, lr=0.1)
    assert row.final_loss == t.losses[-1]
    assert row.distance < 1e-3
    assert row.nearest_minimum in {(m.x, m.y) for m in surf.minima}
    assert row.steps_to_tolerance == int(np.flatnonzero(t.losses <= 1e-6)[0])
    assert row.diverged_at is None
    json.dumps(row.__dict__)
