r"""Adam and its variants: torch's Adam, AdamW, NAdam, RAdam and Adamax.

Each keeps a running mean of the gradients (the first moment, ``exp_avg``) and divides it by a
running scale of their size (a second moment ``exp_avg_sq``, or Adamax's infinity norm), both
corrected for starting from zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from optviz.core.hyperparameters import Hyperparameter, betas, eps, flag, learning_rate, number, weight_decay
from optviz.core.optimizers.base import HP, Inspection, KernelStep, Optimizer, register
from optviz.core.optimizers.shared import (
    FIRST_MOMENT,
    SECOND_MOMENT,
    aligned,
    apply_weight_decay,
    bias_correction,
    cautious,
    cautious_lines,
    decay_lines,
    is_cautious,
    l2_penalty,
    running_mean,
    running_square_mean,
)
from optviz.core.primitives import branch, maximum, nonzero, power, sqrt, zeros_like


def adam_hyperparameters(lr: float, decay: float = 0.0) -> tuple[Hyperparameter, ...]:
    """What every rule of the family takes first, in torch's order: lr, betas, eps and weight_decay."""
    return learning_rate(lr), betas(), eps(1e-8), weight_decay(decay)


# --------------------------------------------------------------------------------------------
# Adam and AdamW: bias-corrected first moment over the root of the second


class AdamState(NamedTuple):
    """Adam's and AdamW's state, as torch keeps it (``max_exp_avg_sq`` with amsgrad only)."""

    step: int
    exp_avg: np.ndarray  # (d, B) first moment m_t
    exp_avg_sq: np.ndarray  # (d, B) second moment v_t
    max_exp_avg_sq: np.ndarray | None  # (d, B) running max of v_t, with amsgrad


# Where the inspector finds the moments of Adam, NAdam and RAdam (and AMSGrad's running maximum).
MOMENTS = Inspection(
    velocity="exp_avg", symbols={"m_t": "exp_avg", "v_t": "exp_avg_sq"}, squares="exp_avg_sq", mean_decay="betas"
)
ADAM_INSPECTION = Inspection(
    velocity="exp_avg",
    symbols={**MOMENTS.symbols, r"v^{\max}_t": "max_exp_avg_sq"},
    squares="exp_avg_sq",
    mean_decay="betas",
)


def adam_init(params: np.ndarray, hp: HP) -> AdamState:
    zeros = zeros_like(params)
    return AdamState(0, zeros, zeros, zeros if hp["amsgrad"] else None)


