r"""Float-or-array arithmetic: the few helpers that let one update rule run on both.

The update rules and the surfaces are written once and run on two kinds of numbers: NumPy
arrays (a batch of trajectories, shape ``(d, B)``) and plain Python floats (the engine's fast
path for small batches, one coordinate at a time). Every helper here gives the same bits on
both, on every x86-64 CPU:

* ``+ - * /``, :func:`sqrt`, :func:`rint`, comparisons, :func:`maximum` and :func:`where` are
  correctly rounded (or exact) in IEEE arithmetic, in Python and in NumPy alike.
* :func:`power` is the only power: it computes Python's float ``**`` (the C library's
  ``pow``) once per distinct value, also for arrays. NumPy's array ``power``, ``exp``, ``log``,
  ``sin`` and ``cos`` are not correctly rounded on CPUs with AVX-512 (one ulp off on a few
  percent of inputs), so a batch would drift away from the single run it claims to be.
* :func:`exp` and :func:`log` are the C library's, of a rule's per-step constants (Python
  floats, or each distinct value of an array), as :func:`power` computes its powers.
* :func:`cos_2pi` and :func:`sin_2pi` are built from correctly rounded operations only, so
  they give the same bits everywhere (and agree with the true value to within an ulp).

Nothing else in ``optviz/core/optimizers/``, ``optviz/core/engine/`` or ``surfaces/`` may use ``**``
or NumPy's transcendental functions; ``tests/core/test_portability.py`` checks both.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "branch",
    "clamp",
    "copy",
    "cos_2pi",
    "exp",
    "lerp",
    "log",
    "maximum",
    "minimum",
    "nonzero",
    "power",
    "rint",
    "sign",
    "sin_2pi",
    "sqrt",
    "tensor_power",
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


def sign(value: Any) -> Any:
    """torch's ``Tensor.sign`` (its CPU kernel, ``(0 < x) - (x < 0)``): 1.0, -1.0, or 0.0 for
    zero (either sign) and for NaN, where NumPy's ``sign`` gives NaN."""
    if isinstance(value, float):
        return 1.0 if value > 0.0 else -1.0 if value < 0.0 else 0.0
    return (value > 0.0).astype(np.float64) - (value < 0.0)


def clamp(value: Any, low: Any, high: Any) -> Any:
    """torch's ``clamp_(low, high)``: ``min(max(value, low), high)``, NaN kept (``high`` wins
    where ``low > high``), for floats and arrays alike."""
    if isinstance(value, float) and isinstance(low, float) and isinstance(high, float):
        if value != value:  # noqa: PLR0124  (NaN test)
            return value
        return min(max(value, low), high)
    return np.minimum(np.maximum(value, low), high)


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
        try:
            return base**exponent
        except (OverflowError, ZeroDivisionError):  # NumPy's inf, as an array's would be
            return _array_pow(base, float(exponent))
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


# torch's ``tensor ** exponent`` for a number exponent: its CPU kernel (PowKernel.cpp) takes a
# root, a reciprocal or products for these exponents, and the C library's pow for the others.
_TENSOR_POWERS: dict[float, Callable[[Any], Any]] = {
    0.5: sqrt,
    -0.5: lambda base: 1.0 / sqrt(base),
    -1.0: lambda base: 1.0 / base,
    2.0: lambda base: base * base,
    3.0: lambda base: base * base * base,
    -2.0: lambda base: 1.0 / (base * base),
}


def tensor_power(base: Any, exponent: Any) -> Any:
    """torch's ``tensor ** exponent`` (a tensor base, a number exponent), for floats and arrays
    alike: a square root for 0.5, a reciprocal root for -0.5, ``1 / base`` for -1, ``base * base``
    for 2 (and the like for 3 and -2), as torch's kernel does; :func:`power` for any other."""
    if not isinstance(exponent, _ARRAY):
        special = _TENSOR_POWERS.get(float(exponent))
        return power(base, exponent) if special is None else special(base)
    found = power(base, exponent)
    for value, special in _TENSOR_POWERS.items():
        if np.any(exponent == value):
            with np.errstate(all="ignore"):
                found = np.where(exponent == value, special(base), found)
    return found


def _array_pow(base: float, exponent: float) -> float:
    """One power for an array: libm's value, and NumPy's inf or NaN where Python would raise."""
    try:
        return math.pow(base, exponent)
    except (ValueError, OverflowError):  # 0 ** -1, (-8) ** 0.5, overflow: the result is inf or nan
        with np.errstate(all="ignore"):
            return float(np.power(np.float64(base), np.float64(exponent)))


def exp(value: Any) -> Any:
    """The C library's ``exp`` of a float, or of each distinct value of an array (see :func:`log`)."""
    return _per_value(math.exp, value)


def log(value: Any) -> Any:
    """The C library's ``log`` of a float, or of each distinct value of an array, computed once
    per value as :func:`power` does: for a rule's per-step constants made of hyperparameters
    (AdEMAMix's beta3 schedule), so that per-trajectory values give the separate runs' bits
    (NumPy's own ``exp`` and ``log`` are not correctly rounded with AVX-512). Where the C
    library raises (``log(0)``), NumPy's -inf or NaN."""
    return _per_value(math.log, value)


def _per_value(function: Callable[[float], float], value: Any) -> Any:
    if not isinstance(value, _ARRAY):
        return _one_value(function, value)
    uniq, inverse = np.unique(value, return_inverse=True)
    return np.array([_one_value(function, v) for v in uniq.tolist()])[inverse].reshape(value.shape)


