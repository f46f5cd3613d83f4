"""Where a formula may be undefined: which nodes of its graph can turn numbers into nan.

The simplifier keeps every part that may be nan; this module tells which those are, from
bounds on every node's values, so that a gradient is nan exactly where its formula is (see
:func:`surfaces.formula.derive.gradient`) and a formula that only looks constant (``x - x``
is nan at infinity, ``0*log(x)`` where x < 0) is told from one that is.
"""

from __future__ import annotations

import math
import sys

from optviz.core import portable
from optviz.core.primitives import sqrt
from surfaces.formula.arithmetic import whole_power
from surfaces.formula.graph import Graph, Node, needed

# At a finite point (x, y) a node is nan where an operand is (every operation passes nan on)
# or where it turns numbers into nan: the log or sqrt of a negative, 0/0, inf - inf, 0*inf,
# sin(inf). Bounds on every node's values tell which nodes might do that.

Range = tuple[float, float]  # (low, high), ±inf included

_REALS = (-math.inf, math.inf)
_BOUNDED = (-2.0, 2.0)  # sin, cos, tanh, arctan (loosely)
_TAN = (-1e300, 1e300)  # no double is near enough an odd multiple of pi/2 for more than about 1e17
_ANY_DOUBLE = (-sys.float_info.max, sys.float_info.max)  # x and y: finite


def _span(*ends: float) -> Range:
    """The lowest and highest of the candidate ends; unbounded if one is nan (inf - inf)."""
    return _REALS if any(math.isnan(end) for end in ends) else (min(ends), max(ends))


def _times(a: float, b: float) -> float:
    return 0.0 if a == 0.0 or b == 0.0 else a * b  # an end 0 * inf bounds the products by 0


def _exp_bound(high: float) -> float:
    return portable.exp(high) * 2.0 if high <= 700.0 else math.inf


def _may_be_zero(r: Range) -> bool:
    return r[0] <= 0.0 <= r[1]


def _may_be_infinite(r: Range) -> bool:
    return r[0] == -math.inf or r[1] == math.inf


def _range(node: Node, ra: Range, rb: Range, divisor: float | None) -> Range:  # noqa: PLR0911, PLR0912  (one case per op)
    """Bounds on a node's values where it is not nan, from its operands' (rounding is monotonic,
    so the ends computed in doubles bound the values computed in doubles)."""
    op, _, _, value = node
    (la, ha), (lb, hb) = ra, rb
    if op == "const":
        return value, value
    if op == "var":
        return _ANY_DOUBLE
    if op == "neg":
        return -ha, -la
    if op == "add":
        return _span(la + lb, ha + hb)
    if op == "sub":
        return _span(la - hb, ha - lb)
    if op == "mul":
        return _span(*(_times(p, q) for p in ra for q in rb))
    if op == "div":
        if divisor is not None:
            return _span(la / divisor, ha / divisor)
        return _span(la / lb, la / hb, ha / lb, ha / hb) if lb > 0.0 or hb < 0.0 else _REALS
    if op == "ipow":
        if value < 0:
            return (0.0, math.inf) if value % 2 == 0 else _REALS
        if value % 2 == 0:
            return 0.0, whole_power(max(-la, ha), value)
        return whole_power(la, value), whole_power(ha, value)
    if op == "powc":
        return (0.0, math.inf) if value > 0 else _REALS
    if op == "sign":
        return -1.0, 1.0
    if op == "defined_where":
        return ra
    largest = max(-la, ha)
    if value in ("log", "log10", "log2"):  # increasing; log2's is the widest
        return (min(0.0, portable.log2(la)) - 1.0 if la > 0.0 else -math.inf), max(0.0, portable.log2(ha)) + 1.0
    return {
        "sin": _BOUNDED,
        "cos": _BOUNDED,
        "tanh": _BOUNDED,
        "arctan": _BOUNDED,
        "tan": _TAN,
        "exp": (0.0, _exp_bound(ha)),
        "cosh": (0.0, _exp_bound(largest)),
        "sinh": (-_exp_bound(largest), _exp_bound(largest)),
        "sqrt": (0.0, sqrt(ha) if ha >= 0.0 else math.inf),
        "abs": (0.0, largest),
    }.get(value, _REALS)


def _turns_nan(node: Node, ra: Range, rb: Range, divisor: float | None) -> bool:  # noqa: PLR0911  (one case per op)
    """Whether the node may be nan where its operands are numbers."""
    op, _, _, value = node
    (la, ha), (lb, hb) = ra, rb
    if op == "add":  # inf + -inf
        return (ha == math.inf and lb == -math.inf) or (la == -math.inf and hb == math.inf)
    if op == "sub":  # inf - inf
        return (ha == math.inf and hb == math.inf) or (la == -math.inf and lb == -math.inf)
    if op == "mul":  # 0 * inf
        return (_may_be_zero(ra) and _may_be_infinite(rb)) or (_may_be_infinite(ra) and _may_be_zero(rb))
    if op == "div":  # 0/0, inf/inf
        both = (_may_be_zero(ra) and _may_be_zero(rb)) or (_may_be_infinite(ra) and _may_be_infinite(rb))
        return divisor is None and both
    if op == "powc" or (op == "fn" and value in ("log", "log10", "log2", "sqrt")):  # of a negative
        return la < 0.0
    if op == "fn" and value in ("sin", "cos", "tan"):  # of inf
        return _may_be_infinite(ra)
    return op == "defined_where"  # nan where f is


def nan_makers(graph: Graph, root: int) -> set[tuple[str, int]]:
    """How ``root`` may be nan at a finite point (x, y): the nodes it depends on that may turn
    numbers into nan, each named by when it does (log(a) and sqrt(a) both where a < 0, sin(a)
    and cos(a) both where a is infinite; any other node by itself). Where root is nan, one of
    them is."""
    ranges: list[Range] = []
    for node in graph.nodes:  # operands first
        _, a, b, _ = node
        ranges.append(
            _range(node, ranges[a] if a >= 0 else _REALS, ranges[b] if b >= 0 else _REALS, _divisor(graph, b))
        )
    makers = set()
    for i in needed(graph, [root]):
        node = graph.nodes[i]
        op, a, b, value = node
        if _turns_nan(node, ranges[a] if a >= 0 else _REALS, ranges[b] if b >= 0 else _REALS, _divisor(graph, b)):
            if op == "powc" or value in ("log", "log10", "log2", "sqrt"):
                makers.add(("negative", a))
            elif value in ("sin", "cos", "tan"):
                makers.add(("infinite", a))
            else:
                makers.add(("node", i))
    return makers


def _divisor(graph: Graph, b: int) -> float | None:
    return graph.value(b) if b >= 0 else None
