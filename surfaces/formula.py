"""The surface a person types: ``surface=formula:f=...,x0=...,x1=...,y0=...,y1=...`` in a link.

Registered like every other surface, with the formula's text and the plot's bounds as its
parameters, so that everything that works on a surface works on it: runs, the player,
sweeps, maps, lessons and the link. The text is parsed by :mod:`surfaces.expression` (never
evaluated); one that is refused raises ValueError with the reason, and the link reader and
the page fall back to what they had.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from surfaces.base import Param, Surface, register, runs
from surfaces.expression import MAX_COORDINATE, MAX_LENGTH, from_expression, gradient_cost

DEFAULT_FORMULA = "sin(3*x) * cos(3*y) + 0.1*(x**2 + y**2)"
BOUND = {"low": -MAX_COORDINATE, "high": MAX_COORDINATE, "ui_low": -1000.0, "ui_high": 1000.0, "step": 0.5}


@register(
    "formula",
    params=(
        Param("f", DEFAULT_FORMULA, kind="text", high=MAX_LENGTH),
        Param("x0", -3.0, **BOUND),
        Param("x1", 3.0, **BOUND),
        Param("y0", -3.0, **BOUND),
        Param("y1", 3.0, **BOUND),
    ),
)
def formula(f: str, x0: float, x1: float, y0: float, y1: float) -> Surface:
    return _built(f, float(x0), float(x1), float(y0), float(y1))


@lru_cache(maxsize=64)
def _built(text: str, x0: float, x1: float, y0: float, y1: float) -> Surface:
    """The formula's surface, made once per text and bounds (parsing and the minima search take
    up to a few tenths of a second)."""
    surface = from_expression(text, domain=((x0, x1), (y0, y1)))
    # A formula's own default page: the three classics, which a person then tunes.
    return replace(
        surface,
        default_runs=runs(("sgd", {"lr": 0.01}), ("sgd", {"lr": 0.01, "momentum": 0.9}), ("adam", {"lr": 0.05})),
        default_steps=300,
        operations=gradient_cost(text),
    )
