r"""Adam's recent variants, as pytorch-optimizer 4.1.0 writes them: ADOPT and AdEMAMix.

ADOPT divides the gradient by the root of the second moment *before* this gradient entered it
(:math:`v_{t-1}`), then takes the momentum of that, clipped; AdEMAMix adds to Adam's momentum a
second, much slower one. Both take pytorch-optimizer's weight decay (coupled, decoupled, or
decoupled and fixed) and its ``cautious`` option, which keeps only the coordinates where the
update agrees in sign with the gradient and rescales them by the number of coordinates over
one more than the number kept: that sum couples the coordinates (``Optimizer.couples``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.core.hyperparameters import betas, eps, flag, learning_rate, number, pair, weight_decay
from optviz.core.optimizers.base import HP, Constraint, Inspection, Optimizer, register
from optviz.core.optimizers.shared import (
    aligned,
    apply_weight_decay,
    bias_correction,
    cautious,
    cautious_lines,
    decay_lines,
    is_cautious,
    running_mean,
    running_square_mean,
)
from optviz.core.primitives import branch, clamp, exp, log, maximum, minimum, nonzero, power, sqrt, zeros_like

# --------------------------------------------------------------------------------------------
# What both share: pytorch-optimizer's weight decay (its cautious mask is optviz.core.optimizers.shared's)


def decay(params: np.ndarray, grad: np.ndarray, hp: HP) -> tuple[np.ndarray, np.ndarray]:
    """pytorch-optimizer's ``apply_weight_decay``: the shared one, with its two switches."""
    return apply_weight_decay(params, grad, hp, decoupled=hp["weight_decouple"], fixed=hp["fixed_decay"])


def decay_rule(hp: HP) -> list[str]:
    return decay_lines(hp, decoupled=hp["weight_decouple"], fixed=hp["fixed_decay"])


def decay_settings() -> tuple:
    return (weight_decay(), flag("weight_decouple", False), flag("fixed_decay", False))


# --------------------------------------------------------------------------------------------
# ADOPT: Adam's moments in the other order, so the step never divides by its own gradient


class ADOPTState(NamedTuple):
    """ADOPT's state: the steps taken, the momentum of the normalised gradients and the
    second moment of the raw ones."""

    step: int
    exp_avg: np.ndarray  # (d, B) m_t
    exp_avg_sq: np.ndarray  # (d, B) v_t


def adopt_update(params: np.ndarray, grad: np.ndarray, state: ADOPTState, hp: HP) -> tuple[np.ndarray, ADOPTState]:
    r"""ADOPT's step. It mirrors pytorch-optimizer 4.1.0's ``ADOPT`` (its foreach path, which it
    takes on the CPU by default, and its per-parameter path, which it takes with ``cautious``:
    the same arithmetic), with its default clip :math:`t^{1/4}`:

    .. math::
        \begin{aligned}
        &t = 1: \quad v_1 \leftarrow g_1^2 \quad (\text{no step}) \\
        &t > 1: \quad \hat g_t \leftarrow \operatorname{clip}\left(g_t / \max(\sqrt{v_{t-1}}, \epsilon),\ \pm t^{1/4}\right),
            \quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1)\, \hat g_t \\
        &\qquad \theta_t \leftarrow \theta_{t-1} - \gamma\, m_t, \quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2
        \end{aligned}

    Dividing by :math:`v_{t-1}`, which does not hold :math:`g_t`, is what makes it converge for
    any :math:`\beta_2` (kozistr/pytorch_optimizer#347 fixed a version that used :math:`v_t`).
    """
    beta1, beta2 = hp["betas"]
    step = state.step + 1
    params, grad = decay(params, grad, hp)
    if step == 1:  # exp_avg_sq.addcmul_(grad, grad): the second moment starts, nothing moves
        return params, ADOPTState(step, state.exp_avg, state.exp_avg_sq + grad * grad)
    normed = grad / maximum(sqrt(state.exp_avg_sq), hp["eps"])
    clip = power(float(step), 0.25)
    normed = clamp(normed, -clip, clip)
    exp_avg = running_mean(state.exp_avg, normed, beta1)
    update = cautious(exp_avg, normed) if hp["cautious"] else exp_avg
    params = params + (-hp["lr"]) * update
    return params, ADOPTState(step, exp_avg, running_square_mean(state.exp_avg_sq, grad, beta2))


