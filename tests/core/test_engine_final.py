"""record="final" and the tolerance: what sweeps and basin maps read, equal to the path's rows."""

import dataclasses
import tracemalloc

import numpy as np
import pytest

import optviz
import surfaces
from optviz import OPTIMIZERS
from optviz.core.engine import divergence, final, loop
from optviz.settings import Experiment, Run
from optviz.study.results import run_experiment, summarise
from tests.core import test_optimizers

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
    assert final.settled_at == path.settled_at


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


def test_settled_at_is_the_step_from_which_a_run_stays_within_the_tolerance():
    """Heavy-ball momentum (the Nesterov lesson's) swings through the tolerance at step 64 and
    out again: it stays within it only from step 169; over 150 steps it never settles."""
    t = optviz.run("sgd", "valley", start=(-2.5, 1.0), steps=300, lr=0.03, momentum=0.95, tolerance=1e-3)
    gap = t.losses - t.surface.f_star
    assert (t.reached_at, t.settled_at) == (64, 169)
    assert gap[t.reached_at] <= 1e-3 < gap[t.reached_at - 1]
    assert (gap[t.settled_at :] <= 1e-3).all()
    assert gap[t.settled_at - 1] > 1e-3
    short = optviz.run("sgd", "valley", start=(-2.5, 1.0), steps=150, lr=0.03, momentum=0.95, tolerance=1e-3)
    assert short.losses[-1] - short.surface.f_star > 1e-3  # 2.7e-3: it ends outside
    assert (short.reached_at, short.settled_at) == (64, None)


def test_a_run_far_off_the_picture_has_diverged_there():
    """SGD beyond 2/L on the valley grows by |1 - lr L| a step: it diverges where f - f* passes
    DIVERGENCE times the plot's highest f - f*, long before it overflows."""
    t = optviz.run("sgd", "valley", start=(-2.5, 1.0), steps=500, lr=0.25)
    k = t.diverged_at
    assert k is not None
    limit = divergence.DIVERGENCE * max(t.losses[0], t.surface.plot_gap)
    assert t.losses[k - 1] <= limit
    beyond = t.points[k - 1] - 0.25 * t.surface.grad(t.points[k - 1])  # step k, by hand
    assert np.isfinite(t.surface.value(beyond))
    assert t.surface.value(beyond) > limit  # finite, but far off the picture
    np.testing.assert_array_equal(t.points[k:], np.broadcast_to(t.points[k - 1], t.points[k:].shape))


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


# ------------------------------------------------------- the final loop against the path's rows


def assert_final_is_the_paths_rows(name, surface, start, steps, tolerance=1e-3, **hp):
    """record="final" against the reference: the path run, its rows 0 and -1, bit for bit."""
    path = optviz.run(name, surface, start=start, steps=steps, tolerance=tolerance, **hp)
    final = optviz.run(name, surface, start=start, steps=steps, tolerance=tolerance, record="final", **hp)
    for field in ("points", "losses", "grads"):
        expected = np.ascontiguousarray(getattr(path, field)[[0, -1]])
        got = getattr(final, field)
        assert got.shape == expected.shape, field
        np.testing.assert_array_equal(got.view(np.uint64), expected.view(np.uint64), err_msg=field)
    assert final.diverged_at == path.diverged_at
    assert final.reached_at == path.reached_at
    assert final.settled_at == path.settled_at
    return final


@pytest.fixture(params=[(final.FINAL_BLOCK, final.FINAL_ROWS), (7, 20), (16, 48)], ids=["as-built", "tiny", "small"])
def chunking(request, monkeypatch):
    """Blocks and chunks as built, and small enough that every boundary is crossed many times."""
    block, rows = request.param
    monkeypatch.setattr(final, "FINAL_BLOCK", block)
    monkeypatch.setattr(final, "FINAL_ROWS", rows)
    return request.param


SETTINGS = [
    *test_optimizers.SETTINGS,
    ("sgd", {"lr": 0.05}),
    ("adam", {"lr": 0.3}),
    ("adamw", {"lr": 0.2, "weight_decay": 0}),
]


@pytest.mark.parametrize(("name", "hp"), SETTINGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SETTINGS)])
@pytest.mark.parametrize("surface", ["himmelblau", "rastrigin", "goldstein_price", "saddle", "rosenbrock"])
def test_every_optimizer_and_surface_in_blocks_and_chunks(name, hp, surface, chunking):
    surf = surfaces.get(surface)
    (x0, x1), (y0, y1) = surf.domain
    starts = np.random.default_rng(7).uniform((x0, y0), (x1, y1), size=(37, 2))
    assert_final_is_the_paths_rows(name, surf, starts, 97, **hp)


