"""optviz.run: shapes, validation and divergence."""

import tracemalloc

import numpy as np
import pytest

import optviz
import surfaces
from optviz.core import engine
from optviz.core.engine import loop, recorders
from optviz.core.engine.plan import noise_draws


def test_single_run_shapes_and_consistency():
    t = optviz.run("adam", "rosenbrock", start=(-1.5, 2.0), steps=1000, lr=0.05)
    assert t.points.shape == (1001, 2)
    assert t.losses.shape == (1001,)
    assert t.grads.shape == (1001, 2)
    assert t.steps == 1000
    assert not t.batched
    assert t.diverged_at is None
    np.testing.assert_array_equal(t.points[0], (-1.5, 2.0))
    np.testing.assert_array_equal(t.losses, t.surface.value(t.points))
    np.testing.assert_array_equal(t.grads, t.surface.grad(t.points))
    assert t.losses[-1] < 1e-2 * t.losses[0]


def test_batch_shapes():
    starts = np.random.default_rng(0).uniform(-2, 2, size=(7, 2))
    t = optviz.run("sgd", "valley", start=starts, steps=10, lr=0.01)
    assert t.points.shape == (11, 7, 2)
    assert t.losses.shape == (11, 7)
    assert t.diverged_at == (None,) * 7
    np.testing.assert_array_equal(t.points[0], starts)


def test_defaults_surface_object_and_start():
    s = surfaces.get("valley", kappa=50, angle=20)
    t = optviz.run("sgd", s, steps=5)
    assert t.surface is s
    np.testing.assert_array_equal(t.points[0], s.default_start)
    assert t.hyperparameters == optviz.OPTIMIZERS["sgd"].defaults()


def test_a_learning_rate_sweep_is_one_call():
    sweep = optviz.run("sgd", "valley", start=[(-2.5, 1.0)] * 3, steps=300, lr=[0.01, 0.1, 1.0])
    assert sweep.diverged_at[:2] == (None, None)
    assert isinstance(sweep.diverged_at[2], int)
    assert sweep.losses[-1, 1] < sweep.losses[-1, 0]


def test_divergence_is_frozen_and_recorded_without_warnings():
    # pytest turns warnings into errors (pyproject.toml), so an overflow warning would fail here.
    t = optviz.run("sgd", "rosenbrock", start=(-1.5, 2.0), steps=200, lr=0.1)
    k = t.diverged_at
    assert isinstance(k, int)
    assert 1 <= k < 20
    assert np.isfinite(t.points).all()
    assert np.isfinite(t.losses).all()
    assert np.isfinite(t.grads).all()
    np.testing.assert_array_equal(t.points[k:], np.broadcast_to(t.points[k - 1], t.points[k:].shape))
    assert np.all(t.losses[k:] == t.losses[k - 1])


def test_divergence_in_a_batch_is_per_trajectory():
    t = optviz.run("sgd", "rosenbrock", start=[(-1.5, 2.0)] * 6, steps=100, lr=[1e-4, 1e-3, 0.1, 1e-4, 10.0, 1e-3])
    assert [d is None for d in t.diverged_at] == [True, True, False, True, False, True]
    assert np.isfinite(t.points).all()


def test_saddle_start_on_the_ridge_never_leaves_it():
    t = optviz.run("sgd", "saddle", start=(-1.8, 0.0), steps=500, lr=0.05)
    assert np.all(t.points[:, 1] == 0.0)
    assert np.abs(t.points[-1]).max() < 1e-6


@pytest.mark.parametrize("steps", [0, -3, 100_001, 2.5, True, "10", None])
def test_steps_are_validated(steps):
    with pytest.raises(ValueError, match="Invalid steps value"):
        optviz.run("sgd", "valley", steps=steps)


@pytest.mark.parametrize(
    "start", [(1.0,), (1.0, 2.0, 3.0), [[1.0, 2.0, 3.0]], (float("nan"), 0.0), (np.inf, 1.0), "a,b", np.zeros((0, 2))]
)
def test_start_is_validated(start):
    with pytest.raises(ValueError, match="Invalid start"):
        optviz.run("sgd", "valley", start=start)


def test_start_where_the_surface_overflows_is_rejected():
    with pytest.raises(ValueError, match="not finite there"):
        optviz.run("sgd", "rosenbrock", start=(1e200, 0.0))


def test_per_trajectory_values_must_match_the_batch():
    with pytest.raises(ValueError, match="an array of 2 values for 3 starts"):
        optviz.run("sgd", "valley", start=[(0.0, 1.0)] * 3, lr=[0.1, 0.2])


def test_too_much_work_is_refused_before_allocating():
    with pytest.raises(ValueError, match="Too much work"):
        optviz.run("sgd", "valley", start=np.zeros((10_000, 2)) + 1, steps=100_000)


class HugeStart:
    """A sequence that claims 10**8 starts and refuses to be read."""

    def __init__(self, length: int = 10**8) -> None:
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index):
        raise AssertionError("the starts were read")

    def __array__(self, *args, **kwargs):
        raise AssertionError("the starts were copied")


