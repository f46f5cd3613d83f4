"""record="final" and the tolerance: what sweeps and basin maps read, equal to the path's rows."""

import numpy as np
import pytest

import optviz
import surfaces
from optviz import OPTIMIZERS
from optviz.experiment import Experiment, Run
from optviz.results import run_experiment, summarise

GRID = np.array([(x, y) for x in np.linspace(-4.5, 4.5, 7) for y in np.linspace(-4.5, 4.5, 7)])


def _settings(name):
    """Settings that move every optimizer visibly on Himmelblau (and make SGD diverge somewhere)."""
    return {"lr": 0.02} if name == "sgd" else {"lr": 0.3} if name == "adadelta" else {"lr": 0.1}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("surface", ["himmelblau", "rastrigin", "valley"])
def test_a_final_run_is_the_paths_first_and_last_rows_bit_for_bit(name, surface):
    surf = surfaces.get(surface)
    path = optviz.run(name, surf, start=GRID, steps=120, tolerance=1e-3, **_settings(name))
    final = optviz.run(name, surf, start=GRID, steps=120, tolerance=1e-3, record="final", **_settings(name))
    assert final.final
    assert final.steps == 120
    assert final.points.shape == (2, len(GRID), 2)
    for name_ in ("points", "losses", "grads"):
        np.testing.assert_array_equal(getattr(final, name_), getattr(path, name_)[[0, -1]])
    assert final.diverged_at == path.diverged_at
    assert final.reached_at == path.reached_at


def test_some_runs_diverge_and_their_final_row_is_their_last_finite_point():
    path = optviz.run("sgd", "himmelblau", start=GRID, steps=60, lr=0.05)
    final = optviz.run("sgd", "himmelblau", start=GRID, steps=60, lr=0.05, record="final")
    diverged = [i for i, k in enumerate(final.diverged_at) if k is not None]
    assert diverged  # the grid's corners diverge at this rate
    for i in diverged:
        k = final.diverged_at[i]
        assert np.isfinite(final.points[1, i]).all()
        np.testing.assert_array_equal(final.points[1, i], path.points[k - 1, i])


def test_a_single_start_has_the_single_runs_shapes():
    t = optviz.run("adam", "rosenbrock", steps=1000, lr=0.05, record="final", tolerance=1e-3)
    assert t.points.shape == (2, 2)
    assert t.losses.shape == (2,)
    assert t.diverged_at is None
    assert isinstance(t.reached_at, int)


def test_reached_at_is_the_results_tables_steps_to_tolerance():
    experiment = Experiment.make("rosenbrock")  # one minimum: f - f* is f - f_i
    rows = summarise(experiment, experiment.build_surface(), run_experiment(experiment))
    for run, row in zip(experiment.runs, rows, strict=True):
        t = optviz.run(
            run.optimizer, "rosenbrock", start=experiment.start, steps=experiment.steps, tolerance=1e-3, **run.values()
        )
        assert t.reached_at == row.steps_to_tolerance


def test_reached_at_counts_from_the_minimum_a_run_ends_in():
    # Rastrigin: a run that ends in a local dimple has come within the tolerance of it, not of f* = 0.
    t = optviz.run("adam", "rastrigin", start=(-2.2, 2.7), steps=200, lr=0.3, tolerance=1e-3)
    assert t.reached_at is not None
    surf = t.surface
    index, _ = surf.nearest_minimum(t.points[-1], surf.basin_minima)
    m = surf.basin_minima[int(index)]
    assert t.losses[t.reached_at] - m.value <= 1e-3 < t.losses[t.reached_at - 1] - m.value
    assert m.value > 10


@pytest.mark.parametrize("bad", [0, -1e-3, float("nan"), float("inf"), "1e-3", True, None, 1j])
def test_a_bad_tolerance_or_record_is_refused(bad):
    if bad is None:
        assert optviz.run("adam", "valley", steps=3, tolerance=None).reached_at is None
        return
    with pytest.raises(ValueError, match="Invalid tolerance value"):
        optviz.run("adam", "valley", steps=3, tolerance=bad)


def test_an_unknown_record_is_refused():
    with pytest.raises(ValueError, match="Invalid record value"):
        optviz.run("adam", "valley", steps=3, record="last")


def test_runs_record_final_for_a_sweep():
    lrs = np.geomspace(1e-3, 1.0, 50)
    t = optviz.run("sgd", "valley", start=[(-2.5, 1.0)] * 50, steps=100, lr=lrs, record="final", tolerance=1e-3)
    single = optviz.run("sgd", "valley", start=(-2.5, 1.0), steps=100, lr=float(lrs[20]), tolerance=1e-3)
    np.testing.assert_array_equal(t.points[1, 20], single.points[-1])
    assert t.reached_at[20] == single.reached_at
    assert Run.make("sgd", lr=float(lrs[20])).values()["lr"] == lrs[20]
