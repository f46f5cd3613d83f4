r"""Elementary functions with the same bits on every x86-64 CPU, for floats and arrays alike.

NumPy's array ``exp``, ``log``, ``sin``, ``cos``, ``power``, ... are not correctly rounded on
CPUs with AVX-512 (one ulp off on a few percent of inputs), and the C library's functions
behind :mod:`math` may choose another code path on another CPU (with or without FMA). A
surface typed by a person (:mod:`surfaces.formula`) needs them all, and a batch of
trajectories on it must equal its single runs, on every machine. So this module computes them
itself, from correctly rounded operations only: ``+ - * /``, comparisons, and the exact
``frexp``, ``ldexp``, ``rint``, ``floor``, ``trunc``, ``abs`` and ``copysign``.

The algorithms are fdlibm's (Sun Microsystems, 1993-2004, as kept in FreeBSD's msun:
``e_exp.c``, ``e_log.c``, ``s_expm1.c``, ``k_tan.c``, ``e_rem_pio2.c``, ``s_atan.c``,
``e_sinh.c``, ``e_cosh.c``, ``s_tanh.c``), written once for both kinds of numbers: where fdlibm
branches, an array computes every branch and picks elementwise (:func:`optviz.core.primitives.where`),
a float takes its branch. Their error is below one ulp (log10 and log2: below two). Two
departures, both deterministic:

* fdlibm's shortcuts that only save time (a first-order branch of ``log`` near 1, a
  single-round reduction by pi/2 when nothing cancels) are left out: the general formula runs.
* Arguments of sin, cos and tan beyond 2**20 pi/2 are reduced exactly: a float with Python's
  integers (2/pi to 1280 bits, worked out with Machin's formula), an array with the same
  integers' bits that decide the result, in 24-bit limbs held in floats (Payne and Hanek's
  method, as fdlibm's ``__kernel_rem_pio2`` uses it), the same bits at a small multiple of the
  ordinary reduction's cost.

Special values follow the C library, silently: ``log(0) = -inf``, ``log(-1) = nan``,
``exp(1000) = inf``, ``sin(inf) = nan``; no warning is printed and nothing raises.

>>> exp(1.0), log(10.0)
(2.718281828459045, 2.302585092994046)
>>> exp(np.array([0.0, 1.0]))
array([1.        , 2.71828183])
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from optviz.core.primitives import _kernel_cos, _kernel_sin, rint, where

__all__ = ["arctan", "cos", "cosh", "exp", "expm1", "log", "log2", "log10", "sin", "sinh", "tan", "tanh"]

_INF = math.inf
_NAN = math.nan


def _words(high: int, low: int = 0) -> float:
    """The double with these two 32-bit words (fdlibm writes its constants so)."""
    return struct.unpack(">d", struct.pack(">II", high, low))[0]


# ------------------------------------------------------------------ float-or-array helpers


def _elementwise(float_fn: Callable[[float], float], array_fn: Callable[[np.ndarray], np.ndarray]) -> Callable:
    """A function of a float or an array: Python floats and ints take ``float_fn``, anything
    else becomes a float64 array for ``array_fn`` (a 0-d result comes back as a NumPy scalar)."""

    def function(x: Any) -> Any:
        if x.__class__ is float:
            return float_fn(x)
        if x.__class__ is int:
            return float_fn(float(x))
        array = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            out = array_fn(array)
        return out[()] if out.ndim == 0 else out

    function.__name__ = float_fn.__name__.strip("_").removesuffix("_float")
    function.__qualname__ = function.__name__
    return function


def _trunc(x: Any) -> Any:
    return float(math.trunc(x)) if isinstance(x, float) else np.trunc(x)


def _floor(x: Any) -> Any:
    return float(math.floor(x)) if isinstance(x, float) else np.floor(x)


def _copysign(magnitude: float, sign: Any) -> Any:
    return math.copysign(magnitude, sign) if isinstance(sign, float) else np.copysign(magnitude, sign)


def _frexp(x: Any) -> tuple[Any, Any]:
    """x = m 2**e with m in [0.5, 1), e as a float."""
    if isinstance(x, float):
        m, e = math.frexp(x)
        return m, float(e)
    m, e = np.frexp(x)
    return m, e.astype(np.float64)


def _ldexp(y: Any, k: Any) -> Any:
    """y 2**k, rounded once (subnormal results too); inf where it overflows."""
    if isinstance(y, float) and isinstance(k, float):
        try:
            return math.ldexp(y, int(k))
        except OverflowError:
            return math.copysign(_INF, y)
    # Beyond ±2000 (infinite, or huge) the result over- or underflows either way; NaN is 0
    # (y is NaN there).
    k = np.clip(k, -2000.0, 2000.0)
    return np.ldexp(y, np.where(np.isnan(k), 0.0, k).astype(np.int32))


def _lookup(table: tuple[float, ...], index: Any) -> Any:
    if isinstance(index, float):
        return table[int(index)]
    return np.asarray(table)[index.astype(np.intp)]


# --------------------------------------------------------------------------------- exp, log

_O_THRESHOLD = _words(0x40862E42, 0xFEFA39EF)  # 709.78...: exp overflows above
_U_THRESHOLD = _words(0xC0874910, 0xD52D3051)  # -745.13...: exp is 0 below
_HALF_LN2 = _words(0x3FD62E43)  # from here on, reduce by k ln 2 (fdlibm: high word > 0x3fd62e42)
_LN2_HI = _words(0x3FE62E42, 0xFEE00000)  # k * _LN2_HI is exact for |k| < 2000
_LN2_LO = _words(0x3DEA39EF, 0x35793C76)
_INVLN2 = _words(0x3FF71547, 0x652B82FE)
_P1 = _words(0x3FC55555, 0x5555553E)
_P2 = _words(0xBF66C16C, 0x16BEBD93)
_P3 = _words(0x3F11566A, 0xAF25DE2C)
_P4 = _words(0xBEBBBD41, 0xC5D26BF1)
_P5 = _words(0x3E663769, 0x72BEA4D0)


def _reduce_ln2(x: Any) -> tuple[Any, Any, Any]:
    """k, hi, lo with x = k ln 2 + (hi - lo) and |hi - lo| <= ln 2 / 2 (k = 0 near zero)."""
    k = where(abs(x) >= _HALF_LN2, _trunc(_INVLN2 * x + _copysign(0.5, x)), 0.0)
    return k, x - k * _LN2_HI, k * _LN2_LO


def _exp_core(x: Any) -> Any:
    """fdlibm's e_exp.c for finite x in [_U_THRESHOLD, _O_THRESHOLD]."""
    k, hi, lo = _reduce_ln2(x)
    r = hi - lo
    t = r * r
    c = r - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    # For k = 0 (lo = 0, hi = r) this is fdlibm's 1 - ((r c)/(c - 2) - r), the same bits.
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    return _ldexp(y, k)


