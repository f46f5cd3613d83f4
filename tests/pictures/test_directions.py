"""Convergence by direction (optviz.teach.directions, optviz.draw.directions_figure), against the
engine's own paths: the error along each eigen-direction and theory's rate per step."""

import base64
import dataclasses
import math

import numpy as np
import plotly.graph_objects as go
import pytest

import optviz
import surfaces
from optviz.core.schedules import schedule
from optviz.draw.directions_figure import caption, directions_figure, theory_steps
from optviz.draw.race import colour
from optviz.settings import Experiment, Run
from optviz.study.results import run_experiment
from optviz.teach.directions import eigen_directions, envelope, rate, theory
from optviz.teach.theory import learning_rates


def valley(kappa=10.0, angle=0.0):
    return surfaces.get("valley", kappa=kappa, angle=angle)


def decode(typed):
    return np.frombuffer(base64.b64decode(typed["bdata"]), dtype=np.float32)


def powers(start, factor, steps):
    """start · factorᵏ, k = 0 … steps, one multiplication a step."""
    out = [start]
    for _ in range(steps):
        out.append(out[-1] * factor)
    return np.array(out)


# ------------------------------------------------------------------------------ the directions


def test_the_valley_s_directions_are_its_axes_and_its_curvatures():
    eigen = eigen_directions(valley(100.0))
    (steep, flat) = eigen.directions
    assert (steep.curvature, steep.vector) == (100.0, (0.0, 1.0))
    assert (flat.curvature, flat.vector) == (1.0, (1.0, 0.0))
    assert eigen.minimum == (0.0, 0.0)


@pytest.mark.parametrize("angle", [-90.0, -45.0, 17.0, 30.0, 90.0])
def test_a_rotated_valley_s_directions_are_the_hessian_s_eigenvectors(angle):
    surf = valley(50.0, angle)
    eigen = eigen_directions(surf)
    q = np.array([d.vector for d in eigen.directions])
    np.testing.assert_allclose(q @ q.T, np.eye(2), atol=1e-15)  # orthonormal
    for direction in eigen.directions:
        moved = np.array(surf.grad(np.array(direction.vector))) - np.array(surf.grad(np.zeros(2)))
        np.testing.assert_allclose(moved, direction.curvature * np.array(direction.vector), atol=1e-12)
    turn = math.radians(angle)
    assert abs(np.dot(q[0], (-math.sin(turn), math.cos(turn)))) == pytest.approx(1.0, abs=1e-15)  # across the floor
    assert [d.curvature for d in eigen.directions] == pytest.approx([50.0, 1.0], rel=1e-13)


def test_least_squares_is_a_quadratic_too():
    surf = surfaces.get("tips")
    eigen = eigen_directions(surf)
    rates = learning_rates(surf)
    assert [d.curvature for d in eigen.directions] == pytest.approx([rates.L, rates.m], rel=1e-9)
    assert eigen.minimum == (surf.minima[0].x, surf.minima[0].y)


def test_only_a_quadratic_that_says_so_and_is_one():
    for name in surfaces.names():
        if name not in {"valley", "tips"}:
            assert eigen_directions(surfaces.get(name)) is None, name
    # a curvature its gradient does not have: not the quadratic it says it is
    assert eigen_directions(dataclasses.replace(valley(10.0), curvature=(1.0, 20.0))) is None


@pytest.mark.parametrize("angle", [0.0, 30.0, -60.0])
def test_the_errors_summed_back_are_the_distance_to_the_minimum(angle):
    eigen = eigen_directions(valley(30.0, angle))
    points = np.random.default_rng(1).uniform(-3.0, 3.0, size=(50, 2))
    errors = eigen.errors(points)
    q = np.array([d.vector for d in eigen.directions])
    back = errors[:, :1] * q[0] + errors[:, 1:] * q[1]
    if angle == 0.0:
        np.testing.assert_array_equal(back, points)  # the axes themselves: exact
    np.testing.assert_allclose(back, points, rtol=0, atol=1e-15 * 3.0 * 4)


