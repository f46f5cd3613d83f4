r"""Schedule-free learning: schedulefree 1.4.1's SGDScheduleFree and AdamWScheduleFree.

No learning-rate schedule: the rule keeps three sequences instead. :math:`z` takes plain
(or Adam-scaled) gradient steps; :math:`x` is a weighted running average of the :math:`z`'s,
the answer to evaluate; and the gradient is taken at :math:`y`, a point between them,
:math:`y = (1 - \beta) z + \beta x`, which is what the parameters hold while training. The
average does what a decaying schedule would, without knowing when training stops.

The trajectory is :math:`y` (the parameters in the reference's training mode, where the
gradients are taken); :math:`x`, what its evaluation mode puts in the parameters, is recorded
beside it (``Optimizer.companion``) and drawn bold.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.core.hyperparameters import betas, eps, learning_rate, number, weight_decay
from optviz.core.optimizers.base import HP, Companion, Constraint, Inspection, Optimizer, register
from optviz.core.optimizers.shared import aligned, bias_correction, decay_lines, l2_penalty, running_square_mean
from optviz.core.primitives import branch, copy, lerp, maximum, nonzero, power, sqrt, zeros_like


class ScheduleFreeState(NamedTuple):
    """The schedule-free rules' state: the steps taken (the reference's ``k``), the sum of the
    averaging weights and the largest rate so far (per trajectory), the gradient-step sequence
    z, the averaged point x, and (AdamW's) the running mean of the squared gradients."""

    step: int
    weight_sum: Any  # float, or (B,)
    lr_max: Any  # float, or (B,): -1 before the first step, as the reference starts it
    z: np.ndarray  # (d, B)
    x: np.ndarray  # (d, B) the point to evaluate: the reference's parameters in eval mode
    exp_avg_sq: np.ndarray | None  # (d, B) AdamW's v_t; None for SGD


def schedule_free_init(params: np.ndarray, hp: HP) -> ScheduleFreeState:
    """z and x start at the start; AdamW's second moment at 0 (SGD keeps none); the largest
    rate at -1, as the reference starts it."""
    second = zeros_like(params) if "betas" in hp else None
    return ScheduleFreeState(0, 0.0, -1.0, copy(params), copy(params), second)


def _averaging(state: ScheduleFreeState, hp: HP) -> tuple[Any, Any, Any, Any]:
    """The step's rate after warmup, the weight of its z in the average :math:`c_{t}`, and the
    new weight sum and largest rate, as the reference computes them in Python floats."""
    k, warmup = state.step, hp["warmup_steps"]
    sched = branch(k < warmup, lambda: (k + 1) / warmup, lambda: 1.0)
    lr = hp["lr"] * sched
    lr_max = maximum(lr, state.lr_max)
    weight = power(float(k + 1), hp["r"]) * power(lr_max, hp["weight_lr_power"])
    weight_sum = state.weight_sum + weight
    # The reference catches ZeroDivisionError (every rate 0 so far) and takes 0.
    ckp1 = branch(weight_sum != 0, lambda: weight / weight_sum, lambda: 0.0)
    return lr, ckp1, weight_sum, lr_max


def _step_y_z(
    params: np.ndarray, direction: np.ndarray, z: np.ndarray, lr: Any, ckp1: Any, *, beta: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""y, z and x after a step along ``direction``, the reference's operations in its order:
    ``y.lerp_(z, ckp1)``, ``y.add_(g, alpha=lr * (beta * (1 - ckp1) - 1))``, ``z.sub_(g, alpha=lr)``;
    x as its evaluation mode makes it, ``y.lerp_(z, 1 - 1 / beta)``."""
    y = lerp(params, z, ckp1)
    y = y + (lr * (beta * (1 - ckp1) - 1)) * direction
    z = z - lr * direction
    return y, z, lerp(y, z, 1 - 1 / beta)


def sgd_schedule_free_update(
    params: np.ndarray, grad: np.ndarray, state: ScheduleFreeState, hp: HP
) -> tuple[np.ndarray, ScheduleFreeState]:
    r"""Schedule-free SGD's step. It mirrors schedulefree 1.4.1's ``SGDScheduleFree.step``
    (its foreach path, the default, and its loop compute the same; on the CPU torch's foreach
    operations are its per-tensor ones):

    .. math::
        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)}, \beta \text{ (momentum)}, \lambda, T_w \text{ (warmup\_steps)},
            r, p \text{ (weight\_lr\_power)}, y_0 = z_0 = x_0 = \theta_0 \\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        &\quad \gamma_t \leftarrow \gamma \min(1, t / T_w),\quad w_t \leftarrow t^r \left(\max_{i \le t} \gamma_i\right)^p,
            \quad c_t \leftarrow w_t / \sum_{i \le t} w_i \\
        &\quad g_t \leftarrow \nabla f(y_{t-1}) + \lambda\, y_{t-1} \\
        &\quad y_t \leftarrow (1 - c_t)\, y_{t-1} + c_t z_{t-1} + \gamma_t \left(\beta (1 - c_t) - 1\right) g_t \\
        &\quad z_t \leftarrow z_{t-1} - \gamma_t g_t,\quad x_t \leftarrow y_t + (1 - 1/\beta)(z_t - y_t)
        \end{aligned}

    which is the paper's :math:`x_t = (1 - c_t) x_{t-1} + c_t z_t`, :math:`y_t = (1 - \beta) z_t + \beta x_t`,
    computed in y as the reference does.
    """
    lr, ckp1, weight_sum, lr_max = _averaging(state, hp)
    grad = l2_penalty(grad, params, hp)
    y, z, x = _step_y_z(params, grad, state.z, lr, ckp1, beta=hp["momentum"])
    return y, ScheduleFreeState(state.step + 1, weight_sum, lr_max, z, x, None)


def adamw_schedule_free_update(
    params: np.ndarray, grad: np.ndarray, state: ScheduleFreeState, hp: HP
) -> tuple[np.ndarray, ScheduleFreeState]:
    r"""Schedule-free AdamW's step: schedule-free SGD along the gradient divided by the root of
    Adam's bias-corrected second moment (no first moment: the average of the z's is the
    momentum). It mirrors schedulefree 1.4.1's ``AdamWScheduleFree.step``:

    .. math::
        \begin{aligned}
        &v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \quad
            \hat g_t \leftarrow g_t / \left(\sqrt{v_t / (1 - \beta_2^t)} + \epsilon\right) + \lambda\, y_{t-1}
        \end{aligned}

    then schedule-free SGD's y, z and x with :math:`\hat g_t` for :math:`g_t` and
    :math:`\beta_1` for :math:`\beta`.
    """
    beta1, beta2 = hp["betas"]
    lr, ckp1, weight_sum, lr_max = _averaging(state, hp)
    exp_avg_sq = running_square_mean(state.exp_avg_sq, grad, beta2)
    denom = sqrt(exp_avg_sq / bias_correction(beta2, state.step + 1)) + hp["eps"]
    direction = l2_penalty(grad / denom, params, hp)  # the decay is taken at y, after the scaling
    y, z, x = _step_y_z(params, direction, state.z, lr, ckp1, beta=beta1)
    return y, ScheduleFreeState(state.step + 1, weight_sum, lr_max, z, x, exp_avg_sq)


def _averaging_lines(hp: HP) -> list[str]:
    rate = r"\gamma \min(1,\, t / T_w)" if nonzero(hp["warmup_steps"]) else r"\gamma"
    factors = [r"t^{r}"] if nonzero(hp["r"]) else []
    if nonzero(hp["weight_lr_power"]):
        factors.append(r"\left(\max_{i \le t} \gamma_i\right)^{p}")
    weight = " ".join(factors) or "1"
    return [rf"\gamma_t &= {rate}, \quad c_t = w_t \big/ \sum_{{i \le t}} w_i, \quad w_t = {weight}"]


def _sequence_lines(direction: str, beta: str) -> list[str]:
    return [
        rf"z_t &= z_{{t-1}} - \gamma_t\, {direction}",
        r"x_t &= (1 - c_t)\, x_{t-1} + c_t\, z_t",
        rf"\theta_t &= (1 - {beta})\, z_t + {beta}\, x_t, \quad z_0 = x_0 = \theta_0",
    ]


def sgd_schedule_free_rule(hp: HP) -> str:
    return aligned([*_averaging_lines(hp), *decay_lines(hp), *_sequence_lines("g_t", r"\beta")])


def adamw_schedule_free_rule(hp: HP) -> str:
    decay = r" + \lambda\,\theta_{t-1}" if nonzero(hp["weight_decay"]) else ""
    return aligned(
        [
            *_averaging_lines(hp),
            r"v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2",
            rf"\hat g_t &= g_t \big/ \left(\sqrt{{v_t / (1 - \beta_2^t)}} + \epsilon\right){decay}",
            *_sequence_lines(r"\hat g_t", r"\beta_1"),
        ]
    )


def _schedule_settings() -> tuple:
    """The warmup and the averaging weights' two powers, named as the reference names them."""
    return (
        number("warmup_steps", 0.0, symbol="T_w", ui=(0.0, 1000.0)),
        number("r", 0.0, symbol="r", ui=(0.0, 4.0)),
        number("weight_lr_power", 2.0, symbol="p", ui=(0.0, 4.0)),
    )