def adam_step(
    params: np.ndarray, grad: np.ndarray, state: AdamState, hp: HP, decoupled: bool
) -> tuple[np.ndarray, AdamState]:
    r"""Adam's step (AdamW's when ``decoupled``): the bias-corrected first moment over the root of the second.

    It mirrors torch.optim.Adam, and torch.optim.AdamW when ``decoupled`` (``_single_tensor_adam``, the
    default foreach=False path, which both take):

    .. math::
        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)}, \beta_1, \beta_2 \text{ (betas)}, \epsilon,
            \lambda \text{ (weight decay)}, \textit{amsgrad}, \textit{decoupled}, \theta_0 \text{ (params)}, f \\
        &\textbf{initialise}: m_0 \leftarrow 0,\ v_0 \leftarrow 0,\ v^{\max}_0 \leftarrow 0 \\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        &\quad g_t \leftarrow \nabla f(\theta_{t-1}) \\
        &\quad \textbf{if}\ \lambda \neq 0\ \textbf{and}\ \textit{decoupled}:
            \ \theta_{t-1} \leftarrow \theta_{t-1}\,(1 - \gamma\lambda) \\
        &\quad \textbf{if}\ \lambda \neq 0\ \textbf{and not}\ \textit{decoupled}:
            \ g_t \leftarrow g_t + \lambda\,\theta_{t-1} \\
        &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        &\quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        &\quad \textbf{if}\ \textit{amsgrad}:\ v^{\max}_t \leftarrow \max(v^{\max}_{t-1}, v_t),
            \ \hat v_t \leftarrow v^{\max}_t\ \textbf{else}\ \hat v_t \leftarrow v_t \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\,
            \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}
        \end{aligned}

    :math:`\sqrt{1 - \beta_2^t}` is a Python float ``** 0.5`` in torch, not a square root.

    With ``cautious`` (which torch.optim has not), pytorch-optimizer 4.1.0's mask is applied to
    the update :math:`m_t / (\ldots + \epsilon)` before the rate multiplies it, against the
    gradient the moments took (after an L2 penalty): torch's ``addcdiv_`` split at its division,
    ``(m / d) \odot \phi`` then ``θ + (−γ / (1 − β_1^t))``: tests/torch_reference.py records it so.
    """
    lr, (beta1, beta2) = hp["lr"], hp["betas"]
    step = state.step + 1
    params, grad = apply_weight_decay(params, grad, hp, decoupled=decoupled)
    exp_avg = running_mean(state.exp_avg, grad, beta1)
    exp_avg_sq = running_square_mean(state.exp_avg_sq, grad, beta2)
    bias_correction2_sqrt = power(bias_correction(beta2, step), 0.5)  # torch: a Python float ** 0.5, not a sqrt
    step_size = lr / bias_correction(beta1, step)
    max_exp_avg_sq = state.max_exp_avg_sq
    if hp["amsgrad"]:
        max_exp_avg_sq = maximum(max_exp_avg_sq, exp_avg_sq)
        denom = sqrt(max_exp_avg_sq) / bias_correction2_sqrt + hp["eps"]
    else:
        denom = sqrt(exp_avg_sq) / bias_correction2_sqrt + hp["eps"]
    state = AdamState(step, exp_avg, exp_avg_sq, max_exp_avg_sq)
    if hp.get("cautious", False):  # torch's addcdiv_ with the mask between its division and its step
        return params - step_size * cautious(exp_avg / denom, grad), state
    return params - step_size * exp_avg / denom, state


def adam_update(params: np.ndarray, grad: np.ndarray, state: AdamState, hp: HP) -> tuple[np.ndarray, AdamState]:
    """torch.optim.Adam: :func:`adam_step`, its weight decay decoupled as ``decoupled_weight_decay`` says."""
    return adam_step(params, grad, state, hp, decoupled=hp["decoupled_weight_decay"])


def adamw_update(params: np.ndarray, grad: np.ndarray, state: AdamState, hp: HP) -> tuple[np.ndarray, AdamState]:
    """torch.optim.AdamW: :func:`adam_step` with decoupled weight decay."""
    return adam_step(params, grad, state, hp, decoupled=True)


def adam_kernel(params: np.ndarray, hp: HP) -> KernelStep | None:
    """:func:`adam_step` in place, without weight decay or amsgrad and with betas shared by the
    batch (lr and eps may be per trajectory): each operation of the rule, in its order, into
    preallocated buffers."""
    (beta1, beta2), lr, eps_ = hp["betas"], hp["lr"], hp["eps"]
    if hp["amsgrad"] or nonzero(hp["weight_decay"]) or not (isinstance(beta1, float) and isinstance(beta2, float)):
        return None
    if hp.get("cautious", False):  # its mask's sum couples the coordinates: the reference rule
        return None
    weight = 1 - beta1
    exp_avg, exp_avg_sq = np.zeros_like(params), np.zeros_like(params)
    scratch, update = np.empty_like(params), np.empty_like(params)
    count = 0

    def step(params: np.ndarray, grad: np.ndarray, out: np.ndarray) -> None:
        nonlocal count
        count += 1
        np.subtract(grad, exp_avg, out=scratch)  # exp_avg = lerp(exp_avg, grad, 1 - beta1)
        if abs(weight) < 0.5:
            np.multiply(scratch, weight, out=scratch)
            np.add(exp_avg, scratch, out=exp_avg)
        else:
            np.multiply(scratch, 1 - weight, out=scratch)
            np.subtract(grad, scratch, out=exp_avg)
        np.multiply(exp_avg_sq, beta2, out=exp_avg_sq)  # beta2 * exp_avg_sq + (1 - beta2) * grad * grad
        np.multiply(grad, 1 - beta2, out=scratch)
        np.multiply(scratch, grad, out=scratch)
        np.add(exp_avg_sq, scratch, out=exp_avg_sq)
        bias_correction2_sqrt = power(bias_correction(beta2, count), 0.5)
        step_size = lr / bias_correction(beta1, count)
        np.sqrt(exp_avg_sq, out=scratch)  # denom = sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
        np.divide(scratch, bias_correction2_sqrt, out=scratch)
        np.add(scratch, eps_, out=scratch)
        np.multiply(exp_avg, step_size, out=update)  # params - step_size * exp_avg / denom
        np.divide(update, scratch, out=update)
        np.subtract(params, update, out=out)

    return step


