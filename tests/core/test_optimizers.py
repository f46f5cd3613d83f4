"""The update rules: hand-computed steps, identities, validation, and direction."""

import dataclasses
import math
import pickle
import re

import numpy as np
import pytest

import optviz
import surfaces
from optviz.core.engine import loop
from optviz.core.hyperparameters import number
from optviz.core.optimizers import OPTIMIZERS, missing_words, quasi_newton
from optviz.core.specs import Problem, Refused
from optviz.text import LANGUAGES, hyperparameter_help

THETA0 = np.array([1.0, -1.0])
G1 = np.array([0.5, -2.0])
G2 = np.array([0.3, 1.0])


def two_steps(name, **hp):
    """Run two updates with the fixed gradients G1, G2 from THETA0; return theta_1, theta_2."""
    spec = OPTIMIZERS[name]
    values = spec.resolve(hp)
    params = THETA0[:, None].copy()
    state = spec.init(params, values)
    theta1, state = spec.update(params, G1[:, None], state, values)
    theta2, _ = spec.update(theta1, G2[:, None], state, values)
    return theta1[:, 0], theta2[:, 0]


def sgd_by_hand(lr, momentum, dampening, weight_decay, nesterov):
    g = G1 + weight_decay * THETA0
    b = g
    theta1 = THETA0 - lr * (g + momentum * b if nesterov else b)
    g = G2 + weight_decay * theta1
    b = momentum * b + (1 - dampening) * g
    return theta1, theta1 - lr * (g + momentum * b if nesterov else b)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_by_hand(nesterov):
    hp = {"lr": 0.1, "momentum": 0.9, "dampening": 0.0 if nesterov else 0.1, "weight_decay": 0.01}
    expected = sgd_by_hand(**hp, nesterov=nesterov)
    np.testing.assert_allclose(two_steps("sgd", **hp, nesterov=nesterov), expected, rtol=1e-15)


def test_plain_sgd_by_hand():
    theta1, theta2 = two_steps("sgd", lr=0.1)
    np.testing.assert_allclose(theta1, THETA0 - 0.1 * G1)
    np.testing.assert_allclose(theta2, THETA0 - 0.1 * G1 - 0.1 * G2)


def test_adagrad_by_hand():
    s1 = 0.2 + G1**2
    theta1 = THETA0 - 0.1 * G1 / (np.sqrt(s1) + 1e-10)
    s2 = s1 + G2**2
    theta2 = theta1 - (0.1 / 1.5) * G2 / (np.sqrt(s2) + 1e-10)
    got = two_steps("adagrad", lr=0.1, lr_decay=0.5, initial_accumulator_value=0.2)
    np.testing.assert_allclose(got, (theta1, theta2), rtol=1e-15)


def test_centered_rmsprop_with_momentum_by_hand():
    lr, alpha, mu, eps = 0.01, 0.9, 0.5, 1e-8
    v1, a1 = (1 - alpha) * G1**2, (1 - alpha) * G1
    b1 = G1 / (np.sqrt(v1 - a1**2) + eps)
    theta1 = THETA0 - lr * b1
    v2, a2 = alpha * v1 + (1 - alpha) * G2**2, alpha * a1 + (1 - alpha) * G2
    b2 = mu * b1 + G2 / (np.sqrt(v2 - a2**2) + eps)
    got = two_steps("rmsprop", lr=lr, alpha=alpha, momentum=mu, centered=True)
    np.testing.assert_allclose(got, (theta1, theta1 - lr * b2), rtol=1e-12)


def test_adadelta_by_hand():
    rho, eps = 0.9, 1e-6
    v1 = (1 - rho) * G1**2
    d1 = np.sqrt(0 + eps) / np.sqrt(v1 + eps) * G1
    u1 = (1 - rho) * d1**2
    theta1 = THETA0 - d1
    v2 = rho * v1 + (1 - rho) * G2**2
    d2 = np.sqrt(u1 + eps) / np.sqrt(v2 + eps) * G2
    np.testing.assert_allclose(two_steps("adadelta"), (theta1, theta1 - d2), rtol=1e-14)