# x = y + (1 - 1/beta)(z - y) divides by the momentum: the reference refuses SGD's momentum of 0,
# and AdamW's beta1 of 0 would make x infinite.
MOMENTUM_ABOVE_ZERO = Constraint(
    rule="schedule_free_momentum",
    holds=lambda hp: bool(np.all(np.asarray(hp["momentum"]) > 0)),
    repair="momentum_default",
    fix=lambda hp: {**hp, "momentum": 0.9},
)
BETA1_ABOVE_ZERO = Constraint(
    rule="schedule_free_beta1",
    holds=lambda hp: bool(np.all(np.asarray(hp["betas"][0]) > 0)),
    repair="beta1_default",
    fix=lambda hp: {**hp, "betas": (0.9, hp["betas"][1])},
)
# Both draw x, the average, bold: it is the rule's answer; y, where the gradient is taken, faint.
ANSWER = Companion("x", bold=True)

register(
    Optimizer(
        name="sgd_schedulefree",
        mirrors="schedulefree.SGDScheduleFree",
        elementwise=True,
        inspection=Inspection(symbols={"z_t": "z", "x_t": "x"}),
        companion=ANSWER,
        hyperparameters=(
            learning_rate(1.0),
            number("momentum", 0.9, symbol=r"\beta", high=1.0, high_open=True, ui=(0.01, 0.99)),
            weight_decay(),
            *_schedule_settings(),
        ),
        constraints=(MOMENTUM_ABOVE_ZERO,),
        init=schedule_free_init,
        update=sgd_schedule_free_update,
        rule=sgd_schedule_free_rule,
    )
)

register(
    Optimizer(
        name="adamw_schedulefree",
        mirrors="schedulefree.AdamWScheduleFree",
        elementwise=True,
        inspection=Inspection(symbols={"z_t": "z", "x_t": "x", "v_t": "exp_avg_sq"}),
        companion=ANSWER,
        hyperparameters=(
            learning_rate(0.0025),
            betas(0.9, 0.999, lowest_beta1=0.01),  # x divides by beta1
            eps(1e-8),
            weight_decay(),
            *_schedule_settings(),
        ),
        constraints=(BETA1_ABOVE_ZERO,),
        init=schedule_free_init,
        update=adamw_schedule_free_update,
        rule=adamw_schedule_free_rule,
    )
)
