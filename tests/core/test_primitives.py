"""optviz.core.primitives: the same bits for floats and arrays, libm's powers, an accurate cos and sin."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optviz.core import primitives
from optviz.core.primitives import branch, cos_2pi, lerp, maximum, power, rint, sin_2pi, sqrt, where

# ------------------------------------------------------------------------------------ power


def test_power_of_floats_is_pythons():
    assert power(0.99, 3) == 0.99**3
    assert power(0.96, 0.004 * 7) == 0.96 ** (0.004 * 7)
    assert type(power(0.9, 2)) is float


def test_power_of_arrays_is_pythons_power_per_element():
    base = np.array([[0.9, 0.99, 0.3], [0.99, 0.9, 0.999]])
    got = power(base, 1270)
    assert got.shape == base.shape
    expected = np.array([[b**1270 for b in row] for row in base.tolist()])
    np.testing.assert_array_equal(got.view(np.uint64), expected.view(np.uint64))


def test_power_with_an_array_exponent_and_with_both_arrays():
    psi = np.array([4e-3, 1e-2, 4e-3, 0.1])
    np.testing.assert_array_equal(power(0.96, 7 * psi), [0.96 ** (7 * p) for p in psi.tolist()])
    base = np.array([0.5, 0.9, 0.5, 0.9])
    np.testing.assert_array_equal(power(base, psi), [b**p for b, p in zip(base.tolist(), psi.tolist(), strict=True)])
    np.testing.assert_array_equal(power(base[:, None], psi[None, :]), [[b**p for p in psi] for b in base])


def test_power_gives_numpys_inf_and_nan_where_python_would_raise():
    got = power(np.array([0.0, -8.0, 10.0, 0.5]), np.array([-1.0, 0.5, 400.0, 2.0]))
    assert got[0] == np.inf
    assert np.isnan(got[1])
    assert got[2] == np.inf
    assert got[3] == 0.25
    assert power(10.0, 400.0) == np.inf  # a float too: the same inf on either path, never an exception
    assert power(0.0, -1.0) == np.inf


@given(st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=1, max_size=20), st.integers(1, 100_000))
def test_power_of_an_array_equals_the_power_of_each_float(betas, step):
    got = power(np.array(betas), step)
    assert [float(g) for g in got] == [power(b, step) for b in betas]


# ------------------------------------------------------------------------ branches and roots


def test_where_picks_for_a_bool_and_elementwise_for_an_array():
    assert where(True, 1.0, 2.0) == 1.0
    assert where(np.bool_(False), 1.0, 2.0) == 2.0
    np.testing.assert_array_equal(where(np.array([True, False]), np.array([1.0, 2.0]), 3.0), [1.0, 3.0])


def test_branch_evaluates_only_the_branch_taken_for_a_bool():
    def fail() -> float:
        raise AssertionError

    assert branch(True, lambda: 1.0, fail) == 1.0
    assert branch(False, fail, lambda: 2.0) == 2.0
    np.testing.assert_array_equal(branch(np.array([True, False]), lambda: 1.0, lambda: 2.0), [1.0, 2.0])


def test_sqrt_and_maximum_agree_on_floats_and_arrays_including_nan():
    for value in (2.0, 0.0, -1.0, math.inf, math.nan):
        with np.errstate(invalid="ignore"):  # the engine runs under errstate(all="ignore")
            a, b = sqrt(value), sqrt(np.array([value]))[0]
        assert a == b or (math.isnan(a) and math.isnan(b))
    for a, b in ((1.0, 2.0), (math.nan, 1.0), (1.0, math.nan), (-0.0, 0.0)):
        m, n = maximum(a, b), np.maximum(np.array([a]), np.array([b]))[0]
        assert m == n or (math.isnan(m) and math.isnan(n))


@pytest.mark.parametrize("weight", [0.1, 0.4, 0.5, 0.6, 0.9])
def test_lerp_switches_formula_at_one_half_as_torch(weight):
    average, value = np.array([0.3, -1.7, 2.5]), np.array([1.1, 0.2, -0.4])
    small = weight < 0.5
    expected = average + weight * (value - average) if small else value - (value - average) * (1 - weight)
    np.testing.assert_array_equal(lerp(average, value, weight), expected)
    per_row = lerp(average, value, np.full(3, weight))
    np.testing.assert_array_equal(per_row, expected)
    assert [lerp(a, v, weight) for a, v in zip(average.tolist(), value.tolist(), strict=True)] == expected.tolist()


@pytest.mark.parametrize("x", [0.5, 1.5, 2.5, -0.5, -0.4, -0.6, 0.0, -0.0, 3.7, -1e300, 2.0**52 + 1, 2.0**60])
def test_rint_rounds_half_to_even_keeping_the_sign_as_numpy(x):
    got, expected = rint(x), float(np.rint(x))
    assert got == expected
    assert math.copysign(1.0, got) == math.copysign(1.0, expected)


# ------------------------------------------------------------------------------ cos and sin

TWO_PI_LONG = np.longdouble("6.28318530717958647692528676655900576839")


def long_double_reference(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cos(2 pi x) and sin(2 pi x) from NumPy's long double cos and sin (x86: 64-bit mantissa).

    x is first reduced by whole and quarter turns, which is exact (r = x - rint(x), n =
    rint(4 r), s = r - n/4 are all representable); without it the rounding of 2 pi x alone
    would cost many ulps near the zeros of cos and sin.
    """
    r = x - np.rint(x)
    n = np.rint(4.0 * r)
    s = r - 0.25 * n
    angle = TWO_PI_LONG * s.astype(np.longdouble)
    c, si = np.cos(angle), np.sin(angle)
    quarter = np.mod(n, 4).astype(int)
    return np.choose(quarter, [c, -si, -c, si]), np.choose(quarter, [si, c, -si, -c])


