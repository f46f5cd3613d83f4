r"""Float-or-array arithmetic: the few helpers that let one update rule run on both.

The update rules and the surfaces are written once and run on two kinds of numbers: NumPy
arrays (a batch of trajectories, shape ``(2, B)``) and plain Python floats (the engine's fast
path for small batches, one coordinate at a time). Every helper here gives the same bits on
both, on every x86-64 CPU:

* ``+ - * /``, :func:`sqrt`, comparisons, :func:`maximum` and :func:`where` are
  correctly rounded (or exact) in IEEE arithmetic, in Python and in NumPy alike.
* :func:`power` is the only power: it computes Python's float ``**`` (the C library's
  ``pow``) once per distinct value, also for arrays. NumPy's array ``power``, ``exp``, ``log``,
  ``sin`` and ``cos`` are not correctly rounded on CPUs with AVX-512 (one ulp off on a few
  percent of inputs), so a batch would drift away from the single run it claims to be.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "branch",
    "copy",
    "lerp",
    "maximum",
    "nonzero",
    "power",
    "sqrt",
    "where",
    "zeros_like",
]


# Module constants: these helpers run several times a step on the fast path.
_BOOLS = (bool, np.bool_)
_ARRAY = np.ndarray
_FLOAT = float
_SCALARS = (int, float)


def nonzero(value: object) -> bool:
    """True when a hyperparameter is non-zero for at least one trajectory."""
    if isinstance(value, float):  # the common case, kept cheap: it runs every step
        return value != 0.0
    return bool(np.any(np.asarray(value) != 0))


def sqrt(value: Any) -> Any:
    """Square root of a float or an array; NaN for negative input, as NumPy gives."""
    if isinstance(value, float):
        return math.sqrt(value) if value >= 0.0 else math.nan
    return np.sqrt(value)


def maximum(a: Any, b: Any) -> Any:
    """Elementwise maximum that propagates NaN, for floats and arrays alike."""
    if isinstance(a, float) and isinstance(b, float):
        if a != a:  # noqa: PLR0124  (NaN test)
            return a
        if b != b:  # noqa: PLR0124
            return b
        return max(a, b)
    return np.maximum(a, b)


def zeros_like(params: Any) -> Any:
    """0.0 for a float, zeros of the same shape for an array."""
    return 0.0 if isinstance(params, float) else np.zeros_like(params)


def copy(value: Any) -> Any:
    """A copy of an array (floats are immutable and returned as they are)."""
    return value if isinstance(value, float) else value.copy()


def where(condition: Any, if_true: Any, if_false: Any) -> Any:
    """``if_true`` where ``condition`` holds, else ``if_false``: a branch per trajectory.

    A Python bool (the fast path, or a hyperparameter shared by the whole batch) picks one
    of the two values; an array of bools picks elementwise, as torch's branch would per run.
    """
    if isinstance(condition, _BOOLS):
        return if_true if condition else if_false
    return np.where(condition, if_true, if_false)


def branch(condition: Any, if_true: Callable[[], Any], if_false: Callable[[], Any]) -> Any:
    """torch's ``if condition: ... else: ...`` on a value that may differ per trajectory.

    A Python bool evaluates only the branch taken (its other branch may not even be defined
    there, such as a root of a negative number); an array of bools evaluates both and picks
    elementwise, as :func:`where`.
    """
    if isinstance(condition, _BOOLS):
        return if_true() if condition else if_false()
    return np.where(condition, if_true(), if_false())


def lerp(average: Any, value: Any, weight: Any) -> Any:
    """torch's ``average.lerp_(value, weight)``: a running average moved by ``weight``.

    torch switches formula at ``weight = 0.5`` for accuracy; so does this, so that betas of
    0.5 and below give torch's bits too.
    """
    if isinstance(weight, _ARRAY):
        small = np.abs(weight) < 0.5
        return np.where(small, average + weight * (value - average), value - (value - average) * (1 - weight))
    if abs(weight) < 0.5:
        return average + weight * (value - average)
    return value - (value - average) * (1 - weight)


def power(base: Any, exponent: Any) -> Any:
    """``base ** exponent`` with the C library's bits, for floats and arrays alike.

    For Python floats this is Python's ``**``. For arrays it computes Python's ``**`` once per
    distinct (base, exponent) value and scatters the results, so an array of per-trajectory
    betas gets exactly the bias corrections of the separate runs. Per-trajectory
    hyperparameters take few distinct values, so this costs a handful of Python calls.
    """
    if base.__class__ is _FLOAT and exponent.__class__ in _SCALARS:  # the fast path, kept cheap
        return base**exponent
    if not isinstance(base, _ARRAY) and not isinstance(exponent, _ARRAY):
        return base**exponent
    if not isinstance(exponent, _ARRAY):
        uniq, inverse = np.unique(base, return_inverse=True)
        values = [_array_pow(b, float(exponent)) for b in uniq.tolist()]
        return np.array(values)[inverse].reshape(base.shape)
    if not isinstance(base, _ARRAY):
        uniq, inverse = np.unique(exponent, return_inverse=True)
        values = [_array_pow(float(base), e) for e in uniq.tolist()]
        return np.array(values)[inverse].reshape(exponent.shape)
    b, e = np.broadcast_arrays(base, exponent)
    pairs = np.stack([b.ravel(), e.ravel()]).astype(np.float64)
    uniq, inverse = np.unique(pairs, axis=1, return_inverse=True)
    values = [_array_pow(x, y) for x, y in uniq.T.tolist()]
    return np.array(values)[inverse.ravel()].reshape(b.shape)


def _array_pow(base: float, exponent: float) -> float:
    """One power for an array: libm's value, and NumPy's inf or NaN where Python would raise."""
    try:
        return math.pow(base, exponent)
    except (ValueError, OverflowError):  # 0 ** -1, (-8) ** 0.5, overflow: the result is inf or nan
        with np.errstate(all="ignore"):
            return float(np.power(np.float64(base), np.float64(exponent)))
