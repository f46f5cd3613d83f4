"""optviz.core.portable: fdlibm's elementary functions, the same bits for floats and arrays, close
to the C library's, silent at special values, and blind to how NumPy rounds."""

import math

import numpy as np
import pytest

from optviz.core import portable
from tests.core import test_portability
from tests.core.test_portability import TRANSCENDENTAL, bits

one_ulp_off = test_portability.one_ulp_off  # the guard's fixture: NumPy's functions one ulp up

# name -> (the C library's function, random inputs covering its range)
RNG = np.random.default_rng(11)


def spread(high: float, n: int = 4000) -> np.ndarray:
    """Uniform inputs in [-high, high] and log-uniform magnitudes from 1e-17 up to high, both signs."""
    magnitudes = np.exp(RNG.uniform(-40.0, math.log(high), n))
    return np.concatenate([RNG.uniform(-high, high, n), magnitudes * RNG.choice([-1.0, 1.0], n)])


FUNCTIONS = {
    "exp": (math.exp, np.clip(spread(745.0), -745.0, 709.7)),
    "expm1": (math.expm1, np.clip(spread(700.0), -60.0, 700.0)),
    "log": (math.log, np.abs(spread(1e300))),
    "log10": (math.log10, np.abs(spread(1e300))),
    "log2": (math.log2, np.abs(spread(1e300))),
    "sin": (math.sin, np.concatenate([spread(1e3), spread(2e6), spread(1e300, 300)])),
    "cos": (math.cos, np.concatenate([spread(1e3), spread(2e6), spread(1e300, 300)])),
    "tan": (math.tan, np.concatenate([spread(1e3), spread(2e6), spread(1e300, 300)])),
    "sinh": (math.sinh, spread(700.0)),
    "cosh": (math.cosh, spread(700.0)),
    "tanh": (math.tanh, spread(40.0)),
    "arctan": (math.atan, spread(1e300)),
}
# Where fdlibm's own error analysis allows more than one ulp against the true value.
ULPS = {"log10": 2, "log2": 2}

SPECIAL = [
    0.0,
    -0.0,
    math.inf,
    -math.inf,
    math.nan,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    1e-300,
    -1e-20,
    0.5,
    1.0,
    -1.0,
    2.0,
    10.0,
    math.pi / 4,
    math.pi / 2,
    math.pi,
    22.0,
    -22.0,
    709.782712893384,
    709.79,
    710.4758600739439,
    710.48,
    -745.1332191019411,
    -745.14,
    1647099.0,
    1647100.0,
    1e22,
    1.7976931348623157e308,
    -1.7976931348623157e308,
]


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many doubles lie between a and b (0 for equal values, and for two NaNs)."""
    ia, ib = bits(a).astype(np.int64), bits(b).astype(np.int64)
    ia = np.where(ia < 0, np.int64(-(2**63)) - ia, ia)  # order the negative numbers too
    ib = np.where(ib < 0, np.int64(-(2**63)) - ib, ib)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return np.where(same, 0, np.abs(ia - ib))


def libm(function, x: float) -> float:
    """The C library's value, with inf and nan where Python raises."""
    try:
        return function(x)
    except OverflowError:
        return math.copysign(math.inf, x) if function is math.sinh else math.inf
    except ValueError:
        return -math.inf if x == 0.0 else math.nan


@pytest.mark.parametrize("name", FUNCTIONS)
def test_within_an_ulp_or_two_of_the_c_library(name):
    function, xs = FUNCTIONS[name]
    xs = np.concatenate([xs, SPECIAL])
    got = getattr(portable, name)(xs)
    expected = np.array([libm(function, x) for x in xs.tolist()])
    distance = ulp_distance(got, expected)
    assert distance.max() <= ULPS.get(name, 1), xs[np.argmax(distance)]
    assert np.mean(distance > 0) < 0.15  # mostly the same bits


@pytest.mark.parametrize("name", FUNCTIONS)
def test_floats_and_arrays_give_the_same_bits(name):
    _, xs = FUNCTIONS[name]
    xs = np.concatenate([xs, SPECIAL])
    function = getattr(portable, name)
    on_array = function(xs)
    on_floats = np.array([function(x) for x in xs.tolist()])
    np.testing.assert_array_equal(bits(on_array), bits(on_floats))
    assert type(function(0.5)) is float
    assert type(function(np.float64(0.5))) is np.float64
    assert function(np.ones((3, 2))).shape == (3, 2)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_special_values_as_the_c_library_gives_them_without_warnings(name):
    # pytest turns every warning into an error here; and no float raises.
    function, _ = FUNCTIONS[name]
    for x in SPECIAL:
        got, expected = getattr(portable, name)(x), libm(function, x)
        assert ulp_distance(np.array([got]), np.array([expected]))[0] <= ULPS.get(name, 1), x
        if expected == 0.0:
            assert math.copysign(1.0, got) == math.copysign(1.0, expected), x  # the sign of zero


