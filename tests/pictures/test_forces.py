"""The forces' effective step sizes (what the race draws as rectangles), against hand computation."""

import base64
import math

import numpy as np
import pytest

import optviz
from optviz.core.optimizers import OPTIMIZERS
from optviz.draw import race
from optviz.teach import inspector
from tests.pictures.test_inspector import ROSENBROCK, SAMPLED, START, STEPS, grad

# Each rule written out one coordinate at a time; each returns, per step k = 1..STEPS, the rate
# the accumulated squares give the gradient in each coordinate.


def adagrad_by_hand(lr, lr_decay, eps=1e-10):
    theta, s, rates = list(START), [0.0, 0.0], []
    for t in range(1, STEPS + 1):
        g, rate = grad(theta), [0.0, 0.0]
        decayed = lr / (1 + (t - 1) * lr_decay)
        for i in range(2):
            s[i] += g[i] * g[i]
            rate[i] = decayed / (math.sqrt(s[i]) + eps)
            theta[i] -= rate[i] * g[i]
        rates.append(rate)
    return rates


def rmsprop_by_hand(lr, momentum, weight_decay, alpha=0.99, eps=1e-8):
    theta, v, b, rates = list(START), [0.0, 0.0], [0.0, 0.0], []
    for _ in range(STEPS):
        g, rate = grad(theta), [0.0, 0.0]
        for i in range(2):
            decayed = g[i] + weight_decay * theta[i]
            v[i] = alpha * v[i] + (1 - alpha) * decayed * decayed
            d = math.sqrt(v[i]) + eps
            rate[i] = lr / d
            if momentum:
                b[i] = momentum * b[i] + decayed / d
                theta[i] -= lr * b[i]
            else:
                theta[i] -= lr * decayed / d
        rates.append(rate)
    return rates


def adam_by_hand(lr, beta1=0.9, beta2=0.999, eps=1e-8):
    theta, m, v, rates = list(START), [0.0, 0.0], [0.0, 0.0], []
    for t in range(1, STEPS + 1):
        g, rate = grad(theta), [0.0, 0.0]
        for i in range(2):
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
            rate[i] = lr / (math.sqrt(v[i]) / math.sqrt(1 - beta2**t) + eps)  # on m_t / (1 - beta1^t)
            theta[i] -= rate[i] * m[i] / (1 - beta1**t)
        rates.append(rate)
    return rates


CASES = {
    "adagrad": (("adagrad", {"lr": 0.1, "lr_decay": 0.05}), lambda: adagrad_by_hand(0.1, 0.05)),
    "rmsprop": (("rmsprop", {"lr": 0.01}), lambda: rmsprop_by_hand(0.01, 0.0, 0.0)),
    # The velocity holds the divided gradient: the step's rate along it is lr, the squares' is not.
    "rmsprop with momentum": (
        ("rmsprop", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.1}),
        lambda: rmsprop_by_hand(0.01, 0.9, 0.1),
    ),
    "adam": (("adam", {"lr": 0.05}), lambda: adam_by_hand(0.05)),
}


@pytest.mark.parametrize("case", CASES)
def test_effective_step_sizes_equal_the_hand_computed_ones_at_sampled_steps(case):
    (name, hp), by_hand = CASES[case]
    t = optviz.run(name, ROSENBROCK, start=START, steps=STEPS, record="state", **hp)
    found = inspector.vectors(t).effective
    expected = by_hand()
    assert np.isnan(found[0]).all()  # no step at the start
    for k in SAMPLED:
        # Read off the step the run took (theta_k rounded to its last bit): agrees to ~1e-10.
        np.testing.assert_allclose(found[k], expected[k - 1], rtol=1e-9, err_msg=f"step {k}")
    if case == "rmsprop with momentum":
        assert not np.allclose(inspector.vectors(t).scale[SAMPLED[1]], expected[SAMPLED[1]])  # lr, not the squares'


def test_only_rules_with_accumulated_squares_have_effective_step_sizes():
    with_squares = {name for name, spec in OPTIMIZERS.items() if spec.inspection.squares}
    assert {"adagrad", "rmsprop", "adadelta", "adam", "adamw", "nadam", "radam", "adamax"} <= with_squares
    assert "sgd" not in with_squares
    for name, spec in OPTIMIZERS.items():
        fields = type(spec.init(0.0, spec.defaults()))._fields
        assert spec.inspection.squares is None or spec.inspection.squares in fields, name
        t = optviz.run(name, ROSENBROCK, start=START, steps=3, record="state")
        assert (inspector.vectors(t).effective is None) == (name not in with_squares), name
    momentum = optviz.run("sgd", ROSENBROCK, start=START, steps=3, record="state", lr=1e-3, momentum=0.9)
    assert inspector.vectors(momentum).effective is None


def test_the_browser_gets_the_effective_step_sizes_over_the_learning_rate():
    t = optviz.run("adam", ROSENBROCK, start=START, steps=STEPS, record="state", lr=0.05)
    arrays = {key: np.frombuffer(base64.b64decode(value), dtype="<f4") for key, value in race.arrows(t).items()}
    assert set(arrays) == {"gx", "gy", "vx", "vy", "ex", "ey"}
    expected = np.array(adam_by_hand(0.05)) / 0.05
    np.testing.assert_allclose(arrays["ex"][1:], expected[:, 0], rtol=1e-6)
    np.testing.assert_allclose(arrays["ey"][1:], expected[:, 1], rtol=1e-6)
    # Adam's first step moves each coordinate by about lr: its rate is about 1/|g| of the plain one.
    np.testing.assert_allclose([arrays["ex"][1], arrays["ey"][1]], 1 / np.abs(grad(START)), rtol=1e-6)
    still = optviz.run("adam", ROSENBROCK, start=START, steps=3, record="state", lr=0.0)
    assert np.isnan(np.frombuffer(base64.b64decode(race.arrows(still)["ex"]), dtype="<f4")).all()  # nothing to draw