def _exp_float(x: float) -> float:
    if x > _O_THRESHOLD:
        return _INF
    if x < _U_THRESHOLD:
        return 0.0
    if x != x:  # noqa: PLR0124  (NaN)
        return x
    return _exp_core(x)


def _exp_array(x: np.ndarray) -> np.ndarray:
    """_exp_core's operations in its order, on as few arrays as they need (half the time of
    a new array for every operation: a network's cross-entropy and its landscape take many)."""
    if x.ndim == 0:  # NumPy's operations make scalars of 0-d arrays: out= needs arrays
        return _exp_array(x.reshape(1)).reshape(())
    xc = np.clip(x, _U_THRESHOLD, _O_THRESHOLD)  # NaN stays NaN
    k = np.copysign(0.5, xc)  # _reduce_ln2's k
    k += _INVLN2 * xc
    np.trunc(k, out=k)
    k[~(np.abs(xc) >= _HALF_LN2)] = 0.0
    hi = k * _LN2_HI
    np.subtract(xc, hi, out=hi)
    lo = k * _LN2_LO
    r = hi - lo
    t = r * r
    c = t * _P5
    for coefficient in (_P4, _P3, _P2, _P1):
        c += coefficient
        c *= t
    np.subtract(r, c, out=c)
    y = r * c
    y /= np.subtract(2.0, c, out=t)
    np.subtract(lo, y, out=y)
    y -= hi
    np.subtract(1.0, y, out=y)
    y = _ldexp(y, k)
    y[x > _O_THRESHOLD] = _INF
    y[x < _U_THRESHOLD] = 0.0
    return y


exp = _elementwise(_exp_float, _exp_array)
exp.__doc__ = "e**x (fdlibm's e_exp.c): inf above 709.78, 0 below -745.13."

_LG1 = _words(0x3FE55555, 0x55555593)
_LG2 = _words(0x3FD99999, 0x9997FA04)
_LG3 = _words(0x3FD24924, 0x94229359)
_LG4 = _words(0x3FCC71C5, 0x1D8E78AF)
_LG5 = _words(0x3FC74664, 0x96CB03DE)
_LG6 = _words(0x3FC39A09, 0xD078C69F)
_LG7 = _words(0x3FC2F112, 0xDF3E5244)
_SQRT2_SPLIT = 1.0 + 0x6A09C / 1048576.0  # significands from here on are halved: 1 + f in [0.707, 1.414)
_MID_LOW = 1.0 + 0x6147A / 1048576.0  # significands in [_MID_LOW, _MID_HIGH) take fdlibm's other formula
_MID_HIGH = 1.0 + 0x6B852 / 1048576.0


def _log_core(x: Any) -> Any:
    """fdlibm's e_log.c for finite x > 0: x = 2**k (1 + f) with 1 + f in [0.707, 1.414)."""
    m, e = _frexp(x)
    significand = m + m  # [1, 2), exact
    halve = significand >= _SQRT2_SPLIT
    f = where(halve, m - 1.0, significand - 1.0)  # exact
    k = where(halve, e, e - 1.0)
    middle = (significand >= _MID_LOW) & (significand < _MID_HIGH)
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7))) + w * (_LG2 + w * (_LG4 + w * _LG6))
    hfsq = 0.5 * f * f
    without_k = where(middle, f - (hfsq - s * (hfsq + r)), f - s * (f - r))
    with_k = where(
        middle,
        k * _LN2_HI - ((hfsq - (s * (hfsq + r) + k * _LN2_LO)) - f),
        k * _LN2_HI - ((s * (f - r) - k * _LN2_LO) - f),
    )
    return where(k == 0.0, without_k, with_k)


