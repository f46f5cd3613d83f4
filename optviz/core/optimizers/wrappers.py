r"""Rules around another optimizer: SAM (pytorch-optimizer 4.1.0's ``SAM``).

Sharpness-aware minimisation takes each step twice: the gradient at the point aims a
perturbation of length :math:`\rho` uphill, :math:`\epsilon = \rho\, g / \lVert g \rVert`, and the
base optimizer then steps from the point with the gradient taken at the perturbed point
:math:`\theta + \epsilon`: it prefers where the loss stays low in a whole neighbourhood (a flat
minimum) over a narrow dip.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from optviz.core.hyperparameters import flag, number
from optviz.core.optimizers.base import HP, OPTIMIZERS, Optimizer, register
from optviz.core.optimizers.shared import coordinate_sum
from optviz.core.primitives import sqrt
from optviz.core.specs import Spec

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


def sam_step(
    base: Optimizer, params: np.ndarray, grad: np.ndarray, state: Any, *, hp: HP, look: Any
) -> tuple[np.ndarray, Any]:
    """One call of the reference's ``step(closure)``: the gradient at the perturbed point (the
    closure's, step k's batch and noise), the parameters restored, the base optimizer's step
    with that gradient. ``state`` is the base's."""
    perturbed = params + perturbation(params, grad, hp["rho"], hp["adaptive"])
    return base.update(params, look(perturbed), state, hp)


# The optimizers SAM can take as its base: every offered one that steps on its own gradient once
# a step (not LBFGS; not Muon, a lesson's), registered before this module; SGD by default (the paper's).
BASES = tuple(name for name, spec in OPTIMIZERS.items() if spec.listed and not spec.looks and name != "adadelta")
# SAM's own settings. The reference shares one settings table with its base, so a base's setting
# of the same name would be SAM's: Adadelta's rho would be SAM's radius. Adadelta is no base here.
OWN = ("base", "rho", "adaptive")


def _sam_rule(base: Optimizer) -> Any:
    def rule(hp: HP) -> str:
        scaled = r"\theta_{t-1}^2 \odot " if hp["adaptive"] else ""
        norm = r"\lVert |\theta_{t-1}| \odot \hat g_t \rVert" if hp["adaptive"] else r"\lVert \hat g_t \rVert"
        lines = [
            r"\hat g_t &= \nabla f(\theta_{t-1})",
            rf"e_t &= \rho\, {scaled}\hat g_t \big/ {norm}",
            r"g_t &= \nabla f(\theta_{t-1} + e_t)",
        ]
        shown = base.rule(hp).split(" \\\\\n", 1)  # the base's rule without its first line (its g_t)
        body = shown[1] if len(shown) == 2 else shown[0]
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + " \\\\\n" + body

    return rule


@functools.cache
def sam_of(base_name: str) -> Optimizer:
    """SAM around the registered optimizer ``base_name``: its hyperparameters SAM's own (base,
    rho, adaptive) then the base's, its state the base's, two gradient evaluations a step."""
    base = OPTIMIZERS[base_name]
    own = (
        Spec("base", "sgd", kind="choice", label="base", choices=BASES, choice_key="optimizer.{choice}.title"),
        number(
            "rho", 0.05, symbol=r"\rho", ui=(0.0, 0.5)
        ),  # a neighbourhood, not a leap: the surfaces span a few units
        flag("adaptive", False),
    )
    # The base's learning rate first (every optimizer's is), then SAM's own, then the base's others.
    kept = [hp for hp in base.hyperparameters if hp.name not in OWN]
    hyperparameters = (*kept[:1], *own, *kept[1:])

    def update(params: np.ndarray, grad: np.ndarray, state: Any, hp: HP, look: Any) -> tuple[np.ndarray, Any]:
        return sam_step(base, params, grad, state, hp=hp, look=look)

    return dataclasses.replace(
        base,
        name="sam",
        mirrors="pytorch_optimizer.SAM",
        hyperparameters=hyperparameters,
        update=update,
        rule=_sam_rule(base),
        # its g_t is the perturbed point's gradient, which the engine keeps with the point
        inspection=dataclasses.replace(base.inspection, gradient_at_probe=True),
        elementwise=False,  # the perturbation's norm couples the coordinates
        kernel=None,
        couples=None,
        looks=True,
        reads_loss=False,
        batched=True,
        work=None,
        evaluations=lambda hp: 2,
        specialise=_specialise,
        words_from=(base_name,),
        labelled=("rho",),
    )


def _specialise(values: Mapping[str, Any]) -> Optimizer:
    base = values.get("base", "sgd")
    return sam_of(base) if isinstance(base, str) and base in BASES else sam_of("sgd")


register(sam_of("sgd"))
