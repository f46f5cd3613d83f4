r"""Rules that estimate their own step size: Prodigy (prodigyopt 1.1.2).

Prodigy is Adam whose learning rate is multiplied by :math:`d`, an estimate of the distance
from the start to the solution that only grows: it compares how far the point has moved
against the gradients seen on the way (their weighted sum :math:`s`). :math:`d` starts tiny
(``d0``) and rises within a few steps to the scale the surface asks for, so ``lr`` stays 1.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.core.hyperparameters import betas, eps, flag, learning_rate, number, weight_decay
from optviz.core.optimizers.base import HP, Constraint, Inspection, Optimizer, register
from optviz.core.optimizers.shared import aligned, coordinate_sum, decay_lines, l2_penalty
from optviz.core.primitives import copy, nonzero, power, sqrt, where, zeros_like


class ProdigyState(NamedTuple):
    """Prodigy's state: per trajectory, the steps taken (a step without any gradient does not
    count, as the reference returns early), the estimate d, its largest value and the
    numerator of its next estimate; per coordinate, the start, the weighted sum of gradients s
    and Adam's two moments, scaled by d."""

    k: Any  # float, or (B,)
    d: Any  # float, or (B,)
    d_max: Any  # float, or (B,)
    d_numerator: Any  # float, or (B,)
    p0: np.ndarray  # (d, B) the start
    s: np.ndarray  # (d, B)
    exp_avg: np.ndarray  # (d, B)
    exp_avg_sq: np.ndarray  # (d, B)


def prodigy_init(params: np.ndarray, hp: HP) -> ProdigyState:
    d0 = hp["d0"]
    return ProdigyState(0.0, d0, d0, 0.0, copy(params), zeros_like(params), zeros_like(params), zeros_like(params))


def prodigy_update(
    params: np.ndarray, grad: np.ndarray, state: ProdigyState, hp: HP
) -> tuple[np.ndarray, ProdigyState]:
    r"""Prodigy's step. It mirrors prodigyopt 1.1.2's ``Prodigy.step`` (one parameter group,
    ``growth_rate`` inf, ``slice_p`` 1); ``beta3`` 0 is its None, :math:`\sqrt{\beta_2}`:

    .. math::
        \begin{aligned}
        &\hat\gamma_t \leftarrow d_{t-1}\, \gamma \quad (\times \sqrt{1 - \beta_2^t} / (1 - \beta_1^t)
            \text{ with bias correction}) \\
        &m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1)\, d_{t-1}\, g_t, \quad
            v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2)\, d_{t-1}^2\, g_t^2 \\
        &s_t \leftarrow \beta_3 s_{t-1} + (d_{t-1} / d_0)\, \hat\gamma_t\, g_t, \quad
            r_t \leftarrow \beta_3 r_{t-1} + (d_{t-1} / d_0)\, \hat\gamma_t\, \langle g_t, \theta_0 - \theta_{t-1}\rangle \\
        &d_t \leftarrow \max\left(d_{t-1},\ d_{\rm coef}\, r_t / \lVert s_t \rVert_1\right) \\
        &\theta_t \leftarrow \theta_{t-1} - \hat\gamma_t\, m_t / (\sqrt{v_t} + d_t\, \epsilon)
        \end{aligned}

    With ``growth_rate`` inf the reference's :math:`d_t` is the largest estimate so far. The dot
    product and the sums run over a point's coordinates, so the rule couples them. A step
    whose :math:`\lVert s_t \rVert_1` is 0 (no gradient yet) moves nothing and does not count:
    the reference returns before its update (its moments and s have moved already).
    """
    beta1, beta2 = hp["betas"]
    beta3 = where(hp["beta3"] == 0.0, sqrt(beta2), hp["beta3"])
    k, d, d0, lr = state.k, state.d, hp["d0"], hp["lr"]
    if hp["use_bias_correction"]:
        bias_correction = power(1 - power(beta2, k + 1), 0.5) / (1 - power(beta1, k + 1))
    else:
        bias_correction = 1
    dlr = d * lr * bias_correction
    decay = hp["weight_decay"]
    if not hp["decouple"]:
        grad = l2_penalty(grad, params, hp)
    delta_numerator = (d / d0) * dlr * coordinate_sum(grad * (state.p0 - params))  # torch.dot(grad, p0 - p)
    exp_avg = state.exp_avg * beta1 + (d * (1 - beta1)) * grad
    exp_avg_sq = state.exp_avg_sq * beta2 + (d * d * (1 - beta2)) * grad * grad
    s = state.s * beta3 + ((d / d0) * (d if hp["safeguard_warmup"] else dlr)) * grad
    d_denom = coordinate_sum(abs(s))
    numerator = state.d_numerator * beta3 + delta_numerator
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 / 0 where nothing moved: not taken
        d_hat = hp["d_coef"] * numerator / d_denom
    d_max = where(d_hat > state.d_max, d_hat, state.d_max)  # Python's max(d_max, d_hat)
    new_d = d_max  # min(d_max, d * growth_rate) with growth_rate inf
    denom = sqrt(exp_avg_sq) + new_d * hp["eps"]
    stepped = params
    if nonzero(decay) and hp["decouple"]:
        stepped = stepped + (-decay * dlr) * stepped
    # beta1 0: the reference keeps no momentum and steps along the gradient, d times over.
    stepped = where(beta1 > 0, stepped + (-dlr) * exp_avg / denom, stepped + (-dlr * new_d) * grad / denom)
    moved = d_denom != 0.0
    kept = ProdigyState(
        where(moved, k + 1, k),
        where(moved, new_d, d),
        where(moved, d_max, state.d_max),
        where(moved, numerator, state.d_numerator),
        state.p0,
        s,
        exp_avg,
        exp_avg_sq,
    )
    return where(moved, stepped, params), kept