def points() -> np.ndarray:
    rng = np.random.default_rng(11)
    quarters = np.arange(-20, 21) / 4
    return np.concatenate(
        [
            rng.uniform(-5.12, 5.12, 100_000),  # Rastrigin's domain
            np.array([-5.12, 5.12, -5.119999999999999, 5.119999999999999]),
            rng.uniform(-1e4, 1e4, 10_000),  # far outside it: the API runs anywhere
            rng.uniform(-1e-3, 1e-3, 10_000),
            (quarters[:, None] + np.array([1e-15, -1e-12, 3e-9, -1e-7])).ravel(),  # next to the zeros
        ]
    )


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs x86's 80-bit long double as reference")
@pytest.mark.parametrize("function", [cos_2pi, sin_2pi])
def test_cos_and_sin_are_within_one_ulp_of_long_double_numpy(function):
    x = points()
    reference = long_double_reference(x)[function is sin_2pi]
    rounded = reference.astype(np.float64)
    got = function(x)
    ulps = np.abs(got.astype(np.longdouble) - reference) / np.spacing(np.abs(rounded)).astype(np.longdouble)
    assert float(ulps.max()) < 1.0
    assert np.mean(got == rounded) > 0.95  # mostly the correctly rounded value itself


def test_cos_and_sin_are_exact_on_quarter_turns():
    x = np.arange(-40, 41) / 4
    expected_cos = np.array([1.0, 0.0, -1.0, 0.0])[np.arange(-40, 41) % 4]
    expected_sin = np.array([0.0, 1.0, 0.0, -1.0])[np.arange(-40, 41) % 4]
    np.testing.assert_array_equal(cos_2pi(x), expected_cos)
    np.testing.assert_array_equal(sin_2pi(x), expected_sin)


def test_floats_and_arrays_give_the_same_bits():
    x = points()[::50]
    for function in (cos_2pi, sin_2pi):
        as_array = function(x)
        as_floats = np.array([function(v) for v in x.tolist()])
        np.testing.assert_array_equal(as_floats.view(np.uint64), as_array.view(np.uint64))


@given(st.floats(-1e6, 1e6))
def test_cos_is_even_sin_is_odd_and_both_on_the_unit_circle(x):
    assert cos_2pi(-x) == cos_2pi(x)
    assert sin_2pi(-x) == -sin_2pi(x)
    c, s = cos_2pi(x), sin_2pi(x)
    assert abs(c) <= 1.0
    assert abs(s) <= 1.0
    assert abs(c * c + s * s - 1.0) <= 4 * 2.0**-52


def test_non_finite_input_gives_nan_on_floats_and_arrays():
    with np.errstate(invalid="ignore"):
        values = cos_2pi(np.array([np.inf, -np.inf, np.nan]))
    assert np.isnan(values).all()
    assert math.isnan(sin_2pi(math.inf))
    assert math.isnan(cos_2pi(math.nan))


def test_a_tensors_power_takes_torchs_special_cases_on_floats_and_arrays():
    base = np.array([1.0 + 2.0**-40, 2.0, 3.7, 1e-3, 12345.678])
    for exponent, expected in [
        (0.5, np.sqrt(base)),
        (-0.5, 1.0 / np.sqrt(base)),
        (-1.0, 1.0 / base),
        (2.0, base * base),
        (3.0, base * base * base),
        (-2.0, 1.0 / (base * base)),
        (0.75, np.array([math.pow(b, 0.75) for b in base])),
    ]:
        np.testing.assert_array_equal(primitives.tensor_power(base, exponent), expected)
        assert [primitives.tensor_power(float(b), exponent) for b in base] == expected.tolist()
    mixed = np.array([0.5, 0.75, 2.0, -1.0, 0.5])  # per trajectory: each its own kernel
    expected = [primitives.tensor_power(float(b), float(e)) for b, e in zip(base, mixed, strict=True)]
    assert primitives.tensor_power(base, mixed).tolist() == expected


def test_exp_and_log_are_the_c_librarys_once_per_value():
    values = np.array([0.9, 0.999, 0.9, 0.5, 0.999])
    assert primitives.log(values).tolist() == [math.log(v) for v in values]
    assert primitives.exp(values).tolist() == [math.exp(v) for v in values]
    assert primitives.log(0.9) == math.log(0.9)
    assert primitives.log(np.array([0.0]))[0] == -np.inf  # where math.log raises: NumPy's value