def refused_without_allocating(start, match: str) -> None:
    tracemalloc.start()  # NumPy reports its array memory to tracemalloc
    try:
        with pytest.raises(ValueError, match=match):
            optviz.run("sgd", "valley", start=start, steps=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # bytes; a copy of the starts would take 1.6 GB


def test_too_many_starts_are_refused_before_they_are_read():
    refused_without_allocating(HugeStart(), "Too much work: 1 steps x 100000000 starts")
    refused_without_allocating(HugeStart(10**30), "Too much work")  # len() overflows


def test_a_huge_view_of_starts_is_refused_before_it_is_copied():
    view = np.broadcast_to(np.array([1.0, 2.0]), (10**8, 2))  # 16 bytes, standing for 1.6 GB
    refused_without_allocating(view, "Too much work: 1 steps x 100000000 starts")
    refused_without_allocating(np.broadcast_to(1.0, (10**8,)), r"Invalid start: .* got shape \(100000000,\)")


WIDE = {
    "sgd": {"lr": np.geomspace(1e-4, 0.1, 11), "momentum": np.linspace(0.0, 0.9, 11)},  # some diverge
    "nadam": {"lr": np.geomspace(1e-3, 0.3, 11), "betas": (np.linspace(0.3, 0.95, 11), np.full(11, 0.99))},
}


@pytest.mark.parametrize("name", WIDE)
def test_wide_batches_are_stepped_block_by_block_with_the_same_bits(name, monkeypatch):
    starts = np.random.default_rng(2).uniform(-1.5, 1.5, size=(11, 2))
    whole = optviz.run(name, "rosenbrock", start=starts, steps=80, **WIDE[name])
    monkeypatch.setattr(loop, "BLOCK", 3)
    blocks = optviz.run(name, "rosenbrock", start=starts, steps=80, **WIDE[name])
    for field in ("points", "losses", "grads"):
        np.testing.assert_array_equal(getattr(blocks, field), getattr(whole, field))
    assert blocks.diverged_at == whole.diverged_at
    assert (name == "sgd") == any(d is not None for d in whole.diverged_at)


def test_unknown_surface_lists_the_valid_ones():
    with pytest.raises(KeyError, match="unknown surface 'bowl'"):
        optviz.run("sgd", "bowl")


# ------------------------------------------------------------------------- d coordinates


class Minimum:
    def __init__(self, value: float) -> None:
        self.value = value


class Quadratic:
    """A separable quadratic in five coordinates, f = sum_i c_i (x_i - m_i)^2 / 2, built here and
    duck-typed: the engine asks a surface for no more than its protocol says."""

    name = "quadratic"
    dim = 5
    data_rows = None
    operations = 0
    batch_grad_fn = None
    grad_kernel = None
    value_kernel = None
    f_star = 0.0
    plot_gap = 50.0
    basin_minima = (Minimum(0.0),)
    curvature = (0.5, 1.0, 2.0, 4.0, 8.0)
    centre = (1.0, -1.0, 0.5, 0.0, 2.0)
    default_start = (-1.0, 2.0, 1.5, -0.5, 0.0)

    def value_fn(self, *xs):
        total = 0.0
        for x, c, m in zip(xs, self.curvature, self.centre, strict=True):
            total = total + 0.5 * c * (x - m) * (x - m)
        return total

    def grad_fn(self, *xs):
        return tuple(c * (x - m) for x, c, m in zip(xs, self.curvature, self.centre, strict=True))

    def value(self, points):
        return self.value_fn(*np.moveaxis(np.asarray(points), -1, 0))

    def grad(self, points):
        return np.stack(self.grad_fn(*np.moveaxis(np.asarray(points), -1, 0)), axis=-1)

    def nearest_minimum(self, points, minima=None):
        distance = np.linalg.norm(np.asarray(points) - self.centre, axis=-1)
        return np.zeros(distance.shape, dtype=np.intp), distance


QUADRATIC = Quadratic()
STARTS5 = np.random.default_rng(5).uniform(-3.0, 3.0, size=(7, 5))


def reference_path(name, starts, steps, noise=0.0, seed=0, **hp):
    """A plain NumPy loop: the gradient at the current point (noise added), then the update."""
    spec = optviz.OPTIMIZERS[name]
    values = spec.resolve(hp)
    params = np.ascontiguousarray(np.asarray(starts, dtype=float).T)
    state = spec.init(params, values)
    draws = noise_draws(seed, steps, QUADRATIC.dim) * noise
    points, grads, states = [params], [], [state]
    for k in range(steps):
        g = np.array(QUADRATIC.grad_fn(*params))
        if noise:
            g = g + draws[k][:, None]
        params, state = spec.update(params, g, state, values)
        points.append(params)
        grads.append(g)
        states.append(state)
    grads.append(np.array(QUADRATIC.grad_fn(*params)))

    def stack(rows):  # (steps + 1, B, d)
        return np.stack(rows).transpose(0, 2, 1)

    return stack(points), stack(grads), QUADRATIC.value(stack(points)), states


@pytest.mark.parametrize(("name", "hp"), [("sgd", {"lr": 0.05, "momentum": 0.9}), ("adam", {"lr": 0.1})])
@pytest.mark.parametrize("count", [1, 3, 7])  # Python floats (up to SCALAR_BATCH starts) and arrays
@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_a_surface_of_five_coordinates_takes_every_record_mode(name, hp, count, noise):
    starts = STARTS5[:count]
    points, grads, losses, states = reference_path(name, starts, 60, noise=noise, seed=4, **hp)
    kwargs = {"start": starts, "steps": 60, "noise": noise, "seed": 4, **hp}
    path = engine.run(name, QUADRATIC, tolerance=0.5, **kwargs)
    assert path.points.shape == (61, count, 5)
    assert path.grad_evals == 60
    np.testing.assert_array_equal(path.points, points)
    np.testing.assert_array_equal(path.grads, grads)
    np.testing.assert_array_equal(path.losses, losses)
    assert path.diverged_at == (None,) * count
    within = losses <= 0.5  # the quadratic's one minimum is 0
    assert path.reached_at == tuple(int(np.argmax(w)) if w.any() else None for w in within.T)
    assert any(k is not None for k in path.reached_at)
    final = engine.run(name, QUADRATIC, record="final", tolerance=0.5, **kwargs)
    assert final.points.shape == (2, count, 5)
    for field in ("points", "grads", "losses"):
        np.testing.assert_array_equal(getattr(final, field), getattr(path, field)[[0, -1]])
    assert (final.reached_at, final.settled_at) == (path.reached_at, path.settled_at)
    recorded = engine.run(name, QUADRATIC, record="state", **kwargs)
    np.testing.assert_array_equal(recorded.points, points)
    velocity = "momentum_buffer" if name == "sgd" else "exp_avg"
    expected = [
        np.full((count, 5), np.nan) if s is None else np.asarray(s).T for s in (getattr(s, velocity) for s in states)
    ]
    np.testing.assert_array_equal(getattr(recorded.states, velocity), np.stack(expected))


def test_a_single_start_of_five_coordinates_and_its_default():
    t = engine.run("adam", QUADRATIC, steps=40, lr=0.1)
    assert t.points.shape == (41, 5)
    np.testing.assert_array_equal(t.points[0], QUADRATIC.default_start)
    with pytest.raises(ValueError, match=r"Invalid start: expected 5 coordinates"):
        engine.run("adam", QUADRATIC, start=(1.0, 2.0), steps=3)


def test_small_batches_take_python_floats_unless_told_otherwise(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("stepped on Python floats")

    floats = optviz.run("adam", "rosenbrock", steps=30, lr=0.05)
    monkeypatch.setattr(recorders, "Floats", refuse)
    with pytest.raises(AssertionError, match="Python floats"):
        optviz.run("adam", "rosenbrock", steps=30, lr=0.05)
    monkeypatch.setattr(loop, "SCALAR_BATCH", 0)  # what the tests of the float path against arrays set
    arrays = optviz.run("adam", "rosenbrock", steps=30, lr=0.05)
    np.testing.assert_array_equal(arrays.points, floats.points)


def test_asgds_average_is_recorded_beside_its_path_on_floats_and_arrays(monkeypatch):
    starts = [(-2.0, 1.5), (1.0, -1.0), (0.5, 2.0)]
    batch = optviz.run("asgd", "valley", start=starts, steps=60, lr=0.05, t0=10)
    state = optviz.run("asgd", "valley", start=starts, steps=60, lr=0.05, t0=10, record="state")
    assert batch.companion.shape == batch.points.shape
    np.testing.assert_array_equal(batch.companion[0], starts)  # row 0: the start
    np.testing.assert_array_equal(batch.companion[1:], state.states.ax[1:])  # then the rule's average
    np.testing.assert_array_equal(state.companion, batch.companion)
    # Up to step t0 + 2 the average is the iterate; after it, the mean of the iterates from there.
    np.testing.assert_array_equal(batch.companion[:13], batch.points[:13])
    np.testing.assert_allclose(batch.companion[30], batch.points[12:31].mean(axis=0), rtol=1e-12)
    monkeypatch.setattr(loop, "SCALAR_BATCH", 0)
    arrays = optviz.run("asgd", "valley", start=starts[1], steps=60, lr=0.05, t0=10)
    np.testing.assert_array_equal(arrays.companion, batch.companion[:, 1])
    assert optviz.run("adam", "valley", steps=5).companion is None
    assert optviz.run("asgd", "valley", start=starts, steps=5, record="final").companion is None


def test_a_diverged_runs_average_is_frozen_where_the_run_is():
    t = optviz.run("asgd", "rosenbrock", start=[(-1.5, 2.0)] * 5, steps=100, lr=[1e-4, 0.1, 1e-4, 1e-4, 1e-4], t0=2)
    k = t.diverged_at[1]
    assert isinstance(k, int)
    np.testing.assert_array_equal(t.companion[k:, 1], np.broadcast_to(t.companion[k - 1, 1], t.companion[k:, 1].shape))
    assert np.isfinite(t.companion).all()
