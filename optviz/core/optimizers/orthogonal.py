r"""Muon: momentum orthogonalised by Newton-Schulz, here on the parameters as a 1 × 2 matrix.

Muon is an optimizer for the weight matrices of a network's hidden layers: it replaces each
matrix's update by the nearest orthogonal matrix (every singular value set to about 1), so that
directions the gradient hardly moves get as large a step as the dominant ones. torch.optim.Muon
refuses a vector. optviz's point (x, y) is one vector; taken as a 1 × 2 matrix it has a single
singular value, its length, and orthogonalising it only normalises it: Muon on two parameters
is a normalised Nesterov step. That is what its lesson shows; the page does not offer Muon
among the optimizers (``Optimizer.listed``), because that is all it could show.

torch runs Newton-Schulz in bfloat16; this module computes it as torch's CPU kernels do, in
float32 arithmetic rounded to bfloat16 after every operation (its products of two bfloat16
numbers are exact in float32, so the order of its sums is the only freedom, and a 1 × 2 matrix
leaves none). float32 operations are correctly rounded everywhere: the same bits on every machine.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from optviz.core.hyperparameters import eps, flag, learning_rate, number, weight_decay
from optviz.core.optimizers.base import HP, Inspection, Optimizer, register
from optviz.core.optimizers.shared import aligned
from optviz.core.primitives import lerp, zeros_like
from optviz.core.specs import Spec

# torch's quintic Newton-Schulz coefficients (a, b, c), as float32 (its CPU kernels compute in
# float32 on bfloat16 data; a variant in float64 gives the same bits, tests/core says).
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
_A, _B, _C = (np.float32(c) for c in NS_COEFFICIENTS)
_ROUND, _KEEP = np.uint32(0x7FFF), np.uint32(0xFFFF0000)


class MuonState(NamedTuple):
    """Muon's state: the steps taken, its momentum buffer and the last orthogonalised update."""

    step: int
    momentum_buffer: np.ndarray  # (2, B) B_t, a running mean of the gradients
    update: np.ndarray  # (2, B) O_t, the orthogonalised update of the last step (bfloat16 values)


