"""A typed formula's simplifier keeps every undefined point (issue 15): ``0*log(x) + y**2`` is nan
at x = -1, as torch computes it, and so is its gradient. Checked on cases worked out by hand
and on random formulas against an evaluation of the unsimplified tree."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import optviz
from optviz.core import portable
from optviz.core.primitives import sqrt
from surfaces.formula import from_expression, gradient_cost
from surfaces.formula.arithmetic import whole_power  # x**n as the catalog writes it: x*x*x
from surfaces.formula.derive import derivative
from surfaces.formula.graph import Graph, build
from surfaces.formula.parse import CONSTANTS, FUNCTIONS, parse
from surfaces.formula.program import cost
from tests.core.test_portability import bits

nan = math.nan
DOMAIN = ((-3.0, 3.0), (-3.0, 3.0))

# text -> [(x, y, f, df/dx, df/dy)], each as torch computes it on the formula as typed (where f
# is nan, the gradient is too: where the formula is undefined, so is its slope). The sign of a
# zero slope is the order of the rounding (torch's rules are not ours), not checked here.
CASES = {
    "log(x) + y**2": [  # the slope 1/x alone is a number at x = -1
        (-1.0, 0.5, nan, nan, nan),
        (0.0, 0.5, -math.inf, math.inf, 1.0),
        (1.0, 0.5, 0.25, 1.0, 1.0),
    ],
    "0*log(x) + y**2": [
        (-1.0, 0.5, nan, nan, nan),  # 0*nan
        (0.0, 0.5, nan, nan, nan),  # 0*-inf
        (2.0, 0.5, 0.25, 0.0, 1.0),
    ],
    "log(x) - log(x) + y**2": [
        (-1.0, 0.5, nan, nan, nan),
        (0.0, 0.5, nan, nan, nan),  # -inf - -inf
        (2.0, 0.5, 0.25, 0.0, 1.0),
    ],
    "log(x)/log(x)": [
        (-1.0, 0.5, nan, nan, nan),
        (0.0, 0.5, nan, nan, nan),  # -inf/-inf
        (1.0, 0.5, nan, nan, nan),  # 0/0
        (2.0, 0.5, 1.0, 0.0, 0.0),
    ],
    "sqrt(x)**2": [
        (-1.0, 0.5, nan, nan, nan),
        (0.0, 0.5, 0.0, nan, 0.0),  # defined, but the slope is (2 sqrt 0) / (2 sqrt 0) = 0/0
        (4.0, 0.5, 4.0, 1.0, 0.0),
    ],
    "(x/x)*y**2": [
        (0.0, 0.5, nan, nan, nan),
        (-1.0, 0.5, 0.25, 0.0, 1.0),
        (2.0, 0.5, 0.25, 0.0, 1.0),
    ],
    "0/log(x)": [
        (-1.0, 0.5, nan, nan, nan),
        (1.0, 0.5, nan, nan, nan),  # 0/0
        (0.0, 0.5, -0.0, nan, 0.0),  # 0/-inf is -0, its slope -0 * (1/0) nan
        (2.0, 0.5, 0.0, 0.0, 0.0),
    ],
    "log(x)**0 + y**2": [  # torch.pow(nan, 0) is 1, and its gradient 0: defined everywhere
        (-1.0, 0.5, 1.25, 0.0, 1.0),
        (0.0, 0.5, 1.25, 0.0, 1.0),
        (2.0, 0.5, 1.25, 0.0, 1.0),
    ],
    "exp(log(x)) + y**2": [(-1.0, 0.5, nan, nan, nan), (2.0, 0.5, 2.25, 1.0, 1.0)],
    "log(exp(x)) + y**2": [  # not x: exp(800) is inf, and the slope (1/inf) inf
        (800.0, 0.5, math.inf, nan, 1.0),
        (2.0, 0.5, 2.25, 1.0, 1.0),
    ],
    "0*x**4 + x**2": [(1e80, 0.0, nan, nan, nan), (3.0, 0.0, 9.0, 6.0, 0.0)],  # 0*inf: x**4 overflows first
    "x*0 + y": [(-1.0, 2.0, 2.0, 0.0, 1.0)],
    "x**2 - y**2": [  # inf - inf, where the slope (2e155, -2e155) alone would be finite
        (1e155, 1e155, nan, nan, nan),
        (1e155, 1.0, math.inf, 2e155, -2.0),  # infinite, not undefined: torch's slope
    ],
    "x*exp(y)": [(0.0, 800.0, nan, nan, nan), (1.0, 800.0, math.inf, math.inf, math.inf)],  # 0*inf
}


def assert_same(actual, expected, what):
    """Equal doubles, -0.0 apart from 0.0, nan where nan."""
    actual, expected = np.broadcast_arrays(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64))
    undefined = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(actual), undefined, err_msg=f"{what}: nan in other places")
    np.testing.assert_array_equal(bits(actual[~undefined]), bits(expected[~undefined]), err_msg=what)


@pytest.mark.parametrize("text", CASES)
def test_undefined_points_survive_simplification(text):
    s = from_expression(text, domain=DOMAIN)
    x, y, f, gx, gy = (np.array(column) for column in zip(*CASES[text], strict=True))
    assert_same(s.value_fn(x, y), f, f"{text}: f")
    np.testing.assert_array_equal(np.stack(s.grad_fn(x, y)), np.stack([gx, gy]), f"{text}: gradient")
    for xi, yi, fi, gxi, gyi in CASES[text]:  # the float path of single runs
        assert_same(s.value_fn(xi, yi), fi, f"{text}: f at {xi, yi}")
        np.testing.assert_array_equal(s.grad_fn(xi, yi), (gxi, gyi), f"{text}: gradient at {xi, yi}")


@pytest.mark.parametrize("text", ["log(x)**0", "0*x + 3", "x - x", "x*0"])
def test_a_formula_that_is_one_number_wherever_it_is_defined_is_refused(text):
    with pytest.raises(ValueError, match="does not depend on x or y"):
        from_expression(text)


def gradient_costs(text: str) -> tuple[int, int]:
    """The work of the partial derivatives alone, and of the gradient as run."""
    graph = Graph()
    f = build(graph, parse(text))
    return cost(graph, [derivative(graph, f, v) for v in "xy"]), gradient_cost(text)


@pytest.mark.parametrize(
    "text",
    [
        "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",  # nowhere nan (at most inf)
        "sin(3*x) * cos(3*y) + 0.1*(x**2 + y**2)",  # nan where sin(3x), and so cos(3x), is
        "sqrt(x^2 + y^2 + 1) + arctan(x*y) - atan(y) / 3",
        "exp(-(x^2 + y^2)/2) * tan(x/3) + log(1 + x^2 + y^2)",
    ],
)
def test_a_slope_that_is_nan_wherever_f_is_costs_nothing_more(text):
    partials, gradient = gradient_costs(text)
    assert gradient == partials


@pytest.mark.parametrize("text", ["0*log(x) + y**2", "x**2 - y**2", "log(x) + y"])
def test_a_slope_that_may_be_a_number_where_f_is_nan_is_made_nan(text):
    partials, gradient = gradient_costs(text)
    assert gradient > partials


def test_a_run_that_steps_into_the_undefined_part_diverges():
    s = from_expression("0*log(x) + (x - 1)**2 + y**2", domain=DOMAIN, start=(2.0, 1.0))
    t = optviz.run("sgd", s, steps=20, lr=1.2)  # from x = 2 over x = 1 to x = -0.4
    assert t.diverged_at == 1
    assert (t.points[:, 0] > 0).all()


# ------------------------------------------------------------------ against the raw tree

LN10, LN2 = portable.log(10.0), portable.log(2.0)
FUNCTION = {name: {"sqrt": sqrt, "abs": np.abs}.get(name) or getattr(portable, name) for name in FUNCTIONS.values()}


def constant_power(v, p):
    """x**p for a constant p: whole, a power of sqrt(x) for halves, else exp(p log x)."""
    if p == int(p):
        return whole_power(v, int(p))
    if p + p == int(p + p):
        return whole_power(sqrt(v), int(p + p))
    return portable.exp(p * portable.log(v))


def plus(a, b):
    """A sum of derivatives, None for one that is not there (the part does not depend on the variable)."""
    return b if a is None else a if b is None else a + b


def times(d, v):
    return None if d is None else d * v


def raw(tree, x, y):  # noqa: PLR0911  (one case per kind)
    """The formula's value and partial derivatives (None: no dependence), on the tree as typed,
    nothing simplified: every operation done, with the documented meanings and the chain rule
    as torch applies it (a part that does not depend on the variable adds nothing)."""
    kind, _, *payload = tree
    if kind == "num":
        return np.float64(payload[0]), None, None
    if kind == "const":
        return np.float64(CONSTANTS[payload[0]]), None, None
    if kind == "var":
        return (x, 1.0, None) if payload[0] == "x" else (y, None, 1.0)
    if kind == "pos":
        return raw(payload[0], x, y)
    if kind == "neg":
        v, *d = raw(payload[0], x, y)
        return -v, *(None if di is None else -di for di in d)
    if kind == "call":
        return call(payload[0], *raw(payload[1], x, y))
    (a, *da), (b, *db) = raw(payload[0], x, y), raw(payload[1], x, y)
    if kind == "add":
        return a + b, *map(plus, da, db)
    if kind == "sub":
        return a - b, *(plus(p, None if q is None else -q) for p, q in zip(da, db, strict=True))
    if kind == "mul":
        return a * b, *(plus(times(p, b), times(q, a)) for p, q in zip(da, db, strict=True))
    if kind == "div":
        v = a / b
        tops = (plus(p, None if q is None else -(v * q)) for p, q in zip(da, db, strict=True))
        return v, *(None if top is None else top / b for top in tops)
    return power(a, da, b, db)


def call(name, u, *du):
    v = FUNCTION[name](u) if np.ndim(u) else np.float64(FUNCTION[name](u))  # a number: NumPy's 1/0 is inf
    if all(d is None for d in du):
        return v, None, None
    outer = {
        "sin": lambda: portable.cos(u),
        "cos": lambda: -portable.sin(u),
        "tan": lambda: 1.0 + v * v,
        "exp": lambda: v,
        "log": lambda: 1.0 / u,
        "log10": lambda: (1.0 / LN10) / u,
        "log2": lambda: (1.0 / LN2) / u,
        "sqrt": lambda: 0.5 / v,
        "abs": lambda: np.sign(u),
        "tanh": lambda: 1.0 - v * v,
        "sinh": lambda: portable.cosh(u),
        "cosh": lambda: portable.sinh(u),
        "arctan": lambda: 1.0 / (1.0 + u * u),
    }[name]()
    return v, *(times(d, outer) for d in du)


def power(a, da, b, db):
    """a**b; a number (no array: one that depends on neither x nor y) is a constant."""
    if np.ndim(b) == 0:  # a**p (x**0 is the constant 1)
        p = float(b)
        if p == 0.0:  # 1, wherever a is nan too: torch.pow(nan, 0) is 1, with gradient 0
            return np.float64(1.0), None, None
        if p == 1.0:
            return a, *da
        if all(d is None for d in da):
            return constant_power(a, p), None, None
        slope = p * constant_power(a, p - 1.0)
        return constant_power(a, p), *(times(d, slope) for d in da)
    if np.ndim(a) == 0 and float(a) == math.e:  # e**b
        v = portable.exp(b)
        return v, *(times(d, v) for d in db)
    log_a = portable.log(a)
    d_log_a = [times(d, 1.0 / a) for d in da]
    v = portable.exp(b * log_a)  # a**b is exp(b log a)
    return v, *(times(plus(times(p, log_a), times(q, b)), v) for p, q in zip(db, d_log_a, strict=True))


SPECIAL = [-3.0, -1.0, -0.5, -0.0, 0.0, 1e-300, 0.5, 1.0, 2.0, 710.0, -710.0, 1e155, -1e155, 1e300]
grid = np.array([(x, y) for x in SPECIAL for y in SPECIAL])
POINTS = np.concatenate([grid, np.random.default_rng(15).uniform(-3, 3, size=(60, 2))])

NUMBERS = ["0", "1", "2", "0.5", "3", "pi", "e", "(-0)"]
EXPONENTS = ["0", "1", "2", "3", "-1", "-2", "0.5", "1.5", "-0.5", "0.3", "(1-1)"]


def formulas():
    """Small formulas of everything the whitelist allows."""

    def extend(inner):
        return (
            st.builds("{}({})".format, st.sampled_from(sorted(set(FUNCTIONS.values()))), inner)
            | inner.map("-({})".format)
            | st.builds("({}){}({})".format, inner, st.sampled_from("+-*/"), inner)
            | st.builds("({})**({})".format, inner, st.sampled_from(EXPONENTS) | inner)
        )

    return st.recursive(st.sampled_from(["x", "y"]) | st.sampled_from(NUMBERS), extend, max_leaves=6)


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(formulas())
@example("(x)**(2) - (y)**(2)")  # inf - inf at (1e155, 1e155)
@example("exp(x) - exp(y)")
@example("(x)*(exp(y))")  # 0*inf
@example("sin((x)*(x)) + cos(y)")  # sin(inf)
def test_simplified_formulas_equal_the_raw_tree_everywhere(text):
    try:
        s = from_expression(text, domain=DOMAIN)
    except ValueError:  # refused: constant, nowhere finite, 1/0 ...
        assume(False)
    x, y = POINTS[:, 0], POINTS[:, 1]
    with np.errstate(all="ignore"):
        f, *gradient = raw(parse(text), x, y)
    f = np.broadcast_to(f, x.shape)
    gradient = [np.where(np.isnan(f), nan, 0.0 if g is None else g) for g in gradient]  # no slope where no f
    # The same doubles; a zero slope's sign aside: the simplified -(a*b) has the slope
    # -(a'b + ab'), +0 or -0 where the raw (-a)*b's (-a')b + (-a)b' is 0 or +0.
    assert_same(s.value_fn(x, y), f, f"{text}: f")
    np.testing.assert_array_equal(np.stack(s.grad_fn(x, y)), np.stack(gradient), f"{text}: gradient")
    for k in range(0, len(POINTS), 23):  # the float path of single runs
        xk, yk = float(x[k]), float(y[k])
        assert_same(s.value_fn(xk, yk), f[k], f"{text}: f at {xk, yk}")
        np.testing.assert_array_equal(s.grad_fn(xk, yk), [g[k] for g in gradient], f"{text}: gradient at {xk, yk}")
