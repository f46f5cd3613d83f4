"""surfaces.from_expression: formulas typed by hand equal the catalog's surfaces, gradients
match finite differences, hostile text is refused at once, and the engine's identities hold."""

from pathlib import Path

import numpy as np
import pytest

import optviz
import surfaces
from optviz.core.engine import loop
from optviz.text.problems import formula_text
from surfaces.formula import MAX_LENGTH, FormulaError, from_expression
from tests.core import test_portability
from tests.core.test_portability import assert_same_bits, bits, column

one_ulp_off = test_portability.one_ulp_off  # the guard's fixture: NumPy's functions one ulp up

# name -> the formula typed by hand, and whether the operations are the catalog's own (equal bits)
TYPED = {
    "himmelblau": ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", True),
    "booth": ("(x + 2*y - 7)^2 + (2*x + y - 5)^2", True),
    "saddle": ("x**2 + y**4/4 - y**2/2", True),
    "rosenbrock": ("(1 - x)**2 + 100*(y - x**2)**2", False),
    "six_hump_camel": ("(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2", False),
}


def typed(name: str) -> surfaces.Surface:
    return from_expression(TYPED[name][0], domain=surfaces.get(name).domain)


def points_in(domain, n=500, seed=0) -> np.ndarray:
    (x0, x1), (y0, y1) = domain
    return np.random.default_rng(seed).uniform((x0, y0), (x1, y1), size=(n, 2))


@pytest.mark.parametrize("name", TYPED)
def test_typed_formulas_equal_the_catalog(name):
    catalog, formula = surfaces.get(name), typed(name)
    xy = points_in(catalog.domain)
    if TYPED[name][1]:
        np.testing.assert_array_equal(bits(formula.value(xy)), bits(catalog.value(xy)))
        np.testing.assert_array_equal(bits(formula.grad(xy)), bits(catalog.grad(xy)))
    else:  # the same function, rounded in another order: a few ulp
        scale = np.abs(catalog.value(xy)).max()
        np.testing.assert_allclose(formula.value(xy), catalog.value(xy), rtol=1e-14, atol=1e-14 * scale)
        scale = np.abs(catalog.grad(xy)).max()
        np.testing.assert_allclose(formula.grad(xy), catalog.grad(xy), rtol=1e-13, atol=1e-14 * scale)


@pytest.mark.parametrize("name", TYPED)
def test_typed_formulas_find_the_catalog_s_minima(name):
    catalog, formula = surfaces.get(name), typed(name)
    assert formula.minima_origin == "found"
    expected = sorted((round(m.x, 6), round(m.y, 6)) for m in catalog.minima)
    assert sorted((round(m.x, 6), round(m.y, 6)) for m in formula.minima) == expected
    for m in formula.minima:
        np.testing.assert_allclose(formula.grad(np.array([m.x, m.y])), 0.0, atol=1e-9)
    assert min(m.value for m in formula.minima) == pytest.approx(min(m.value for m in catalog.minima), abs=1e-12)


@pytest.mark.parametrize("name", TYPED)
def test_log_scale_as_the_catalog_chose_it(name):
    assert typed(name).log_scale == surfaces.get(name).log_scale


SMOOTH = [
    ("sin(3*x) * cos(3*y) + 0.1*(x**2 + y**2)", ((-3, 3), (-3, 3))),
    ("exp(-(x^2 + y^2)/2) * tan(x/3) + log(1 + x^2 + y^2)", ((-3, 3), (-3, 3))),
    ("sqrt(x^2 + y^2 + 1) + arctan(x*y) - atan(y) / 3", ((-4, 4), (-4, 4))),
    ("tanh(x) * sinh(y/2) + cosh(x/2) - ln(2 + sin(x*y))", ((-3, 3), (-3, 3))),
    ("log10(x^2 + 1) * log2(y^2 + 2) + x**-1 * 0 + 2**x + e**(y/2) + x^1.5", ((0.1, 3), (-2, 2))),
    ("(x^2 + y^2)^0.25 + abs(x - 1)^3 + x**y", ((0.2, 2), (0.1, 2))),
]


@pytest.mark.parametrize(("text", "domain"), SMOOTH)
def test_gradient_matches_central_differences(text, domain):
    s = from_expression(text, domain=domain)
    xy = points_in(domain, 300, seed=4)
    h = 1e-6
    numeric = np.stack([(s.value(xy + e) - s.value(xy - e)) / (2 * h) for e in np.eye(2) * h], axis=-1)
    analytic = s.grad(xy)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6 * (np.abs(analytic).max() + 1))


