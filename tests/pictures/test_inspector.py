"""The step inspector: the engine's recorded state, and the vectors read from it, against hand computation."""

import base64
import math

import numpy as np
import pytest

import optviz
import surfaces
from optviz.core import budget
from optviz.core.engine import recorders
from optviz.core.optimizers import OPTIMIZERS
from optviz.draw import race
from optviz.teach import inspector
from optviz.teach.symbols import meaning

ROSENBROCK = surfaces.get("rosenbrock")
START = (-1.5, 2.0)
SAMPLED = (1, 2, 7)
STEPS = 8


def grad(theta):
    return [float(g) for g in ROSENBROCK.grad_fn(theta[0], theta[1])]


# Each update rule written out in plain Python, one coordinate at a time, as the update rule's
# LaTeX reads. Each returns, per step k = 1..STEPS, the gradient, the velocity (or None), the
# effective per-coordinate learning rate the step applied, and the step: what the inspector
# must show.


def sgd_by_hand(lr, momentum=0.0, nesterov=False):
    theta, b, rows = list(START), [None, None], []
    for _ in range(STEPS):
        g = grad(theta)
        step, velocity, scale = [0.0, 0.0], None, [lr, lr]
        for i in range(2):
            if momentum:
                b[i] = g[i] if b[i] is None else momentum * b[i] + g[i]
                direction = g[i] + momentum * b[i] if nesterov else b[i]
                scale[i] = lr * direction / b[i]  # Nesterov's step is not along b_t alone
            else:
                direction = g[i]
            new = theta[i] - lr * direction
            step[i] = new - theta[i]
            theta[i] = new
        if momentum:
            velocity = list(b)
        rows.append((g, velocity, scale, step))
    return rows


def adagrad_by_hand(lr, eps=1e-10):
    theta, s, rows = list(START), [0.0, 0.0], []
    for _ in range(STEPS):
        g = grad(theta)
        step, scale = [0.0, 0.0], [0.0, 0.0]
        for i in range(2):
            s[i] = s[i] + g[i] * g[i]
            scale[i] = lr / (math.sqrt(s[i]) + eps)
            new = theta[i] - lr * g[i] / (math.sqrt(s[i]) + eps)
            step[i], theta[i] = new - theta[i], new
        rows.append((g, None, scale, step))
    return rows


def rmsprop_by_hand(lr, alpha=0.99, eps=1e-8):
    theta, v, rows = list(START), [0.0, 0.0], []
    for _ in range(STEPS):
        g = grad(theta)
        step, scale = [0.0, 0.0], [0.0, 0.0]
        for i in range(2):
            v[i] = alpha * v[i] + (1 - alpha) * g[i] * g[i]
            d = math.sqrt(v[i]) + eps
            scale[i] = lr / d
            new = theta[i] - lr * g[i] / d
            step[i], theta[i] = new - theta[i], new
        rows.append((g, None, scale, step))
    return rows


def adam_by_hand(lr, beta1=0.9, beta2=0.999, eps=1e-8):
    theta, m, v, rows = list(START), [0.0, 0.0], [0.0, 0.0], []
    for t in range(1, STEPS + 1):
        g = grad(theta)
        step, scale = [0.0, 0.0], [0.0, 0.0]
        for i in range(2):
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
            rate = lr / (1 - beta1**t) / (math.sqrt(v[i]) / math.sqrt(1 - beta2**t) + eps)
            scale[i] = rate
            new = theta[i] - rate * m[i]
            step[i], theta[i] = new - theta[i], new
        rows.append((g, list(m), scale, step))
    return rows


