r"""Per-coordinate step sizes from the gradients' squares: torch's Adagrad, RMSprop, Adadelta and
Adafactor.

Each divides a coordinate's step by the root of what its squared gradients add up to (a sum, or
a running mean); none corrects for starting from zero, as the Adam family (adam_family.py) does.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from optviz.core.hyperparameters import eps, flag, learning_rate, momentum, number, pair, weight_decay
from optviz.core.optimizers.base import HP, Inspection, Optimizer, register
from optviz.core.optimizers.shared import (
    aligned,
    coordinate_sum,
    decay_lines,
    l2_penalty,
    running_mean,
    running_square_mean,
)
from optviz.core.primitives import lerp, maximum, minimum, nonzero, power, sqrt, where, zeros_like

# --------------------------------------------------------------------------------------------
# Adagrad: divided by the root of the sum of all squared gradients


class AdagradState(NamedTuple):
    """Adagrad's state: the steps taken, which decay the rate, and each coordinate's sum of squares."""

    step: int
    state_sum: np.ndarray  # (d, B) sum of squared gradients, from initial_accumulator_value


def adagrad_update(
    params: np.ndarray, grad: np.ndarray, state: AdagradState, hp: HP
) -> tuple[np.ndarray, AdagradState]:
    r"""Adagrad's step: each coordinate's gradient over the root of the sum of its squares so far.

    It mirrors torch.optim.Adagrad (``_single_tensor_adagrad``, the default foreach=False path):

    .. math::
        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)}, \eta \text{ (lr decay)}, \lambda \text{ (weight decay)},
            \tau_0 \text{ (initial accumulator value)}, \epsilon, \theta_0 \text{ (params)}, f \\
        &\textbf{initialise}: s_0 \leftarrow \tau_0 \\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        &\quad g_t \leftarrow \nabla f(\theta_{t-1}) \\
        &\quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda\,\theta_{t-1} \\
        &\quad \tilde\gamma \leftarrow \gamma / (1 + (t - 1)\,\eta) \\
        &\quad s_t \leftarrow s_{t-1} + g_t^2 \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \tilde\gamma\, g_t / (\sqrt{s_t} + \epsilon)
        \end{aligned}
    """
    step = state.step + 1
    grad = l2_penalty(grad, params, hp)
    clr = hp["lr"] / (1 + (step - 1) * hp["lr_decay"])
    state_sum = state.state_sum + grad * grad
    std = sqrt(state_sum) + hp["eps"]
    return params - clr * grad / std, AdagradState(step, state_sum)


def adagrad_rule(hp: HP) -> str:
    return aligned(
        [
            *decay_lines(hp),
            r"\tilde\gamma &= \gamma / \left(1 + (t - 1)\,\eta\right)",
            r"s_t &= s_{t-1} + g_t^2, \quad s_0 = \tau_0",
            r"\theta_t &= \theta_{t-1} - \tilde\gamma\, \frac{g_t}{\sqrt{s_t} + \epsilon}",
        ]
    )


register(
    Optimizer(
        name="adagrad",
        mirrors="torch.optim.Adagrad",
        elementwise=True,
        inspection=Inspection(symbols={"s_t": "state_sum"}, squares="state_sum"),
        hyperparameters=(
            learning_rate(1e-2),
            number("lr_decay", 0.0, symbol=r"\eta", ui=(0.0, 1.0)),
            weight_decay(),
            number("initial_accumulator_value", 0.0, symbol=r"\tau_0", ui=(0.0, 10.0)),
            eps(1e-10),
        ),
        init=lambda params, hp: AdagradState(0, zeros_like(params) + hp["initial_accumulator_value"]),
        update=adagrad_update,
        rule=adagrad_rule,
    )
)


# --------------------------------------------------------------------------------------------
# RMSprop: divided by the root of their running mean, perhaps centred, perhaps with momentum


class RMSpropState(NamedTuple):
    """RMSprop's state; the mean of the gradients and the momentum buffer only where the settings use them."""

    step: int
    square_avg: np.ndarray  # (d, B) running mean of squared gradients
    grad_avg: np.ndarray | None  # (d, B) running mean of gradients, when centered
    momentum_buffer: np.ndarray | None  # (d, B), when momentum > 0


