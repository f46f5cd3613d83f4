"""Theory's learning rates on the valley: hand-computed values, and the optimizer agreeing with them."""

import dataclasses
import math

import numpy as np
import pytest

import optviz
import surfaces
from optviz.teach.theory import learning_rates
from optviz.text import LANGUAGES

START = (-2.5, 1.0)
TOLERANCE = 1e-8  # f − f* (the valley's minimum is 0)

# By hand, κ = L / m with m = 1: 2/L, 2/(1 + L), ((√κ − 1)/(√κ + 1))² and 4/(√κ + 1)², the last
# two rationalised: for κ = 10, (√10 − 1)/(√10 + 1) = (11 − 2√10)/9 and 4/(√10 + 1)² =
# 4(11 − 2√10)/81; for κ = 1000, √κ = 10√10, (√κ − 1)/(√κ + 1) = (1001 − 20√10)/999 and
# 4/(√κ + 1)² = 4(1001 − 20√10)/(1001² − 4000).
S10 = math.sqrt(10.0)
HAND = {
    # kappa: (2/L, 2/(m+L), momentum, its learning rate, GD's rate, heavy ball's rate)
    1.0: (2.0, 1.0, 0.0, 1.0, 0.0, 0.0),
    10.0: (0.2, 2 / 11, ((11 - 2 * S10) / 9) ** 2, 4 * (11 - 2 * S10) / 81, 9 / 11, (11 - 2 * S10) / 9),
    # (√100 − 1)/(√100 + 1) = 9/11: momentum 81/121 ≈ 0.669421, learning rate 4/121 ≈ 0.0330579
    100.0: (0.02, 2 / 101, 81 / 121, 4 / 121, 99 / 101, 9 / 11),
    # momentum ≈ 0.881145, learning rate ≈ 0.00375853
    1000.0: (
        0.002,
        2 / 1001,
        ((1001 - 20 * S10) / 999) ** 2,
        4 * (1001 - 20 * S10) / (1001**2 - 4000),
        999 / 1001,
        (1001 - 20 * S10) / 999,
    ),
}


def valley(kappa, angle=30.0):
    return surfaces.get("valley", kappa=kappa, angle=angle)


def steps_to(losses, tolerance=TOLERANCE):
    """The first step at which the loss is below ``tolerance`` (per column), or inf."""
    below = losses < tolerance
    return np.where(below.any(axis=0), below.argmax(axis=0), np.inf)


# ------------------------------------------------------------------------------------ the values


@pytest.mark.parametrize("kappa", sorted(HAND))
def test_values_by_hand(kappa):
    max_lr, optimal_lr, momentum, heavy_lr, gd_rate, heavy_rate = HAND[kappa]
    rates = learning_rates(valley(kappa))
    assert (rates.m, rates.L, rates.kappa) == (1.0, kappa, kappa)
    assert rates.max_stable.lr == pytest.approx(max_lr, rel=1e-12)
    assert rates.optimal.lr == pytest.approx(optimal_lr, rel=1e-12)
    assert rates.heavy_ball.momentum == pytest.approx(momentum, rel=1e-12, abs=1e-15)
    assert rates.heavy_ball.lr == pytest.approx(heavy_lr, rel=1e-12)
    assert rates.optimal.rate == pytest.approx(gd_rate, rel=1e-12, abs=1e-15)
    assert rates.heavy_ball.rate == pytest.approx(heavy_rate, rel=1e-12, abs=1e-15)
    assert (rates.max_stable.momentum, rates.optimal.momentum) == (0.0, 0.0)
    assert rates.marks() == (
        ("2/L", rates.max_stable.lr),
        ("2/(m+L)", rates.optimal.lr),
        ("Heavy ball", rates.heavy_ball.lr),
    )


def test_the_angle_changes_nothing():
    assert learning_rates(valley(100.0, angle=0.0)) == learning_rates(valley(100.0, angle=-60.0))