def _log_float(x: float) -> float:
    if 0.0 < x < _INF:
        return _log_core(x)
    if x == 0.0:
        return -_INF
    if x == _INF:
        return _INF
    return _NAN


def _log_array(x: np.ndarray) -> np.ndarray:
    inside = (x > 0.0) & (x < _INF)
    y = _log_core(np.where(inside, x, 1.0))
    return np.where(inside, y, np.where(x == 0.0, -_INF, np.where(x == _INF, _INF, _NAN)))


log = _elementwise(_log_float, _log_array)
log.__doc__ = "The natural logarithm (fdlibm's e_log.c): -inf at 0, nan below."

_IVLN10 = _words(0x3FDBCB7B, 0x1526E50E)
_LOG10_2HI = _words(0x3FD34413, 0x509F6000)  # k * _LOG10_2HI is exact
_LOG10_2LO = _words(0x3D59FEF3, 0x11F12B36)
_IVLN2 = _words(0x3FF71547, 0x652B82FE)


def _log_m(x: Any) -> tuple[Any, Any]:
    """k and log(m) with x = 2**k m, m in [0.707, 1.414)."""
    m, e = _frexp(x)
    halve = m + m >= _SQRT2_SPLIT
    k = where(halve, e, e - 1.0)
    return k, _log_core(where(halve, m, m + m))


def _log10_core(x: Any) -> Any:
    k, log_m = _log_m(x)
    return (k * _LOG10_2LO + _IVLN10 * log_m) + k * _LOG10_2HI


def _log2_core(x: Any) -> Any:
    k, log_m = _log_m(x)
    return k + _IVLN2 * log_m


def _log10_float(x: float) -> float:
    return _log10_core(x) if 0.0 < x < _INF else _log_float(x)


def _log10_array(x: np.ndarray) -> np.ndarray:
    inside = (x > 0.0) & (x < _INF)
    return np.where(inside, _log10_core(np.where(inside, x, 1.0)), _log_array(x))


def _log2_float(x: float) -> float:
    return _log2_core(x) if 0.0 < x < _INF else _log_float(x)


def _log2_array(x: np.ndarray) -> np.ndarray:
    inside = (x > 0.0) & (x < _INF)
    return np.where(inside, _log2_core(np.where(inside, x, 1.0)), _log_array(x))


log10 = _elementwise(_log10_float, _log10_array)
log10.__doc__ = "The base-10 logarithm, from :func:`log` (old fdlibm's e_log10.c; below two ulp)."
log2 = _elementwise(_log2_float, _log2_array)
log2.__doc__ = "The base-2 logarithm: k + log(m)/ln 2 for x = 2**k m (below two ulp; exact at powers of 2)."

# ------------------------------------------------------------------------------------ expm1

_Q1 = _words(0xBFA11111, 0x111110F4)
_Q2 = _words(0x3F5A01A0, 0x19FE5585)
_Q3 = _words(0xBF14CE19, 0x9EAADBB7)
_Q4 = _words(0x3ED0CFCA, 0x86E65239)
_Q5 = _words(0xBE8AFDB7, 0x6E09C32D)
_EXPM1_MINUS_ONE = -_words(0x4043687A)  # -56 ln 2: expm1 is -1 (rounded) below
_TINY_54 = _words(0x3C900000)  # 2**-54: expm1(x) = x below


def _expm1_core(x: Any) -> Any:
    """fdlibm's s_expm1.c for finite x in [-56 ln 2, _O_THRESHOLD]."""
    k, hi, lo = _reduce_ln2(x)
    r = hi - lo
    c = (hi - r) - lo
    hfx = 0.5 * r
    hxs = r * hfx
    r1 = 1.0 + hxs * (_Q1 + hxs * (_Q2 + hxs * (_Q3 + hxs * (_Q4 + hxs * _Q5))))
    t = 3.0 - r1 * hfx
    e = hxs * ((r1 - t) / (6.0 - r * t))
    small_k = r - (r * e - hxs)  # k = 0
    e = (r * (e - c) - c) - hxs
    k_minus_one = 0.5 * (r - e) - 0.5
    k_one = where(r < -0.25, -2.0 * (e - (r + 0.5)), 1.0 + 2.0 * (r - e))
    far = _ldexp(1.0 - (e - r), k) - 1.0  # k <= -2 or k > 56: exp(x) - 1 suffices
    two_to_minus_k = _ldexp(1.0, -where(k == k, k, 0.0))  # noqa: PLR0124
    near = _ldexp((1.0 - two_to_minus_k) - (e - r), k)  # 2 <= k < 20
    middle = _ldexp((r - (e + two_to_minus_k)) + 1.0, k)  # 20 <= k <= 56
    value = where(
        k == 0.0,
        small_k,
        where(
            k == -1.0,
            k_minus_one,
            where(k == 1.0, k_one, where((k <= -2.0) | (k > 56.0), far, where(k < 20.0, near, middle))),
        ),
    )
    return where(abs(x) < _TINY_54, x, value)


def _expm1_float(x: float) -> float:
    if x > _O_THRESHOLD:
        return _INF
    if x <= _EXPM1_MINUS_ONE:
        return -1.0
    if x != x:  # noqa: PLR0124
        return x
    return _expm1_core(x)


def _expm1_array(x: np.ndarray) -> np.ndarray:
    y = _expm1_core(np.clip(x, _EXPM1_MINUS_ONE, _O_THRESHOLD))
    return np.where(x > _O_THRESHOLD, _INF, np.where(x <= _EXPM1_MINUS_ONE, -1.0, y))