def rmsprop_init(params: np.ndarray, hp: HP) -> RMSpropState:
    zeros = zeros_like(params)
    return RMSpropState(
        step=0,
        square_avg=zeros,
        grad_avg=zeros if hp["centered"] else None,
        momentum_buffer=zeros if nonzero(hp["momentum"]) else None,
    )


def rmsprop_update(
    params: np.ndarray, grad: np.ndarray, state: RMSpropState, hp: HP
) -> tuple[np.ndarray, RMSpropState]:
    r"""RMSprop's step, which divides by a running root mean square instead of Adagrad's growing sum.

    It mirrors torch.optim.RMSprop (``_single_tensor_rmsprop``, the default foreach=False path):

    .. math::
        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)}, \alpha \text{ (alpha)}, \epsilon, \lambda \text{ (weight decay)},
            \mu \text{ (momentum)}, \textit{centered}, \theta_0 \text{ (params)}, f \\
        &\textbf{initialise}: v_0 \leftarrow 0,\ \bar g_0 \leftarrow 0,\ b_0 \leftarrow 0 \\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        &\quad g_t \leftarrow \nabla f(\theta_{t-1}) \\
        &\quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda\,\theta_{t-1} \\
        &\quad v_t \leftarrow \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2 \\
        &\quad \textbf{if}\ \textit{centered}:\ \bar g_t \leftarrow \alpha\, \bar g_{t-1} + (1 - \alpha)\, g_t,
            \ d_t \leftarrow \sqrt{v_t - \bar g_t^2} + \epsilon \\
        &\quad \textbf{else}:\ d_t \leftarrow \sqrt{v_t} + \epsilon \\
        &\quad \textbf{if}\ \mu > 0:\ b_t \leftarrow \mu\, b_{t-1} + g_t / d_t,
            \ \theta_t \leftarrow \theta_{t-1} - \gamma\, b_t \\
        &\quad \textbf{else}:\ \theta_t \leftarrow \theta_{t-1} - \gamma\, g_t / d_t
        \end{aligned}

    torch makes the momentum buffer at the first step only if the momentum is above 0 then
    (``Optimizer.momentum_from_first_step``).
    """
    lr, alpha, momentum = hp["lr"], hp["alpha"], hp["momentum"]
    grad = l2_penalty(grad, params, hp)
    square_avg = running_square_mean(state.square_avg, grad, alpha)
    grad_avg = state.grad_avg
    if hp["centered"]:
        grad_avg = running_mean(grad_avg, grad, alpha)
        avg = sqrt(square_avg - grad_avg * grad_avg)
    else:
        avg = sqrt(square_avg)
    avg = avg + hp["eps"]
    buf = state.momentum_buffer
    if nonzero(momentum):
        buf = momentum * buf + grad / avg
        new_params = where(momentum > 0, params - lr * buf, params - lr * grad / avg)
    else:
        new_params = params - lr * grad / avg
    return new_params, RMSpropState(state.step + 1, square_avg, grad_avg, buf)


def rmsprop_rule(hp: HP) -> str:
    lines = [*decay_lines(hp), r"v_t &= \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2"]
    if hp["centered"]:
        lines += [
            r"\bar g_t &= \alpha\, \bar g_{t-1} + (1 - \alpha)\, g_t",
            r"d_t &= \sqrt{v_t - \bar g_t^2} + \epsilon",
        ]
    else:
        lines.append(r"d_t &= \sqrt{v_t} + \epsilon")
    if nonzero(hp["momentum"]):
        lines += [r"b_t &= \mu\, b_{t-1} + g_t / d_t", r"\theta_t &= \theta_{t-1} - \gamma\, b_t"]
    else:
        lines.append(r"\theta_t &= \theta_{t-1} - \gamma\, g_t / d_t")
    return aligned(lines)


