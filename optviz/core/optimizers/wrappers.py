r"""Rules around another optimizer: SAM (pytorch-optimizer 4.1.0's ``SAM``). WORK IN PROGRESS:
the step is here and checked against the reference (scripts in the note of stop 29); its
registration waits for ``Optimizer.specialise`` (its hyperparameters depend on ``base``).

Sharpness-aware minimisation takes each step twice: the gradient at the point aims a
perturbation of length :math:`\rho` uphill, :math:`\epsilon = \rho\, g / \lVert g \rVert`, and the
base optimizer then steps from the point with the gradient taken at the perturbed point
:math:`\theta + \epsilon`: it prefers where the loss stays low in a whole neighbourhood (a flat
minimum) over a narrow dip.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optviz.core.optimizers.base import HP, Optimizer
from optviz.core.optimizers.shared import coordinate_sum
from optviz.core.primitives import sqrt

PERTURB_EPS = 1e-12  # the reference's perturb_eps, kept at its default


def perturbation(params: np.ndarray, grad: np.ndarray, rho: Any, adaptive: bool) -> np.ndarray:
    r"""The reference's ``first_step`` perturbation :math:`e_w`, per trajectory (axis 0 the
    coordinates): :math:`e_w = (\theta^2 \text{ if adaptive}) \odot g \cdot s`,
    :math:`s = \rho / (\lVert (|\theta| \odot)\, g \rVert + 10^{-12})`.

    Its norm is float32: ``get_global_gradient_norm`` stacks each tensor's (float64) norm as
    float32, squares and sums it there, then ``sqrt_`` and ``add_(perturb_eps)`` in float32, and
    ``rho / norm`` is a float32 reciprocal times rho (float32); ``scale.to(p)`` makes it float64
    again. The float64 norm of a point's coordinates is the root of their squares' sum in
    coordinate order (torch's ``vector_norm`` of two, checked on 20,000 random pairs).
    """
    weighted = grad * abs(params) if adaptive else grad
    norm64 = sqrt(coordinate_sum(weighted * weighted))
    norm = np.float32(norm64) if np.ndim(norm64) == 0 else np.asarray(norm64, dtype=np.float32)
    with np.errstate(all="ignore"):
        norm = np.sqrt(norm * norm) + np.float32(PERTURB_EPS)  # square_, sum of one, sqrt_, add_: float32
        scale = (np.float32(1.0) / norm) * np.asarray(rho, dtype=np.float32)  # rho / norm: a reciprocal
    scale = np.asarray(scale, dtype=np.float64)
    lead = params * params * grad if adaptive else 1.0 * grad  # torch.pow(p, 2) * grad, or 1.0 * grad
    return lead * scale


def sam_step(base: Optimizer, params: np.ndarray, grad: np.ndarray, state: Any, hp: HP, look: Any) -> tuple[np.ndarray, Any]:
    """One call of the reference's ``step(closure)``: the gradient at the perturbed point (the
    closure's, step k's batch and noise), the parameters restored, the base optimizer's step
    with that gradient. ``state`` is the base's."""
    perturbed = params + perturbation(params, grad, hp["rho"], hp["adaptive"])
    return base.update(params, look(perturbed), state, hp)
