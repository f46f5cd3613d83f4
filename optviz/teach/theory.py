"""What theory says about the learning rate on a quadratic surface.

On f(x) = ½ xᵀHx with the Hessian's eigenvalues between m and L (κ = L / m), gradient descent
multiplies the distance along each eigenvector by |1 − γλ| every step; it converges exactly when
γ < 2 / L, and fastest at γ = 2 / (m + L), where the flattest and the steepest directions shrink
alike, by (κ − 1) / (κ + 1). Polyak's heavy ball (SGD with momentum, torch's form) does better:
with momentum ((√κ − 1) / (√κ + 1))² and learning rate 4 / (√L + √m)² the distance shrinks by
(√κ − 1) / (√κ + 1) a step.

The smallest curvature is written m here, not μ as in much of the literature, because μ is the
momentum's symbol in the optimizers' update rules; γ is the learning rate's, as in torch's docs.

A surface opts in by declaring its Hessian's eigenvalues (``Surface.curvature``); every other
surface gets None.

>>> import surfaces
>>> rates = learning_rates(surfaces.get("valley", kappa=100.0))
>>> rates.max_stable.lr, rates.optimal.lr
(0.02, 0.019801980198019802)
>>> round(rates.heavy_ball.momentum, 6), round(rates.heavy_ball.lr, 6)
(0.669421, 0.033058)
>>> learning_rates(surfaces.get("rosenbrock")) is None
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from optviz.text import DEFAULT_LANGUAGE, say
from surfaces import Surface


@dataclass(frozen=True)
class Value:
    """One value theory recommends: the hyperparameters of SGD it stands for, and how to say it."""

    key: str  # a stable identifier: "max_stable", "optimal", "heavy_ball"; its words: theory.<key>.name, .explanation
    formula: str  # LaTeX, in the update rules' symbols (γ learning rate, μ momentum)
    lr: float
    momentum: float = 0.0
    rate: float = 1.0  # the factor by which the distance to the minimum shrinks per step, in the long run

    def name(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """Short, for a button or a mark: "2/L"."""
        return say(f"theory.{self.key}.name", lang)

    def explanation(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """One line for a reader."""
        return say(f"theory.{self.key}.explanation", lang)

    def hyperparameters(self, digits: int | None = None) -> dict[str, Any]:
        """SGD's keyword arguments that make the method the value is about (no Nesterov, no decay).

        With ``digits``, rounded to that many significant digits for a person to read and type: the
        learning rate towards zero (never above 2/L), the momentum to the nearest.

        >>> Value("optimal", "", lr=2 / 3, momentum=0.66666).hyperparameters(3)["lr"]
        0.666
        """
        lr, momentum = self.lr, self.momentum
        if digits is not None:
            # a momentum that is zero but for rounding (kappa = 1) reads as zero
            lr, momentum = _round_down(lr, digits), float(f"{momentum:.{digits}g}") if momentum > 1e-9 else 0.0
        return {"lr": lr, "momentum": momentum, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}


def _round_down(x: float, digits: int) -> float:
    """``x`` > 0 to ``digits`` significant digits, never above ``x``."""
    rounded = float(f"{x:.{digits}g}")
    if rounded <= x:
        return rounded
    scale = 10.0 ** (math.floor(math.log10(x)) - digits + 1)  # one unit in the last kept digit
    return float(f"{rounded - scale:.{digits}g}")


@dataclass(frozen=True)
class LearningRates:
    """Theory's learning rates for one quadratic surface with Hessian eigenvalues in [m, L]."""

    m: float  # smallest curvature
    L: float  # largest curvature
    max_stable: Value  # gradient descent's largest stable learning rate, 2 / L
    optimal: Value  # gradient descent's fastest learning rate, 2 / (m + L)
    heavy_ball: Value  # the optimal momentum and its learning rate

    @property
    def kappa(self) -> float:
        """The condition number L / m."""
        return self.L / self.m

    @property
    def values(self) -> tuple[Value, Value, Value]:
        return self.max_stable, self.optimal, self.heavy_ball

    def marks(self, lang: str = DEFAULT_LANGUAGE) -> tuple[tuple[str, float], ...]:
        """(name, learning rate) of each value: reference marks for a plot over learning rates."""
        return tuple((value.name(lang), value.lr) for value in self.values)


def learning_rates(surface: Surface) -> LearningRates | None:
    """Theory's learning rates for ``surface``, or None unless it is a convex quadratic that says so."""
    curvature = surface.curvature
    if curvature is None:
        return None
    m, L = (float(c) for c in curvature)
    if not (math.isfinite(m) and math.isfinite(L) and 0.0 < m <= L):
        return None
    kappa, root = L / m, math.sqrt(L / m)
    return LearningRates(
        m=m,
        L=L,
        max_stable=Value(
            key="max_stable",
            formula=r"\gamma_{\max} = \frac{2}{L}",
            lr=2.0 / L,
            rate=1.0,
        ),
        optimal=Value(
            key="optimal",
            formula=r"\gamma^\star = \frac{2}{m + L}",
            lr=2.0 / (m + L),
            rate=(kappa - 1.0) / (kappa + 1.0),
        ),
        heavy_ball=Value(
            key="heavy_ball",
            formula=(
                r"\mu^\star = \left(\frac{\sqrt{\kappa} - 1}{\sqrt{\kappa} + 1}\right)^2,\quad "
                r"\gamma^\star = \frac{4}{\left(\sqrt{L} + \sqrt{m}\right)^2}"
            ),
            lr=4.0 / (math.sqrt(L) + math.sqrt(m)) ** 2,
            momentum=((root - 1.0) / (root + 1.0)) ** 2,
            rate=(root - 1.0) / (root + 1.0),
        ),
    )