register(
    Optimizer(
        name="rmsprop",
        mirrors="torch.optim.RMSprop",
        elementwise=True,
        inspection=Inspection(
            velocity="momentum_buffer",
            symbols={"v_t": "square_avg", r"\bar g_t": "grad_avg", "b_t": "momentum_buffer"},
            squares="square_avg",
            divided_velocity=True,
        ),
        hyperparameters=(
            learning_rate(1e-2),
            number("alpha", 0.99, symbol=r"\alpha", ui=(0.5, 0.9999)),
            eps(1e-8),
            weight_decay(),
            momentum(),
            flag("centered", False),
        ),
        init=rmsprop_init,
        update=rmsprop_update,
        rule=rmsprop_rule,
        momentum_from_first_step=True,
    )
)


# --------------------------------------------------------------------------------------------
# Adadelta: the learning rate replaced by a ratio of running means


class AdadeltaState(NamedTuple):
    """Adadelta's state: running means of the squared gradients and of the squared steps."""

    step: int
    square_avg: np.ndarray  # (d, B) running mean of squared gradients
    acc_delta: np.ndarray  # (d, B) running mean of squared updates


def adadelta_update(
    params: np.ndarray, grad: np.ndarray, state: AdadeltaState, hp: HP
) -> tuple[np.ndarray, AdadeltaState]:
    r"""Adadelta's step, in the units of the parameters: recent step sizes over recent gradient sizes.

    It mirrors torch.optim.Adadelta (``_single_tensor_adadelta``, the default foreach=False path):

    .. math::
        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)}, \rho \text{ (rho)}, \epsilon, \lambda \text{ (weight decay)},
            \theta_0 \text{ (params)}, f \\
        &\textbf{initialise}: v_0 \leftarrow 0 \text{ (square avg)},\ u_0 \leftarrow 0 \text{ (acc delta)} \\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        &\quad g_t \leftarrow \nabla f(\theta_{t-1}) \\
        &\quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda\,\theta_{t-1} \\
        &\quad v_t \leftarrow \rho\, v_{t-1} + (1 - \rho)\, g_t^2 \\
        &\quad \Delta_t \leftarrow \sqrt{u_{t-1} + \epsilon}\, / \sqrt{v_t + \epsilon}\ g_t \\
        &\quad u_t \leftarrow \rho\, u_{t-1} + (1 - \rho)\, \Delta_t^2 \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \gamma\, \Delta_t
        \end{aligned}
    """
    rho, eps_ = hp["rho"], hp["eps"]
    grad = l2_penalty(grad, params, hp)
    square_avg = running_square_mean(state.square_avg, grad, rho)
    std = sqrt(square_avg + eps_)
    delta = sqrt(state.acc_delta + eps_) / std * grad
    acc_delta = running_square_mean(state.acc_delta, delta, rho)
    return params - hp["lr"] * delta, AdadeltaState(state.step + 1, square_avg, acc_delta)


def adadelta_rule(hp: HP) -> str:
    return aligned(
        [
            *decay_lines(hp),
            r"v_t &= \rho\, v_{t-1} + (1 - \rho)\, g_t^2",
            r"\Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t",
            r"u_t &= \rho\, u_{t-1} + (1 - \rho)\, \Delta_t^2",
            r"\theta_t &= \theta_{t-1} - \gamma\, \Delta_t",
        ]
    )


register(
    Optimizer(
        name="adadelta",
        mirrors="torch.optim.Adadelta",
        elementwise=True,
        inspection=Inspection(symbols={"v_t": "square_avg", "u_t": "acc_delta"}, squares="square_avg"),
        hyperparameters=(
            learning_rate(1.0),
            number("rho", 0.9, symbol=r"\rho", high=1.0, ui=(0.5, 0.9999)),
            eps(1e-6),
            weight_decay(),
        ),
        init=lambda params, hp: AdadeltaState(0, zeros_like(params), zeros_like(params)),
        update=adadelta_update,
        rule=adadelta_rule,
    )
)


# --------------------------------------------------------------------------------------------
# Adafactor: a relative step, lr times the parameters' RMS, over the root of a running mean


class AdafactorState(NamedTuple):
    """Adafactor's state on a vector (unfactored): the steps taken and the running mean of the
    squared gradients, whose decay grows with the steps."""

    step: int
    variance: np.ndarray  # (d, B) v_t


def norm(values: np.ndarray) -> np.ndarray:
    r"""Each point's Euclidean norm over its coordinates (axis 0), torch's ``x.norm(2)``."""
    return sqrt(coordinate_sum(values * values))


