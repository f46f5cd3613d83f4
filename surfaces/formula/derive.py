"""Symbolic derivatives of a formula's graph, as torch's autograd takes them.

A derivative is made of the graph's own nodes (so it is simplified and shared like the
formula), once per node and variable. A part that does not depend on the variable adds no
term at all (d/dx of log(y) is nothing, not 0 times 1/y), as in torch; and where the formula
is undefined its gradient is nan too (:func:`gradient`).
"""

from __future__ import annotations

from optviz.core import portable
from surfaces.formula.graph import Graph
from surfaces.formula.parse import VARIABLES
from surfaces.formula.undefined import nan_makers

_LN10 = portable.log(10.0)
_LN2 = portable.log(2.0)


def derivative(graph: Graph, i: int, variable: str) -> int:
    """The node of d(node i)/d(variable): torch's, where a part that does not depend on
    the variable adds nothing (d/dx of log(y) is no term at all, not 0 times 1/y)."""
    d = partial(graph, i, variable)
    return graph.const(0.0) if d is None else d


def partial(graph: Graph, i: int, variable: str) -> int | None:
    """The derivative's node, or None where node i does not depend on the variable."""
    key = (i, variable)
    if key not in graph.derivatives:
        graph.derivatives[key] = _partial(graph, i, variable)
    return graph.derivatives[key]


def _partial(graph: Graph, i: int, variable: str) -> int | None:  # noqa: PLR0911  (one case per op)
    op, a, b, value = graph.nodes[i]
    if op in ("const", "sign") or (op == "var" and value != variable):
        return None
    if op == "var":
        return graph.const(1.0)
    da = partial(graph, a, variable)
    if op in ("neg", "ipow", "powc", "fn", "defined_where"):
        if da is None:
            return None
        if op == "neg":
            return graph.neg(da)
        if op == "fn":
            return _chain(graph, value, a, i, da)
        if op == "defined_where":
            return graph.defined_where(da, b)
        return graph.mul(graph.mul(graph.const(value), graph.power(a, value - 1)), da)  # p a^(p - 1) da
    db = partial(graph, b, variable)
    if op == "add":
        return _sum(graph, da, db)
    if op == "sub":
        return _sum(graph, da, None if db is None else graph.neg(db))
    if op == "mul":
        return _sum(graph, None if da is None else graph.mul(da, b), None if db is None else graph.mul(a, db))
    # div: (da - (a/b) db) / b
    top = _sum(graph, da, None if db is None else graph.neg(graph.mul(i, db)))
    return None if top is None else graph.div(top, b)


def _sum(graph: Graph, a: int | None, b: int | None) -> int | None:
    """a + b, where None is a term that is not there."""
    if a is None or b is None:
        return b if a is None else a
    return graph.add(a, b)


def _chain(graph: Graph, name: str, a: int, i: int, da: int) -> int:
    """d name(a) = name'(a) da, with i the node name(a)."""
    one = graph.const(1.0)
    outer = {
        "sin": lambda: graph.fn("cos", a),
        "cos": lambda: graph.neg(graph.fn("sin", a)),
        "tan": lambda: graph.add(one, graph.mul(i, i)),
        "exp": lambda: i,
        "log": lambda: graph.div(one, a),
        "log10": lambda: graph.div(graph.const(1.0 / _LN10), a),
        "log2": lambda: graph.div(graph.const(1.0 / _LN2), a),
        "sqrt": lambda: graph.div(graph.const(0.5), i),
        "abs": lambda: graph.sign(a),
        "tanh": lambda: graph.sub(one, graph.mul(i, i)),
        "sinh": lambda: graph.fn("cosh", a),
        "cosh": lambda: graph.fn("sinh", a),
        "arctan": lambda: graph.div(one, graph.add(one, graph.mul(a, a))),
    }[name]()
    return graph.mul(outer, da)


def gradient(graph: Graph, f: int) -> list[int]:
    """The nodes of f's gradient: torch's partial derivatives, and nan where f is nan (where
    the formula is undefined, so is its slope: 0*log(x) + y**2 has none at x = -1). A partial
    derivative that depends on every node that can make f nan is nan there already; any other
    is guarded by f."""
    partials = [derivative(graph, f, variable) for variable in VARIABLES]
    makers = nan_makers(graph, f)
    return [p if makers <= nan_makers(graph, p) else graph.defined_where(p, f) for p in partials]