def test_exact_values():
    assert portable.exp(0.0) == 1.0
    assert portable.log(1.0) == 0.0
    assert math.copysign(1.0, portable.log(1.0)) == 1.0
    assert portable.log2(1024.0) == 10.0
    assert portable.sin(0.0) == 0.0
    assert portable.cos(0.0) == 1.0
    assert portable.arctan(math.inf) == math.pi / 2
    assert portable.tanh(-math.inf) == -1.0
    assert portable.exp(-math.inf) == 0.0
    assert portable.expm1(-math.inf) == -1.0


def test_large_arguments_of_sin_and_cos_are_reduced_exactly():
    for x in (1e22, 1e300, -3.5e15, 1647100.0):
        assert portable.sin(x) == pytest.approx(math.sin(x), rel=2.3e-16)
        assert portable.cos(x) == pytest.approx(math.cos(x), rel=2.3e-16)
    # The double closest to a multiple of pi/2 (Kahan and McDonald): x mod pi/2 is
    # 4.68716592425462761e-19 (J.-M. Muller, Elementary Functions, table 11.1), which the
    # reduction keeps to the last bit (this machine's C library is 8 ulp off).
    hardest = math.ldexp(6381956970095103, 797)
    assert portable.cos(hardest) == -4.687165924254628e-19
    assert portable.sin(hardest) == 1.0


def _huge_arguments(rng: np.random.Generator) -> np.ndarray:
    """Arguments beyond the medium reduction, both signs: log-uniform over every exponent, a
    plot's 1e10 to 1e12, the doubles nearest to multiples of pi/2 (the remainder cancels) and to
    odd multiples of pi/4 (the quadrant hangs on it), powers of two, the largest double."""
    _, pio2 = portable._pi_scaled()  # pi/2 2**128, to 128 bits
    near = []
    for size in range(21, 1024, 5):
        for _ in range(12):
            k = int(rng.integers(1 << 40, 1 << 52)) << max(0, size - 52) | int(rng.integers(0, 1 << min(size, 52)))
            for quarter in (0, 1):
                value = (2 * k + quarter) * pio2 / (1 << 129)  # k pi/2, or k pi/2 + pi/4, rounded once
                near += [value, math.nextafter(value, math.inf), math.nextafter(value, 0.0)]
    xs = np.concatenate(
        [
            np.exp(rng.uniform(math.log(portable._MEDIUM), math.log(1.7e308), 8000)),
            rng.uniform(1e10, 1e12, 4000),
            np.array(near),
            np.ldexp(1.0, np.arange(21, 1024)),
            [portable._MEDIUM, math.nextafter(portable._MEDIUM, math.inf), 1.7976931348623157e308],
            [math.ldexp(6381956970095103, 797)],  # the double closest to a multiple of pi/2
        ]
    )
    xs = xs[np.isfinite(xs) & (np.abs(xs) >= portable._MEDIUM)]
    return np.concatenate([xs, -xs])


def _same_reduction(reduced, xs):
    """The array reduction's quadrants, y0 and y1 are _reduce_large's (Python's integers), bit for bit."""
    expected = np.array([portable._reduce_large(float(x)) for x in xs]).T
    for got, want in zip(reduced, expected, strict=True):
        np.testing.assert_array_equal(bits(np.asarray(got)), bits(want))