def bfloat16(values: np.ndarray) -> np.ndarray:
    """float32 ``values`` rounded to the nearest bfloat16 (ties to even), as float32; NaN stays NaN."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = ((bits + _ROUND + ((bits >> np.uint32(16)) & np.uint32(1))) & _KEEP).astype(np.uint32)
    return np.where(np.isnan(values), np.float32(np.nan), rounded.view(np.float32))


def newton_schulz(matrix: np.ndarray, steps: int, epsilon: float) -> np.ndarray:
    """torch's ``_zeropower_via_newtonschulz`` of each 1 × 2 matrix, a column of (2, B) ``matrix``.

    In bfloat16 as torch computes it: the matrix divided by its norm (at least ``epsilon``), then
    ``steps`` quintic iterations X ← aX + (bA + cA²)X with A = XXᵀ, here a 1 × 1 matrix.
    """
    x = bfloat16(matrix.astype(np.float32))
    norm = bfloat16(np.sqrt(x[0] * x[0] + x[1] * x[1]))
    x = bfloat16(x / bfloat16(np.maximum(norm, np.float32(epsilon))))
    for _ in range(steps):
        gram = bfloat16(x[0] * x[0] + x[1] * x[1])
        polynomial = bfloat16(_B * gram + _C * (gram * gram))
        x = bfloat16(_A * x + polynomial * x)
    return x.astype(np.float64)


def adjusted_lr(lr: float, adjust_lr_fn: str) -> float:
    """torch's ``_adjust_lr`` for a 1 × 2 matrix: "original" keeps lr (sqrt(max(1, 1/2)) = 1),
    "match_rms_adamw" scales it by 0.2 sqrt(max(1, 2))."""
    rows, columns = 1, 2
    if adjust_lr_fn == "match_rms_adamw":
        return lr * (0.2 * math.sqrt(max(rows, columns)))
    return lr * math.sqrt(max(1, rows / columns))


def muon_init(params: np.ndarray, hp: HP) -> MuonState:
    if np.shape(params)[:1] not in ((), (2,)):  # a network's weights are many matrices, each its own
        msg = f"Muon steps the parameters as a 1 × 2 matrix; these have {len(params)} coordinates"
        raise ValueError(msg)
    return MuonState(0, zeros_like(params), zeros_like(params))


def muon_update(params: np.ndarray, grad: np.ndarray, state: MuonState, hp: HP) -> tuple[np.ndarray, MuonState]:
    r"""Muon's step on the parameters as a 1 × 2 matrix, as torch.optim.Muon (torch 2.13) takes it.

    It mirrors ``_single_tensor_muon``:

    .. math::
        \begin{aligned}
        &\theta_{t-1} \leftarrow \theta_{t-1} (1 - \gamma \lambda) \\
        &B_t = \mu B_{t-1} + (1 - \mu)\, g_t \quad \text{(torch's lerp)} \\
        &\tilde B_t = \mu B_t + (1 - \mu)\, g_t \quad \text{(nesterov; else } B_t) \\
        &O_t = \mathrm{NS}_k(\tilde B_t) \\
        &\theta_t = \theta_{t-1} - \gamma' O_t
        \end{aligned}
    """
    lr, mu = hp["lr"], hp["momentum"]
    buffer = lerp(state.momentum_buffer, grad, 1.0 - mu)
    blended = lerp(grad, buffer, mu) if hp["nesterov"] else buffer
    update = newton_schulz(np.asarray(blended, dtype=np.float64), int(hp["ns_steps"]), hp["eps"])
    params = params * (1.0 - lr * hp["weight_decay"])
    params = params + (-adjusted_lr(lr, hp["adjust_lr_fn"])) * update
    return params, MuonState(state.step + 1, buffer, update)


def muon_rule(hp: HP) -> str:
    decay = [r"\theta_{t-1} &\leftarrow \theta_{t-1}\,(1 - \gamma \lambda)"] if hp["weight_decay"] else []
    blend = [r"\tilde B_t &= \mu B_t + (1 - \mu)\, g_t"] if hp["nesterov"] else [r"\tilde B_t &= B_t"]
    rate = r"\gamma" if hp["adjust_lr_fn"] == "original" else r"0.2\sqrt{2}\,\gamma"
    return aligned(
        [
            *decay,
            r"B_t &= \mu B_{t-1} + (1 - \mu)\, g_t, \quad B_0 = 0",
            *blend,
            r"O_t &= \mathrm{NS}_k\!\left(\tilde B_t / \max(\lVert \tilde B_t \rVert, \epsilon)\right)",
            rf"\theta_t &= \theta_{{t-1}} - {rate}\, O_t",
        ]
    )


register(
    Optimizer(
        name="muon",
        mirrors="torch.optim.Muon",
        elementwise=False,  # the norm couples x and y
        listed=False,  # a lesson's: on two parameters Muon is a normalised Nesterov step (see above)
        inspection=Inspection(velocity="update", symbols={"B_t": "momentum_buffer", "O_t": "update"}),
        hyperparameters=(
            learning_rate(1e-3),
            weight_decay(0.1),
            number("momentum", 0.95, symbol=r"\mu", ui=(0.0, 0.999)),
            flag("nesterov", True),
            eps(1e-7),
            Spec("ns_steps", 5, kind="int", label="ns_steps value", low=0, high=99, ui_low=0, ui_high=10),
            Spec(
                "adjust_lr_fn",
                "original",
                kind="choice",
                label="adjust_lr_fn",
                choices=("original", "match_rms_adamw"),
            ),
        ),
        init=muon_init,
        update=muon_update,
        rule=muon_rule,
    )
)