def adam_rule_for(decoupled: bool) -> Callable[[HP], str]:
    """Adam's rule as the page shows it; ``decoupled`` for AdamW, whose weight decay always is."""

    def rule(hp: HP) -> str:
        lines = [*decay_lines(hp, decoupled=decoupled or hp.get("decoupled_weight_decay", False))]
        lines += [FIRST_MOMENT, SECOND_MOMENT]
        v = r"v_t"
        if hp["amsgrad"]:
            lines.append(r"v^{\max}_t &= \max\left(v^{\max}_{t-1}, v_t\right)")
            v = r"v^{\max}_t"
        step = rf"\frac{{m_t}}{{\sqrt{{{v}}} / \sqrt{{1 - \beta_2^t}} + \epsilon}}"
        if hp.get("cautious", False):  # the mask on the update, against the gradient
            lines.append(rf"u_t &= {step}")
            lines += cautious_lines("u_t", "g_t")
            step = r"\phi_t \odot u_t"
        lines.append(rf"\theta_t &= \theta_{{t-1}} - \frac{{\gamma}}{{1 - \beta_1^t}}\, {step}")
        return aligned(lines)

    return rule


register(
    Optimizer(
        name="adam",
        mirrors="torch.optim.Adam",
        elementwise=True,
        inspection=ADAM_INSPECTION,
        hyperparameters=(
            *adam_hyperparameters(1e-3),
            flag("amsgrad", False),
            flag("decoupled_weight_decay", False),
            flag("cautious", False),
        ),
        couples=is_cautious,
        init=adam_init,
        update=adam_update,
        rule=adam_rule_for(decoupled=False),
        kernel=adam_kernel,
    )
)

register(
    Optimizer(
        name="adamw",
        mirrors="torch.optim.AdamW",
        elementwise=True,
        inspection=ADAM_INSPECTION,
        hyperparameters=(*adam_hyperparameters(1e-3, decay=1e-2), flag("amsgrad", False), flag("cautious", False)),
        couples=is_cautious,
        init=adam_init,
        update=adamw_update,
        rule=adam_rule_for(decoupled=True),
        kernel=adam_kernel,  # AdamW without weight decay is Adam
    )
)


# --------------------------------------------------------------------------------------------
# NAdam: Adam with Nesterov momentum, warmed up by torch's mu_t schedule


class NAdamState(NamedTuple):
    """NAdam's state: Adam's moments, and the product of the momentum schedule so far."""

    step: int
    mu_product: Any  # float, or (B,) with per-trajectory betas: product of mu_1 .. mu_t
    exp_avg: np.ndarray  # (d, B) m_t
    exp_avg_sq: np.ndarray  # (d, B) v_t


