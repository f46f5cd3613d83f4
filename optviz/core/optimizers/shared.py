r"""The pieces several update rules share, each written once: in the code and in the LaTeX shown.

Each helper is one expression of torch's, operation for operation (see the package's
conventions), so a rule that calls it gives the bits it gave when it wrote the expression out.
"""

from __future__ import annotations

import numpy as np

from optviz.core.optimizers.base import HP
from optviz.core.primitives import lerp, nonzero, power, where


def l2_penalty(grad: np.ndarray, params: np.ndarray, hp: HP) -> np.ndarray:
    r"""L2 weight decay folded into the gradient: :math:`g_t \leftarrow g_t + \lambda\,\theta_{t-1}`."""
    return grad + hp["weight_decay"] * params if nonzero(hp["weight_decay"]) else grad


def apply_weight_decay(
    params: np.ndarray, grad: np.ndarray, hp: HP, *, decoupled: bool, fixed: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    r"""``(params, grad)`` after weight decay: decoupled, the parameters shrink first,
    :math:`\theta_{t-1} \leftarrow \theta_{t-1} (1 - \gamma\lambda)` (AdamW), or by
    :math:`1 - \lambda` whatever the rate when ``fixed`` (pytorch-optimizer's ``fixed_decay``);
    else :func:`l2_penalty`."""
    if decoupled and nonzero(hp["weight_decay"]):
        return params * (1 - (1.0 if fixed else hp["lr"]) * hp["weight_decay"]), grad
    return params, l2_penalty(grad, params, hp)


def coordinate_sum(values: np.ndarray) -> np.ndarray:
    """Each point's sum over its coordinates (axis 0), in coordinate order: torch's sum (or dot
    product) of a point's two coordinates, for a rule that couples them (Adafactor's norms,
    Prodigy's estimate)."""
    total = values[0]
    for row in values[1:]:
        total = total + row
    return total


def running_mean(average: np.ndarray, value: np.ndarray, decay: float) -> np.ndarray:
    r""":math:`\beta\, a + (1 - \beta)\, x` as torch's ``lerp_``: a first moment (Adam's ``exp_avg``)."""
    return lerp(average, value, 1 - decay)


def running_square_mean(average: np.ndarray, value: np.ndarray, decay: float) -> np.ndarray:
    r""":math:`\beta\, a + (1 - \beta)\, x^2` as torch's ``mul_(beta).addcmul_(x, x, value=1 - beta)``:
    a second moment (Adam's ``exp_avg_sq``, RMSprop's and Adadelta's ``square_avg``)."""
    return decay * average + (1 - decay) * value * value


def bias_correction(beta: float, step: int) -> float:
    r""":math:`1 - \beta^t`, what a running mean started at zero is short of at step :math:`t`."""
    return 1 - power(beta, step)


# pytorch-optimizer's cautious mask (its ADOPT, AdEMAMix and Lion; Adam and AdamW with it)


def cautious(update: np.ndarray, direction: np.ndarray) -> np.ndarray:
    r"""pytorch-optimizer's ``apply_cautious``: ``update`` where it agrees in sign with
    ``direction``, 0 elsewhere, times :math:`d / (1 + n)` (d coordinates, n of them kept). Its
    ``numel() / (sum + 1)`` is a number over a tensor, which torch computes as
    ``(sum + 1).reciprocal() * numel``. The sum runs over a point's coordinates (axis 0)."""
    mask = where(update * direction > 0.0, 1.0, 0.0)
    return update * (mask * ((1.0 / (mask.sum(axis=0) + 1.0)) * mask.shape[0]))


def is_cautious(hp: HP) -> bool:
    return bool(hp["cautious"])


# -------------------------------------------------------------------------- the LaTeX shown


def aligned(lines: list[str]) -> str:
    """A rule shown on the page: the gradient, then ``lines``, one equation a line."""
    body = " \\\\\n".join([r"g_t &= \nabla f(\theta_{t-1})", *lines])
    return "\\begin{aligned}\n" + body + "\n\\end{aligned}"


def decay_lines(hp: HP, decoupled: bool = False, fixed: bool = False) -> list[str]:
    """The weight decay's line of a rule, when there is weight decay (``fixed``: decoupled and
    not scaled by the rate, pytorch-optimizer's ``fixed_decay``)."""
    if not nonzero(hp["weight_decay"]):
        return []
    if decoupled:
        rate = "" if fixed else r"\gamma"
        return [rf"\theta_{{t-1}} &\leftarrow \theta_{{t-1}}\,(1 - {rate}\lambda)"]
    return [r"g_t &\leftarrow g_t + \lambda\,\theta_{t-1}"]


# The first and second moments of the Adam family's rules.
FIRST_MOMENT = r"m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t"
SECOND_MOMENT = r"v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2"


def cautious_lines(update: str, direction: str) -> list[str]:
    r"""The cautious mask's lines: :math:`\phi_t` keeps the coordinates where ``update`` and
    ``direction`` agree."""
    return [
        (
            rf"\phi_t &= \begin{{cases}} d / (1 + n_t) & {update}\, {direction} > 0 \\ "
            rf"0 & {update}\, {direction} \le 0 \end{{cases}}"
        ),
    ]
