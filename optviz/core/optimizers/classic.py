r"""Gradient descent: torch's SGD, with heavy-ball and Nesterov momentum, and ASGD, which
averages its iterates."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.core.hyperparameters import flag, learning_rate, momentum, number, weight_decay
from optviz.core.optimizers.base import HP, Companion, Constraint, Inspection, Optimizer, register
from optviz.core.optimizers.shared import aligned, decay_lines, l2_penalty
from optviz.core.primitives import copy, maximum, nonzero, power, tensor_power, where, zeros_like


class SGDState(NamedTuple):
    """SGD's state between steps: the steps taken and the momentum buffer."""

    step: int  # steps taken
    momentum_buffer: np.ndarray | None  # (d, B) b_t; None before the first step or without momentum


def sgd_update(params: np.ndarray, grad: np.ndarray, state: SGDState, hp: HP) -> tuple[np.ndarray, SGDState]:
    r"""SGD's step: down the gradient, or along a buffer of past gradients (heavy-ball or Nesterov momentum).

    It mirrors torch.optim.SGD (``_single_tensor_sgd``, the default foreach=False path):

    .. math::
        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)}, \mu \text{ (momentum)}, \tau \text{ (dampening)},
            \lambda \text{ (weight decay)}, \textit{nesterov}, \theta_0 \text{ (params)}, f \\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        &\quad g_t \leftarrow \nabla f(\theta_{t-1}) \\
        &\quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda\,\theta_{t-1} \\
        &\quad \textbf{if}\ \mu \neq 0: \\
        &\qquad b_t \leftarrow g_t\ \text{at}\ t = 1, \text{ else } \mu\, b_{t-1} + (1 - \tau)\, g_t \\
        &\qquad g_t \leftarrow g_t + \mu\, b_t\ \text{with}\ \textit{nesterov}, \text{ else } b_t \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \gamma\, g_t
        \end{aligned}

    A batch may mix trajectories with and without momentum: those with ``momentum == 0`` take
    torch's plain branch.
    """
    lr, momentum = hp["lr"], hp["momentum"]
    grad = l2_penalty(grad, params, hp)
    buf = state.momentum_buffer
    direction = grad
    if nonzero(momentum):
        # torch starts the buffer at the first gradient, so dampening does not apply at t = 1.
        buf = copy(grad) if buf is None else momentum * buf + (1 - hp["dampening"]) * grad
        direction = grad + momentum * buf if hp["nesterov"] else buf
        direction = where(momentum != 0, direction, grad)  # momentum 0 takes torch's plain branch
    return params - lr * direction, SGDState(state.step + 1, buf)


def sgd_rule(hp: HP) -> str:
    lines = decay_lines(hp)
    if not nonzero(hp["momentum"]):
        return aligned([*lines, r"\theta_t &= \theta_{t-1} - \gamma\, g_t"])
    lines.append(r"b_t &= \begin{cases} g_t & t = 1 \\ \mu\, b_{t-1} + (1 - \tau)\, g_t & t > 1 \end{cases}")
    step = r"(g_t + \mu\, b_t)" if hp["nesterov"] else r"b_t"
    return aligned([*lines, rf"\theta_t &= \theta_{{t-1}} - \gamma\, {step}"])


# torch refuses Nesterov momentum without a momentum, or with dampening.
NESTEROV_NEEDS_MOMENTUM = Constraint(
    rule="nesterov_needs_momentum",
    holds=lambda hp: (
        not hp["nesterov"] or bool(np.all(np.asarray(hp["momentum"]) > 0) and not nonzero(hp["dampening"]))
    ),
    repair="nesterov_off",
    fix=lambda hp: {**hp, "nesterov": False},
)


register(
    Optimizer(
        name="sgd",
        mirrors="torch.optim.SGD",
        elementwise=True,
        inspection=Inspection(velocity="momentum_buffer", symbols={"b_t": "momentum_buffer"}),
        hyperparameters=(
            learning_rate(1e-3),
            momentum(),
            number("dampening", 0.0, symbol=r"\tau", ui=(0.0, 1.0)),
            weight_decay(),
            flag("nesterov", False),
        ),
        constraints=(NESTEROV_NEEDS_MOMENTUM,),
        init=lambda params, hp: SGDState(step=0, momentum_buffer=None),
        update=sgd_update,
        rule=sgd_rule,
    )
)


# --------------------------------------------------------------------------------------------
# ASGD: SGD whose rate decays, and the average of its iterates from step t0 on


