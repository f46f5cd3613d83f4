"""What each node of a formula's graph computes, on Python floats and float64 arrays alike.

One table, :data:`OPERATIONS`, serves both the simplifier (which folds constant parts with
it) and the generated functions (which run it on points), so that a folded constant and the
value computed at run time are the same double. Every function is :mod:`optviz.core.portable`'s
(the same bits on every CPU); a whole power is repeated squaring, as the catalog writes it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from optviz.core import portable
from optviz.core.primitives import sqrt


def _divide(a: Any, b: Any) -> Any:
    """a / b, with IEEE's inf and nan where a Python float would raise."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:  # noqa: PLR0124
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def whole_power(v: Any, n: int) -> Any:
    """v**n by repeated squaring, left to right: x*x, (x*x)*x, (x*x)*(x*x), as the catalog writes them."""
    if n < 0:
        return _divide(1.0, whole_power(v, -n))
    result = v
    for bit in bin(n)[3:]:
        result = result * result
        if bit == "1":
            result = result * v
    return result


def _constant_power(v: Any, p: float) -> Any:
    """v**p for a constant p that is not whole: a power of sqrt(v) for halves, else exp(p log v)."""
    if p + p == int(p + p):
        return whole_power(sqrt(v), int(p + p))
    return portable.exp(p * portable.log(v))


def _sign(v: Any) -> Any:
    if isinstance(v, float):
        return 1.0 if v > 0.0 else -1.0 if v < 0.0 else v + 0.0  # 0 for 0, nan for nan
    return np.sign(v)


def _defined_where(v: Any, f: Any) -> Any:
    """v where f is a number, nan where f is nan."""
    if isinstance(f, float):
        return v if f == f else math.nan  # noqa: PLR0124
    return np.where(f == f, v, math.nan)  # noqa: PLR0124


_FUNCTION_BY_NAME: dict[str, Callable[[Any], Any]] = {
    "sin": portable.sin,
    "cos": portable.cos,
    "tan": portable.tan,
    "exp": portable.exp,
    "log": portable.log,
    "log10": portable.log10,
    "log2": portable.log2,
    "sqrt": sqrt,
    "abs": abs,
    "tanh": portable.tanh,
    "sinh": portable.sinh,
    "cosh": portable.cosh,
    "arctan": portable.arctan,
}

# op -> (node value -> the function of the operands' values)
OPERATIONS: dict[str, Callable[[Any], Callable[..., Any]]] = {
    "add": lambda _: operator.add,
    "sub": lambda _: operator.sub,
    "mul": lambda _: operator.mul,
    "div": lambda _: _divide,
    "neg": lambda _: operator.neg,
    "ipow": lambda n: lambda v: whole_power(v, n),
    "powc": lambda p: lambda v: _constant_power(v, p),
    "fn": lambda name: _FUNCTION_BY_NAME[name],
    "sign": lambda _: _sign,
    "defined_where": lambda _: _defined_where,
}