def nadam_update(params: np.ndarray, grad: np.ndarray, state: NAdamState, hp: HP) -> tuple[np.ndarray, NAdamState]:
    r"""NAdam's step: Adam with a Nesterov look-ahead, its momentum warmed up by torch's mu_t schedule.

    It mirrors torch.optim.NAdam (``_single_tensor_nadam``, the default foreach=False path):

    .. math::
        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)}, \beta_1, \beta_2 \text{ (betas)}, \epsilon,
            \lambda \text{ (weight decay)}, \psi \text{ (momentum decay)}, \textit{decoupled}, \theta_0, f \\
        &\textbf{initialise}: m_0 \leftarrow 0,\ v_0 \leftarrow 0,\ \textstyle\prod_{i=1}^{0} \mu_i = 1 \\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        &\quad g_t \leftarrow \nabla f(\theta_{t-1}) \\
        &\quad \textbf{if}\ \lambda \neq 0:\ \theta_{t-1} \leftarrow \theta_{t-1}\,(1 - \gamma\lambda)
            \ \text{if}\ \textit{decoupled}, \text{ else } g_t \leftarrow g_t + \lambda\,\theta_{t-1} \\
        &\quad \mu_t \leftarrow \beta_1 (1 - \tfrac12\, 0.96^{t\psi}),
            \ \mu_{t+1} \leftarrow \beta_1 (1 - \tfrac12\, 0.96^{(t+1)\psi}) \\
        &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1)\, g_t,
            \ v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        &\quad d_t \leftarrow \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \gamma\, \frac{1 - \mu_t}{1 - \prod_{i=1}^{t} \mu_i}\, \frac{g_t}{d_t}
            - \gamma\, \frac{\mu_{t+1}}{1 - \prod_{i=1}^{t+1} \mu_i}\, \frac{m_t}{d_t}
        \end{aligned}

    The two terms are added to the parameters one after the other, as torch's two ``addcdiv_``.
    """
    lr, (beta1, beta2), psi = hp["lr"], hp["betas"], hp["momentum_decay"]
    step = state.step + 1
    bias_correction2 = bias_correction(beta2, step)
    params, grad = apply_weight_decay(params, grad, hp, decoupled=hp["decoupled_weight_decay"])
    mu = beta1 * (1.0 - 0.5 * power(0.96, step * psi))
    mu_next = beta1 * (1.0 - 0.5 * power(0.96, (step + 1) * psi))
    mu_product = state.mu_product * mu
    exp_avg = running_mean(state.exp_avg, grad, beta1)
    exp_avg_sq = running_square_mean(state.exp_avg_sq, grad, beta2)
    denom = sqrt(exp_avg_sq / bias_correction2) + hp["eps"]
    mu_product_next = mu_product * mu_next
    params = params + (-lr * (1.0 - mu) / (1.0 - mu_product)) * grad / denom
    params = params + (-lr * mu_next / (1.0 - mu_product_next)) * exp_avg / denom
    return params, NAdamState(step, mu_product, exp_avg, exp_avg_sq)


def nadam_rule(hp: HP) -> str:
    return aligned(
        [
            *decay_lines(hp, decoupled=hp["decoupled_weight_decay"]),
            r"\mu_t &= \beta_1 \left(1 - \tfrac12\, 0.96^{t \psi}\right)",
            FIRST_MOMENT,
            SECOND_MOMENT,
            r"d_t &= \sqrt{v_t / (1 - \beta_2^t)} + \epsilon",
            (
                r"\theta_t &= \theta_{t-1} - \gamma\, \frac{1 - \mu_t}{1 - \prod_{i=1}^{t} \mu_i}\, \frac{g_t}{d_t}"
                r" - \gamma\, \frac{\mu_{t+1}}{1 - \prod_{i=1}^{t+1} \mu_i}\, \frac{m_t}{d_t}"
            ),
        ]
    )


register(
    Optimizer(
        name="nadam",
        mirrors="torch.optim.NAdam",
        elementwise=True,
        inspection=MOMENTS,
        hyperparameters=(
            *adam_hyperparameters(2e-3),
            number("momentum_decay", 4e-3, symbol=r"\psi", ui=(0.0, 0.1)),
            flag("decoupled_weight_decay", False),
        ),
        init=lambda params, hp: NAdamState(0, 1.0, zeros_like(params), zeros_like(params)),
        update=nadam_update,
        rule=nadam_rule,
    )
)