def test_allowed_syntax():
    s = from_expression("-x^2 + +y ** 2 − 2×x·y ÷ 4 + pi*e + 1_000e-3")
    assert s.value(np.array([1.0, 2.0])) == pytest.approx(-1 + 4 - 1 + np.pi * np.e + 1)
    assert from_expression("2^3^2*x").value(np.array([1.0, 0.0])) == 512.0  # ^ as ** : right to left
    assert from_expression("x ^ 2 + y").value(np.array([3.0, 1.0])) == 10.0  # and binds tighter than +


# --------------------------------------------------------------------------- hostile inputs

SENTINEL = Path("/tmp/optviz-expression-sentinel")
HOSTILE = [
    ("x.__class__", "attribute access"),
    ("x.__class__.__bases__[0].__subclasses__()", "attribute access"),
    (
        "__import__('os').system('touch /tmp/optviz-expression-sentinel')",
        r"attribute access \(\.system\) is not allowed at column 17",
    ),
    ("__import__('os')", "unknown function '__import__'"),
    ("__builtins__", "unknown name '__builtins__'"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("print(x)", "unknown function 'print'"),
    ("eval('x')", "unknown function 'eval'"),
    ("exec('x')", "unknown function 'exec'"),
    ("sin.__call__(x)", "attribute access"),
    ("(lambda: 0)()", "lambdas"),
    ("lambda x: x", "lambdas"),
    ("[x for x in range(9)]", "comprehensions"),
    ("sum(x for x in range(9))", "unknown function 'sum'"),
    ("'x'", "strings"),
    ("b'x'", "bytes"),
    ("f'{x}'", "f-strings"),
    ("x[0]", "subscripts"),
    ("sin(x=1)", "keyword arguments"),
    ("sin(*x)", "starred arguments"),
    ("(y := 2)", r"assignments \(:=\)"),
    ("x < y", "comparisons"),
    ("x and y", "and/or"),
    ("x if y else 0", "if-expressions"),
    ("x % 2", "the operator %"),
    ("x // 2", "the operator //"),
    ("x @ y", "the operator @"),
    ("~x", "the operator ~"),
    ("not x", "the operator not"),
    ("(x, y)", "tuples"),
    ("{x: y}", "dicts"),
    ("True * x", "True and False cannot be used"),
    ("1j * x", "imaginary numbers"),
    ("sin(x, y)", "sin takes one argument, got 2"),
    ("sin", "sin is a function"),
    ("z + 1", "unknown name 'z'"),
    ("x(2)", "unknown function 'x'"),
    ("9**9**9", r"the exponent 3.8742e\+08 is too large"),
    ("x**100000", "the exponent 100000 is too large"),
    ("x**(10**3)", "the exponent 1000 is too large"),
    ("2**2**2**2**2 * x", "exponent 65536 is too large"),
    ("1e400 * x", "the number 1e400 is too large"),
    ("10**1000 * x", "exponent 1000 is too large"),
    ("1" + "0" * 300 + " * x", "is too large"),
    ("(-2)**x", "needs a constant exponent"),
    ("x / 0", "not a finite number"),
    ("log(0) + x", "not a finite number"),
    ("exp(800) * x", "not a finite number"),
    ("3 + 4", "does not depend on x or y"),
    ("sqrt(-1 - x^2)", "nowhere finite"),
    ("(" * 1000 + "x" + ")" * 1000, "too long"),
    ("(" * 240 + "x" + ")" * 240, "cannot read it at column"),
    ("-" * 150 + "x", "nested more than 100 deep"),
    ("-(" * 101 + "x" + ")" * 101, "nested more than 100 deep"),
    ("+".join(["x"] * 240), "too long"),
    ("x" + "+x" * 120, "more than 200 numbers, names and operations"),
    ("x " * 500_000, "too long"),
    ("", "empty"),
    ("   ", "empty"),
    ("2x", r"write 2\*x, not 2x"),
    ("x +", "cannot read it"),
    ("x\x00", "cannot read it"),
    ("(x-1)(y-1)", "a product needs \\*"),  # juxtaposition: refused, never read as something else
    ("2(x+1)+y", "a product needs \\*"),
    ("x*2(y+1)", "a product needs \\*"),
    ("sin(x)(y)", "a product needs \\*"),
    ("sin(x)(z)(__import__)", "a product needs \\*"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_is_refused_at_once(text, message):
    SENTINEL.unlink(missing_ok=True)
    with pytest.raises(ValueError, match=message):
        from_expression(text)
    assert not SENTINEL.exists()
    # How fast the refusals are is measured by `python -m benchmarks.expressions`, not here.


@pytest.mark.parametrize("value", [None, 3, 3.0, b"x", ["x"], {"x": 1}])
def test_only_text_is_a_formula(value):
    with pytest.raises(ValueError, match="expected text"):
        from_expression(value)


def test_the_message_says_where():
    with pytest.raises(ValueError, match=r"unknown name 'z' .* at column 9"):
        from_expression("x^2 + y^z")  # ^ becomes ** and the column is still the typed one
    with pytest.raises(ValueError, match=r"attribute access \(\.real\) is not allowed at column 7"):
        from_expression("sin(x).real")


def test_length_limit_is_exactly_the_documented_one():
    text = "x" + " " * (MAX_LENGTH - 1)
    assert from_expression(text).formula == "f(x, y) = x"
    with pytest.raises(ValueError, match=f"too long \\({MAX_LENGTH + 1} characters"):
        from_expression(text + " ")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"domain": ((1, -1), (0, 1))}, "Invalid domain"),
        ({"domain": ((0, np.inf), (0, 1))}, "Invalid domain"),
        ({"domain": ((0, 1), (0, float("nan")))}, "Invalid domain"),
        ({"domain": "big"}, "Invalid domain"),
        ({"start": (5.0, 0.0)}, "Invalid start"),
        ({"start": "a"}, "Invalid start"),
        ({"minima": [(9.0, 9.0)]}, "Invalid minimum"),
        ({"minima": []}, "Invalid minima"),
    ],
)
def test_bad_domain_start_and_minima(kwargs, message):
    with pytest.raises(ValueError, match=message):
        from_expression("x^2 + y^2", **kwargs)


