r"""A surface from a formula: f(x, y) typed by a person, never evaluated as code.

The text is parsed with Python's :mod:`ast` (``mode="eval"``) and every node is checked
against a whitelist (:mod:`.parse`); the tree is rebuilt as a small expression graph of our
own (:mod:`.graph`), which is simplified (constants folded, ``x*1`` and ``x/1`` dropped; never
a part that may be undefined: ``0*log(x)`` stays a product, nan where the log is,
:mod:`.undefined`), differentiated symbolically (:mod:`.derive`), and run by functions
generated from it (:mod:`.program`) that call :mod:`optviz.core.portable` (so a batch equals
its single runs, on every CPU). ``eval``, ``exec`` and ``compile`` never see the text. Its
LaTeX is printed from the tree as typed (:mod:`.latex`); its minima are searched for
(:mod:`.minima`). A refusal is a :class:`FormulaError` record (:mod:`.errors`).

What a formula may contain:

* numbers (at most 1e12 in size), ``x``, ``y``, ``pi``, ``e``;
* ``+ - * / **``, unary ``-`` and ``+``, parentheses; ``^`` is read as ``**`` (it binds like
  it: ``x^2 + y`` is ``x**2 + y``), and ``−``, ``×``, ``·``, ``÷`` as ``-``, ``*``, ``*``, ``/``;
* the functions sin, cos, tan, exp, log (natural; also ``ln``), log10, log2, sqrt, abs, tanh,
  sinh, cosh and arctan (also ``atan``), called by name with one argument.

Powers: a constant exponent is at most 64 in size; a whole one is a product (``x**3`` is
``x*x*x``, as the catalog writes it), a half-integer one a power of ``sqrt``, any other
``exp(p log a)`` (nan for a negative base). A non-constant exponent, ``a**b``, means
``exp(b log a)``: defined where a > 0. Limits: 500 characters, 200 numbers, names and operations, nesting 100 deep.
Anything else is refused with a ValueError that says what and at which column. Where the
formula is undefined (a log of a negative, 0/0, 0*log(0) ...) its value is nan, as torch
computes it, and so is its gradient: the simplifier drops nothing that could be nan.

The surface a person types is registered here too, as ``formula``: in a link,
``surface=formula:f=...,x0=...,x1=...,y0=...,y1=...``, with the formula's text and the plot's
bounds as its parameters, so that everything that works on a surface works on it: runs, the
player, sweeps, maps, lessons and the link. A text that is refused raises the ValueError with
the reason, and the link reader and the page fall back to what they had.

>>> s = from_expression("(1 - x)^2 + 100*(y - x^2)^2", domain=((-2, 2), (-1, 3)))
>>> s.formula
'f(x, y) = \\left(1 - x\\right)^{2} + 100\\left(y - x^{2}\\right)^{2}'
>>> [(m.x, m.y, m.value) for m in s.minima], s.minima_origin
([(1.0, 1.0, 0.0)], 'found')
>>> from_expression("x.__class__")
Traceback (most recent call last):
...
surfaces.formula.errors.FormulaError: Invalid formula: attribute access (.__class__) is not allowed at column 2
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np

from surfaces.base import Domain, Param, Point, Surface, register, runs
from surfaces.formula.derive import derivative, gradient
from surfaces.formula.errors import FormulaError
from surfaces.formula.graph import Graph, NotFinite, build
from surfaces.formula.latex import latex
from surfaces.formula.minima import MAX_LISTED, MAX_LOCAL, MinimaSearch, default_start
from surfaces.formula.parse import MAX_LENGTH, Syntax, parse
from surfaces.formula.program import cost, on_points, program
from surfaces.formula.undefined import nan_makers

__all__ = ["MAX_COORDINATE", "MAX_LENGTH", "FormulaError", "from_expression", "gradient_cost"]

MAX_COORDINATE = 1e6  # of the domain's bounds


def _check_domain(domain: object) -> Domain:
    try:
        (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in domain)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        msg = f"Invalid domain: {domain!r} (expected ((x_min, x_max), (y_min, y_max)))"
        raise ValueError(msg) from None
    for low, high in ((x0, x1), (y0, y1)):
        if not (-MAX_COORDINATE <= low < high <= MAX_COORDINATE):
            msg = f"Invalid domain: {domain!r} (each range must be finite, increasing and within ±{MAX_COORDINATE:g})"
            raise ValueError(msg)
    return (x0, x1), (y0, y1)


def _check_point(point: object, what: str, domain: Domain) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in point)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        msg = f"Invalid {what}: {point!r} (expected (x, y))"
        raise ValueError(msg) from None
    (x0, x1), (y0, y1) = domain
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        msg = f"Invalid {what}: {point!r} (expected a point inside the domain {domain})"
        raise ValueError(msg)
    return x, y


def from_expression(
    text: str,
    domain: Domain = ((-3.0, 3.0), (-3.0, 3.0)),
    start: tuple[float, float] | None = None,
    minima: Sequence[tuple[float, float]] | None = None,
) -> Surface:
    """A Surface for ``f(x, y) = text`` over ``domain``; refused text raises ValueError.

    ``minima``: points (x, y) where the caller knows the minima (their values are computed);
    without them the minima are searched for on a 64 x 64 grid over the domain, refined by
    Newton's method on the symbolic gradient and Hessian, and kept where the gradient
    vanishes with no direction of descent (``minima_origin`` "found"). Where none is found,
    ``minima`` holds the grid's lowest point (``minima_origin`` "lowest"). ``start``: the
    default start; without it, the inset corner or edge middle farthest from the minima.
    """
    tree = parse(text)
    domain = _check_domain(domain)
    graph = Graph()
    f = build(graph, tree)
    if graph.value(f) is not None:
        raise FormulaError("constant")
    try:
        first = gradient(graph, f)
        gx, gy = derivative(graph, f, "x"), derivative(graph, f, "y")
        second = [derivative(graph, gx, "x"), derivative(graph, gx, "y"), derivative(graph, gy, "y")]
    except NotFinite:
        raise FormulaError("derivative") from None
    if graph.value(gx) == graph.value(gy) == 0.0 and not nan_makers(graph, f):  # x - x, 0*x + 3
        raise FormulaError("constant")
    value_run = on_points(program(graph, [f]))
    grad_run = on_points(program(graph, first))

    def value(x: Any, y: Any) -> Any:
        return value_run(x, y)[0]

    def grad(x: Any, y: Any) -> tuple[Any, Any]:
        g = grad_run(x, y)
        return g[0], g[1]

    hessian_run = on_points(program(graph, second))
    with np.errstate(all="ignore"):  # the search meets undefined points and overflows on the way
        costs = (cost(graph, [f]), cost(graph, first), cost(graph, second))
        search = MinimaSearch(value, grad, hessian_run, domain, costs)
        return _surface_from_search(
            tree, domain=domain, value=value, grad=grad, search=search, start=start, minima=minima
        )


def _surface_from_search(
    tree: Syntax,
    *,
    domain: Domain,
    value: Callable,
    grad: Callable,
    search: MinimaSearch,
    start: tuple[float, float] | None,
    minima: Sequence[tuple[float, float]] | None,
) -> Surface:
    """The formula's Surface, once its functions and search grid are made: the minima the caller
    listed or the search found, its LaTeX as typed, its default start and its plot's scale."""
    if not np.isfinite(search.z).any():
        raise FormulaError("nowhere_finite")
    if minima is not None:
        points = [_check_point(m, "minimum", domain) for m in minima]
        found = [Point(x, y, float(value(x, y))) for x, y in points]
        origin = "listed"
        if not found or not all(math.isfinite(m.value) for m in found):
            msg = "Invalid minima: expected at least one point where the formula is finite"
            raise ValueError(msg)
    else:
        found = search.minima()
        origin = "found" if found else "lowest"
        found = found or [search.lowest()]
    listed, local = tuple(found[:MAX_LISTED]), tuple(found[MAX_LISTED : MAX_LISTED + MAX_LOCAL])
    f_star = min(m.value for m in listed)
    return Surface(
        name="formula",
        formula="f(x, y) = " + latex(tree),
        value_fn=value,
        grad_fn=grad,
        domain=domain,
        minima=listed,
        saddles=(),
        default_start=_check_point(start, "start", domain) if start is not None else default_start(search, listed),
        log_scale=origin != "lowest" and search.log_scale(f_star),
        local_minima=local,
        minima_origin=origin,
        # Any shape may be typed: Prodigy at lr 1 leaves the plot of a bumpy one.
        preset_lr=(("Prodigy", 0.3),),
    )


def gradient_cost(text: str) -> int:
    """The work of one gradient of the formula ``text``, in operations (a function call counts 10)."""
    graph = Graph()
    f = build(graph, parse(text))
    return cost(graph, gradient(graph, f))


# ------------------------------------------------------------------ the registered surface

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
def typed_formula(f: str, x0: float, x1: float, y0: float, y1: float) -> Surface:
    """The surface of the formula ``f`` over [x0, x1] x [y0, y1]: ``surfaces.get("formula", f=...)``."""
    return _cached_surface(f, float(x0), float(x1), float(y0), float(y1))


@lru_cache(maxsize=64)
def _cached_surface(text: str, x0: float, x1: float, y0: float, y1: float) -> Surface:
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