def adafactor_update(
    params: np.ndarray, grad: np.ndarray, state: AdafactorState, hp: HP
) -> tuple[np.ndarray, AdafactorState]:
    r"""Adafactor's step on a vector. It mirrors torch.optim.Adafactor (``_single_tensor_adafactor``,
    torch's path on the CPU); a vector's second moment is not factored into rows and columns:

    .. math::
        \begin{aligned}
        &\rho_t \leftarrow \min(\gamma, 1/\sqrt t), \quad \alpha_t \leftarrow \max(\epsilon_2, \operatorname{RMS}(\theta_{t-1}))\, \rho_t \\
        &\theta_{t-1} \leftarrow \theta_{t-1} (1 - \gamma\lambda) \\
        &v_t \leftarrow (1 - t^{c})\, v_{t-1} + t^{c} g_t^2, \quad u_t \leftarrow g_t / \sqrt{\max(v_t, \epsilon_1^2)} \\
        &\theta_t \leftarrow \theta_{t-1} - \alpha_t\, u_t / \max(1, \operatorname{RMS}(u_t) / d)
        \end{aligned}

    The step is relative, a fraction of the parameters' own size: it depends on where the
    origin is, and is at least :math:`\epsilon_2 \rho_t` near it. RMS is over the coordinates, so
    the rule couples them (``elementwise`` is False).
    """
    eps1, eps2 = hp["eps"]
    step = state.step + 1
    one_minus_beta2 = power(float(step), hp["beta2_decay"])
    rho = minimum(hp["lr"], 1 / power(float(step), 0.5))
    root_n = power(float(len(params)), 0.5)  # numel ** 0.5
    alpha = maximum(eps2, norm(params) / root_n) * rho
    if nonzero(hp["weight_decay"]):
        params = params * (1 - hp["lr"] * hp["weight_decay"])
    variance = lerp(state.variance, grad * grad, one_minus_beta2)
    update = (1 / sqrt(maximum(variance, eps1 * eps1))) * grad  # clamp_(min=eps1 ** 2).rsqrt_().mul_(grad)
    denom = maximum(1.0, norm(update) / (root_n * hp["d"]))
    return params + (-alpha / denom) * update, AdafactorState(step, variance)


def adafactor_rule(hp: HP) -> str:
    return aligned(
        [
            r"\rho_t &= \min(\gamma,\ 1/\sqrt{t}), \quad \alpha_t = \max\!\left(\epsilon_2,\ \operatorname{RMS}(\theta_{t-1})\right) \rho_t",
            *decay_lines(hp, decoupled=True),  # the parameters shrink, as AdamW's do
            r"v_t &= (1 - t^{c})\, v_{t-1} + t^{c}\, g_t^2, \quad v_0 = 0",
            r"u_t &= g_t \big/ \sqrt{\max(v_t,\ \epsilon_1^2)}",
            r"\theta_t &= \theta_{t-1} - \alpha_t\, u_t \big/ \max\!\left(1,\ \operatorname{RMS}(u_t) / d\right)",
        ]
    )


register(
    Optimizer(
        name="adafactor",
        mirrors="torch.optim.Adafactor",
        elementwise=False,  # the RMS of the parameters and of the update couple the coordinates
        inspection=Inspection(symbols={"v_t": "variance"}),
        hyperparameters=(
            learning_rate(1e-2),
            number("beta2_decay", -0.8, symbol="c", low=-math.inf, high=0.0, ui=(-1.0, 0.0)),
            pair(
                "eps",
                # torch's None: the dtype's machine epsilon, float64's here.
                number("eps1", float(np.finfo(np.float64).eps), symbol=r"\epsilon_1", label="epsilon1", ui=(0.0, 1e-3)),
                number("eps2", 1e-3, symbol=r"\epsilon_2", label="epsilon2", ui=(0.0, 0.1)),
            ),
            number("d", 1.0, symbol="d", label="Clipping threshold d", low=1.0, ui=(1.0, 10.0)),
            weight_decay(),
        ),
        init=lambda params, hp: AdafactorState(0, zeros_like(params)),
        update=adafactor_update,
        rule=adafactor_rule,
    )
)