# ------------------------------------------------------------------------ undefined points


def test_undefined_points_give_nan_or_inf_silently_on_floats_and_arrays():
    s = from_expression("log(x) + 1/y + sqrt(x)", domain=((-1, 1), (-1, 1)))
    for x, y in [(-1.0, 0.5), (0.5, 0.0), (0.0, 0.0), (0.0, -0.0)]:
        on_float = s.value_fn(x, y)
        on_array = s.value_fn(np.array([x]), np.array([y]))
        assert not np.isfinite(on_float)
        np.testing.assert_array_equal(on_array, [on_float])  # NaN's sign bit may differ (np.sqrt's)
        gx, gy = s.grad_fn(x, y)
        agx, agy = s.grad_fn(np.array([x]), np.array([y]))
        np.testing.assert_array_equal([gx, gy], [agx[0], agy[0]])


def test_a_run_into_an_undefined_region_diverges():
    s = from_expression("log(x) + y^2", domain=((0.01, 3), (-1, 1)), start=(2.0, 0.5))
    t = optviz.run("sgd", s, steps=50, lr=1.0)
    assert t.diverged_at is not None
    assert np.isfinite(t.points).all()


# --------------------------------------------------------------------------- minima, start


def test_no_minimum_in_the_domain_gives_the_lowest_point():
    s = from_expression("x + 2*y", domain=((-1, 1), (0, 2)))
    assert s.minima_origin == "lowest"
    assert s.minima == (surfaces.Point(-1.0, 0.0, -1.0),)
    assert s.contains(*s.default_start)
    assert s.value(np.array(s.default_start)) > s.minima[0].value


def test_minima_given_by_the_caller_are_listed_with_their_values():
    s = from_expression("(x - 1)^2 + y^2", minima=[(1, 0)], start=(-2, 2))
    assert s.minima == (surfaces.Point(1.0, 0.0, 0.0),)
    assert s.minima_origin == "listed"
    assert s.default_start == (-2.0, 2.0)


def test_many_minima_are_listed_lowest_first_and_the_rest_kept_as_local_ones():
    s = from_expression("20 + x^2 - 10*cos(2*pi*x) + y^2 - 10*cos(2*pi*y)", domain=((-5.12, 5.12), (-5.12, 5.12)))
    assert s.minima[0] == pytest.approx((0.0, 0.0, 0.0), abs=1e-12)
    assert len(s.basin_minima) == 121  # as the catalog's Rastrigin
    values = [m.value for m in s.basin_minima]
    assert values == sorted(values)


def test_a_formula_whose_slope_is_nowhere_a_number():
    s = from_expression("(x - x)**y")  # exp(y log 0): 0 for y > 0, and its slope 0 * -inf
    assert s.minima_origin == "lowest"
    assert s.minima[0].value == 0.0


def test_degenerate_and_saddle_points():
    assert from_expression("x^4 + y^4", domain=((-1, 1), (-1, 1))).minima[0][:2] == pytest.approx((0, 0), abs=1e-7)
    saddle = from_expression("x^2 - y^2", domain=((-1, 1), (-1, 1)))
    assert saddle.minima_origin == "lowest"  # the saddle at the origin is not a minimum