# --------------------------------------------------------------------------------------------
# RAdam: plain momentum steps until the second moment can be trusted, then rectified ones


class RAdamState(NamedTuple):
    """RAdam's state: the moments, which its rectification reads from the sixth step or so."""

    step: int
    exp_avg: np.ndarray  # (d, B) first moment m_t, bias-corrected only when used
    exp_avg_sq: np.ndarray  # (d, B) second moment v_t, read once rho_t > 5


def radam_update(params: np.ndarray, grad: np.ndarray, state: RAdamState, hp: HP) -> tuple[np.ndarray, RAdamState]:
    r"""RAdam's step: momentum alone while the second moment rests on too few gradients, rectified Adam after.

    It mirrors torch.optim.RAdam (``_single_tensor_radam``, the default foreach=False path):

    .. math::
        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)}, \beta_1, \beta_2 \text{ (betas)}, \epsilon,
            \lambda \text{ (weight decay)}, \textit{decoupled}, \theta_0 \text{ (params)}, f \\
        &\textbf{initialise}: m_0 \leftarrow 0,\ v_0 \leftarrow 0,\ \rho_\infty \leftarrow 2 / (1 - \beta_2) - 1 \\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        &\quad g_t \leftarrow \nabla f(\theta_{t-1}) \\
        &\quad \textbf{if}\ \lambda \neq 0:\ \theta_{t-1} \leftarrow \theta_{t-1}\,(1 - \gamma\lambda)
            \ \text{if}\ \textit{decoupled}, \text{ else } g_t \leftarrow g_t + \lambda\,\theta_{t-1} \\
        &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1)\, g_t,
            \ v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        &\quad \hat m_t \leftarrow m_t / (1 - \beta_1^t),
            \ \rho_t \leftarrow \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t) \\
        &\quad \textbf{if}\ \rho_t > 5: \\
        &\qquad r_t \leftarrow \sqrt{(\rho_t - 4)(\rho_t - 2)\rho_\infty / ((\rho_\infty - 4)(\rho_\infty - 2)\rho_t)} \\
        &\qquad \theta_t \leftarrow \theta_{t-1} - \gamma\, \hat m_t\, r_t \sqrt{1 - \beta_2^t} / (\sqrt{v_t} + \epsilon) \\
        &\quad \textbf{else}:\ \theta_t \leftarrow \theta_{t-1} - \gamma\, \hat m_t
        \end{aligned}
    """
    lr, (beta1, beta2), eps_ = hp["lr"], hp["betas"], hp["eps"]
    step = state.step + 1
    params, grad = apply_weight_decay(params, grad, hp, decoupled=hp["decoupled_weight_decay"])
    exp_avg = running_mean(state.exp_avg, grad, beta1)
    exp_avg_sq = running_square_mean(state.exp_avg_sq, grad, beta2)
    beta2_t = power(beta2, step)
    bias_correction2 = 1 - beta2_t
    bias_corrected_exp_avg = exp_avg / bias_correction(beta1, step)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * beta2_t / bias_correction2
    plain = bias_corrected_exp_avg * lr

    def rectified() -> np.ndarray:
        # torch takes these roots as Python float ** 0.5, and its float / tensor is
        # tensor.reciprocal() * float: a reciprocal then a product, not one division.
        rect = power((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5)
        adaptive_lr = 1.0 / (sqrt(exp_avg_sq) + eps_) * power(bias_correction2, 0.5)
        return bias_corrected_exp_avg * lr * adaptive_lr * rect

    update = branch(rho_t > 5.0, rectified, lambda: plain)
    return params - update, RAdamState(step, exp_avg, exp_avg_sq)


def radam_rule(hp: HP) -> str:
    return aligned(
        [
            *decay_lines(hp, decoupled=hp["decoupled_weight_decay"]),
            FIRST_MOMENT,
            SECOND_MOMENT,
            (
                r"\rho_\infty &= \tfrac{2}{1 - \beta_2} - 1, \quad "
                r"\rho_t = \rho_\infty - \tfrac{2 t \beta_2^t}{1 - \beta_2^t}"
            ),
            r"r_t &= \sqrt{\tfrac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}",
            (
                r"\theta_t &= \theta_{t-1} - \gamma\, \frac{m_t}{1 - \beta_1^t} \cdot "
                r"\begin{cases} r_t \sqrt{1 - \beta_2^t} / (\sqrt{v_t} + \epsilon) & \rho_t > 5 \\ 1 & \rho_t \le 5 \end{cases}"
            ),
        ]
    )


register(
    Optimizer(
        name="radam",
        mirrors="torch.optim.RAdam",
        elementwise=True,
        inspection=MOMENTS,
        hyperparameters=(*adam_hyperparameters(1e-3), flag("decoupled_weight_decay", False)),
        init=lambda params, hp: RAdamState(0, zeros_like(params), zeros_like(params)),
        update=radam_update,
        rule=radam_rule,
    )
)


# --------------------------------------------------------------------------------------------
# Adamax: the second moment replaced by a decaying maximum


class AdamaxState(NamedTuple):
    """Adamax's state: the first moment and, in place of the second, the infinity norm."""

    step: int
    exp_avg: np.ndarray  # (d, B) first moment m_t
    exp_inf: np.ndarray  # (d, B) exponentially weighted infinity norm u_t


def adamax_update(params: np.ndarray, grad: np.ndarray, state: AdamaxState, hp: HP) -> tuple[np.ndarray, AdamaxState]:
    r"""Adamax's step: Adam with the root mean square replaced by a decaying maximum of the gradient's size.

    It mirrors torch.optim.Adamax (``_single_tensor_adamax``, the default foreach=False path):

    .. math::
        \begin{aligned}
        &\textbf{input}: \gamma \text{ (lr)}, \beta_1, \beta_2 \text{ (betas)}, \epsilon,
            \lambda \text{ (weight decay)}, \theta_0 \text{ (params)}, f \\
        &\textbf{initialise}: m_0 \leftarrow 0,\ u_0 \leftarrow 0 \text{ (infinity norm)} \\
        &\textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        &\quad g_t \leftarrow \nabla f(\theta_{t-1}) \\
        &\quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda\,\theta_{t-1} \\
        &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        &\quad u_t \leftarrow \max(\beta_2 u_{t-1}, |g_t| + \epsilon) \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\, \frac{m_t}{u_t}
        \end{aligned}
    """
    beta1, beta2 = hp["betas"]
    step = state.step + 1
    grad = l2_penalty(grad, params, hp)
    exp_avg = running_mean(state.exp_avg, grad, beta1)
    exp_inf = maximum(beta2 * state.exp_inf, abs(grad) + hp["eps"])
    clr = hp["lr"] / bias_correction(beta1, step)
    return params - clr * exp_avg / exp_inf, AdamaxState(step, exp_avg, exp_inf)


def adamax_rule(hp: HP) -> str:
    return aligned(
        [
            *decay_lines(hp),
            FIRST_MOMENT,
            r"u_t &= \max\left(\beta_2 u_{t-1},\, |g_t| + \epsilon\right)",
            r"\theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\, \frac{m_t}{u_t}",
        ]
    )


register(
    Optimizer(
        name="adamax",
        mirrors="torch.optim.Adamax",
        elementwise=True,
        inspection=Inspection(
            velocity="exp_avg", symbols={"m_t": "exp_avg", "u_t": "exp_inf"}, squares="exp_inf", mean_decay="betas"
        ),
        hyperparameters=adam_hyperparameters(2e-3),
        init=lambda params, hp: AdamaxState(0, zeros_like(params), zeros_like(params)),
        update=adamax_update,
        rule=adamax_rule,
    )
)