def adopt_rule(hp: HP) -> str:
    step = r"\theta_t &= \theta_{t-1} - \gamma\, m_t"
    lines = []
    if hp["cautious"]:
        lines = cautious_lines("m_t", r"\hat g_t")
        step = r"\theta_t &= \theta_{t-1} - \gamma\, \phi_t\, m_t"
    return aligned(
        [
            *decay_rule(hp),
            (
                r"\hat g_t &= \operatorname{clip}\!\left(g_t / \max\!\left(\sqrt{v_{t-1}}, \epsilon\right),"
                r"\ \pm t^{1/4}\right), \quad t \ge 2"
            ),
            r"m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, \hat g_t, \quad m_0 = 0",
            *lines,
            step,
            r"v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \quad v_1 = g_1^2,\ \theta_1 = \theta_0",
        ]
    )


register(
    Optimizer(
        name="adopt",
        mirrors="pytorch_optimizer.ADOPT",
        elementwise=True,
        couples=is_cautious,
        inspection=Inspection(velocity="exp_avg", symbols={"m_t": "exp_avg", "v_t": "exp_avg_sq"}),
        hyperparameters=(
            learning_rate(1e-3),
            betas(0.9, 0.9999),
            *decay_settings(),
            eps(1e-6),
            flag("cautious", False),
        ),
        init=lambda params, hp: ADOPTState(0, zeros_like(params), zeros_like(params)),
        update=adopt_update,
        rule=adopt_rule,
    )
)


# --------------------------------------------------------------------------------------------
# AdEMAMix: Adam plus a slow momentum, mixed in by alpha


class AdEMAMixState(NamedTuple):
    """AdEMAMix's state: the steps taken, Adam's two moments and the slow momentum."""

    step: int
    exp_avg: np.ndarray  # (d, B) m_t, decayed by beta1
    exp_avg_sq: np.ndarray  # (d, B) v_t
    exp_avg_slow: np.ndarray  # (d, B) s_t, decayed by beta3


def ademamix_schedules(hp: HP, step: int) -> tuple:
    r""":math:`\alpha_t` and :math:`\beta_{3,t}` as pytorch-optimizer's ``schedule_alpha`` and
    ``schedule_beta3`` compute them in Python floats; ``t_alpha_beta3`` 0 is its None (no warmup)."""
    beta1, _, beta3 = hp["betas"]
    alpha, warmup = hp["alpha"], hp["t_alpha_beta3"]
    alpha_t = branch(warmup != 0.0, lambda: minimum(step * alpha / warmup, alpha), lambda: alpha)

    def warming() -> object:
        log_beta1, log_beta3 = log(beta1), log(beta3)
        ratio = step / warmup
        return minimum(exp(log_beta1 * log_beta3 / ((1.0 - ratio) * log_beta3 + ratio * log_beta1)), beta3)

    return alpha_t, branch(warmup != 0.0, warming, lambda: beta3)


def ademamix_update(
    params: np.ndarray, grad: np.ndarray, state: AdEMAMixState, hp: HP
) -> tuple[np.ndarray, AdEMAMixState]:
    r"""AdEMAMix's step. It mirrors pytorch-optimizer 4.1.0's ``AdEMAMix`` (its foreach path,
    the CPU's default, and its per-parameter one compute the same):

    .. math::
        \begin{aligned}
        &m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2,
            \quad s_t \leftarrow \beta_{3,t}\, s_{t-1} + (1 - \beta_{3,t})\, g_t \\
        &\theta_t \leftarrow \theta_{t-1} - \gamma\, \frac{m_t / (1 - \beta_1^t) + \alpha_t s_t}{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon}
        \end{aligned}

    where :math:`\alpha_t` and :math:`\beta_{3,t}` warm up over ``t_alpha_beta3`` steps (α linearly
    from 0; β₃ from β₁, along the half-lives' straight line) and are α and β₃ without it.
    """
    beta1, beta2, _ = hp["betas"]
    step = state.step + 1
    alpha_t, beta3_t = ademamix_schedules(hp, step)
    params, grad = decay(params, grad, hp)
    exp_avg = running_mean(state.exp_avg, grad, beta1)
    exp_avg_sq = running_square_mean(state.exp_avg_sq, grad, beta2)
    exp_avg_slow = running_mean(state.exp_avg_slow, grad, beta3_t)
    denom = sqrt(exp_avg_sq) / sqrt(bias_correction(beta2, step)) + hp["eps"]
    update = (cautious(exp_avg, grad) if hp["cautious"] else exp_avg) / bias_correction(beta1, step)
    update = update + alpha_t * exp_avg_slow
    params = params + (-hp["lr"]) * update / denom  # addcdiv_(update, denom, value=-lr): (value * t1) / t2
    return params, AdEMAMixState(step, exp_avg, exp_avg_sq, exp_avg_slow)