def test_the_record():
    s = from_expression("(x - 1)^2 + 3*(y + 0.5)^2")
    assert s.name == "formula"
    assert s.formula == r"f(x, y) = \left(x - 1\right)^{2} + 3\left(y + 0.5\right)^{2}"
    assert s.domain == ((-3.0, 3.0), (-3.0, 3.0))
    assert s.default_start == (-2.1, 2.1)  # the north-west corner, 15 % in
    assert s.saddles == ()
    assert s.value(np.zeros((4, 5, 2))).shape == (4, 5)
    assert s.grad(np.zeros((4, 5, 2))).shape == (4, 5, 2)
    assert from_expression("x").grad(np.zeros((3, 2))).tolist() == [[1.0, 0.0]] * 3
    assert type(s.value_fn(0.5, 0.5)) is float


# ------------------------------------------------------------------------------ the engine

RUNS = [("sgd", {"lr": 0.01, "momentum": 0.9}), ("adam", {"lr": 0.05}), ("rmsprop", {"lr": 0.01})]
FORMULAS = [
    ("sin(3*x) * cos(3*y) + 0.1*(x**2 + y**2)", ((-3, 3), (-3, 3))),
    ("exp(-(x^2 + y^2)) * -3 + log(1 + x^2) + tanh(y)^2 + arctan(x*y)", ((-2, 2), (-2, 2))),
]


def runs_of(surface, monkeypatch):
    starts = points_in(surface.domain, loop.SCALAR_BATCH + 3, seed=9)
    out = {}
    for name, hp in RUNS:
        out[f"{name}-batch"] = optviz.run(name, surface, start=starts, steps=120, **hp)
        for i, start in enumerate(starts):
            out[f"{name}-{i}"] = optviz.run(name, surface, start=start, steps=120, **hp)  # the float path
        with monkeypatch.context() as patch:
            patch.setattr(loop, "SCALAR_BATCH", 0)
            out[f"{name}-arrays"] = optviz.run(name, surface, start=starts[0], steps=120, **hp)
    return starts, out


@pytest.mark.parametrize(("text", "domain"), FORMULAS)
def test_batches_equal_single_runs_and_floats_equal_arrays_whatever_numpy_rounds_to(
    text, domain, monkeypatch, one_ulp_off
):
    s = from_expression(text, domain=domain)
    starts, plain = runs_of(s, monkeypatch)
    with one_ulp_off():
        _, perturbed = runs_of(s, monkeypatch)
    for key, t in plain.items():
        assert_same_bits(perturbed[key], t)
    for name, _ in RUNS:
        for i in range(len(starts)):
            assert_same_bits(column(plain[f"{name}-batch"], i), plain[f"{name}-{i}"])
        assert_same_bits(plain[f"{name}-arrays"], plain[f"{name}-0"])


def test_a_formula_surface_runs_like_a_catalog_surface():
    catalog, formula = surfaces.get("himmelblau"), typed("himmelblau")
    for name, hp in RUNS:
        a = optviz.run(name, catalog, start=catalog.default_start, steps=200, **hp)
        b = optviz.run(name, formula, start=catalog.default_start, steps=200, **hp)
        np.testing.assert_array_equal(bits(a.points), bits(b.points))


@pytest.mark.parametrize(
    ("typed", "plain"),
    [("（x-1）**2 + y²", "(x-1)**2 + y**2"), ("x＋y**2", "x+y**2"), ("ｘ**2 − ｙ³", "x**2 - y**3")],
)
def test_a_chinese_keyboards_full_width_signs_and_superscripts_are_read(typed, plain):
    a, b = from_expression(typed), from_expression(plain)
    point = np.array([[0.3, -1.2], [2.0, 0.5]])
    np.testing.assert_array_equal(a.value(point), b.value(point))


@pytest.mark.parametrize(("typed", "char", "at"), [("x；y", "；", 2), ("x + y。", "。", 6), ("x、y", "、", 2)])
def test_a_character_a_formula_cannot_hold_is_named_with_its_column(typed, char, at):
    """A Chinese keyboard's ； or 。 is named, not "cannot read it"."""
    with pytest.raises(FormulaError) as refused:
        surfaces.from_expression(typed)
    assert refused.value.code == "character"
    assert refused.value.column == at
    in_chinese = formula_text(refused.value.code, refused.value.column, refused.value.details, "zh")
    assert f"“{char}”" in in_chinese
    assert f"第 {at} 列" in in_chinese