CASES = {
    "sgd": (("sgd", {"lr": 1e-3}), lambda: sgd_by_hand(1e-3)),
    "momentum": (("sgd", {"lr": 1e-3, "momentum": 0.9}), lambda: sgd_by_hand(1e-3, 0.9)),
    "nesterov": (
        ("sgd", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
        lambda: sgd_by_hand(1e-3, 0.9, nesterov=True),
    ),
    "adagrad": (("adagrad", {"lr": 0.1}), lambda: adagrad_by_hand(0.1)),
    "rmsprop": (("rmsprop", {"lr": 0.01}), lambda: rmsprop_by_hand(0.01)),
    "adam": (("adam", {"lr": 0.05}), lambda: adam_by_hand(0.05)),
}


@pytest.mark.parametrize("case", CASES)
def test_vectors_equal_the_hand_computed_ones_at_sampled_steps(case):
    (name, hp), by_hand = CASES[case]
    t = optviz.run(name, ROSENBROCK, start=START, steps=STEPS, record="state", **hp)
    found = inspector.vectors(t)
    expected = by_hand()
    for k in SAMPLED:
        g, velocity, scale, step = expected[k - 1]
        np.testing.assert_allclose(found.gradient[k], g, rtol=1e-13, err_msg=f"gradient at step {k}")
        np.testing.assert_allclose(found.step[k], step, rtol=1e-12, err_msg=f"step at step {k}")
        # The scale is read off the step the run took (theta_k rounded to its last bit), so it
        # agrees with the exact rate to about 1e-16 * |theta| / |step|, far below what is shown.
        np.testing.assert_allclose(found.scale[k], scale, rtol=1e-10, err_msg=f"scale at step {k}")
        if velocity is None:
            assert found.velocity is None
        else:
            np.testing.assert_allclose(found.velocity[k], velocity, rtol=1e-13, err_msg=f"velocity at step {k}")
    for vector in (found.gradient, found.step, found.scale):
        assert np.isnan(vector[0]).all()  # nothing has happened at the start


def test_the_scale_of_plain_and_momentum_sgd_is_the_learning_rate():
    for hp in ({"lr": 0.002}, {"lr": 0.002, "momentum": 0.5}):
        t = optviz.run("sgd", "valley", steps=50, record="state", **hp)
        np.testing.assert_allclose(inspector.vectors(t).scale[1:], 0.002, rtol=1e-9)


def test_the_scale_is_undefined_where_the_direction_is_zero():
    # On the axis of the round-ish valley, the y gradient is 0: no rate can be read there.
    t = optviz.run("sgd", "valley", start=(2.0, 0.0), steps=3, lr=0.01, record="state")
    scale = inspector.vectors(t).scale
    assert np.isnan(scale[1:, 1]).all()
    np.testing.assert_allclose(scale[1:, 0], 0.01, rtol=1e-12)


# ------------------------------------------------------------------------- the engine's record

RUNS = [
    ("sgd", {"lr": 1e-3}),
    ("sgd", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("rmsprop", {"lr": 1e-2, "centered": True, "momentum": 0.5}),
    ("adadelta", {"weight_decay": 0.01}),
    ("adam", {"lr": 0.05, "amsgrad": True}),
    ("adamw", {"lr": 0.05}),
    ("nadam", {"lr": 0.05}),
    ("radam", {"lr": 0.05}),
    ("adamax", {"lr": 0.05}),
    ("rprop", {"lr": 0.01, "etas": (0.4, 1.3), "step_sizes": (1e-4, 0.5)}),
    ("asgd", {"lr": 1e-3, "t0": 20.0}),
    ("lion", {"lr": 0.01, "betas": (0.8, 0.95), "weight_decay": 0.1}),
]
STARTS = np.array([[-1.5, 2.0], [0.5, -0.5], [1.2, 1.2], [-1.0, 0.0], [2.0, 2.5]])


def same(a, b):
    """Bit for bit, NaN included."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize(("name", "hp"), RUNS)
def test_recording_leaves_the_path_unchanged_bit_for_bit(name, hp):
    for start in (START, STARTS[:2], STARTS):  # the scalar fast path, and the array path
        plain = optviz.run(name, ROSENBROCK, start=start, steps=300, **hp)
        recorded = optviz.run(name, ROSENBROCK, start=start, steps=300, record="state", **hp)
        for field in ("points", "grads", "losses"):
            assert same(getattr(plain, field), getattr(recorded, field)), (field, start)
        assert plain.diverged_at == recorded.diverged_at
        assert plain.states is None
        assert recorded.states is not None


@pytest.mark.parametrize(("name", "hp"), RUNS)
def test_the_fast_path_and_the_array_path_record_the_same_states(name, hp):
    single = optviz.run(name, ROSENBROCK, start=START, steps=200, record="state", **hp)  # Python floats
    batch = optviz.run(name, ROSENBROCK, start=[START] * 6, steps=200, record="state", **hp)  # arrays
    assert type(single.states) is type(batch.states)
    for field, one, many in zip(single.states._fields, single.states, batch.states, strict=True):
        assert (one is None) == (many is None), field
        if one is not None:
            assert one.shape == (201, 2)
            for column in range(6):
                assert same(one, many[:, column]), (field, column)


@pytest.mark.parametrize(("name", "hp"), RUNS)
def test_a_batch_records_what_single_runs_record(name, hp):
    lrs = np.array([1e-3, 2e-3, 5e-4, 1e-3, 3e-3])
    batch = optviz.run(name, ROSENBROCK, start=STARTS, steps=100, record="state", **{**hp, "lr": lrs})
    for i, start in enumerate(STARTS):
        single = optviz.run(name, ROSENBROCK, start=start, steps=100, record="state", **{**hp, "lr": lrs[i]})
        for field, one, many in zip(single.states._fields, single.states, batch.states, strict=True):
            if one is not None:
                assert same(one, many[:, i]), (field, i)


def test_the_recorded_state_is_the_optimizers_own():
    # Stepping the rule by hand with the engine's gradients gives the recorded state records.
    spec, hp = OPTIMIZERS["adam"], OPTIMIZERS["adam"].resolve({"lr": 0.05})
    t = optviz.run("adam", ROSENBROCK, start=START, steps=5, record="state", lr=0.05)
    params = np.array(START)[:, None]
    state = spec.init(params, hp)
    for k in range(1, 6):
        params, state = spec.update(params, t.grads[k - 1][:, None], state, hp)
        assert same(t.states.exp_avg[k], state.exp_avg[:, 0])
        assert same(t.states.exp_avg_sq[k], state.exp_avg_sq[:, 0])
        assert same(t.points[k], params[:, 0])


def test_a_state_that_starts_as_none_is_nan_before_the_first_step():
    t = optviz.run("sgd", ROSENBROCK, start=START, steps=3, lr=1e-3, momentum=0.9, record="state")
    assert np.isnan(t.states.momentum_buffer[0]).all()
    assert same(t.states.momentum_buffer[1], t.grads[0])  # torch starts the buffer at the first gradient
    assert optviz.run("sgd", ROSENBROCK, start=START, steps=3, record="state").states.momentum_buffer is None


def test_a_diverged_runs_state_is_frozen_with_its_path():
    t = optviz.run("sgd", "valley", start=[(-2.5, 1.0)] * 5, steps=300, lr=1.0, momentum=0.5, record="state")
    k = t.diverged_at[0]
    assert k is not None
    buffer = t.states.momentum_buffer[:, 0]
    assert np.isfinite(buffer[1:]).all()
    assert (buffer[k:] == buffer[k - 1]).all()


def test_the_default_run_never_enters_the_recording_loops(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("recorded without being asked")

    monkeypatch.setattr(recorders, "States", refuse)
    for start in (START, STARTS):
        optviz.run("adam", ROSENBROCK, start=start, steps=20, lr=0.05)


def test_record_is_validated_and_recording_has_its_own_cap():
    with pytest.raises(ValueError, match="Invalid record value"):
        optviz.run("sgd", ROSENBROCK, steps=3, record="everything")
    steps = 999
    starts = budget.MAX_RECORDED_POINTS // (steps + 1) + 1
    assert (steps + 1) * starts <= budget.MAX_POINTS  # allowed without recording
    with pytest.raises(ValueError, match="record='state'"):
        optviz.run("sgd", ROSENBROCK, start=np.zeros((starts, 2)), steps=steps, record="state")


# ------------------------------------------------------------------------- declarations, symbols


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_declaration_names_a_field_of_the_state_and_a_symbol_of_the_rule(name):
    spec = OPTIMIZERS[name]
    fields = type(spec.init(0.0, spec.defaults()))._fields
    inspection = spec.inspection
    assert inspection.velocity is None or inspection.velocity in fields
    assert inspection.velocity is None or inspection.velocity in inspection.symbols.values()
    for symbol, field in inspection.symbols.items():
        assert field in fields, (symbol, field)
        assert meaning(spec.words, symbol), symbol  # a symbol the page defines for this optimizer (or its base)
    assert set(inspection.scalars) <= set(inspection.symbols), inspection.scalars


@pytest.mark.parametrize(("name", "hp", "symbol"), [("prodigy", {}, "d_t"), ("lbfgs", {"max_iter": 2}, r"\eta_t")])
def test_a_value_per_trajectory_is_shown_as_one_number(name, hp, symbol):
    """Prodigy's estimate d and LBFGS's step length are one number per run, not one per coordinate."""
    t = optviz.run(name, ROSENBROCK, start=START, steps=4, record="state", **hp)
    values = {row.latex: row.value for row in inspector.symbol_values(t, t.hyperparameters, 3)[1]}
    field = OPTIMIZERS[name].inspection.symbols[symbol]
    assert values[symbol] == float(getattr(t.states, field)[3][0])
    assert isinstance(values["d_t" if name == "lbfgs" else "m_t"], tuple)  # a vector stays a pair


def test_symbol_values_at_a_step_are_the_runs_own_numbers():
    t = optviz.run("adam", ROSENBROCK, start=START, steps=STEPS, record="state", lr=0.05)
    latex, rows = inspector.symbol_values(t, t.hyperparameters, 2)
    assert latex == OPTIMIZERS["adam"].rule(t.hyperparameters)
    values = {row.latex: row.value for row in rows}
    assert [row.latex for row in rows[:4]] == [r"\gamma", r"\beta_1", r"\beta_2", r"\epsilon"]
    assert (values[r"\gamma"], values[r"\beta_1"], values[r"\beta_2"], values[r"\epsilon"]) == (0.05, 0.9, 0.999, 1e-8)
    # By hand: m_1 = 0.1 g_1, m_2 = 0.9 m_1 + 0.1 g_2, v likewise with 0.999 and g^2.
    g1, g2 = grad(START), grad(t.points[1])
    m1 = [0.1 * g for g in g1]
    v1 = [0.001 * g * g for g in g1]
    np.testing.assert_allclose(values["m_{t-1}"], m1, rtol=1e-14)
    np.testing.assert_allclose(values["m_t"], [0.9 * m + 0.1 * g for m, g in zip(m1, g2, strict=True)], rtol=1e-14)
    np.testing.assert_allclose(values["v_{t-1}"], v1, rtol=1e-14)
    np.testing.assert_allclose(
        values["v_t"], [0.999 * v + 0.001 * g * g for v, g in zip(v1, g2, strict=True)], rtol=1e-14
    )
    np.testing.assert_allclose(values["g_t"], g2, rtol=1e-14)
    assert values[r"\theta_{t-1}"] == tuple(t.points[1])
    assert values[r"\theta_t"] == tuple(t.points[2])
    assert all(row.meaning for row in rows)


def test_quantities_the_update_does_not_keep_have_no_value():
    t = optviz.run("rmsprop", ROSENBROCK, start=START, steps=3, record="state")
    values = {row.latex: row.value for row in inspector.symbol_values(t, t.hyperparameters, 3)[1]}
    assert values["d_t"] is None  # computed inside the step, not kept
    assert values["v_t"] == tuple(t.states.square_avg[3])
    t = optviz.run("adagrad", ROSENBROCK, start=START, steps=3, record="state", initial_accumulator_value=0.5)
    values = {row.latex: row.value for row in inspector.symbol_values(t, t.hyperparameters, 3)[1]}
    assert values["s_0"] == (0.5, 0.5)
    assert values[r"\tau_0"] == 0.5


def test_symbol_values_refuse_what_they_cannot_show():
    t = optviz.run("adam", ROSENBROCK, steps=3, record="state")
    with pytest.raises(ValueError, match="Invalid step"):
        inspector.symbol_values(t, t.hyperparameters, 0)
    with pytest.raises(ValueError, match="record='state'"):
        inspector.vectors(optviz.run("adam", ROSENBROCK, steps=3))


def test_the_browser_gets_the_gradient_and_velocity_as_float32():
    t = optviz.run("sgd", ROSENBROCK, start=START, steps=STEPS, record="state", lr=1e-3, momentum=0.9)
    arrays = race.arrows(t)
    assert set(arrays) == {"gx", "gy", "vx", "vy"}
    found = inspector.vectors(t)
    decoded = {key: np.frombuffer(base64.b64decode(value), dtype="<f4") for key, value in arrays.items()}
    assert same(decoded["gx"], found.gradient[:, 0].astype(np.float32))
    assert same(decoded["vy"], found.velocity[:, 1].astype(np.float32))
    plain = optviz.run("adagrad", ROSENBROCK, start=START, steps=STEPS, record="state")
    assert set(race.arrows(plain)) == {"gx", "gy", "ex", "ey"}  # no velocity to draw; its squares' step sizes


def test_sams_g_t_is_the_perturbed_points_gradient_and_its_step_is_the_learning_rate_times_it():
    lr, rho = 0.002, 0.1
    t = optviz.run("sam", ROSENBROCK, start=START, steps=5, record="state", lr=lr, base="sgd", rho=rho)
    for k in (1, 3):
        rows = inspector.symbol_values(t, t.hyperparameters, k)[1]
        values, meanings = {row.latex: row.value for row in rows}, {row.latex: row.meaning for row in rows}
        before = t.points[k - 1]
        assert values[r"\hat g_t"] == tuple(ROSENBROCK.grad(before))  # the point's, which aims e_t
        aimed = before + rho * ROSENBROCK.grad(before) / np.linalg.norm(ROSENBROCK.grad(before))
        np.testing.assert_allclose(t.probes.points[k - 1], aimed, rtol=1e-6)  # (a float32 norm)
        assert values["g_t"] == tuple(ROSENBROCK.grad(t.probes.points[k - 1]))  # the perturbed point's
        assert "perturbed point" in meanings["g_t"]
        assert values["e_t"] is None  # computed in the step, not kept
    # the scale the race draws: the learning rate, read off the gradient SAM stepped with
    np.testing.assert_allclose(inspector.vectors(t).scale[1:], lr, rtol=1e-9)
