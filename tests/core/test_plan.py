"""The step plan (optviz.core.engine.plan): schedules, gradient noise and minibatches in the engine,
torch's rates, common random numbers, each step's by its number."""

import numpy as np
import pytest

import optviz
import surfaces
from optviz import OPTIMIZERS
from optviz.core.engine import loop
from optviz.core.engine.plan import StepPlan, batch_rows, noise_draws
from optviz.core.schedules import schedule

VALLEY = surfaces.get("valley", kappa=10.0, angle=30.0)
START = (-2.5, 1.0)


def test_a_schedule_sets_each_steps_learning_rate():
    sched = schedule("StepLR", step_size=10, gamma=0.5)
    t = optviz.run("sgd", VALLEY, start=START, steps=40, lr=0.08, schedule=sched)
    lrs = sched.lrs(0.08, 40)
    x = np.array(START)
    for k in range(40):  # gradient descent by hand, with step k's rate
        x = x - lrs[k] * VALLEY.grad(x)
        np.testing.assert_array_equal(t.points[k + 1], x)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_batch_equals_its_single_runs_with_a_schedule_and_noise(name):
    sched = schedule("CosineAnnealingLR", T_max=30)
    kwargs = {"lr": 0.05, "schedule": sched, "noise": 0.5, "seed": 7, "steps": 60}
    starts = [START, (1.0, 2.0), (-1.0, -2.5), (2.0, 0.5), (0.3, 0.3), (-2.0, 2.0)]
    together = optviz.run(name, VALLEY, start=starts, **kwargs)
    for i, start in enumerate(starts):
        alone = optviz.run(name, VALLEY, start=start, **kwargs)  # the float path
        np.testing.assert_array_equal(together.points[:, i], alone.points)
        np.testing.assert_array_equal(together.grads[:, i], alone.grads)


def test_per_trajectory_rates_each_get_their_own_schedule():
    sched = schedule("OneCycleLR", max_lr=0.1, total_steps=50)
    lrs = np.array([0.01, 0.05, 0.2])
    t = optviz.run("sgd", VALLEY, start=[START] * 3, steps=50, lr=lrs, momentum=0.9, schedule=sched)
    for i, lr in enumerate(lrs.tolist()):
        alone = optviz.run("sgd", VALLEY, start=START, steps=50, lr=lr, momentum=0.9, schedule=sched)
        np.testing.assert_array_equal(t.points[:, i], alone.points)


def test_one_cycle_cycles_the_momentum_and_needs_one():
    sched = schedule("OneCycleLR", max_lr=0.05, total_steps=100)
    cycled = optviz.run("sgd", VALLEY, start=START, steps=100, lr=0.05, schedule=sched)
    lrs, momenta = sched.series(0.05, 0.0, 100)
    x, buf = np.array(START), None
    for k in range(100):  # SGD with momentum as torch runs it, with step k's lr and momentum
        g = VALLEY.grad(x)
        buf = g.copy() if buf is None else momenta[k] * buf + g
        x = x - lrs[k] * buf
    np.testing.assert_array_equal(cycled.points[-1], x)
    with pytest.raises(ValueError, match="momentum cycle needs an optimizer with a momentum"):
        optviz.run("adagrad", VALLEY, steps=10, schedule=sched)
    optviz.run("adagrad", VALLEY, steps=10, schedule=schedule("OneCycleLR", total_steps=10, cycle_momentum=False))


def test_the_same_seed_gives_the_same_noise_and_another_seed_other_noise():
    a = optviz.run("adam", VALLEY, start=START, steps=100, lr=0.05, noise=1.0, seed=1)
    b = optviz.run("adam", VALLEY, start=START, steps=100, lr=0.05, noise=1.0, seed=1)
    c = optviz.run("adam", VALLEY, start=START, steps=100, lr=0.05, noise=1.0, seed=2)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.array_equal(a.points, c.points)


def test_zero_noise_is_the_noiseless_run():
    quiet = optviz.run("rmsprop", VALLEY, start=START, steps=200, lr=0.01, noise=0.0, seed=5)
    plain = optviz.run("rmsprop", VALLEY, start=START, steps=200, lr=0.01)
    np.testing.assert_array_equal(quiet.points, plain.points)
    np.testing.assert_array_equal(quiet.grads, plain.grads)


def test_the_recorded_gradients_are_the_noisy_ones_the_optimizer_saw():
    sigma, steps = 0.3, 4000
    t = optviz.run("sgd", VALLEY, start=START, steps=steps, lr=0.01, noise=sigma, seed=11)
    true = VALLEY.grad(t.points[:-1])
    added = t.grads[:-1] - true
    np.testing.assert_allclose(added, noise_draws(11, steps) * sigma, atol=1e-12)
    assert np.std(added) == pytest.approx(sigma, rel=0.03)
    np.testing.assert_array_equal(t.grads[-1], VALLEY.grad(t.points[-1]))  # no step used the last one