expm1 = _elementwise(_expm1_float, _expm1_array)
expm1.__doc__ = "e**x - 1, accurate near 0 (fdlibm's s_expm1.c)."

# ------------------------------------------------------------------------ sinh, cosh, tanh

_TWENTY_TWO = _words(0x40360000)  # 22
_LN_MAX = _words(0x40862E42)  # ln of the largest double, as fdlibm's high word tests it
_OVERFLOW = _words(0x408633CE, 0x8FB9F87D)  # sinh and cosh overflow above
_TINY_28 = _words(0x3E300000)  # 2**-28
_TINY_55 = _words(0x3C800000)  # 2**-55


def _large_hyperbolic(half: Any, ax: Any) -> Any:
    """half exp(|x|) from 22 up to the overflow threshold, then +-inf."""
    w = exp(0.5 * ax)
    t = half * w
    return where(ax < _LN_MAX, half * exp(ax), where(ax <= _OVERFLOW, t * w, half * _INF))


def _sinh_core(x: Any) -> Any:
    """fdlibm's e_sinh.c for x not NaN."""
    half = _copysign(0.5, x)
    ax = abs(x)
    t = expm1(where(ax < _TWENTY_TWO, ax, 0.0))
    small = where(ax < 1.0, half * (2.0 * t - t * t / (t + 1.0)), half * (t + t / (t + 1.0)))
    value = where(ax < _TWENTY_TWO, small, _large_hyperbolic(half, where(ax < _TWENTY_TWO, 0.0, ax)))
    return where(ax < _TINY_28, x, value)


def _cosh_core(x: Any) -> Any:
    """fdlibm's e_cosh.c for x not NaN."""
    ax = abs(x)
    t = expm1(where(ax < _HALF_LN2, ax, 0.0))
    w = 1.0 + t
    near_zero = where(ax < _TINY_55, w, 1.0 + (t * t) / (w + w))
    e = exp(where(ax < _TWENTY_TWO, ax, 0.0))
    middle = 0.5 * e + 0.5 / e
    large = _large_hyperbolic(0.5, where(ax < _TWENTY_TWO, 0.0, ax))
    return where(ax < _HALF_LN2, near_zero, where(ax < _TWENTY_TWO, middle, large))


def _tanh_core(x: Any) -> Any:
    """fdlibm's s_tanh.c for x not NaN."""
    ax = abs(x)
    inside = where(ax < _TWENTY_TWO, ax, 0.0)
    t = expm1(where(ax >= 1.0, 2.0 * inside, -2.0 * inside))
    z = where(ax >= 1.0, 1.0 - 2.0 / (t + 2.0), -t / (t + 2.0))
    z = where(ax < _TWENTY_TWO, z, 1.0)
    return where(ax < _TINY_28, x, where(x < 0.0, -z, z))


def _not_nan(core: Callable[[Any], Any]) -> tuple[Callable[[float], float], Callable[[np.ndarray], np.ndarray]]:
    def on_float(x: float) -> float:
        return core(x) if x == x else x  # noqa: PLR0124

    def on_array(x: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(x), x, core(np.where(np.isnan(x), 0.0, x)))

    on_float.__name__ = core.__name__.removesuffix("_core")
    return on_float, on_array


sinh = _elementwise(*_not_nan(_sinh_core))
sinh.__doc__ = "The hyperbolic sine (fdlibm's e_sinh.c)."
cosh = _elementwise(*_not_nan(_cosh_core))
cosh.__doc__ = "The hyperbolic cosine (fdlibm's e_cosh.c)."
tanh = _elementwise(*_not_nan(_tanh_core))
tanh.__doc__ = "The hyperbolic tangent (fdlibm's s_tanh.c)."

# ---------------------------------------------------------------------- sin, cos, tan

_INVPIO2 = _words(0x3FE45F30, 0x6DC9C883)
_PIO2_1 = _words(0x3FF921FB, 0x54400000)  # the first 33 bits of pi/2
_PIO2_1T = _words(0x3DD0B461, 0x1A626331)  # pi/2 - _PIO2_1
_PIO2_2 = _words(0x3DD0B461, 0x1A600000)  # the next 33 bits
_PIO2_2T = _words(0x3BA3198A, 0x2E037073)
_PIO2_3 = _words(0x3BA3198A, 0x2E000000)  # and the next
_PIO2_3T = _words(0x397B839A, 0x252049C1)
_MEDIUM = _words(0x413921FB)  # about 2**20 pi/2: below, n pi/2 is taken off in three exact parts
_TINY_26 = _words(0x3E500000)  # 2**-26: sin(x) = x below


