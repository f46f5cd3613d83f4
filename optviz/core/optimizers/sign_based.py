r"""Steps by a sign only: torch's Rprop and Lion.

How large the gradient is does not matter here, only which way it points. Rprop moves each
coordinate by a step size of its own, which grows while the gradient keeps its sign and shrinks
when it flips; Lion moves every coordinate by the learning rate, along the sign of a mix of its
momentum and the gradient. Their steps run along the axes' diagonals, and their lengths are not
set by the surface's steepness.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.core.hyperparameters import betas, flag, learning_rate, number, pair, weight_decay
from optviz.core.optimizers.base import HP, Constraint, Inspection, Optimizer, register
from optviz.core.optimizers.shared import aligned, cautious, cautious_lines, decay_lines, is_cautious
from optviz.core.primitives import clamp, sign, where, zeros_like

# --------------------------------------------------------------------------------------------
# Rprop: a step size per coordinate, grown or shrunk by whether the gradient's sign held


class RpropState(NamedTuple):
    """Rprop's state: the steps taken, each coordinate's last gradient (0 where its sign had
    just flipped) and its step size."""

    step: int
    prev: np.ndarray  # (d, B) the gradient of the step before, zeroed where its sign flipped
    step_size: np.ndarray  # (d, B) each coordinate's step size, from lr


def rprop_update(params: np.ndarray, grad: np.ndarray, state: RpropState, hp: HP) -> tuple[np.ndarray, RpropState]:
    r"""Rprop's step: each coordinate moves by its own step size against the gradient's sign.

    It mirrors torch.optim.Rprop (``_single_tensor_rprop``, the default foreach=False path),
    torch's ``sign`` included (0 for a zero or NaN gradient: such a coordinate does not move):

    .. math::
        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)}, \eta_{-}, \eta_{+} \text{ (etas)},
            \Delta_{\min}, \Delta_{\max} \text{ (step sizes)}, \theta_0, f \\
        &\textbf{initialise}: \Delta_0 \leftarrow \gamma,\ \tilde g_0 \leftarrow 0 \\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        &\quad g_t \leftarrow \nabla f(\theta_{t-1}),\quad s_t \leftarrow \operatorname{sgn}(g_t\, \tilde g_{t-1}) \\
        &\quad \Delta_t \leftarrow \operatorname{clip}(\Delta_{t-1}\, \eta_t, \Delta_{\min}, \Delta_{\max}),
            \quad \eta_t = \eta_{+} \text{ if } s_t > 0,\ \eta_{-} \text{ if } s_t < 0,\ 1 \text{ otherwise} \\
        &\quad \tilde g_t \leftarrow 0 \text{ if } s_t < 0 \text{ else } g_t \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \Delta_t \operatorname{sgn}(\tilde g_t)
        \end{aligned}
    """
    etaminus, etaplus = hp["etas"]
    step_size_min, step_size_max = hp["step_sizes"]
    agreement = sign(grad * state.prev)
    factor = where(agreement > 0.0, etaplus, where(agreement < 0.0, etaminus, 1.0))
    step_size = clamp(state.step_size * factor, step_size_min, step_size_max)
    # torch zeroes the gradient where the factor is etaminus (where the sign flipped).
    kept = where(factor == etaminus, 0.0, grad)
    # param.addcmul_(grad.sign(), step_size, value=-1): param + (-1 * sign) * step_size.
    return params + (-1.0 * sign(kept)) * step_size, RpropState(state.step + 1, kept, step_size)


def rprop_rule(hp: HP) -> str:
    return aligned(
        [
            r"s_t &= \operatorname{sgn}\!\left(g_t\, \tilde g_{t-1}\right), \quad \tilde g_0 = 0",
            (
                r"\Delta_t &= \operatorname{clip}\!\left(\Delta_{t-1} \cdot "
                r"\begin{cases} \eta_{+} & s_t > 0 \\ \eta_{-} & s_t < 0 \\ 1 & s_t = 0 \end{cases},"
                r"\ \Delta_{\min}, \Delta_{\max}\right), \quad \Delta_0 = \gamma"
            ),
            r"\tilde g_t &= \begin{cases} 0 & s_t < 0 \\ g_t & s_t \ge 0 \end{cases}",
            r"\theta_t &= \theta_{t-1} - \Delta_t \operatorname{sgn}\!\left(\tilde g_t\right)",
        ]
    )


ETAS = pair(
    "etas",
    # torch: 0 < etaminus < 1 < etaplus (the open ends are the constraint ETAS_AROUND_ONE's).
    number("etaminus", 0.5, symbol=r"\eta_{-}", label="eta values", high=1.0, high_open=True, ui=(0.1, 0.9)),
    number("etaplus", 1.2, symbol=r"\eta_{+}", label="eta values", ui=(1.05, 3.0)),
)
STEP_SIZES = pair(
    "step_sizes",
    number("step_size_min", 1e-6, symbol=r"\Delta_{\min}", label="step_size_min", ui=(0.0, 0.01)),
    number("step_size_max", 50.0, symbol=r"\Delta_{\max}", label="step_size_max", ui=(0.01, 100.0), log=True),
)

# torch refuses etas outside 0 < etaminus < 1 < etaplus; a smallest step size above the largest
# would hold every step at the largest (torch's clamp), which no one means.
ETAS_AROUND_ONE = Constraint(
    rule="etas_around_one",
    holds=lambda hp: bool(np.all(np.asarray(hp["etas"][0]) > 0) and np.all(np.asarray(hp["etas"][1]) > 1)),
    repair="etas_default",
    fix=lambda hp: {**hp, "etas": ETAS.default},
)
STEP_SIZES_ORDERED = Constraint(
    rule="step_sizes_ordered",
    holds=lambda hp: bool(np.all(np.asarray(hp["step_sizes"][0]) <= np.asarray(hp["step_sizes"][1]))),
    repair="step_sizes_default",
    fix=lambda hp: {**hp, "step_sizes": STEP_SIZES.default},
)


register(
    Optimizer(
        name="rprop",
        mirrors="torch.optim.Rprop",
        elementwise=True,
        inspection=Inspection(symbols={r"\Delta_t": "step_size", r"\tilde g_t": "prev"}),
        hyperparameters=(learning_rate(1e-2), ETAS, STEP_SIZES),
        constraints=(ETAS_AROUND_ONE, STEP_SIZES_ORDERED),
        init=lambda params, hp: RpropState(0, zeros_like(params), zeros_like(params) + hp["lr"]),
        update=rprop_update,
        rule=rprop_rule,
    )
)


# --------------------------------------------------------------------------------------------
# Lion: the sign of an interpolation between the momentum and the gradient


class LionState(NamedTuple):
    """Lion's state: the steps taken and the running mean of the gradients (its momentum)."""

    step: int
    exp_avg: np.ndarray  # (d, B) m_t, decayed by beta2