def adam_by_hand(lr, b1, b2, eps, theta0=THETA0):
    m1, v1 = (1 - b1) * G1, (1 - b2) * G1**2
    theta1 = theta0 - lr / (1 - b1) * m1 / (np.sqrt(v1) / math.sqrt(1 - b2) + eps)
    return theta1, m1, v1


def test_adam_first_step_is_about_lr_times_sign():
    theta1, _ = two_steps("adam", lr=0.1)
    np.testing.assert_allclose(theta1, THETA0 - 0.1 * np.sign(G1), rtol=1e-7)
    expected, _m1, _v1 = adam_by_hand(0.1, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(theta1, expected, rtol=1e-15)


def test_adam_second_step_and_amsgrad_by_hand():
    lr, b1, b2, eps = 0.1, 0.8, 0.99, 1e-8
    theta1, m1, v1 = adam_by_hand(lr, b1, b2, eps)
    m2, v2 = b1 * m1 + (1 - b1) * G2, b2 * v1 + (1 - b2) * G2**2
    vmax = np.maximum(v1, v2)
    theta2 = theta1 - lr / (1 - b1**2) * m2 / (np.sqrt(vmax) / math.sqrt(1 - b2**2) + eps)
    got = two_steps("adam", lr=lr, betas=(b1, b2), amsgrad=True)
    np.testing.assert_allclose(got, (theta1, theta2), rtol=1e-14)


def test_adam_takes_the_bias_correction_root_as_a_python_power_as_torch_does():
    # torch's Adam computes (1 - beta2**t) ** 0.5 on Python floats; with the C library's pow
    # that is not always the correctly rounded square root (at t = 1270 for beta2 = 0.999 on
    # glibc), so the rule must take the same power.
    spec = OPTIMIZERS["adam"]
    hp = spec.resolve({"lr": 0.1})
    t = 1270
    m, v = np.array([[0.2], [-0.1]]), np.array([[0.04], [0.09]])
    state = spec.init(THETA0[:, None], hp)._replace(step=t - 1, exp_avg=m, exp_avg_sq=v)
    theta, _ = spec.update(THETA0[:, None], G1[:, None], state, hp)
    m = m + 0.1 * (G1[:, None] - m)
    v = 0.999 * v + 0.001 * G1[:, None] * G1[:, None]
    denom = np.sqrt(v) / (1 - 0.999**t) ** 0.5 + 1e-8
    np.testing.assert_array_equal(theta, THETA0[:, None] - 0.1 / (1 - 0.9**t) * m / denom)


def test_adamw_decays_the_parameters_before_the_adam_step():
    lr, wd = 0.1, 0.5
    expected, _, _ = adam_by_hand(lr, 0.9, 0.999, 1e-8, theta0=THETA0 * (1 - lr * wd))
    theta1, _ = two_steps("adamw", lr=lr, weight_decay=wd)
    np.testing.assert_allclose(theta1, expected, rtol=1e-15)


def test_nadam_by_hand():
    lr, b1, b2, psi, eps = 0.01, 0.9, 0.999, 4e-3, 1e-8

    def mu(t):
        return b1 * (1 - 0.5 * 0.96 ** (t * psi))

    m, v, prod, theta = 0.0, 0.0, 1.0, THETA0
    thetas = []
    for t, g in ((1, G1), (2, G2)):
        prod *= mu(t)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        d = np.sqrt(v / (1 - b2**t)) + eps
        theta = theta - lr * (1 - mu(t)) / (1 - prod) * g / d - lr * mu(t + 1) / (1 - prod * mu(t + 1)) * m / d
        thetas.append(theta)
    np.testing.assert_allclose(two_steps("nadam", lr=lr), thetas, rtol=1e-14)


def test_radam_takes_unadapted_momentum_steps_while_rho_is_small():
    lr, b1 = 0.01, 0.9
    m1 = (1 - b1) * G1
    theta1 = THETA0 - lr * m1 / (1 - b1)
    m2 = b1 * m1 + (1 - b1) * G2
    theta2 = theta1 - lr * m2 / (1 - b1**2)
    np.testing.assert_allclose(two_steps("radam", lr=lr), (theta1, theta2), rtol=1e-15)


def test_radam_switches_to_adaptive_steps_once_rho_exceeds_5():
    # With beta2 = 0.999, rho_t first exceeds 5 at t = 6: steps 1-5 move by lr * m_hat.
    t = optviz.run("radam", "valley", start=(1.0, 1.0), steps=7, lr=1e-3, betas=(0.0, 0.999))
    moves = np.abs(np.diff(t.points, axis=0))
    np.testing.assert_allclose(moves[:5], 1e-3 * np.abs(t.grads[:5]), rtol=1e-12)
    assert not np.allclose(moves[5], 1e-3 * np.abs(t.grads[5]), rtol=1e-3)


def test_adamax_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    m1, u1 = (1 - b1) * G1, np.abs(G1) + eps
    theta1 = THETA0 - lr / (1 - b1) * m1 / u1
    m2, u2 = b1 * m1 + (1 - b1) * G2, np.maximum(b2 * u1, np.abs(G2) + eps)
    theta2 = theta1 - lr / (1 - b1**2) * m2 / u2
    np.testing.assert_allclose(two_steps("adamax", lr=lr), (theta1, theta2), rtol=1e-15)


# ---------------------------------------------------------------------------------- identities


def run_points(name, surface="rosenbrock", steps=100, **hp):
    return optviz.run(name, surface, steps=steps, **hp).points


def test_sgd_ignores_dampening_without_momentum():
    np.testing.assert_array_equal(run_points("sgd", lr=1e-3, dampening=0.5), run_points("sgd", lr=1e-3))


def test_nesterov_requires_momentum_as_in_torch():
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optviz.run("sgd", "valley", nesterov=True)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optviz.run("sgd", "valley", nesterov=True, momentum=0.9, dampening=0.1)


def test_a_broken_rule_is_refused_as_a_record_in_torchs_words():
    with pytest.raises(Refused, match=r"^Nesterov momentum requires a momentum and zero dampening$") as refused:
        OPTIMIZERS["sgd"].resolve({"nesterov": True})
    assert isinstance(refused.value, ValueError)
    assert refused.value.problem == Problem.of("refused", rule="nesterov_needs_momentum", optimizer="sgd")
    assert pickle.loads(pickle.dumps(refused.value)).problem == refused.value.problem


def test_a_run_that_breaks_a_rule_of_the_run_is_refused_as_a_record():
    with pytest.raises(Refused, match=r"^minibatches need a data set, and valley has none$") as refused:
        optviz.run("sgd", "valley", batch_size=4)
    assert dict(refused.value.problem.args)["rule"] == "batch_needs_data"


def test_nesterov_with_vanishing_momentum_is_plain_sgd():
    # torch forbids momentum 0 with nesterov, so take the limit: the difference is O(momentum).
    plain = run_points("sgd", lr=1e-3)
    np.testing.assert_allclose(run_points("sgd", lr=1e-3, momentum=1e-12, nesterov=True), plain, rtol=1e-9)
    np.testing.assert_allclose(run_points("sgd", lr=1e-3, momentum=1e-12), plain, rtol=1e-9)


def test_adamw_without_decay_is_adam():
    np.testing.assert_array_equal(run_points("adamw", lr=0.05, weight_decay=0.0), run_points("adam", lr=0.05))


def test_adam_with_decoupled_decay_is_adamw():
    np.testing.assert_array_equal(
        run_points("adam", lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
        run_points("adamw", lr=0.05, weight_decay=0.1),
    )


def test_rmsprop_momentum_zero_and_uncentered_are_the_defaults():
    np.testing.assert_array_equal(
        run_points("rmsprop", lr=0.01, momentum=0.0, centered=False), run_points("rmsprop", lr=0.01)
    )


SETTINGS = [
    ("sgd", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    ("sgd", {"lr": 1e-3, "momentum": 0.5, "dampening": 0.2, "weight_decay": 0.1}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("rmsprop", {"lr": 1e-2, "momentum": 0.5, "centered": True}),
    ("adadelta", {"weight_decay": 0.01}),
    ("adam", {"lr": 0.05, "amsgrad": True}),
    ("adamw", {"lr": 0.05, "betas": (0.4, 0.9)}),
    ("nadam", {"lr": 0.05, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("radam", {"lr": 1e-2}),
    ("adamax", {"lr": 0.05}),
    ("adamax", {"lr": 0.05, "betas": (0.5, 0.9), "weight_decay": 0.05}),
    ("rprop", {"lr": 0.05, "etas": (0.3, 1.5)}),
    ("asgd", {"lr": 1e-3, "t0": 20.0, "weight_decay": 0.01}),
    ("lion", {"lr": 0.01, "weight_decay": 0.1}),
    ("sgd_schedulefree", {"lr": 0.01, "warmup_steps": 10.0, "weight_decay": 0.01}),
    ("adamw_schedulefree", {"lr": 0.05, "warmup_steps": 5.0, "r": 1.0, "betas": (0.6, 0.99)}),
    ("adafactor", {"lr": 0.05, "weight_decay": 0.01, "d": 1.5}),
    ("prodigy", {"weight_decay": 0.01, "use_bias_correction": True}),
    ("prodigy", {"betas": (0.0, 0.99), "decouple": False, "weight_decay": 0.01}),
    ("adopt", {"lr": 0.05, "weight_decay": 0.01, "weight_decouple": True}),
    ("adopt", {"lr": 0.05, "cautious": True}),  # the cautious mask couples the coordinates
    ("ademamix", {"lr": 0.05, "t_alpha_beta3": 50.0, "weight_decay": 0.01}),
    ("ademamix", {"lr": 0.05, "cautious": True, "betas": (0.8, 0.99, 0.999)}),
    ("adam", {"lr": 0.05, "cautious": True, "weight_decay": 0.05}),  # the mask couples the coordinates
    ("adamw", {"lr": 0.05, "cautious": True, "amsgrad": True}),
    ("lion", {"lr": 0.01, "cautious": True, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("sam", {"lr": 0.01, "momentum": 0.9, "rho": 0.1}),  # two evaluations a step, on arrays
    ("sam", {"base": "adam", "lr": 0.05, "rho": 0.2, "adaptive": True, "betas": (0.8, 0.99)}),
    ("lbfgs", {"lr": 0.1, "max_iter": 3, "history_size": 5}),  # a step for each trajectory on its own
    ("lbfgs", {"line_search_fn": "strong_wolfe", "max_iter": 4, "max_eval": 7}),
]


@pytest.mark.parametrize(("name", "hp"), SETTINGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SETTINGS)])
@pytest.mark.parametrize("surface", ["rosenbrock", "rastrigin", "goldstein_price"])
def test_batch_equals_loop_over_single_runs_exactly(name, hp, surface):
    starts = np.random.default_rng(3).uniform(-1.5, 1.5, size=(loop.SCALAR_BATCH + 3, 2))
    batch = optviz.run(name, surface, start=starts, steps=150, **hp)
    for i, start in enumerate(starts):
        single = optviz.run(name, surface, start=start, steps=150, **hp)
        np.testing.assert_array_equal(batch.points[:, i], single.points)
        np.testing.assert_array_equal(batch.losses[:, i], single.losses)
        np.testing.assert_array_equal(batch.grads[:, i], single.grads)
        if single.companion is not None:
            np.testing.assert_array_equal(batch.companion[:, i], single.companion)
        if single.counts is not None:  # a rule that evaluates again: its evaluations and their points
            np.testing.assert_array_equal(batch.counts[:, i], single.counts)
            np.testing.assert_array_equal(batch.probes[i].points, single.probes.points)
            np.testing.assert_array_equal(batch.probes[i].steps, single.probes.steps)
            assert batch.grad_evals[i] == single.grad_evals
        assert batch.diverged_at[i] == single.diverged_at


@pytest.mark.parametrize(("name", "hp"), SETTINGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SETTINGS)])
def test_float_fast_path_equals_array_path_exactly(name, hp, monkeypatch):
    fast = optviz.run(name, "beale", steps=300, **hp)
    monkeypatch.setattr(loop, "SCALAR_BATCH", 0)
    arrays = optviz.run(name, "beale", steps=300, **hp)
    np.testing.assert_array_equal(fast.points, arrays.points)
    np.testing.assert_array_equal(fast.grads, arrays.grads)
    if fast.companion is not None:
        np.testing.assert_array_equal(fast.companion, arrays.companion)


@pytest.mark.parametrize(("name", "hp"), [case for case in SETTINGS if case[0] == "lbfgs"])
def test_lbfgs_on_pairs_of_floats_equals_lbfgs_on_arrays_exactly(name, hp, monkeypatch):
    """On two coordinates LBFGS holds its vectors as pairs of floats, its arithmetic written out;
    on arrays (a network's weights) NumPy's: the same operations, the same bits."""
    pairs = optviz.run(name, "beale", start=(-3.0, -3.0), steps=200, **hp)
    monkeypatch.setattr(quasi_newton, "PAIRS", False)
    arrays = optviz.run(name, "beale", start=(-3.0, -3.0), steps=200, **hp)
    np.testing.assert_array_equal(pairs.points, arrays.points)
    np.testing.assert_array_equal(pairs.counts, arrays.counts)
    np.testing.assert_array_equal(pairs.probes.points, arrays.probes.points)


def test_lbfgs_counts_every_evaluation_and_keeps_each_point_it_evaluated():
    t = optviz.run("lbfgs", "rosenbrock", steps=12, line_search_fn="strong_wolfe")
    assert t.grad_evals == int(t.counts.sum()) == len(t.probes.points) + t.steps
    assert (t.counts >= 1).all()
    assert t.counts.max() <= 25  # torch's max_eval: 20 * 5 // 4
    np.testing.assert_array_equal(t.evaluations, np.concatenate([[0], np.cumsum(t.counts)]))
    assert (np.diff(t.probes.steps) >= 0).all()
    assert t.probes.steps.min() >= 1
    # A step's last further evaluation is where it ended, the line search's accepted point.
    for k in np.unique(t.probes.steps):
        np.testing.assert_array_equal(t.probes.points[t.probes.steps == k][-1], t.points[k])
    # Once at the minimum, a step evaluates the gradient once and stops (torch's first test).
    assert t.counts[-1] == 1


def test_a_rule_that_evaluates_once_a_step_reports_steps_as_evaluations():
    t = optviz.run("adam", "rosenbrock", start=[(-1.5, 2.0), (0.5, 0.5)], steps=30, record="final", every=10)
    assert t.grad_evals == 30
    assert t.counts is None
    assert t.probes is None
    np.testing.assert_array_equal(t.evaluations, np.tile([[0], [10], [20], [30]], (1, 2)))


def test_lbfgs_final_record_equals_the_paths_last_row_and_counts():
    starts = np.array([[-1.5, 2.0], [0.5, 0.5], [1.2, 1.0]])
    path = optviz.run("lbfgs", "rosenbrock", start=starts, steps=40, max_iter=3, lr=0.5)
    final = optviz.run("lbfgs", "rosenbrock", start=starts, steps=40, max_iter=3, lr=0.5, record="final")
    np.testing.assert_array_equal(final.points[-1], path.points[-1])
    assert final.grad_evals == path.grad_evals == tuple(int(n) for n in path.counts.sum(axis=0))


def test_lbfgs_refuses_minibatches_and_sees_noise_as_a_tilted_loss():
    with pytest.raises(ValueError, match="runs on every row"):
        optviz.run("lbfgs", "tips", steps=5, batch_size=8)
    # With noise, step k's objective is f + xi_k . theta: its loss and gradient agree, so the line
    # search accepts points, and the run is the same whatever the start's batch companions.
    noisy = optviz.run("lbfgs", "rosenbrock", steps=40, noise=0.5, seed=3, line_search_fn="strong_wolfe")
    batch = optviz.run(
        "lbfgs", "rosenbrock", start=[(-1.5, 2.0)] * 2, steps=40, noise=0.5, seed=3, line_search_fn="strong_wolfe"
    )
    np.testing.assert_array_equal(batch.points[:, 1], noisy.points)
    assert np.isfinite(noisy.points).all()
    assert noisy.losses[-1] < noisy.losses[0]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_per_trajectory_hyperparameters_equal_separate_runs(name):
    spec = OPTIMIZERS[name]
    lrs = np.array([1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 0.3])
    sweep = {"lr": lrs}
    if "betas" in spec.defaults():
        more = (np.full(6, d) for d in spec.defaults()["betas"][2:])  # AdEMAMix's beta3
        sweep["betas"] = (np.linspace(0.3, 0.95, 6), np.full(6, 0.99), *more)
    starts = np.tile([-1.0, 1.5], (6, 1))
    batch = optviz.run(name, "valley", start=starts, steps=60, **sweep)
    for i in range(6):
        single_hp = {"lr": lrs[i]}
        if "betas" in sweep:
            single_hp["betas"] = tuple(float(part[i]) for part in sweep["betas"])
        single = optviz.run(name, "valley", start=starts[i], steps=60, **single_hp)
        np.testing.assert_array_equal(batch.points[:, i], single.points)


def test_mixed_momentum_in_a_batch_follows_torch_branch_per_trajectory():
    momentum = np.array([0.0, 0.9, 0.0, 0.5, 0.0, 0.99])
    batch = optviz.run(
        "sgd", "valley", start=np.tile([-2.5, 1.0], (6, 1)), steps=40, lr=0.01, momentum=momentum, dampening=0.3
    )
    for i, mu in enumerate(momentum):
        single = optviz.run("sgd", "valley", start=(-2.5, 1.0), steps=40, lr=0.01, momentum=mu, dampening=0.3)
        np.testing.assert_array_equal(batch.points[:, i], single.points)


# ----------------------------------------------------------------------------- goes downhill


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_decreases_the_loss_on_the_valley(name):
    # Never skipped: this is what catches a sign error (compare optax#1242). At the reference's
    # defaults, but schedule-free SGD's rate, a network's 1.0, would cross the valley's walls.
    # LBFGS's 20 iterations a step reach the valley's minimum within its first: one a step here.
    hp = {"lr": 0.05} if name == "sgd_schedulefree" else {"max_iter": 1} if name == "lbfgs" else {}
    t = optviz.run(name, "valley", steps=20, **hp)
    assert t.losses[-1] < t.losses[0]
    moved = np.flatnonzero(t.losses != t.losses[0])[0]  # ADOPT's first step only measures the gradient
    assert moved == (2 if name == "adopt" else 1)
    assert np.all(np.diff(t.losses[moved - 1 : moved + 2]) < 0)


# ----------------------------------------------------------------------------- bad input


def bad_inputs():
    for name, spec in OPTIMIZERS.items():
        for hp in spec.hyperparameters:
            if hp.kind == "bool":
                yield name, {hp.name: "yes"}, f"Invalid {hp.name} value: 'yes'"
                yield name, {hp.name: 1}, f"Invalid {hp.name} value: 1"
                continue
            if hp.kind == "choice":  # LBFGS's line search: one of its words
                yield (
                    name,
                    {hp.name: "sideways"},
                    f"Invalid {hp.label}: 'sideways' \\(choose one of: {', '.join(hp.choices)}\\)",
                )
                yield name, {hp.name: 1}, f"Invalid {hp.label}: 1 \\(choose one of"
                continue
            if hp.kind == "int":  # LBFGS's iterations, evaluations and history: whole numbers in range
                span = f"\\[{int(hp.low)}, {int(hp.high)}\\]"
                yield name, {hp.name: int(hp.low) - 1}, f"Invalid {hp.label}: {int(hp.low) - 1} \\(expected {span}\\)"
                yield name, {hp.name: int(hp.high) + 1}, f"Invalid {hp.label}: {int(hp.high) + 1} \\(expected {span}\\)"
                for bad in (2.5, "0.1", True, float("nan")):
                    yield name, {hp.name: bad}, f"Invalid {hp.label}: {bad!r} \\(expected a whole number in {span}\\)"
                continue
            if hp.kind == "pair":
                yield name, {hp.name: (0.9,)}, f"Invalid {hp.name} value"
                yield name, {hp.name: "0.9,0.99"}, f"Invalid {hp.name} value"
                for index, part in enumerate(hp.parts):
                    pair = list(hp.default)
                    beyond = [part.high if part.high_open else part.high + 0.5] if math.isfinite(part.high) else []
                    for bad in (-0.1, *beyond, float("nan")):
                        pair[index] = bad
                        yield name, {hp.name: tuple(pair)}, f"Invalid {part.label}: {bad}"
                continue
            if math.isfinite(hp.low):  # below the lowest torch accepts (0 for most, 1 for Adafactor's d)
                yield name, {hp.name: hp.low - 1.0}, f"Invalid {hp.label}: {hp.low - 1.0}"
                yield (
                    name,
                    {hp.name: [hp.default, hp.low - 2.0]},
                    f"Invalid {hp.label}: {hp.low - 2.0} \\(at index 1\\)",
                )
            yield name, {hp.name: float("nan")}, f"Invalid {hp.label}: nan"
            yield name, {hp.name: "0.1"}, f"Invalid {hp.label}: '0.1' \\(expected a number\\)"
            if math.isfinite(hp.high):
                yield name, {hp.name: hp.high + 0.5}, f"Invalid {hp.label}: {hp.high + 0.5}"


BAD = list(bad_inputs())


@pytest.mark.parametrize(("name", "hp", "message"), BAD, ids=[f"{n}-{m[:40]}" for n, _, m in BAD])
def test_invalid_hyperparameters_raise_torch_style_errors(name, hp, message):
    with pytest.raises(ValueError, match=message):
        optviz.run(name, "valley", start=[(0.0, 1.0)] * 2, steps=2, **hp)


def test_learning_rate_message_is_torchs():
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -1.0$"):
        optviz.run("adam", "valley", lr=-1)


def test_unknown_hyperparameter_is_a_type_error_listing_the_valid_ones():
    with pytest.raises(
        TypeError, match="adam got an unexpected hyperparameter 'momentum'; its hyperparameters are: lr, betas"
    ):
        optviz.run("adam", "valley", momentum=0.9)


def test_unknown_optimizer_lists_the_valid_ones():
    with pytest.raises(KeyError, match="unknown optimizer 'adamm'; choose one of: sgd, asgd, adagrad"):
        optviz.run("adamm", "valley")


# ----------------------------------------------------------------------------- the specs


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_spec_is_complete(name):
    spec = OPTIMIZERS[name]
    assert spec.name == name
    assert len(spec.summary) > 150
    assert spec.reference
    assert spec.hyperparameters[0].name == "lr"
    rule = spec.rule(spec.defaults())
    assert rule.startswith("\\begin{aligned}")
    assert rule.endswith("\\end{aligned}")
    assert rule.count("{") == rule.count("}")
    assert r"\theta_t &=" in rule
    for hp in spec.hyperparameters:
        for lang in LANGUAGES:
            assert hyperparameter_help(name, hp.name, lang).endswith((".", "。", "）"))
        if hp.kind == "float":
            assert hp.symbol
            assert hp.low <= hp.ui_low <= hp.default <= hp.ui_high <= hp.high


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_each_optimizer_names_the_class_it_mirrors(name):
    # library.module.Class; the torch ones are torch.optim's classes, whose lower-case names are ours
    library, _, cls = OPTIMIZERS[name].mirrors.rpartition(".")
    assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)*", library)
    assert not library.startswith("torch") or (library == "torch.optim" and cls.lower() == name)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_each_registered_optimizer_has_every_word_the_page_needs(name):
    assert missing_words(OPTIMIZERS[name]) == {}


@pytest.fixture
def registry():
    """The registry, restored after the test whatever it registered."""
    before = dict(OPTIMIZERS)
    yield OPTIMIZERS
    OPTIMIZERS.clear()
    OPTIMIZERS.update(before)


def test_register_refuses_an_optimizer_whose_words_are_missing_naming_each(registry):
    sgd = OPTIMIZERS["sgd"]
    zeal = number("zeal", 1.0, symbol="z", ui=(0.0, 2.0))
    fake = dataclasses.replace(sgd, name="fake", hyperparameters=(*sgd.hyperparameters, zeal))
    with pytest.raises(ValueError, match="optimizer 'fake' lacks its words in the catalogs") as refused:
        optviz.register(fake)
    missing = [
        "optimizer.fake.title",
        "optimizer.fake.summary",
        "optimizer.fake.reference",
        "optimizer.fake.hyperparameter_title.zeal | hyperparameter_title.zeal",
        "optimizer.fake.hyperparameter.zeal | hyperparameter.zeal",
        "symbol.fake.b_t | symbol.b_t",  # the momentum buffer the inspector shows: SGD's own words
    ]
    for lang in LANGUAGES:
        assert f"{lang}: {', '.join(missing)}" in str(refused.value)
    assert "fake" not in registry


def test_register_refuses_a_name_taken(registry):
    before = dict(registry)
    with pytest.raises(ValueError, match="optimizer 'adam' is already registered"):
        optviz.register(dataclasses.replace(OPTIMIZERS["adam"]))
    assert registry == before
    assert all(registry[name] is spec for name, spec in before.items())  # the first registration stays


def test_torch_defaults():
    defaults = {name: spec.defaults() for name, spec in OPTIMIZERS.items()}
    assert defaults["sgd"]["lr"] == 1e-3
    assert defaults["adagrad"] == {
        "lr": 1e-2,
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
    }
    assert defaults["rmsprop"]["alpha"] == 0.99
    assert defaults["adadelta"] == {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0}
    assert defaults["adam"]["betas"] == (0.9, 0.999)
    assert defaults["adamw"]["weight_decay"] == 1e-2
    assert defaults["nadam"]["lr"] == 2e-3
    assert defaults["nadam"]["momentum_decay"] == 4e-3
    assert defaults["adamax"]["lr"] == 2e-3


def test_rule_follows_the_settings():
    sgd = OPTIMIZERS["sgd"]
    assert r"b_t" not in sgd.rule(sgd.resolve({}))
    assert r"(g_t + \mu\, b_t)" in sgd.rule(sgd.resolve({"momentum": 0.9, "nesterov": True}))
    assert r"\lambda\,\theta_{t-1}" in sgd.rule(sgd.resolve({"weight_decay": 0.1}))
    adam = OPTIMIZERS["adam"]
    assert r"v^{\max}_t" in adam.rule(adam.resolve({"amsgrad": True}))
    assert r"(1 - \gamma\lambda)" in OPTIMIZERS["adamw"].rule(OPTIMIZERS["adamw"].defaults())


def test_lion_divides_decoupled_weight_decay_by_the_initial_rate_under_a_schedule():
    """lion-pytorch divides the weight decay by the rate it was made with, not the scheduled one
    (torch's initial_lr): the first step of a warm-up at 0.3 x 0.05 shrinks by 0.015 x 0.2 / 0.05.
    (The whole 60-step path was equal to lion-pytorch 0.2.5's under torch's LinearLR when written.)"""
    sched = optviz.schedule("LinearLR", start_factor=0.3, total_iters=20)
    start = np.array([-2.5, 1.0])
    hp = {"lr": 0.05, "weight_decay": 0.2, "decoupled_weight_decay": True}
    t = optviz.run("lion", "valley", start=start, steps=1, schedule=sched, **hp)
    lr = 0.05 * 0.3
    grad = surfaces.get("valley").grad(start)
    expected = start * (1.0 - lr * (0.2 / 0.05)) + (-lr) * np.sign(0.0 * 0.9 + (1.0 - 0.9) * grad)
    np.testing.assert_array_equal(t.points[1], expected)
    undecoupled = optviz.run("lion", "valley", start=start, steps=1, schedule=sched, lr=0.05, weight_decay=0.2)
    assert not np.array_equal(undecoupled.points[1], t.points[1])