def prodigy_rule(hp: HP) -> str:
    correction = r" \sqrt{1 - \beta_2^t} \big/ (1 - \beta_1^t)" if hp["use_bias_correction"] else ""
    scale = r"d_{t-1}" if hp["safeguard_warmup"] else r"\hat\gamma_t"
    beta3 = r"\sqrt{\beta_2}" if not nonzero(hp["beta3"]) else r"\beta_3"
    lines = [] if hp["decouple"] else decay_lines(hp)  # decoupled: its own line, below
    lines += [
        rf"\hat\gamma_t &= d_{{t-1}}\, \gamma{correction}",
        r"m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, d_{t-1}\, g_t, \quad v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, d_{t-1}^2\, g_t^2",
        rf"s_t &= {beta3}\, s_{{t-1}} + (d_{{t-1}} / d_0)\, {scale}\, g_t",
        rf"r_t &= {beta3}\, r_{{t-1}} + (d_{{t-1}} / d_0)\, \hat\gamma_t\, g_t \cdot (\theta_0 - \theta_{{t-1}})",
        r"d_t &= \max\!\left(d_{t-1},\ d_{\rm coef}\, r_t / \lVert s_t \rVert_1\right)",
    ]
    if nonzero(hp["weight_decay"]) and hp["decouple"]:
        lines.append(r"\theta_{t-1} &\leftarrow \theta_{t-1}\,(1 - \lambda \hat\gamma_t)")
    lines.append(r"\theta_t &= \theta_{t-1} - \hat\gamma_t\, m_t \big/ \left(\sqrt{v_t} + d_t\, \epsilon\right)")
    return aligned(lines)


# d's estimates are relative to d0 (d / d0): the reference refuses a d0 of 0.
D0_POSITIVE = Constraint(
    rule="prodigy_d0_positive",
    holds=lambda hp: bool(np.all(np.asarray(hp["d0"]) > 0)),
    repair="d0_default",
    fix=lambda hp: {**hp, "d0": 1e-6},
)

register(
    Optimizer(
        name="prodigy",
        mirrors="prodigyopt.Prodigy",
        elementwise=False,  # d comes from a dot product and a sum over the coordinates
        inspection=Inspection(
            velocity="exp_avg",
            symbols={"d_t": "d", "r_t": "d_numerator", "m_t": "exp_avg", "v_t": "exp_avg_sq", "s_t": "s"},
            plotted="d_t",  # how the estimate grows: the step inspector draws it over the steps
            scalars=("d_t", "r_t"),  # one estimate per trajectory
        ),
        hyperparameters=(
            learning_rate(1.0),
            betas(0.9, 0.999),
            # The reference's None (the root of beta2) is 0 here: a number in a link and on the page.
            number("beta3", 0.0, symbol=r"\beta_3", high=1.0, high_open=True, ui=(0.0, 0.9999)),
            eps(1e-8),
            weight_decay(),
            flag("decouple", True),
            flag("use_bias_correction", False),
            flag("safeguard_warmup", False),
            number("d0", 1e-6, symbol="d_0", ui=(1e-8, 1e-2), log=True),
            number("d_coef", 1.0, symbol=r"d_{\rm coef}", ui=(0.1, 10.0), log=True),
        ),
        constraints=(D0_POSITIVE,),
        init=prodigy_init,
        update=prodigy_update,
        rule=prodigy_rule,
    )
)
