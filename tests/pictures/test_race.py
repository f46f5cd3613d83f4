"""The race player's data: every step of every run, once, in a payload that grows with the steps."""

import base64
import json

import numpy as np
import pytest

import optviz
from optviz.draw import figures, race
from optviz.settings import DEFAULT, MAX_RUNS, STEPS, Experiment, Run
from optviz.study.results import run_experiment


def decode(text):
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


def test_a_run_reaches_the_browser_with_every_step():
    t = optviz.run("sgd", "valley", steps=500, lr=0.19)
    arrays = race.run_arrays(t)
    np.testing.assert_array_equal(decode(arrays["x"]), t.points[:, 0].astype(np.float32))
    np.testing.assert_array_equal(decode(arrays["y"]), t.points[:, 1].astype(np.float32))
    np.testing.assert_array_equal(decode(arrays["gap"]), (t.losses - 0.0).astype(np.float32))  # f* = 0


def test_a_diverged_run_stays_within_float32():
    t = optviz.run("sgd", "rosenbrock", steps=300, lr=0.1)
    assert t.diverged_at is not None
    assert np.isfinite(decode(race.run_arrays(t)["gap"])).all()


def test_a_run_id_changes_exactly_when_its_trajectory_does():
    adam = Run.make("adam", lr=0.05)
    experiment = Experiment.make("valley", runs=[adam])
    same = race.run_id(experiment, adam)
    assert race.run_id(experiment, Run.make("adam", lr=0.05, name="Mine", slot=4)) == same  # name and colour
    assert race.run_id(experiment, Run.make("adam", lr=0.06)) != same
    for changed in (
        Experiment.make("valley", runs=[adam], steps=501),
        Experiment.make("valley", runs=[adam], start=(-2.0, 1.0)),
        Experiment.make("valley", runs=[adam], surface_params={"kappa": 20}),
    ):
        assert race.run_id(changed, adam) != same
        assert race.race_id(changed) == race.race_id(experiment)  # the same race: the player keeps its step
    assert race.race_id(Experiment.make("valley", runs=[Run.make("sgd")])) == race.race_id(experiment)
    assert race.race_id(Experiment.make("rosenbrock", runs=[adam])) != race.race_id(experiment)  # a new race


def test_the_payload_grows_with_the_steps_not_their_square():
    runs = [Run.make("sgd", lr=1e-4 * (i + 1), momentum=0.9) for i in range(MAX_RUNS)]
    sizes = {}
    for steps in (500, STEPS.high):
        experiment = Experiment.make("rosenbrock", steps=steps, runs=runs)
        trajectories = run_experiment(experiment)
        sizes[steps] = len(json.dumps([race.run_arrays(t) for t in trajectories]))
    assert sizes[STEPS.high] < 1_000_000  # 10 runs x 5,000 steps under 1 MB
    assert sizes[STEPS.high] / sizes[500] < 10.1  # ten times the steps, ten times the bytes


def test_every_run_keeps_a_distinct_colour_and_marker():
    assert len(set(race.PALETTE)) == len(set(race.SYMBOLS)) == MAX_RUNS
    slots = DEFAULT.slots()
    assert len({race.colour(s) for s in slots}) == len({race.symbol(s) for s in slots}) == len(DEFAULT.runs)


def test_the_scene_names_the_landmarks():
    surf = Experiment.make("himmelblau").build_surface()
    scene = race.scene(surf, figures.background(surf, 40))
    assert len(scene["minima"]) == 4
    assert len(scene["saddles"]) == 4
    assert scene["domain"] == [[-5.0, 5.0], [-5.0, 5.0]]
    valley = Experiment.make("valley").build_surface()
    assert scene["id"] == race.scene_id(surf, figures.background(surf, 40))
    assert scene["id"] != race.scene_id(valley, figures.background(valley, 40))
    lined, plain = figures.background(surf, 120), figures.background(surf, 120, contours=False)
    assert race.scene_id(surf, lined) != race.scene_id(surf, plain)  # the browser is sent the new picture


def test_f_minus_f_star_keeps_its_small_values_where_f_star_is_not_zero():
    t = optviz.run("adam", "styblinski_tang", start=(-2.5, -2.5), steps=120, lr=0.1)  # f* = -78.33
    gap = decode(race.run_arrays(t)["gap"])
    exact = t.losses - min(m.value for m in t.surface.minima)
    assert 0 < exact[-1] < 1e-6
    np.testing.assert_allclose(gap, exact, rtol=1e-6)  # f in float32 would lose everything below 1e-5


@pytest.mark.parametrize("lr", [0.001, 0.1])  # converged, and diverged (its line meets the top edge)
def test_the_loss_line_travels_as_a_reference_the_browser_can_fill(lr):
    experiment = Experiment.make("rosenbrock", runs=[Run.make("sgd", lr=lr), Run.make("adam", lr=0.05)])
    trajectories = run_experiment(experiment)
    figure = figures.loss_figure(experiment, experiment.build_surface(), trajectories)
    for trace, t in zip(figure["data"], trajectories, strict=False):
        reference = race.loss_reference(trace, "id")
        # what view.js does with the race's arrays
        gap = decode(race.run_arrays(t)["gap"])
        n = reference["n"]
        y = np.maximum(gap[:n].astype(np.float64), reference["floor"]).astype(np.float32)
        x = np.arange(n, dtype=np.float64)
        if reference["tail"]:
            x, y = np.append(x, reference["tail"][0]), np.append(y, np.float32(reference["tail"][1]))
        expected_x, expected_y = (decode_typed(trace[k]) for k in ("x", "y"))
        np.testing.assert_array_equal(x, expected_x)
        np.testing.assert_array_equal(y, expected_y.astype(np.float32))
    assert (trajectories[0].diverged_at is not None) == (lr == 0.1)


def decode_typed(typed):
    return np.frombuffer(base64.b64decode(typed["bdata"]), dtype=typed["dtype"]).astype(np.float64)