def test_runs_whose_steps_vary_keep_only_the_rows_asked_for_and_record_state():
    kwargs = {"start": [START] * 8, "steps": 80, "lr": 0.05, "noise": 0.2, "seed": 3}
    path = optviz.run("adam", VALLEY, **kwargs)
    final = optviz.run("adam", VALLEY, record="final", tolerance=1e-2, **kwargs)
    np.testing.assert_array_equal(final.points, path.points[[0, -1]])
    states = optviz.run("adam", VALLEY, start=START, steps=80, lr=0.05, noise=0.2, seed=3, record="state")
    np.testing.assert_array_equal(states.points, path.points[:, 0])
    assert states.states.exp_avg.shape == (81, 2)


def test_the_loop_tells_the_plan_its_step():
    # Step k's gradient and settings depend on k alone, never on how often they were asked for:
    # a rule that looked twice at a step's gradient would see the same noise and rate.
    sched = schedule("StepLR", step_size=2, gamma=0.5)
    steps = StepPlan(10, sched, noise=0.5, seed=2).on(OPTIMIZERS["sgd"], VALLEY, VALLEY.dim)
    point, draws = (0.3, -0.2), noise_draws(2, 10) * 0.5
    for k in (4, 4, 7, 4, 0):
        expected = tuple(g + n for g, n in zip(VALLEY.grad_fn(*point), draws[k], strict=True))
        assert steps.gradient(k)(*point) == expected
    hp = OPTIMIZERS["sgd"].resolve({"lr": 0.08})
    assert [steps.settings(k, hp)["lr"] for k in (5, 1, 5)] == [sched.lrs(0.08, 10)[k] for k in (5, 1, 5)]


class LooksTwice:
    """A backend whose rule evaluates the gradient twice a step, as SAM does (see loop.Backend)."""

    check_every = loop.CHECK_STEPS
    gradient = None

    def __init__(self) -> None:
        self.seen: list[tuple[int, float, tuple[float, float]]] = []

    def step(self, row, gradient, hp):
        point = (0.3, -0.2)
        first, again = gradient(*point), gradient(*point)
        assert first == again  # the same step's noise both times
        self.seen.append((row, hp["lr"], first))
        return 2

    def snapshot(self):
        return None


def test_a_step_that_looks_twice_sees_its_own_step_and_counts_both_looks():
    sched = schedule("StepLR", step_size=2, gamma=0.5)
    steps = StepPlan(8, sched, noise=0.5, seed=2).on(OPTIMIZERS["sgd"], VALLEY, VALLEY.dim)
    hp = OPTIMIZERS["sgd"].resolve({"lr": 0.08})
    backend = LooksTwice()
    assert loop.advance(backend, 5, hp, first=3, plan=steps) == 10
    draws, lrs = noise_draws(2, 8) * 0.5, sched.lrs(0.08, 8)
    for row, lr, gradient in backend.seen:
        k = row + 3
        assert lr == lrs[k]
        assert gradient == tuple(g + n for g, n in zip(VALLEY.grad_fn(0.3, -0.2), draws[k], strict=True))


def test_minibatches_are_drawn_without_replacement_epoch_by_epoch():
    batches = batch_rows(4, steps=10, size=4, count=10)
    assert [len(b) for b in batches] == [4, 4, 2, 4, 4, 2, 4, 4, 2, 4]
    assert sorted(np.concatenate(batches[:3]).tolist()) == list(range(10))  # one epoch: every row once
    assert all(np.all(np.diff(b) > 0) for b in batches)


@pytest.mark.parametrize(
    ("keyword", "value", "message"),
    [
        ("noise", -1.0, "Invalid noise"),
        ("noise", float("nan"), "Invalid noise"),
        ("noise", "1", "Invalid noise"),
        ("seed", -1, "Invalid seed"),
        ("seed", 1.5, "Invalid seed"),
        ("batch_size", 0, "Invalid batch_size"),
        ("schedule", "steplr", "Invalid schedule"),
    ],
)
def test_bad_step_settings_are_refused(keyword, value, message):
    with pytest.raises(ValueError, match=message):
        optviz.run("sgd", VALLEY, steps=5, **{keyword: value})


def test_minibatches_need_a_data_surface():
    with pytest.raises(ValueError, match="need a data set"):
        optviz.run("sgd", VALLEY, steps=5, batch_size=8)
