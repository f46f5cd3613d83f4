r"""Steps by the gradient's sign only: torch's Rprop.

How large the gradient is does not matter here, only which way it points: each coordinate moves
by a step size of its own, which grows while the gradient keeps its sign and shrinks when it
flips. The steps are therefore along the axes' diagonals and their lengths are set by the
history of signs, not by the surface's steepness.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.core.hyperparameters import learning_rate, number
from optviz.core.optimizers.base import HP, Constraint, Inspection, Optimizer, register
from optviz.core.optimizers.shared import aligned
from optviz.core.primitives import clamp, sign, where, zeros_like
from optviz.core.specs import Spec

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


def _pair(name: str, first: Spec, second: Spec) -> Spec:
    return Spec(name=name, default=(first.default, second.default), kind="pair", parts=(first, second))


ETAS = _pair(
    "etas",
    # torch: 0 < etaminus < 1 < etaplus (the open ends are the constraint ETAS_AROUND_ONE's).
    number("etaminus", 0.5, symbol=r"\eta_{-}", label="eta values", high=1.0, high_open=True, ui=(0.1, 0.9)),
    number("etaplus", 1.2, symbol=r"\eta_{+}", label="eta values", ui=(1.05, 3.0)),
)
STEP_SIZES = _pair(
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