def test_each_value_says_what_it_is():
    for value in learning_rates(valley(10.0)).values:
        for lang in LANGUAGES:
            assert value.name(lang)
            assert value.explanation(lang)
            assert "\n" not in value.explanation(lang)
        assert value.formula.count("{") == value.formula.count("}")
        assert value.formula.startswith(("\\gamma", "\\mu"))  # the update rules' symbols
        kwargs = value.hyperparameters()
        assert set(kwargs) == {hp.name for hp in optviz.OPTIMIZERS["sgd"].hyperparameters}
        optviz.run("sgd", valley(10.0), steps=1, **kwargs)  # SGD takes them as they are


@pytest.mark.parametrize("kappa", [1.0, 3.0, 7.0, 10.0, 30.0, 100.0, 333.0, 1000.0])
def test_rounded_for_people(kappa):
    """Three digits for the page: the learning rate never rounds up (2/L stays stable), all within 1%."""
    for value in learning_rates(valley(kappa)).values:
        rounded = value.hyperparameters(digits=3)
        assert rounded["lr"] <= value.lr
        assert rounded["lr"] == pytest.approx(value.lr, rel=1e-2)
        assert rounded["momentum"] == pytest.approx(value.momentum, abs=5e-4)
        assert len(f"{rounded['lr']:e}".split("e")[0].rstrip("0").replace(".", "")) <= 3
    exact = learning_rates(valley(kappa)).max_stable.lr
    if exact != round(exact, 12):  # 2/3, 2/7, ...: the exact value does not fit in three digits
        assert learning_rates(valley(kappa)).max_stable.hyperparameters(digits=3)["lr"] < exact
    rounded = learning_rates(valley(kappa)).max_stable.hyperparameters(digits=3)
    assert optviz.run("sgd", valley(kappa), start=START, steps=20_000, **rounded).diverged_at is None


def test_only_a_convex_quadratic_that_says_so():
    for name in surfaces.names():
        if name not in {"valley", "tips"}:  # the quadratics: the valley, and least squares on data
            assert learning_rates(surfaces.get(name)) is None, name
    bowl = valley(10.0)
    for curvature in ((-1.0, 10.0), (0.0, 10.0), (10.0, 1.0), (1.0, math.inf), (math.nan, 1.0)):
        assert learning_rates(dataclasses.replace(bowl, curvature=curvature)) is None
    assert learning_rates(dataclasses.replace(bowl, curvature=(2.0, 18.0))).optimal.lr == pytest.approx(0.1)


@pytest.mark.parametrize("name", surfaces.names())
def test_declared_curvature_is_the_hessians(name):
    """A surface that declares its curvature is a quadratic whose Hessian has those eigenvalues."""
    cases = [surfaces.get(name)]
    if name == "valley":
        cases += [valley(kappa, angle) for kappa in HAND for angle in (-90.0, -45.0, 0.0, 17.0, 90.0)]
    for surface in cases:
        if surface.curvature is None:
            continue
        rng = np.random.default_rng(0)
        points = rng.uniform(-3.0, 3.0, size=(5, 2))
        for point in points:
            hessian = np.stack([surface.grad(point + e) - surface.grad(point) for e in np.eye(2)], axis=1)
            assert np.allclose(hessian, hessian.T, atol=1e-9)
            assert np.linalg.eigvalsh(hessian) == pytest.approx(surface.curvature, rel=1e-9)