def _reduce_medium(x: Any) -> tuple[Any, Any, Any]:
    """n, y0, y1 with x = n pi/2 + y0 + y1, |y0| <= pi/4 (e_rem_pio2.c, every round run)."""
    n = rint(x * _INVPIO2)
    r = x - n * _PIO2_1  # exact
    w = n * _PIO2_1T
    y0 = r - w
    _, high = _frexp(x)
    # A second round where y0 lost more than 16 bits to cancellation, a third where it lost 49:
    # each round's r = t - w is then exact, which the next round relies on.
    t = r
    w2 = n * _PIO2_2
    r2 = t - w2
    w2 = n * _PIO2_2T - ((t - r2) - w2)
    y0_2 = r2 - w2
    t = r2
    w3 = n * _PIO2_3
    r3 = t - w3
    w3 = n * _PIO2_3T - ((t - r3) - w3)
    y0_3 = r3 - w3
    second = high - _frexp(y0)[1] > 16.0
    third = second & (high - _frexp(y0_2)[1] > 49.0)
    r = where(third, r3, where(second, r2, r))
    w = where(third, w3, where(second, w2, w))
    y0 = where(third, y0_3, where(second, y0_2, y0))
    return n, y0, (r - y0) - w


_BITS = 1280  # of 2/pi: |x| 2/pi mod 4 keeps more than 200 bits for every finite double
_PIO2_BITS = 128  # of pi/2, for the remainder