# ------------------------------------------------------------------------------ against the engine


@pytest.mark.parametrize("lr", [0.19, 0.12, 0.02])
def test_gradient_descent_multiplies_each_error_by_one_minus_gamma_lambda(lr):
    """On the valley along the axes, the engine's path is theory's to 1e-12, step by step."""
    surf = valley(10.0)
    eigen = eigen_directions(surf)
    path = optviz.run("sgd", surf, start=(-2.5, 1.0), steps=300, lr=lr).points
    errors = eigen.errors(path)
    for i, direction in enumerate(eigen.directions):
        predicted = powers(errors[0, i], 1.0 - lr * direction.curvature, 300)
        np.testing.assert_allclose(errors[:, i], predicted, rtol=1e-12, atol=0)
        assert rate(direction.curvature, lr) == abs(1.0 - lr * direction.curvature)
    steep = errors[:, 0]
    if lr * 10.0 > 1.0:  # above 1/λ: the sign flips at every step, the zig-zag
        assert np.all(np.sign(steep[1:]) == -np.sign(steep[:-1]))
    else:
        assert np.all(np.sign(steep) == np.sign(steep[0]))


def test_a_rotated_valley_splits_the_same_way():
    surf = valley(10.0, 30.0)
    eigen = eigen_directions(surf)
    path = optviz.run("sgd", surf, start=(-2.5, 1.0), steps=200, lr=0.15).points
    errors = eigen.errors(path)
    for i, direction in enumerate(eigen.directions):
        predicted = powers(errors[0, i], 1.0 - 0.15 * direction.curvature, 200)
        np.testing.assert_allclose(errors[:, i], predicted, rtol=0, atol=1e-13 * abs(errors[0]).max())


MOMENTA = [
    {"momentum": 0.9},  # complex roots in both directions: √μ
    {"momentum": 0.5},  # real roots along the floor
    {"momentum": 0.9, "nesterov": True},
    {"momentum": 0.5, "nesterov": True},
    {"momentum": 0.7, "dampening": 0.3},
]


@pytest.mark.parametrize("settings", MOMENTA)
def test_momentum_s_errors_decay_at_theory_s_rate(settings):
    """Each direction's error shrinks by theory's ρ per step over hundreds of steps, and never
    rises above C (k + 1) ρᵏ."""
    surf = valley(10.0)
    eigen = eigen_directions(surf)
    steps = 600
    path = optviz.run("sgd", surf, start=(-2.5, 1.0), steps=steps, lr=0.02, **settings).points
    errors = eigen.errors(path)
    for i, direction in enumerate(eigen.directions):
        rho = rate(direction.curvature, 0.02, **settings)
        assert rho < 1.0
        size = np.abs(errors[:, i])
        early, late = size[200:260].max(), size[500:560].max()
        assert (late / early) ** (1 / 300) == pytest.approx(rho, rel=5e-3)
        bound = (np.arange(steps + 1) + 1.0) * powers(1.0, rho, steps)
        constant = 2.0 * (size[:20] / bound[:20]).max()
        assert np.all(size <= constant * bound)


def test_theory_s_heavy_ball_matches_the_learning_rate_theory():
    """At theory's optimal momentum and learning rate both extreme directions shrink at
    (√κ − 1) / (√κ + 1) (optviz.teach.theory)."""
    surf = valley(100.0)
    heavy_ball = learning_rates(surf).heavy_ball
    for direction in eigen_directions(surf).directions:
        found = rate(direction.curvature, heavy_ball.lr, heavy_ball.momentum)
        assert found == pytest.approx(heavy_ball.rate, rel=1e-6)


def test_without_momentum_every_form_is_gradient_descent():
    for lr, curvature in ((0.19, 10.0), (0.02, 1.0), (0.25, 10.0)):
        plain = abs(1.0 - lr * curvature)
        assert rate(curvature, lr) == plain
        assert rate(curvature, lr, nesterov=True) == plain
        assert rate(curvature, lr, dampening=0.5) == plain
    assert rate(10.0, 0.25) == pytest.approx(1.5)  # beyond 2/λ: it grows


