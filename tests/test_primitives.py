"""optviz.primitives: the same bits for floats and arrays, and libm's powers."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optviz.primitives import branch, lerp, maximum, power, sqrt, where

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