def test_remainders_in_limbs_round_as_python_integers_divide():
    # Integers of nine 24-bit limbs, as the reduction's last step meets them: random ones, ones
    # whose lowest limbs are 0, and ties (exactly half an ulp of y0 or of y1 left, or a hair more).
    rng = np.random.default_rng(8)
    scale = -342
    numbers = []
    for _ in range(3000):
        top = int(rng.integers(7 * 24 + 1, 9 * 24))  # the leading bit's position
        n = int(rng.integers(1 << 62, 1 << 63)) << (top - 62) | int(rng.integers(0, 1 << 62)) << max(0, top - 130)
        n |= int(rng.integers(0, 1 << 60))
        numbers.append(n)
        numbers.append(n >> 72 << 72)  # the lowest three limbs 0
        y0 = n >> (top - 52) << (top - 52)  # 53 bits
        numbers += [y0 + (1 << (top - 53)), y0 + (1 << (top - 53)) + 1, y0 + (1 << (top - 53)) - (1 << 60)]
        y1 = ((1 << 53) + 2 * int(rng.integers(0, 1 << 52)) + 1) << (top - 60 - 53)  # y0 exact, y1 at a tie
        numbers += [y0 + y1 + bit for bit in (0, 1, 1 << 24, 1 << 48)]  # a tie, or a bit in each low limb
        numbers += [y0 - y1 + bit for bit in (0, 1, 1 << 24, 1 << 48)]
    limbs = np.array([[float((n >> (24 * r)) & 0xFFFFFF) for n in numbers] for r in range(9)])
    y0, y1, unsure = portable._ends(limbs, scale)
    assert unsure.mean() < 0.01
    for n, a, b, skip in zip(numbers, y0.tolist(), y1.tolist(), unsure.tolist(), strict=True):
        if not skip:
            exact_y0 = n / (1 << -scale)
            assert a == exact_y0, n
            assert b == (n - portable._exact(exact_y0, -scale)) / (1 << -scale), n


def test_huge_arguments_of_arrays_are_reduced_as_python_integers_reduce_them(monkeypatch):
    xs = _huge_arguments(np.random.default_rng(21))
    asked = []
    monkeypatch.setattr(portable, "_reduce_large", lambda x, exact=portable._reduce_large: asked.append(x) or exact(x))
    reduced = portable._reduce_large_array(xs)
    assert len(asked) < 100  # the integers decide a few (remainders that cancel to 2**-60)
    monkeypatch.undo()
    _same_reduction(reduced, xs)


@pytest.mark.parametrize("window", [7, 9])
def test_the_window_holds_the_exact_remainder_between_its_ends(window):
    # What the array reduction rounds: the exact remainder times pi/2 of _reduce_large, in integers.
    xs = np.abs(_huge_arguments(np.random.default_rng(23)))[::7]
    two_over_pi, pio2 = portable._pi_scaled()
    quadrant, negative, low, high, unsure = portable._remainder_range(xs, window)
    assert unsure.sum() <= 2
    for i, x in enumerate(xs.tolist()):
        m, e = math.frexp(x)
        shift = portable._BITS - (e - 53)
        scaled = int(math.ldexp(m, 53)) * two_over_pi
        n = (scaled + (1 << (shift - 1))) >> shift
        remainder = scaled - (n << shift)
        unit = 1 << (shift + 2 - 24 * window + 24 * portable._DROPPED)
        ends = [sum(int(limb) << (24 * row) for row, limb in enumerate(end[:, i].tolist())) for end in (low, high)]
        if not unsure[i]:
            assert quadrant[i] == n % 4
            assert negative[i] == (remainder < 0)
            assert ends[0] * unit <= abs(remainder) * pio2 <= ends[1] * unit


def test_where_the_window_cannot_decide_python_integers_do(monkeypatch):
    # Seven limbs of |x| 2/pi leave a fifth of the arguments undecided: those take _reduce_large.
    xs = _huge_arguments(np.random.default_rng(22))
    asked = []
    monkeypatch.setattr(portable, "_reduce_large", lambda x, exact=portable._reduce_large: asked.append(x) or exact(x))
    reduced = portable._reduce_large_array(xs, window=7)
    assert len(asked) > xs.size // 10
    monkeypatch.undo()
    _same_reduction(reduced, xs)


@pytest.mark.parametrize("name", ["sin", "cos", "tan"])
def test_a_grid_of_huge_arguments_gives_the_bits_of_its_floats(name):
    # As a typed formula meets them: tan(1e10 x) over a plot, shaped like the grid.
    xs = 1e10 * np.linspace(-3.0, 3.0, 120).reshape(8, 15)
    function = getattr(portable, name)
    on_floats = np.array([function(x) for x in xs.ravel().tolist()]).reshape(xs.shape)
    np.testing.assert_array_equal(bits(function(xs)), bits(on_floats))


def test_nothing_changes_when_numpy_rounds_differently(one_ulp_off):
    xs = np.concatenate([spread(50.0), SPECIAL])
    plain = {name: getattr(portable, name)(xs) for name in FUNCTIONS}
    with one_ulp_off():
        for name, values in plain.items():
            np.testing.assert_array_equal(bits(getattr(portable, name)(xs)), bits(values), err_msg=name)


def test_nothing_calls_numpys_transcendental_functions(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a NumPy transcendental function was called")

    for name in TRANSCENDENTAL:
        monkeypatch.setattr(np, name, refuse)
    for name in FUNCTIONS:
        getattr(portable, name)(np.array(SPECIAL))