def test_the_envelope_is_repeated_multiplication():
    np.testing.assert_array_equal(envelope(-2.0, 0.9, 50), powers(2.0, 0.9, 50))
    assert envelope(3.0, 0.5, 0).tolist() == [3.0]


def test_theory_says_why_it_has_no_rate():
    surf = valley(10.0)
    eigen = eigen_directions(surf)
    base = Experiment.make("valley", runs=())

    def why(run, **settings):
        return theory(dataclasses.replace(base, **settings), run, eigen).why

    assert why(Run.make("sgd", lr=0.02, momentum=0.9)) is None
    assert why(Run.make("adam", lr=0.1)) == "adaptive"
    assert why(Run.make("sgd", lr=0.02, schedule=schedule("StepLR", step_size=10))) == "schedule"
    assert why(Run.make("sgd", lr=0.02), noise=1.0) == "noise"
    assert why(Run.make("sgd", lr=0.02, weight_decay=0.1)) == "weight_decay"
    tips = surfaces.get("tips")
    assert theory(base, Run.make("sgd", lr=0.004, batch=16), eigen_directions(tips)).why == "batch"


# ------------------------------------------------------------------------------ the figure


def panel(fig, number, kind):
    return [t for t in fig["data"] if t["meta"] == {"kind": kind, "panel": number}]


def test_the_figure_draws_one_line_per_run_per_direction_in_its_colour():
    experiment = Experiment.make("valley")  # its default page: three SGD runs, two with momentum, and Adam
    surf = experiment.build_surface()
    trajectories = run_experiment(experiment)
    fig = directions_figure(experiment, surf, trajectories)
    go.Figure(fig)  # valid Plotly
    eigen = eigen_directions(surf)
    colours = [colour(slot) for slot in experiment.slots()]
    for number in (0, 1):
        lines = panel(fig, number, "error")
        assert [t["name"] for t in lines] == experiment.labels()
        assert [t["line"]["color"] for t in lines] == colours
        for line, trajectory in zip(lines, trajectories, strict=True):
            np.testing.assert_array_equal(
                decode(line["y"]), eigen.errors(trajectory.points)[:, number].astype(np.float32)
            )
            assert (line["x0"], line["dx"], decode(line["y"]).size) == (0, 1, experiment.steps + 1)  # one a step
        # theory's dashed line for each SGD run, none for Adam
        dashed = panel(fig, number, "theory")
        sgd = [label for label, run in zip(experiment.labels(), experiment.runs, strict=True) if run.optimizer == "sgd"]
        assert [t["name"] for t in dashed] == sgd
        assert "Adam, lr 0.1" not in sgd
        assert all(t["line"]["dash"] == "dash" for t in dashed)
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["steep: λ₁ = 10", "flat: λ₂ = 1"]
    assert fig["layout"]["xaxis"]["range"] == fig["layout"]["xaxis2"]["range"] == [0, experiment.steps]
    assert fig["layout"]["xaxis2"]["title"]["text"] == "step"
    assert fig["layout"]["xaxis2"]["matches"] == "x"  # one step axis: a mark at a step spans both panels


def test_theory_s_line_is_the_rate_from_the_start():
    run = Run.make("sgd", lr=0.19)
    experiment = Experiment.make("valley", runs=(run,), steps=500)
    surf = experiment.build_surface()
    [trajectory] = run_experiment(experiment)
    start = eigen_directions(surf).errors(trajectory.points[:1])[0]
    for log in (False, True):
        fig = directions_figure(experiment, surf, [trajectory], log=log)
        for number, curvature in ((0, 10.0), (1, 1.0)):
            [line] = panel(fig, number, "theory")
            k = theory_steps(500)
            expected = powers(abs(start[number]), abs(1.0 - 0.19 * curvature), 500)[k]
            x, y = decode(line["x"]), decode(line["y"])
            if log:
                np.testing.assert_array_equal(x, k.astype(np.float32))
                np.testing.assert_array_equal(y, expected.astype(np.float32))
            else:  # ±, one line with a gap between the halves
                half = k.size
                assert np.isnan(x[half])
                assert np.isnan(y[half])
                np.testing.assert_array_equal(y[:half], expected.astype(np.float32))
                np.testing.assert_array_equal(y[half + 1 :], -expected.astype(np.float32))
        assert fig["layout"]["yaxis"].get("type") == ("log" if log else None)
        assert fig["layout"]["yaxis2"]["title"]["text"] == ("|e₂|" if log else "error e₂")