def ademamix_rule(hp: HP) -> str:
    warm = nonzero(hp["t_alpha_beta3"])
    alpha = r"\alpha_t" if warm else r"\alpha"
    beta3 = r"\beta_{3,t}" if warm else r"\beta_3"
    lines = [
        *decay_rule(hp),
        r"m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t",
        r"v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2",
        rf"s_t &= {beta3}\, s_{{t-1}} + (1 - {beta3})\, g_t, \quad m_0 = v_0 = s_0 = 0",
    ]
    if warm:
        lines.append(
            r"\alpha_t &= \min\!\left(\alpha,\ \alpha t / T\right), \quad \beta_{3,t} = \min\!\left(\beta_3,\ "
            r"\exp \frac{\ln\beta_1 \ln\beta_3}{(1 - t/T) \ln\beta_3 + (t/T) \ln\beta_1}\right)"
        )
    first = r"m_t"
    if hp["cautious"]:
        lines += cautious_lines("m_t", "g_t")
        first = r"\phi_t\, m_t"
    lines.append(
        rf"\theta_t &= \theta_{{t-1}} - \gamma\, \frac{{{first} / (1 - \beta_1^t) + {alpha}\, s_t}}"
        r"{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon}"
    )
    return aligned(lines)


def ademamix_betas() -> object:
    """AdEMAMix's three betas: Adam's two and the slow momentum's."""
    beta1, beta2 = betas(0.9, 0.999).parts
    beta3 = number(
        "beta3",
        0.9999,
        symbol=r"\beta_3",
        label="beta parameter at index 2",
        high=1.0,
        high_open=True,
        ui=(0.9, 0.99999),
    )
    return pair("betas", beta1, beta2, beta3)


# The warmup of beta3 interpolates the logarithms of beta1 and beta3: the reference raises a
# math domain error for either of 0 (NumPy would give NaN, a run that seems to diverge).
WARMUP_NEEDS_BETAS = Constraint(
    rule="ademamix_warmup_betas",
    holds=lambda hp: bool(
        np.all(
            (np.asarray(hp["t_alpha_beta3"]) == 0)
            | ((np.asarray(hp["betas"][0]) > 0) & (np.asarray(hp["betas"][2]) > 0))
        )
    ),
    repair="warmup_off",
    fix=lambda hp: {**hp, "t_alpha_beta3": 0.0},
)

register(
    Optimizer(
        name="ademamix",
        mirrors="pytorch_optimizer.AdEMAMix",
        elementwise=True,
        couples=is_cautious,
        inspection=Inspection(
            velocity="exp_avg",
            symbols={"m_t": "exp_avg", "v_t": "exp_avg_sq", "s_t": "exp_avg_slow"},
            squares="exp_avg_sq",
            mean_decay="betas",
        ),
        hyperparameters=(
            learning_rate(1e-3),
            ademamix_betas(),
            *decay_settings(),
            number("alpha", 5.0, symbol=r"\alpha", ui=(0.0, 20.0)),
            # The reference's None (no warmup) is 0 here: a number in a link and on the page.
            number("t_alpha_beta3", 0.0, symbol="T", ui=(0.0, 10_000.0)),
            eps(1e-8),
            flag("cautious", False),
        ),
        constraints=(WARMUP_NEEDS_BETAS,),
        init=lambda params, hp: AdEMAMixState(0, zeros_like(params), zeros_like(params), zeros_like(params)),
        update=ademamix_update,
        rule=ademamix_rule,
    )
)