def _one_value(function: Callable[[float], float], value: float) -> float:
    try:
        return function(value)
    except (ValueError, OverflowError):
        with np.errstate(all="ignore"):
            return float(getattr(np, function.__name__)(np.float64(value)))


def minimum(a: Any, b: Any) -> Any:
    """Python's ``min(a, b)`` for floats and arrays alike: ``b`` where ``b < a``, else ``a``."""
    return where(b < a, b, a)


_TWO_TO_52 = 4503599627370496.0  # every float of this size or more is a whole number


def rint(x: Any) -> Any:
    """Round to the nearest whole number, ties to even, keeping the sign (as ``np.rint``)."""
    if isinstance(x, float):
        return math.copysign(float(round(x)), x) if abs(x) < _TWO_TO_52 else x
    return np.rint(x)


# cos(2 pi x) and sin(2 pi x) from correctly rounded operations only.
#
# x is reduced exactly: r = x - rint(x) in [-1/2, 1/2], n = rint(4 r) the quarter turn, and
# s = r - n/4 in [-1/8, 1/8] (all three exact in binary floating point). The angle
# 2 pi s in [-pi/4, pi/4] is formed as a head and a tail (Dekker's exact product with 2 pi
# split in two), and fdlibm's kernels (k_sin.c, k_cos.c, Sun Microsystems 1993; minimax
# polynomials, error below 2**-58 before rounding) turn it into sine and cosine; the quarter
# turn swaps and negates them. Every step is +, -, * or an exact rounding, so the result is
# the same bits on any IEEE machine, for floats and arrays alike.

_TWO_PI = 6.283185307179586  # 2 pi rounded to a double
_TWO_PI_LO = 2.4492935982947064e-16  # 2 pi - _TWO_PI
_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp's splitting constant
_TWO_PI_HI_PART = _SPLIT * _TWO_PI - (_SPLIT * _TWO_PI - _TWO_PI)  # upper 26 bits of _TWO_PI
_TWO_PI_LO_PART = _TWO_PI - _TWO_PI_HI_PART

_S1 = float.fromhex("-0x1.5555555555549p-3")  # -1.66666666666666324348e-01
_S2 = float.fromhex("0x1.111111110f8a6p-7")  # 8.33333333332248946124e-03
_S3 = float.fromhex("-0x1.a01a019c161d5p-13")  # -1.98412698298579493134e-04
_S4 = float.fromhex("0x1.71de357b1fe7dp-19")  # 2.75573137070700676789e-06
_S5 = float.fromhex("-0x1.ae5e68a2b9cebp-26")  # -2.50507602534068634195e-08
_S6 = float.fromhex("0x1.5d93a5acfd57cp-33")  # 1.58969099521155010221e-10
_C1 = float.fromhex("0x1.555555555554cp-5")  # 4.16666666666666019037e-02
_C2 = float.fromhex("-0x1.6c16c16c15177p-10")  # -1.38888888888741095749e-03
_C3 = float.fromhex("0x1.a01a019cb159p-16")  # 2.48015872894767294178e-05
_C4 = float.fromhex("-0x1.27e4f809c52adp-22")  # -2.75573143513906633035e-07
_C5 = float.fromhex("0x1.1ee9ebdb4b1c4p-29")  # 2.08757232129817482790e-09
_C6 = float.fromhex("-0x1.8fae9be8838d4p-37")  # -1.13596475577881948265e-11


def _quarter_turns(x: Any) -> tuple[Any, Any, Any]:
    """Split x turns into n quarter turns plus an angle theta + tail in [-pi/4, pi/4] radians."""
    r = x - rint(x)
    n = rint(4.0 * r)
    s = r - 0.25 * n
    theta = s * _TWO_PI
    c = _SPLIT * s
    s_hi = c - (c - s)
    s_lo = s - s_hi
    error = (
        (s_hi * _TWO_PI_HI_PART - theta) + s_hi * _TWO_PI_LO_PART + s_lo * _TWO_PI_HI_PART
    ) + s_lo * _TWO_PI_LO_PART
    return n, theta, error + s * _TWO_PI_LO


def _kernel_sin(x: Any, y: Any) -> Any:
    """sin(x + y) for |x| <= pi/4, y the tail of x (fdlibm's __kernel_sin with iy = 1)."""
    z = x * x
    v = z * x
    r = _S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))
    return x - ((z * (0.5 * y - v * r) - y) - v * _S1)


def _kernel_cos(x: Any, y: Any) -> Any:
    """cos(x + y) for |x| <= pi/4, y the tail of x (FreeBSD's __kernel_cos)."""
    z = x * x
    w = z * z
    r = z * (_C1 + z * (_C2 + z * _C3)) + w * w * (_C4 + z * (_C5 + z * _C6))
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + (z * r - x * y))


def cos_2pi(x: Any) -> Any:
    """cos(2 pi x), the same bits on every machine for floats and arrays (x in turns)."""
    n, theta, tail = _quarter_turns(x)
    value = where(abs(n) == 1.0, _kernel_sin(theta, tail), _kernel_cos(theta, tail))
    return where((n > 0.5) | (n < -1.5), -value, value)  # quarter turns 1 and 2 (or -2)


def sin_2pi(x: Any) -> Any:
    """sin(2 pi x), the same bits on every machine for floats and arrays (x in turns)."""
    n, theta, tail = _quarter_turns(x)
    value = where(abs(n) == 1.0, _kernel_cos(theta, tail), _kernel_sin(theta, tail))
    return where((n < -0.5) | (n > 1.5), -value, value)  # quarter turns -1 and 2 (or -2)
