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
from optviz import figures
from optviz.experiment import DEFAULT, MAX_RUNS, Experiment, Run
from optviz.results import run_experiment, summarise


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


def test_divergence_is_named_in_the_loss_figure():
    experiment = Experiment.make("rosenbrock", runs=[Run.make("sgd", lr=0.1), Run.make("adam", lr=0.01)])
    surf, trajectories = build(experiment)
    k = trajectories[0].diverged_at
    loss = figures.loss_figure(experiment, surf, trajectories)
    assert any(f"diverged at {k}" in str(trace.get("text")) for trace in loss["data"])


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
    assert row.steps_to_tolerance == int(np.flatnonzero(t.losses <= 1e-6)[0])
    assert row.diverged_at is None
    json.dumps(row.__dict__)