@cache
def _pi_scaled() -> tuple[int, int]:
    """floor(2/pi 2**_BITS) and floor(pi/2 2**_PIO2_BITS), from Machin's formula in integers."""
    precision = _BITS + 64
    one = 1 << precision

    def arctan_of_inverse(n: int) -> int:
        total = term = one // n
        k, sign = 3, -1
        while term:
            term //= n * n
            total += sign * (term // k)
            k, sign = k + 2, -sign
        return total

    pi = 4 * (4 * arctan_of_inverse(5) - arctan_of_inverse(239))  # pi 2**precision, off by < 2**12
    return (2 << (precision + _BITS)) // pi, pi >> (precision - _PIO2_BITS + 1)


def _exact(value: float, scale: int) -> int:
    """value 2**scale as an integer (for a value that is a multiple of 2**-scale)."""
    m, e = math.frexp(value)
    return int(math.ldexp(m, 53)) << (e - 53 + scale) if m else 0


def _reduce_large(x: float) -> tuple[float, float, float]:
    """n mod 4, y0, y1 with x = n pi/2 + y0 + y1 for a finite |x| >= _MEDIUM, in integers."""
    two_over_pi, pio2 = _pi_scaled()
    m, e = math.frexp(abs(x))
    mantissa, exponent = int(math.ldexp(m, 53)), e - 53  # |x| = mantissa 2**exponent
    shift = _BITS - exponent
    scaled = mantissa * two_over_pi  # |x| 2/pi 2**shift
    n = (scaled + (1 << (shift - 1))) >> shift
    remainder = (scaled - (n << shift)) * pio2  # (|x| - n pi/2) 2**(shift + _PIO2_BITS)
    scale = shift + _PIO2_BITS
    y0 = remainder / (1 << scale)  # correctly rounded
    y1 = (remainder - _exact(y0, scale)) / (1 << scale)
    if x < 0:
        n, y0, y1 = -n, -y0, -y1
    return float(n % 4), y0, y1


# The same reduction on arrays (Payne and Hanek's), in exact integer arithmetic on floats: each
# integer as 24-bit limbs held in float64 (products of two limbs and sums of a few dozen are
# exact), limbs as rows and arguments as columns. Only the bits that decide the result are
# computed, and a range known to hold the exact value: a window of _WINDOW limbs of
# |x| 2/pi (short of the carry from the bits below it, less than 2**53 of its lowest units),
# whose top two bits are n mod 4 once a half is added and the rest the signed remainder; and
# the remainder times pi/2 without its _DROPPED lowest limbs (short of their carry). Both ends
# of the range are rounded to y0 and y1: where the two agree to the last bit, so does the
# exact reduction (rounding is monotone); where not, or where six limbs of the product do not
# decide (a few arguments in 100,000), _reduce_large decides. tests/core/test_portable.py checks the
# range against the integers and the result against _reduce_large, bit for bit.

_RADIX = math.ldexp(1.0, 24)  # a limb's values: 0 to 2**24 - 1
_RADIX2 = math.ldexp(1.0, 48)  # two limbs'
_HALF_TOP = math.ldexp(1.0, 21)  # a half, in the window's top limb (a quarter of a quadrant)
_QUADRANT = math.ldexp(1.0, 22)  # a quadrant, in the window's top limb
_SMALLEST_NORMAL = math.ldexp(1.0, -1022)
_WINDOW = 9  # limbs of |x| 2/pi: 216 bits
_DROPPED = 6  # lowest limbs of the remainder times pi/2 that are not computed (pi/2 has 6)
_CHUNK = 4096  # arguments reduced at once


@cache
def _limbs(window: int) -> tuple[np.ndarray, np.ndarray, float]:
    """2/pi 2**_BITS shifted right by 0 to 23 bits, in limbs (zeros above); the rows of the
    matrix that multiplies ``window`` limbs by pi/2 2**_PIO2_BITS's, from limb _DROPPED up; and
    how far the exact value may be from the computed one, in units of the lowest limb computed."""
    two_over_pi, pio2 = _pi_scaled()

    def limbs(value: int, count: int) -> list[float]:
        return [float((value >> (24 * i)) & 0xFFFFFF) for i in range(count)]

    count = _BITS // 24 + window + 2
    shifted = np.array([limbs(two_over_pi >> r, count) for r in range(24)])
    p = limbs(pio2, -(-pio2.bit_length() // 24))
    times = np.zeros((window + len(p), window))
    for j in range(window):
        times[j : j + len(p), j] = p
    unit = 1 << (24 * _DROPPED)
    missing = (pio2 << 53) // unit + 1  # the carry missing from the window, times pi/2
    most = sum(int(times[r].sum()) * 0xFFFFFF << (24 * r) for r in range(_DROPPED))  # the limbs not computed
    return shifted, times[_DROPPED:], float(missing + most // unit + 1)


def _carry(limbs: np.ndarray, *, lowest: bool = False) -> np.ndarray:
    """Every limb in [0, 2**24) again, the carries (negative ones too) moved up in one pass;
    what the top limb carries out is dropped (the number is kept modulo 2**(24 limbs)). With
    ``lowest``, only the lowest limb was changed: the pass stops where nothing is carried. In place."""
    for row in range(limbs.shape[0] - 1):
        carry = np.floor(limbs[row] * (1.0 / _RADIX))
        if lowest and row and not carry.any():
            return limbs
        limbs[row] -= carry * _RADIX
        limbs[row + 1] += carry
    limbs[-1] -= np.floor(limbs[-1] * (1.0 / _RADIX)) * _RADIX
    return limbs


def _fold(whole: np.ndarray, sticky: np.ndarray) -> np.ndarray:
    """``whole`` with its last bit set where ``sticky``: for a whole number of 55 bits or more,
    it rounds to 53 as ``whole`` plus anything in (0, 1) does."""
    return whole + np.where(sticky & (whole - 2.0 * np.floor(0.5 * whole) == 0.0), 1.0, 0.0)


def _ends(limbs: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """y0 and y1 for remainders times pi/2 (rows of limbs, nonnegative; y0 + y1 = remainder
    2**scale), each rounded from the exact integers as Python's int / int rounds; and where
    these limbs do not decide: y0 below 2**-30 (the top two limbs are 0), y1's first limb under
    7 bits, or y1 subnormal."""
    last = limbs.shape[0] - 1
    full = limbs[last] != 0.0  # the top limb is set: six limbs from it, else from the one below
    a, b, c, d, e, f = (np.where(full, limbs[last - i], limbs[last - 1 - i]) for i in range(6))
    below = (limbs[0] != 0.0) | (limbs[1] != 0.0) | (full & (limbs[2] != 0.0))  # any limb below those six
    upper, lower = a * _RADIX + b, c * _RADIX + d  # exact: 48 bits each
    y0 = upper * _RADIX2 + _fold(lower, (e != 0.0) | (f != 0.0) | below)  # rounded once
    left = lower - (y0 - upper * _RADIX2)  # what y0 left, in units of limb top - 3: exact
    # y1 from what y0 left and the next two limbs: the rest of the integer, or its complement.
    rest = e * _RADIX + f
    y1 = np.where(
        left > 0.0,
        left * _RADIX2 + _fold(rest, below),
        -((-left - 1.0) * _RADIX2 + _fold(_RADIX2 - 1.0 - rest + np.where(below, 0.0, 1.0), below)),
    )
    exponent = np.where(full, 24 * (last - 3) + scale, 24 * (last - 4) + scale).astype(np.int32)
    y0 = np.ldexp(y0, exponent)
    y1 = np.ldexp(y1, exponent - 48)
    unsure = (a == 0.0) | (np.abs(left) < 128.0) | (np.abs(y1) < _SMALLEST_NORMAL)
    return y0, y1, unsure


def _remainder_range(x: np.ndarray, window: int) -> tuple[np.ndarray, ...]:
    """For a 1-D array of finite |x| >= _MEDIUM: n mod 4 for |x|; whether the remainder
    |x| - n pi/2 is negative; two integers (rows of limbs) between which its size times pi/2
    (_reduce_large's remainder times pio2) lies, in units of 2**(shift + 2 - 24 window + 24
    _DROPPED); and where the window cannot tell the quadrant or the remainder's sign."""
    shifted, times, width = _limbs(window)
    m, e = np.frexp(np.abs(x))
    mantissa = m * 9007199254740992.0  # |x| = mantissa 2**(e - 53), exactly
    # The window: bits low to low + 24 window of mantissa 2/pi 2**_BITS, low = shift + 2 - 24 window.
    low = (_BITS - e + 53 + 2 - 24 * window).astype(np.int64)
    limbs = np.take(shifted, (low % 24) * shifted.shape[1] + low // 24 + np.arange(window)[:, None])
    high = np.floor(mantissa * (1.0 / _RADIX2))
    middle = np.floor((mantissa - high * _RADIX2) * (1.0 / _RADIX))
    bottom = mantissa - high * _RADIX2 - middle * _RADIX
    product = limbs * bottom  # below 2**48 each, and below 2**50 summed
    product[1:] += limbs[:-1] * middle
    product[2:] += limbs[:-2] * high
    _carry(product)
    product[-1] = np.fmod(product[-1] + _HALF_TOP, _RADIX)  # plus a half: the quadrant is n rounded
    quadrant = np.floor(product[-1] * (1.0 / _QUADRANT))
    product[-1] -= quadrant * _QUADRANT + _HALF_TOP  # the signed remainder, in [-half, half): its top limb
    negative = product[-1] < 0.0
    # |remainder| pi/2: every partial sum of the matrix product is a whole number below 2**51,
    # so any order of its additions, fused or not (whatever BLAS does), gives the exact sums.
    remainder = _carry((times @ product) * np.where(negative, -1.0, 1.0))
    # The exact value lies within ``width`` of this, on the side where the window's missing carry
    # and the limbs not computed take it: up for a positive remainder, down for a negative one.
    low_end, high_end = remainder.copy(), remainder
    low_end[0] -= np.where(negative, width, 0.0)
    high_end[0] += np.where(negative, 0.0, width)
    # Unsure: the remainder within 2**72 window units of 0 (it may change sign) or of a half (the quadrant).
    unsure = (product[3:-1] == _RADIX - 1.0).all(axis=0) & ((product[-1] == -1.0) | (product[-1] == _HALF_TOP - 1.0))
    return quadrant, negative, _carry(low_end, lowest=True), _carry(high_end, lowest=True), unsure


def _reduce_large_array(x: np.ndarray, window: int = _WINDOW) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_reduce_large` for a 1-D array of finite |x| >= _MEDIUM: the same bits. ``window``:
    limbs of |x| 2/pi computed (fewer leave more arguments to _reduce_large; at least 7)."""
    quadrant, negative, low_end, high_end, unsure = _remainder_range(x, window)
    scale = 24 * _DROPPED - (24 * window + _PIO2_BITS - 2)  # y0 + y1 = remainder pi/2 2**scale
    y0, y1, unsure_low = _ends(low_end, scale)
    y0_high, y1_high, unsure_high = _ends(high_end, scale)
    unsure |= unsure_low | unsure_high | (y0_high != y0) | (y1_high != y1)
    y0, y1 = np.where(negative, -y0, y0), np.where(negative, -y1, y1)
    for i in np.flatnonzero(unsure):
        quadrant[i], y0[i], y1[i] = _reduce_large(abs(float(x[i])))
    flip = x < 0
    return np.where(flip, (4.0 - quadrant) % 4.0, quadrant), np.where(flip, -y0, y0), np.where(flip, -y1, y1)


def _reduce(x: Any) -> tuple[Any, Any, Any]:
    """The quadrant (0 to 3) and y0 + y1 in [-pi/4, pi/4], for finite x."""
    if isinstance(x, float):
        if abs(x) >= _MEDIUM:
            return _reduce_large(x)
        n, y0, y1 = _reduce_medium(x)
        return n - 4.0 * _floor(0.25 * n), y0, y1
    large = np.abs(x) >= _MEDIUM
    n, y0, y1 = _reduce_medium(np.where(large, 0.0, x))
    quadrant = n - 4.0 * np.floor(0.25 * n)
    where_large = np.flatnonzero(large)
    for lo in range(0, where_large.size, _CHUNK):
        chosen = where_large[lo : lo + _CHUNK]
        quadrant.flat[chosen], y0.flat[chosen], y1.flat[chosen] = _reduce_large_array(x.flat[chosen])
    return quadrant, y0, y1


def _sin_core(x: Any) -> Any:
    quadrant, y0, y1 = _reduce(x)
    odd = (quadrant == 1.0) | (quadrant == 3.0)
    value = where(odd, _kernel_cos(y0, y1), _kernel_sin(y0, y1))
    value = where(quadrant >= 2.0, -value, value)
    return where(abs(x) < _TINY_26, x, value)


def _cos_core(x: Any) -> Any:
    quadrant, y0, y1 = _reduce(x)
    odd = (quadrant == 1.0) | (quadrant == 3.0)
    value = where(odd, _kernel_sin(y0, y1), _kernel_cos(y0, y1))
    return where((quadrant == 1.0) | (quadrant == 2.0), -value, value)


_T = tuple(
    _words(high, low)
    for high, low in (
        (0x3FD55555, 0x55555563),
        (0x3FC11111, 0x1110FE7A),
        (0x3FABA1BA, 0x1BB341FE),
        (0x3F9664F4, 0x8406D637),
        (0x3F8226E3, 0xE96E8493),
        (0x3F6D6D22, 0xC9560328),
        (0x3F57DBC8, 0xFEE08315),
        (0x3F4344D8, 0xF2F26501),
        (0x3F3026F7, 0x1A8D1068),
        (0x3F147E88, 0xA03792A6),
        (0x3F12B80F, 0x32F0A7E9),
        (0xBEF375CB, 0xDB605373),
        (0x3EFB2A70, 0x74BF7AD4),
    )
)
_PIO4 = _words(0x3FE921FB, 0x54442D18)
_PIO4LO = _words(0x3C81A626, 0x33145C07)
_TAN_NEAR_PIO4 = _words(0x3FE59428)  # 0.6744: from here on, tan(pi/4 - x) instead
_SPLIT_21 = 4294967297.0  # 2**32 + 1: Veltkamp's split keeps the upper 21 bits (fdlibm: low word 0)


def _upper_bits(x: Any) -> Any:
    c = _SPLIT_21 * x
    return c - (c - x)


def _kernel_tan(x: Any, y: Any, odd: Any) -> Any:
    """tan(x + y) (odd False) or -1/tan(x + y) (odd True) for |x| <= pi/4 (fdlibm's k_tan.c)."""
    near = abs(x) >= _TAN_NEAR_PIO4
    negative = x < 0.0
    folded = (_PIO4 - abs(x)) + (_PIO4LO - where(negative, -y, y))
    x = where(near, folded, x)
    y = where(near, 0.0, y)
    z = x * x
    w = z * z
    r = _T[1] + w * (_T[3] + w * (_T[5] + w * (_T[7] + w * (_T[9] + w * _T[11]))))
    v = z * (_T[2] + w * (_T[4] + w * (_T[6] + w * (_T[8] + w * (_T[10] + w * _T[12])))))
    s = z * x
    r = y + z * (s * (r + v) + y)
    r = r + _T[0] * s
    w = x + r
    iy = where(odd, -1.0, 1.0)
    folded_value = where(negative, -1.0, 1.0) * (iy - 2.0 * (x - (w * w / (w + iy) - r)))
    # -1/(x + r), accurately: a split of w whose products are exact.
    z = _upper_bits(w)
    v = r - (z - x)
    a = -1.0 / where(odd, w, 1.0)
    t = _upper_bits(a)
    inverse = t + a * ((1.0 + t * z) + t * v)
    return where(near, folded_value, where(odd, inverse, w))


def _tan_core(x: Any) -> Any:
    quadrant, y0, y1 = _reduce(x)
    value = _kernel_tan(y0, y1, (quadrant == 1.0) | (quadrant == 3.0))
    return where(x == 0.0, x, value)


def _finite(core: Callable[[Any], Any]) -> tuple[Callable[[float], float], Callable[[np.ndarray], np.ndarray]]:
    """A core for finite x, with nan for inf and nan (as sin, cos and tan give)."""

    def on_float(x: float) -> float:
        return core(x) if -_INF < x < _INF else _NAN

    def on_array(x: np.ndarray) -> np.ndarray:
        finite = np.isfinite(x)
        return np.where(finite, core(np.where(finite, x, 0.0)), _NAN)

    on_float.__name__ = core.__name__.removesuffix("_core")
    return on_float, on_array


sin = _elementwise(*_finite(_sin_core))
sin.__doc__ = "The sine (fdlibm's k_sin.c after an exact reduction by pi/2)."
cos = _elementwise(*_finite(_cos_core))
cos.__doc__ = "The cosine (fdlibm's k_cos.c after an exact reduction by pi/2)."
tan = _elementwise(*_finite(_tan_core))
tan.__doc__ = "The tangent (fdlibm's k_tan.c after an exact reduction by pi/2)."

# ------------------------------------------------------------------------------------ arctan

_ATAN_HI = (
    _words(0x3FDDAC67, 0x0561BB4F),  # atan(0.5)
    _words(0x3FE921FB, 0x54442D18),  # atan(1)
    _words(0x3FEF730B, 0xD281F69B),  # atan(1.5)
    _words(0x3FF921FB, 0x54442D18),  # atan(inf)
)
_ATAN_LO = (
    _words(0x3C7A2B7F, 0x222F65E2),
    _words(0x3C81A626, 0x33145C07),
    _words(0x3C700788, 0x7AF0CBBD),
    _words(0x3C91A626, 0x33145C07),
)
_AT = tuple(
    _words(high, low)
    for high, low in (
        (0x3FD55555, 0x5555550D),
        (0xBFC99999, 0x9998EBC4),
        (0x3FC24924, 0x920083FF),
        (0xBFBC71C6, 0xFE231671),
        (0x3FB745CD, 0xC54C206E),
        (0xBFB3B0F2, 0xAF749A6D),
        (0x3FB10D66, 0xA0D03D51),
        (0xBFADDE2D, 0x52DEFD9A),
        (0x3FA97B4B, 0x24760DEB),
        (0xBFA2B444, 0x2C6A6C2F),
        (0x3F90AD3A, 0xE322DA11),
    )
)
_TINY_29 = _words(0x3E200000)  # 2**-29: atan(x) = x below


def _arctan_core(x: Any) -> Any:
    """fdlibm's s_atan.c for x not NaN (infinities included)."""
    ax = abs(x)
    interval = where(ax < 0.4375, -1.0, where(ax < 0.6875, 0.0, where(ax < 1.1875, 1.0, where(ax < 2.4375, 2.0, 3.0))))
    t = where(
        interval == -1.0,
        x,
        where(
            interval == 0.0,
            (2.0 * ax - 1.0) / (2.0 + ax),
            where(
                interval == 1.0,
                (ax - 1.0) / (ax + 1.0),
                where(interval == 2.0, (ax - 1.5) / (1.0 + 1.5 * ax), -1.0 / where(interval == 3.0, ax, 1.0)),
            ),
        ),
    )
    z = t * t
    w = z * z
    s1 = z * (_AT[0] + w * (_AT[2] + w * (_AT[4] + w * (_AT[6] + w * (_AT[8] + w * _AT[10])))))
    s2 = w * (_AT[1] + w * (_AT[3] + w * (_AT[5] + w * (_AT[7] + w * _AT[9]))))
    table = where(interval < 0.0, 0.0, interval)
    shifted = _lookup(_ATAN_HI, table) - ((t * (s1 + s2) - _lookup(_ATAN_LO, table)) - t)
    value = where(interval < 0.0, t - t * (s1 + s2), where(x < 0.0, -shifted, shifted))
    return where(ax < _TINY_29, x, value)


arctan = _elementwise(*_not_nan(_arctan_core))
arctan.__doc__ = "The arc tangent, in (-pi/2, pi/2) (fdlibm's s_atan.c)."
