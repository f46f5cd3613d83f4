"""A formula's expression graph: its nodes, shared where equal and simplified as they are made.

The graph is built from the checked syntax tree (:func:`build`). Constant parts are folded
with the arithmetic that runs the formula, ``x*1`` and ``x/1`` are dropped, ``a + (-b)`` is
``a - b``; never a part that may be undefined: ``0*log(x)`` stays a product, nan where the log
is. Every rewrite gives the same double as what it replaces, at every point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from optviz.core import portable
from surfaces.formula.arithmetic import OPERATIONS
from surfaces.formula.errors import FormulaError
from surfaces.formula.parse import CONSTANTS, Syntax

MAX_EXPONENT = 64  # of a constant exponent

# A node: (op, a, b, value) with a and b indices of earlier nodes (-1 for none). Ops: const
# (value: the float), var (value: "x" or "y"), add, sub, mul, div, neg, ipow (value: the whole
# exponent), powc (value: the constant exponent), fn (value: the function's name), sign.
Node = tuple[str, int, int, Any]


class NotFinite(Exception):
    """A constant part of the formula is not a finite number."""


class Graph:
    """Expression nodes, shared where equal, built with light simplification."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.index: dict[Any, int] = {}
        # Each derivative made, by (node, variable); None where the node does not depend on
        # the variable (kept by surfaces.formula.derive, so each is made once).
        self.derivatives: dict[tuple[int, str], int | None] = {}

    def add_node(self, node: Node) -> int:
        key = (node, math.copysign(1.0, node[3])) if node[0] == "const" else node  # -0.0 apart from 0.0
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.nodes)
            self.nodes.append(node)
        return found

    def value(self, i: int) -> float | None:
        op, _, _, value = self.nodes[i]
        return value if op == "const" else None

    def const(self, value: float) -> int:
        value = float(value)
        if not math.isfinite(value):
            raise NotFinite
        return self.add_node(("const", -1, -1, value))

    def var(self, name: str) -> int:
        return self.add_node(("var", -1, -1, name))

    def fold(self, op: str, a: int, b: int = -1, value: Any = None) -> int | None:
        """The constant result of op on constant operands, else None."""
        va = self.value(a)
        vb = self.value(b) if b >= 0 else 0.0
        if va is None or vb is None:
            return None
        return self.const(OPERATIONS[op](value)(va, vb) if b >= 0 else OPERATIONS[op](value)(va))

    # Every rewrite below gives the same double as the operation it replaces, at every point
    # (x, y), nan, inf and -0.0 included: 0*log(x) stays a product (nan where log x is), x - x
    # and x/x stay (nan where x is 0 or inf), and so do x + 0 (-0.0 + 0 is 0.0) and x*-0.
    def add(self, a: int, b: int) -> int:
        folded = self.fold("add", a, b)
        if folded is not None:
            return folded
        if self.nodes[b][0] == "neg":  # a + (-b) is a - b, bit for bit
            return self.sub(a, self.nodes[b][1])
        return self.add_node(("add", a, b, None))

    def sub(self, a: int, b: int) -> int:
        folded = self.fold("sub", a, b)
        if folded is not None:
            return folded
        if self.nodes[b][0] == "neg":
            return self.add(a, self.nodes[b][1])
        return self.add_node(("sub", a, b, None))

    def mul(self, a: int, b: int) -> int:
        folded = self.fold("mul", a, b)
        if folded is not None:
            return folded
        for one, other in ((a, b), (b, a)):
            if self.value(one) == 1.0:
                return other
            if self.value(one) == -1.0:
                return self.neg(other)
        if self.nodes[a][0] == "neg":  # (-a) b is -(a b): rounding is symmetric
            return self.neg(self.mul(self.nodes[a][1], b))
        if self.nodes[b][0] == "neg":
            return self.neg(self.mul(a, self.nodes[b][1]))
        return self.add_node(("mul", a, b, None))

    def div(self, a: int, b: int) -> int:
        if self.value(b) == 0.0:
            raise NotFinite
        folded = self.fold("div", a, b)
        if folded is not None:
            return folded
        if self.value(b) == 1.0:
            return a
        return self.add_node(("div", a, b, None))

    def neg(self, a: int) -> int:
        folded = self.fold("neg", a)
        if folded is not None:
            return folded
        if self.nodes[a][0] == "neg":
            return self.nodes[a][1]
        return self.add_node(("neg", a, -1, None))

    def power(self, a: int, exponent: float) -> int:
        """a to a constant power; a**0 is 1 wherever a is nan too, as torch.pow and IEEE's pow have it."""
        if exponent == 0.0:
            return self.const(1.0)
        if exponent == 1.0:
            return a
        op = "ipow" if exponent == int(exponent) else "powc"
        value = int(exponent) if op == "ipow" else exponent
        folded = self.fold(op, a, value=value)
        return self.add_node((op, a, -1, value)) if folded is None else folded

    def fn(self, name: str, a: int) -> int:
        folded = self.fold("fn", a, value=name)
        if folded is not None:
            return folded
        return self.add_node(("fn", a, -1, name))

    def sign(self, a: int) -> int:
        folded = self.fold("sign", a)
        return self.add_node(("sign", a, -1, None)) if folded is None else folded

    def defined_where(self, a: int, f: int) -> int:
        """a where f is a number, nan where f is nan (a constant f is never nan)."""
        return a if self.value(f) is not None else self.add_node(("defined_where", a, f, None))


def build(graph: Graph, tree: Syntax) -> int:  # noqa: PLR0911  (one case per kind)
    """Add the formula ``tree`` to ``graph``; its node. A constant part that is not a finite
    number, or an exponent past the limits, is refused."""
    kind, column, *payload = tree
    try:
        if kind == "num":
            return graph.const(payload[0])
        if kind == "var":
            return graph.var(payload[0])
        if kind == "const":
            return graph.const(CONSTANTS[payload[0]])
        if kind == "pos":
            return build(graph, payload[0])
        if kind == "neg":
            return graph.neg(build(graph, payload[0]))
        if kind == "call":
            return graph.fn(payload[0], build(graph, payload[1]))
        a, b = build(graph, payload[0]), build(graph, payload[1])
        if kind == "pow":
            return _power(graph, a, b, column)
        return {"add": graph.add, "sub": graph.sub, "mul": graph.mul, "div": graph.div}[kind](a, b)
    except NotFinite:
        raise FormulaError("not_finite", column) from None


def _power(graph: Graph, a: int, b: int, column: int) -> int:
    """a**b: a constant exponent as a power, any other as exp(b log a)."""
    exponent = graph.value(b)
    if exponent is not None:
        if abs(exponent) > MAX_EXPONENT:
            raise FormulaError("exponent", column, exponent=f"{exponent:g}", limit=MAX_EXPONENT)
        return graph.power(a, exponent)
    base = graph.value(a)
    if base is not None and base <= 0.0:
        raise FormulaError("negative_base", column)
    if base == math.e:
        return graph.fn("exp", b)
    logarithm = graph.const(portable.log(base)) if base is not None else graph.fn("log", a)
    return graph.fn("exp", graph.mul(b, logarithm))  # a**b = exp(b log a), where a > 0


def needed(graph: Graph, roots: Sequence[int]) -> list[int]:
    """The nodes that ``roots`` depend on, in order (operands first)."""
    found: set[int] = set()
    stack = list(roots)
    while stack:
        i = stack.pop()
        if i in found:
            continue
        found.add(i)
        _, a, b, _ = graph.nodes[i]
        stack.extend(j for j in (a, b) if j >= 0)
    return sorted(found)