# ------------------------------------------------------------------------ against the optimizer


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_sgd_converges_just_below_two_over_l_and_diverges_just_above(kappa):
    limit = learning_rates(valley(kappa)).max_stable.lr
    lrs = np.array([0.99 * limit, 1.01 * limit])
    # 1.02 a step across the valley reaches overflow in about 18,000 steps; 0.99·2/L along the
    # floor shrinks the loss by (1 − 1.98/κ)² a step, to 1e-40 within 25,000 steps for κ = 1000.
    t = optviz.run("sgd", valley(kappa), start=np.array([START, START]), steps=25_000, lr=lrs)
    below, above = t.diverged_at
    assert below is None
    assert t.losses[-1, 0] < 1e-30
    assert above is not None
    assert np.all(np.diff(t.losses[: above - 1, 0]) <= 0)  # below 2/L, the loss only goes down


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_the_optimal_learning_rate_is_faster_than_half_and_one_and_a_half_of_it(kappa):
    optimal = learning_rates(valley(kappa)).optimal.lr
    factors = np.array([1.0, 0.5, 1.5])
    t = optviz.run("sgd", valley(kappa), start=np.tile(START, (3, 1)), steps=30_000, lr=factors * optimal)
    steps = steps_to(t.losses)
    assert np.isfinite(steps[0])
    assert np.all(steps[0] < steps[1:]), dict(zip(factors, steps, strict=True))


def level_set(kappa, angle, count=24):
    """Starts where f = 1, the eigenvectors' four among them."""
    t = np.linspace(0.0, 2 * np.pi, count, endpoint=False)
    u, v = np.sqrt(2.0) * np.cos(t), np.sqrt(2.0 / kappa) * np.sin(t)
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    return np.stack([c * u - s * v, s * u + c * v], axis=-1)


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_the_optimal_learning_rate_is_fastest_in_the_worst_case(kappa):
    """2/(m+L) minimises the slowest direction's rate: from the worst start of a level set it wins.

    From one given start a slightly smaller learning rate may arrive sooner (the steep direction,
    which holds most of the loss, then shrinks faster), so the comparison is over starts.
    """
    surface = valley(kappa, angle=30.0)
    starts = level_set(kappa, 30.0)
    assert surface.value(starts) == pytest.approx(np.ones(len(starts)))
    optimal = learning_rates(surface).optimal.lr
    worst = {}
    for factor in (1.0, 0.5, 0.8, 0.95, 1.05, 1.5):
        losses = optviz.run("sgd", surface, start=starts, steps=30_000, lr=factor * optimal).losses
        worst[factor] = steps_to(losses).max()
    assert np.isfinite(worst[1.0])
    assert all(worst[1.0] < steps for factor, steps in worst.items() if factor != 1.0), worst


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_at_the_optimal_learning_rate_the_loss_shrinks_by_the_rate_squared(kappa):
    """At 2/(m+L) both directions shrink by (κ − 1)/(κ + 1), one of them changing sign: exactly."""
    optimal = learning_rates(valley(kappa)).optimal
    losses = optviz.run("sgd", valley(kappa), start=START, steps=50, lr=optimal.lr).losses
    assert losses[1:] / losses[:-1] == pytest.approx(np.full(50, optimal.rate**2), rel=1e-9)


def test_heavy_ball_beats_gradient_descent_on_kappa_100():
    rates = learning_rates(valley(100.0))
    surface = valley(100.0)
    gd = optviz.run("sgd", surface, start=START, steps=5_000, **rates.optimal.hyperparameters())
    heavy = optviz.run("sgd", surface, start=START, steps=5_000, **rates.heavy_ball.hyperparameters())
    gd_steps, heavy_steps = steps_to(gd.losses), steps_to(heavy.losses)
    assert heavy_steps < gd_steps / 4, (heavy_steps, gd_steps)  # theory: ln(0.98)/ln(0.82), about 10 times
    # In the long run the distance shrinks by (√κ − 1)/(√κ + 1) = 9/11 a step (up to a factor
    # linear in k: the iteration's eigenvalues coincide at the optimum).
    distance = np.linalg.norm(heavy.points, axis=-1)
    observed = (distance[200] / distance[100]) ** (1 / 100)
    assert observed == pytest.approx(rates.heavy_ball.rate, rel=0.02)
    # With less or more momentum, at its learning rate, the heavy ball is slower.
    for momentum in (0.5 * rates.heavy_ball.momentum, min(0.99, 1.2 * rates.heavy_ball.momentum)):
        other = optviz.run("sgd", surface, start=START, steps=5_000, lr=rates.heavy_ball.lr, momentum=momentum)
        assert heavy_steps < steps_to(other.losses), momentum