def test_the_figure_speaks_the_page_s_language():
    experiment = Experiment.make("valley", surface_params={"kappa": 100.0}, lang="zh")
    surf = experiment.build_surface()
    fig = directions_figure(experiment, surf, run_experiment(experiment))
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["陡峭方向：λ₁ = 100", "平缓方向：λ₂ = 1"]
    assert fig["layout"]["xaxis2"]["title"]["text"] == "步数"
    assert [fig["layout"][y]["title"]["text"] for y in ("yaxis", "yaxis2")] == ["误差 e₁", "误差 e₂"]
    names = [t["name"] for t in panel(fig, 0, "error")]
    assert names[0] == experiment.labels()[0] + " — 在第 2 步发散"  # 0.19 > 2/100
    assert names[1] == experiment.labels()[1]


def test_a_diverged_run_is_drawn_up_to_its_divergence():
    runs = (Run.make("sgd", lr=0.25), Run.make("sgd", lr=0.02))
    experiment = Experiment.make("valley", runs=runs, steps=100)
    surf = experiment.build_surface()
    trajectories = run_experiment(experiment)
    diverged = trajectories[0].diverged_at
    assert diverged is not None
    fig = directions_figure(experiment, surf, trajectories)
    steep = panel(fig, 0, "error")
    assert decode(steep[0]["y"]).size == diverged
    assert steep[0]["name"].endswith(f"diverged at step {diverged}")
    [theory_line] = [t for t in panel(fig, 1, "theory") if t["name"] == steep[0]["name"]]
    assert np.nanmax(decode(theory_line["x"])) == diverged - 1  # theory's line ends with the run
    # the axis is the run that did not diverge's
    assert fig["layout"]["yaxis"]["range"][1] == pytest.approx(
        1.08 * abs(eigen_directions(surf).errors(trajectories[1].points)[:, 0]).max()
    )


def test_slots_keep_their_colours():
    runs = (Run.make("sgd", lr=0.02, slot=4), Run.make("adam", lr=0.1, slot=1))
    experiment = Experiment.make("valley", runs=runs, steps=20)
    fig = directions_figure(experiment, experiment.build_surface(), run_experiment(experiment))
    assert [t["line"]["color"] for t in panel(fig, 1, "error")] == [colour(4), colour(1)]
    assert [t["line"]["color"] for t in panel(fig, 1, "theory")] == [colour(4)]


def test_no_figure_off_a_quadratic_and_the_caption_says_why():
    for lang, words in (("en", "not one"), ("zh", "不是二次函数")):
        experiment = Experiment.make("rosenbrock", lang=lang, steps=10)
        surf = experiment.build_surface()
        assert directions_figure(experiment, surf, run_experiment(experiment)) is None
        [line] = caption(experiment, surf)
        assert words in line


def test_the_caption_names_the_runs_without_theory():
    runs = (Run.make("sgd", lr=0.02), Run.make("adam", lr=0.1, name="<b>mine</b>"), Run.make("rmsprop", lr=0.01))
    experiment = Experiment.make("valley", runs=runs, steps=20)
    lines = caption(experiment, experiment.build_surface())
    assert len(lines) == 2
    assert "&lt;b&gt;mine&lt;/b&gt;, RMSprop, lr 0.01" in lines[1]
    assert "SGD, lr" not in lines[1]
    only_sgd = Experiment.make("valley", runs=runs[:1], steps=20, noise=0.5)
    assert "noisy" in caption(only_sgd, only_sgd.build_surface())[1]