def test_divergence_at_every_chunk_boundary(chunking):
    # SGD at a large rate: the grid's trajectories leave the finite numbers at many different steps.
    starts = np.array([(x, y) for x in np.linspace(-5, 5, 15) for y in np.linspace(-5, 5, 15)])
    lrs = np.geomspace(0.005, 0.05, len(starts))
    final = assert_final_is_the_paths_rows("sgd", "himmelblau", starts, 80, lr=lrs)
    steps = {k for k in final.diverged_at if k is not None}
    assert len(steps) > 5
    if chunking[1] == 20:  # chunks of 20 // 7 = 2 steps: diverged at odd and even rows
        assert {k % 2 for k in steps} == {0, 1}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_per_trajectory_hyperparameters(name, chunking):
    spec = OPTIMIZERS[name]
    count = 40
    sweep = {"lr": np.geomspace(1e-3, 2.0, count)}
    if "betas" in spec.defaults():
        more = (np.full(count, d) for d in spec.defaults()["betas"][2:])  # AdEMAMix's beta3
        sweep["betas"] = (np.linspace(0.3, 0.95, count), np.linspace(0.9, 0.999, count), *more)
    if "momentum" in spec.defaults():
        sweep["momentum"] = np.linspace(spec.hyperparameter("momentum").app_low, 0.95, count)  # 0 where allowed
    assert_final_is_the_paths_rows(name, "rosenbrock", [(-1.5, 2.0)] * count, 150, **sweep)


@pytest.mark.parametrize("count", [1, 2, loop.SCALAR_BATCH, loop.SCALAR_BATCH + 1])
@pytest.mark.parametrize("name", ["sgd", "adam", "adadelta"])
def test_single_starts_and_small_batches(name, count):
    start = (-4.45, 3.45) if count == 1 else [(-4.45, 3.45), (2.2, -1.1), (0.3, 0.4), (4.0, 4.0), (-1, 1)][:count]
    assert_final_is_the_paths_rows(name, "rastrigin", start, 300, lr=0.2)


def test_a_rule_that_is_not_elementwise_takes_the_final_loop_for_one_start():
    spec = dataclasses.replace(OPTIMIZERS["adam"], elementwise=False)
    final = assert_final_is_the_paths_rows(spec, "himmelblau", (-4.75, 0.5), 200, lr=0.05)
    assert final.points.shape == (2, 2)
    assert isinstance(final.reached_at, int)


def test_without_a_tolerance_there_is_no_reached_at(chunking):
    final = assert_final_is_the_paths_rows("adam", "himmelblau", GRID, 50, tolerance=None, lr=0.1)
    assert final.reached_at is None


@pytest.mark.parametrize("tolerance", [1e-12, 1e-6, 1e-3, 0.5, 30.0, 1e6])
def test_tolerances_small_and_large_on_rastrigins_many_values(tolerance, chunking):
    starts = np.random.default_rng(2).uniform(-5.12, 5.12, size=(60, 2))
    assert_final_is_the_paths_rows("adam", "rastrigin", starts, 120, tolerance=tolerance, lr=0.2)


def test_the_threshold_is_the_largest_loss_within_the_tolerance():
    rng = np.random.default_rng(0)
    for value, tolerance in zip(rng.uniform(-1e3, 1e3, 300), np.geomspace(1e-14, 1e3, 300), strict=True):
        t = divergence.threshold(float(value), float(tolerance))
        assert t - value <= tolerance
        assert np.nextafter(t, np.inf) - value > tolerance


@pytest.mark.parametrize(
    ("name", "surface", "varying"),
    [
        ("sgd", "valley", {"noise": 0.5, "seed": 3, "lr": 0.05, "momentum": 0.9}),
        ("adam", "himmelblau", {"schedule": optviz.schedule("OneCycleLR", max_lr=0.2, total_steps=90), "lr": 0.1}),
        ("sgd", surfaces.get("tips", standardise=True), {"batch_size": 1, "seed": 5, "lr": 0.1}),
        ("rmsprop", surfaces.get("tips"), {"batch_size": 16, "noise": 0.1, "lr": 0.01}),
        ("adam", surfaces.get("iris", standardise=True), {"batch_size": 7, "seed": 2, "lr": 0.5}),
        ("sgd", "himmelblau", {"noise": 3.0, "lr": 0.05}),  # some diverge
    ],
    ids=["noise", "schedule", "tips-batch-1", "tips-batch-noise", "iris-batch", "noise-diverging"],
)
def test_varying_steps_take_the_final_loop_with_the_paths_bits(name, surface, varying, chunking):
    # A schedule, noise or minibatches: a basin map of them holds no path either.
    surf = surfaces.get(surface) if isinstance(surface, str) else surface
    (x0, x1), (y0, y1) = surf.domain
    starts = np.random.default_rng(4).uniform((x0, y0), (x1, y1), size=(23, 2))
    assert_final_is_the_paths_rows(name, surf, starts, 90, **varying)


def test_final_memory_does_not_grow_with_the_steps():
    # 4,000 starts x 10,000 steps: a path would hold 1.6 GB; the final loop holds its buffers.
    starts = np.random.default_rng(1).uniform(-5, 5, size=(4000, 2))
    tracemalloc.start()
    try:
        optviz.run("adam", "himmelblau", start=starts, steps=10_000, lr=0.05, record="final", tolerance=1e-3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20e6


def test_final_memory_with_noise_does_not_grow_with_the_steps():
    # What a noisy basin map asks: 4,000 starts x 5,000 steps would hold a path of 0.8 GB.
    starts = np.random.default_rng(1).uniform(-3, 3, size=(4000, 2))
    tracemalloc.start()
    try:
        optviz.run("sgd", "valley", start=starts, steps=5_000, lr=0.05, noise=0.1, record="final", tolerance=1e-3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20e6