class ASGDState(NamedTuple):
    """ASGD's state: the steps taken, the rate and the averaging weight of the next step (torch's
    ``eta`` and ``mu``, per trajectory), and the averaged iterate."""

    step: int
    eta: Any  # float, or (B,): the rate of the next step
    mu: Any  # float, or (B,): the weight of the next step's point in the average
    ax: np.ndarray  # (d, B) the average of the iterates since step t0 (the iterate itself before)


def asgd_init(params: np.ndarray, hp: HP) -> ASGDState:
    return ASGDState(step=0, eta=hp["lr"], mu=1.0, ax=zeros_like(params))


def asgd_update(params: np.ndarray, grad: np.ndarray, state: ASGDState, hp: HP) -> tuple[np.ndarray, ASGDState]:
    r"""ASGD's step: SGD at a decaying rate, its iterates averaged from step t0 on.

    It mirrors torch.optim.ASGD's ``_single_tensor_asgd`` (torch's path on the CPU), or with
    ``foreach=True`` its ``_multi_tensor_asgd``, whose arithmetic differs in the last bits (it
    folds the decay into the gradient, always averages by a multiply-add, and takes the next
    rate as ``decay.reciprocal() * lr``, which is how torch divides a number by a tensor, with
    the decay a tensor's power: a square root for alpha = 0.5, see ``tensor_power``):

    .. math::
        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)}, \lambda_d \text{ (lambd)}, \alpha, t_0,
            \lambda \text{ (weight decay)}, \theta_0, f \\
        &\textbf{initialise}: \eta_1 \leftarrow \gamma,\ \mu_1 \leftarrow 1,\ \bar\theta_0 \leftarrow 0 \\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        &\quad g_t \leftarrow \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1} \\
        &\quad \theta_t \leftarrow \theta_{t-1} (1 - \lambda_d \eta_t) - \eta_t\, g_t \\
        &\quad \bar\theta_t \leftarrow \bar\theta_{t-1} + \mu_t (\theta_t - \bar\theta_{t-1})
            \quad (\theta_t \text{ itself while } \mu_t = 1) \\
        &\quad \eta_{t+1} \leftarrow \gamma / (1 + \lambda_d \gamma t)^\alpha,
            \quad \mu_{t+1} \leftarrow 1 / \max(1, t - t_0)
        \end{aligned}
    """
    lr, lambd, eta, mu = hp["lr"], hp["lambd"], state.eta, state.mu
    step = state.step + 1
    if hp["foreach"]:
        # intermediate = grad (+ weight_decay * param) + lambd * param; param += -intermediate * eta
        intermediate = l2_penalty(grad, params, hp) + lambd * params
        params = params + (-1.0 * intermediate) * eta
        ax = state.ax + (params - state.ax) * mu
    else:
        grad = l2_penalty(grad, params, hp)
        params = params * (1 - lambd * eta)
        params = params + (-eta) * grad
        ax = where(mu != 1, state.ax + (params - state.ax) * mu, params)
    if hp["foreach"]:  # (1 + lambd * lr * step) is a tensor there, and lr / tensor is reciprocal() * lr
        eta = (1.0 / tensor_power(1 + lambd * lr * step, hp["alpha"])) * lr
    else:
        eta = lr / power(1 + lambd * lr * step, hp["alpha"])
    mu = 1 / maximum(1.0, step - hp["t0"])
    return params, ASGDState(step, eta, mu, ax)


def asgd_rule(hp: HP) -> str:
    return aligned(
        [
            *decay_lines(hp),
            r"\eta_t &= \gamma / \left(1 + \lambda_d \gamma (t - 1)\right)^{\alpha}",
            r"\theta_t &= \theta_{t-1}\,(1 - \lambda_d \eta_t) - \eta_t\, g_t",
            r"\mu_t &= 1 / \max(1,\, t - 1 - t_0)",
            r"\bar\theta_t &= \bar\theta_{t-1} + \mu_t\,(\theta_t - \bar\theta_{t-1})",
        ]
    )


register(
    Optimizer(
        name="asgd",
        mirrors="torch.optim.ASGD",
        elementwise=True,
        inspection=Inspection(symbols={r"\eta_t": "eta", r"\mu_t": "mu", r"\bar\theta_t": "ax"}),
        companion=Companion("ax", bold=True),  # the average is the answer: drawn bold, the iterates faint
        hyperparameters=(
            learning_rate(1e-2),
            number("lambd", 1e-4, symbol=r"\lambda_d", ui=(0.0, 1.0)),
            number("alpha", 0.75, symbol=r"\alpha", ui=(0.0, 1.0)),
            number("t0", 1e6, symbol="t_0", ui=(1.0, 1e6), log=True),
            weight_decay(),
            flag("foreach", False),
        ),
        init=asgd_init,
        update=asgd_update,
        rule=asgd_rule,
    )
)
