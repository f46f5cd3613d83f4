r"""Gradient descent with momentum: torch's SGD, with heavy-ball and Nesterov momentum."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.core.hyperparameters import flag, learning_rate, momentum, number, weight_decay
from optviz.core.optimizers.base import HP, Constraint, Inspection, Optimizer, register
from optviz.core.optimizers.shared import aligned, decay_lines, l2_penalty
from optviz.core.primitives import copy, nonzero, where


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