def lion_update(params: np.ndarray, grad: np.ndarray, state: LionState, hp: HP) -> tuple[np.ndarray, LionState]:
    r"""Lion's step: a fixed-size step along the sign of a mix of the momentum and the gradient.

    It mirrors lion-pytorch 0.2.5's ``Lion`` (its ``update_fn``), torch's ``sgn`` included (0
    for a zero or NaN entry):

    .. math::
        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)}, \beta_1, \beta_2, \lambda \text{ (weight decay)}, \theta_0, f \\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        &\quad g_t \leftarrow \nabla f(\theta_{t-1}) \\
        &\quad \theta_{t-1} \leftarrow \theta_{t-1} (1 - \gamma \lambda)
            \quad (\lambda / \gamma_{\rm init} \text{ for } \lambda \text{ with decoupled\_weight\_decay}) \\
        &\quad c_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \gamma \operatorname{sgn}(c_t) \\
        &\quad m_t \leftarrow \beta_2 m_{t-1} + (1 - \beta_2)\, g_t
        \end{aligned}

    ``decoupled_weight_decay`` divides the weight decay by the initial learning rate
    :math:`\gamma_{\rm init}` (a schedule's base rate, torch's ``initial_lr``), as
    lion-pytorch does: the parameters then shrink by :math:`\gamma \lambda / \gamma_{\rm init}`
    a step, :math:`\lambda` at the initial rate, whatever the rate is. ``cautious`` follows
    pytorch-optimizer 4.1.0's Lion (``cautious=True``, ``weight_decouple=True``, its weight decay
    the same product): its mask on the signs, against the gradient, before the step.
    """
    lr, (beta1, beta2), wd = hp["lr"], hp["betas"], hp["weight_decay"]
    if hp["decoupled_weight_decay"]:
        wd = wd / hp.get("initial_lr", lr)
    params = params * (1.0 - lr * wd)
    update = sign(state.exp_avg * beta1 + (1.0 - beta1) * grad)
    if hp["cautious"]:  # pytorch-optimizer's Lion: the signs that disagree with the gradient dropped
        update = cautious(update, grad)
    params = params + (-lr) * update
    exp_avg = state.exp_avg * beta2 + (1.0 - beta2) * grad
    return params, LionState(state.step + 1, exp_avg)


def lion_rule(hp: HP) -> str:
    lines = decay_lines(hp, decoupled=True)  # Lion shrinks the parameters, as AdamW does
    if lines and hp["decoupled_weight_decay"]:
        lines = [r"\theta_{t-1} &\leftarrow \theta_{t-1}\,(1 - \gamma \lambda / \gamma_{\rm init})"]
    return aligned(
        [
            *lines,
            r"c_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t",
            *(cautious_lines(r"\operatorname{sgn}(c_t)", "g_t") if hp["cautious"] else []),
            r"\theta_t &= \theta_{t-1} - \gamma\, \phi_t \odot \operatorname{sgn}(c_t)"
            if hp["cautious"]
            else r"\theta_t &= \theta_{t-1} - \gamma \operatorname{sgn}(c_t)",
            r"m_t &= \beta_2 m_{t-1} + (1 - \beta_2)\, g_t, \quad m_0 = 0",
        ]
    )


register(
    Optimizer(
        name="lion",
        mirrors="lion_pytorch.Lion",
        elementwise=True,
        inspection=Inspection(velocity="exp_avg", symbols={"m_t": "exp_avg"}),
        hyperparameters=(
            learning_rate(1e-4),
            betas(0.9, 0.99),
            weight_decay(),
            flag("decoupled_weight_decay", False),
            flag("cautious", False),
        ),
        couples=is_cautious,
        init=lambda params, hp: LionState(0, zeros_like(params)),
        update=lion_update,
        rule=lion_rule,
    )
)
