r"""A surface from a formula: f(x, y) typed by a person, never evaluated as code.

The text is parsed with Python's :mod:`ast` (``mode="eval"``) and every node is checked
against a whitelist; the tree is rebuilt as a small expression graph of our own, which is
simplified (constants folded, ``x*1`` and ``x/1`` dropped; never a part that may be undefined:
``0*log(x)`` stays a product, nan where the log is), differentiated symbolically, and run by
closures that call :mod:`optviz.core.portable` (so a batch equals its single runs, on every CPU).
``eval``, ``exec`` and ``compile`` never see the text.

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

>>> s = from_expression("(1 - x)^2 + 100*(y - x^2)^2", domain=((-2, 2), (-1, 3)))
>>> s.formula
'f(x, y) = \\left(1 - x\\right)^{2} + 100\\left(y - x^{2}\\right)^{2}'
>>> [(m.x, m.y, m.value) for m in s.minima], s.minima_origin
([(1.0, 1.0, 0.0)], 'found')
>>> from_expression("x.__class__")
Traceback (most recent call last):
...
surfaces.expression.FormulaError: Invalid formula: attribute access (.__class__) is not allowed at column 2
"""

from __future__ import annotations

import ast
import math
import operator
import sys
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from optviz.core import portable
from optviz.core.primitives import sqrt
from optviz.text import DEFAULT_LANGUAGE, say
from surfaces.base import Domain, Point, Surface

MAX_LENGTH = 500  # characters of text
MAX_NODES = 200  # operations, numbers and names
MAX_DEPTH = 100  # nesting
MAX_EXPONENT = 64  # of a constant exponent
MAX_CONSTANT = 1e12  # of a number in the text
MAX_COORDINATE = 1e6  # of the domain's bounds

# Names a formula may call, with their canonical name.
FUNCTIONS = {
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "exp": "exp",
    "log": "log",
    "ln": "log",
    "log10": "log10",
    "log2": "log2",
    "sqrt": "sqrt",
    "abs": "abs",
    "tanh": "tanh",
    "sinh": "sinh",
    "cosh": "cosh",
    "arctan": "arctan",
    "atan": "arctan",
}
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")
_SPELLINGS = str.maketrans({"−": "-", "×": "*", "·": "*", "÷": "/", "\t": " ", "\n": " ", "\r": " "})
_SUPERSCRIPTS = {"²": "**2", "³": "**3", "⁴": "**4"}


class FormulaError(ValueError):
    """A formula refused: a code and its details (the catalogs word it: ``formula.<code>``), and
    the column of the typed text it concerns. ``str()`` is the English."""

    def __init__(self, code: str, column: int | None = None, **details: Any) -> None:
        self.code, self.column, self.details = code, column, details
        super().__init__(self.text())

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The refusal in ``lang``: "Invalid formula: unknown name 'z' ... at column 9"."""
        details = dict(self.details)
        if "what" in details:  # a construct, by its key
            details["what"] = say(f"formula_node.{details['what']}", lang)
        where = "" if self.column is None else say("formula.at_column", lang, column=self.column)
        return say("formula.invalid", lang) + say(f"formula.{self.code}", lang, **details) + where


def _refuse(code: str, column: int | None = None, **details: Any) -> FormulaError:
    return FormulaError(code, column, **details)


# ------------------------------------------------------------------------------- parsing

# A checked tree: (kind, column, *payload), kinds num, var, const, neg, pos, add, sub, mul,
# div, pow, call. It keeps what was typed, for the LaTeX.
Syntax = tuple

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_UNARY = {ast.USub: "neg", ast.UAdd: "pos"}
_OPERATOR_NAMES = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Invert: "~",
    ast.Not: "not",
}
_NODE_NAMES = {  # what each construct is called, by its key in the catalogs (formula_node.<key>)
    ast.Attribute: "attribute",
    ast.Subscript: "subscripts",
    ast.Slice: "subscripts",
    ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "fstrings",
    ast.FormattedValue: "fstrings",
    ast.Compare: "comparisons",
    ast.BoolOp: "andor",
    ast.IfExp: "ifs",
    ast.NamedExpr: "assignments",
    ast.Starred: "starred",
    ast.Tuple: "tuples",
    ast.List: "lists",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


class _Parser:
    """Checks an ``ast`` tree node by node and turns it into Syntax."""

    def __init__(self, text: str, columns: list[int]) -> None:
        self.text = text
        self.columns = columns  # index in the normalised text -> column in the typed text

    def column(self, node: ast.AST) -> int:
        start = node.col_offset
        if isinstance(node, ast.Attribute):  # the dot, not the object it follows
            start = (node.end_col_offset or 0) - len(node.attr.encode("utf-8")) - 1
        offset = len(self.text.encode("utf-8")[:start].decode("utf-8", errors="ignore"))
        return self.columns[min(offset, len(self.columns) - 1)]

    def refuse(self, what: str, node: ast.AST) -> FormulaError:
        """``what`` (a key of ``formula_node`` in the catalogs) is not allowed."""
        return _refuse("not_allowed", self.column(node), what=what)

    def parse(self, node: ast.AST, depth: int = 0) -> Syntax:
        if depth > MAX_DEPTH:
            raise _refuse("too_deep", self.column(node), limit=MAX_DEPTH)
        column = self.column(node)
        if isinstance(node, ast.Constant):
            return self.number(node, column)
        if isinstance(node, ast.Name):
            return self.name(node, column)
        if isinstance(node, ast.BinOp):
            kind = _BINARY.get(type(node.op))
            if kind is None:
                raise _refuse("operator", column, operator=_OPERATOR_NAMES.get(type(node.op), "?"))
            return (kind, column, self.parse(node.left, depth + 1), self.parse(node.right, depth + 1))
        if isinstance(node, ast.UnaryOp):
            kind = _UNARY.get(type(node.op))
            if kind is None:
                raise _refuse("operator", column, operator=_OPERATOR_NAMES.get(type(node.op), "?"))
            return (kind, column, self.parse(node.operand, depth + 1))
        if isinstance(node, ast.Call):
            return self.call(node, column, depth)
        if isinstance(node, ast.Attribute):
            raise _refuse("attribute", self.column(node), attribute=node.attr)
        raise self.refuse(_NODE_NAMES.get(type(node), "other"), node)

    def number(self, node: ast.Constant, column: int) -> Syntax:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = {str: "strings", bytes: "bytes", complex: "imaginary", bool: "booleans"}.get(type(value), "other")
            raise _refuse("not_allowed", column, what=kind)
        if not abs(value) <= MAX_CONSTANT:  # ints compare exactly, however long; NaN and inf fail
            raise _refuse("number", column, number=_short(self.text, node), limit=f"{MAX_CONSTANT:g}")
        return ("num", column, float(value))

    def name(self, node: ast.Name, column: int) -> Syntax:
        if node.id in VARIABLES:
            return ("var", column, node.id)
        if node.id in CONSTANTS:
            return ("const", column, node.id)
        if node.id in FUNCTIONS:
            raise _refuse("function_needs_call", column, name=node.id)
        raise _refuse("unknown_name", column, name=repr(node.id))

    def call(self, node: ast.Call, column: int, depth: int) -> Syntax:
        if isinstance(node.func, (ast.Attribute, ast.Subscript, ast.Lambda)):
            return self.parse(node.func, depth + 1)  # refused, saying what it is
        if not isinstance(node.func, ast.Name):  # 2(x+1), (x-1)(y-1): a product written without *
            raise _refuse("product", self.column(node.func))
        name = node.func.id
        if name not in FUNCTIONS:
            raise _refuse("unknown_function", column, name=repr(name), allowed=", ".join(sorted(FUNCTIONS)))
        if node.keywords:
            raise self.refuse("keywords", node.keywords[0].value)
        if any(isinstance(argument, ast.Starred) for argument in node.args):
            raise self.refuse("starred", node.args[0])
        if len(node.args) != 1:
            raise _refuse("arguments", column, name=name, count=len(node.args))
        return ("call", column, FUNCTIONS[name], self.parse(node.args[0], depth + 1))


# What a formula is written with: a typed character outside these (a full-width ；, a Chinese
# comma) is named in the refusal, where Python's parser would only say it cannot read the text.
_FORMULA_CHARACTERS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_ .+-*/()^,\t")


def _short(text: str, node: ast.AST) -> str:
    segment = ast.get_source_segment(text, node) or "?"
    return segment if len(segment) <= 20 else segment[:17] + "..."


def parse(text: object) -> Syntax:
    """Check ``text`` against the whitelist and return its tree; ValueError says what and where."""
    if not isinstance(text, str):
        raise _refuse("not_text", kind=type(text).__name__)
    if len(text) > MAX_LENGTH:
        raise _refuse("too_long", length=len(text), limit=MAX_LENGTH)
    if not text.strip():
        raise _refuse("empty")
    normalised, columns = [], []
    for column, typed in enumerate(text, start=1):
        # A Chinese keyboard types full-width signs (（x＋1）) and superscripts (x²): read them
        # as what they are, character by character, so that columns stay the typed ones.
        char = _SUPERSCRIPTS.get(typed) or unicodedata.normalize("NFKC", typed).translate(_SPELLINGS)
        if char == "^":  # a power, as in mathematics: ** binds as tightly
            normalised.append("**")
            columns.extend((column, column))
        elif len(char) > 1:  # a superscript: a power
            normalised.append(char)
            columns.extend([column] * len(char))
        else:
            normalised.append(char)
            columns.append(column)
    for column, (typed, char) in enumerate(zip(text, normalised, strict=False), start=1):
        if not typed.isascii() and typed not in _SUPERSCRIPTS and not set(char) <= _FORMULA_CHARACTERS:
            raise _refuse("character", column, char=typed)  # a full-width ； named, not "cannot read it"
    source = "".join(normalised)
    columns.append(len(text) + 1)
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        offset = (error.offset or 1) - 1 + (len(source) - len(source.lstrip()))
        code = "syntax_number" if "decimal literal" in (error.msg or "") else "syntax"  # 2x, not 2*x
        raise _refuse(code, columns[min(max(offset, 0), len(columns) - 1)]) from None
    except (ValueError, RecursionError, MemoryError):  # NUL characters; pathological nesting
        raise _refuse("unreadable") from None
    if sum(isinstance(node, ast.expr) for node in ast.walk(tree)) > MAX_NODES:
        raise _refuse("too_many", limit=MAX_NODES)
    stripped = len(source) - len(source.lstrip())
    return _Parser(source.strip(), columns[stripped:]).parse(tree.body)


# ------------------------------------------------------------------------------- the graph

# A node: (op, a, b, value) with a and b indices of earlier nodes (-1 for none). Ops: const
# (value: the float), var (value: "x" or "y"), add, sub, mul, div, neg, ipow (value: the whole
# exponent), powc (value: the constant exponent), fn (value: the function's name), sign.
Node = tuple[str, int, int, Any]


class _NotFinite(Exception):
    """A constant part of the formula is not a finite number."""


class Graph:
    """Expression nodes, shared where equal, built with light simplification."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.index: dict[Any, int] = {}
        self.derivatives: dict[tuple[int, str], int] = {}

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
            raise _NotFinite
        return self.add_node(("const", -1, -1, value))

    def var(self, name: str) -> int:
        return self.add_node(("var", -1, -1, name))

    def fold(self, op: str, a: int, b: int = -1, value: Any = None) -> int | None:
        """The constant result of op on constant operands, else None."""
        va = self.value(a)
        vb = self.value(b) if b >= 0 else 0.0
        if va is None or vb is None:
            return None
        return self.const(_OPERATIONS[op](value)(va, vb) if b >= 0 else _OPERATIONS[op](value)(va))

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
            raise _NotFinite
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

    # ------------------------------------------------------------------- the derivative

    def derivative(self, i: int, variable: str) -> int:
        """The node of d(node i)/d(variable): torch's, where a part that does not depend on
        the variable adds nothing (d/dx of log(y) is no term at all, not 0 times 1/y)."""
        d = self.partial(i, variable)
        return self.const(0.0) if d is None else d

    def partial(self, i: int, variable: str) -> int | None:
        """The derivative's node, or None where node i does not depend on the variable."""
        key = (i, variable)
        if key not in self.derivatives:
            self.derivatives[key] = self._partial(i, variable)
        return self.derivatives[key]

    def _partial(self, i: int, variable: str) -> int | None:  # noqa: PLR0911  (one case per op)
        op, a, b, value = self.nodes[i]
        if op in ("const", "sign") or (op == "var" and value != variable):
            return None
        if op == "var":
            return self.const(1.0)
        da = self.partial(a, variable)
        if op in ("neg", "ipow", "powc", "fn", "defined_where"):
            if da is None:
                return None
            if op == "neg":
                return self.neg(da)
            if op == "fn":
                return self.chain(value, a, i, da)
            if op == "defined_where":
                return self.defined_where(da, b)
            return self.mul(self.mul(self.const(value), self.power(a, value - 1)), da)  # p a^(p - 1) da
        db = self.partial(b, variable)
        if op == "add":
            return self._sum(da, db)
        if op == "sub":
            return self._sum(da, None if db is None else self.neg(db))
        if op == "mul":
            return self._sum(None if da is None else self.mul(da, b), None if db is None else self.mul(a, db))
        # div: (da - (a/b) db) / b
        top = self._sum(da, None if db is None else self.neg(self.mul(i, db)))
        return None if top is None else self.div(top, b)

    def _sum(self, a: int | None, b: int | None) -> int | None:
        """a + b, where None is a term that is not there."""
        if a is None or b is None:
            return b if a is None else a
        return self.add(a, b)

    def chain(self, name: str, a: int, i: int, da: int) -> int:
        """d name(a) = name'(a) da, with i the node name(a)."""
        one = self.const(1.0)
        outer = {
            "sin": lambda: self.fn("cos", a),
            "cos": lambda: self.neg(self.fn("sin", a)),
            "tan": lambda: self.add(one, self.mul(i, i)),
            "exp": lambda: i,
            "log": lambda: self.div(one, a),
            "log10": lambda: self.div(self.const(1.0 / _LN10), a),
            "log2": lambda: self.div(self.const(1.0 / _LN2), a),
            "sqrt": lambda: self.div(self.const(0.5), i),
            "abs": lambda: self.sign(a),
            "tanh": lambda: self.sub(one, self.mul(i, i)),
            "sinh": lambda: self.fn("cosh", a),
            "cosh": lambda: self.fn("sinh", a),
            "arctan": lambda: self.div(one, self.add(one, self.mul(a, a))),
        }[name]()
        return self.mul(outer, da)


_LN10 = portable.log(10.0)
_LN2 = portable.log(2.0)


# ------------------------------------------------------------------------- the arithmetic


def _divide(a: Any, b: Any) -> Any:
    """a / b, with IEEE's inf and nan where a Python float would raise."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:  # noqa: PLR0124
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _whole_power(v: Any, n: int) -> Any:
    """v**n by repeated squaring, left to right: x*x, (x*x)*x, (x*x)*(x*x), as the catalog writes them."""
    if n < 0:
        return _divide(1.0, _whole_power(v, -n))
    result = v
    for bit in bin(n)[3:]:
        result = result * result
        if bit == "1":
            result = result * v
    return result


def _constant_power(v: Any, p: float) -> Any:
    """v**p for a constant p that is not whole: a power of sqrt(v) for halves, else exp(p log v)."""
    if p + p == int(p + p):
        return _whole_power(sqrt(v), int(p + p))
    return portable.exp(p * portable.log(v))


def _sign(v: Any) -> Any:
    if isinstance(v, float):
        return 1.0 if v > 0.0 else -1.0 if v < 0.0 else v + 0.0  # 0 for 0, nan for nan
    return np.sign(v)


def _defined_where(v: Any, f: Any) -> Any:
    """v where f is a number, nan where f is nan."""
    if isinstance(f, float):
        return v if f == f else math.nan  # noqa: PLR0124
    return np.where(f == f, v, math.nan)  # noqa: PLR0124


_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "sin": portable.sin,
    "cos": portable.cos,
    "tan": portable.tan,
    "exp": portable.exp,
    "log": portable.log,
    "log10": portable.log10,
    "log2": portable.log2,
    "sqrt": sqrt,
    "abs": abs,
    "tanh": portable.tanh,
    "sinh": portable.sinh,
    "cosh": portable.cosh,
    "arctan": portable.arctan,
}

# op -> (node value -> the function of the operands' values)
_OPERATIONS: dict[str, Callable[[Any], Callable[..., Any]]] = {
    "add": lambda _: operator.add,
    "sub": lambda _: operator.sub,
    "mul": lambda _: operator.mul,
    "div": lambda _: _divide,
    "neg": lambda _: operator.neg,
    "ipow": lambda n: lambda v: _whole_power(v, n),
    "powc": lambda p: lambda v: _constant_power(v, p),
    "fn": lambda name: _FUNCTIONS[name],
    "sign": lambda _: _sign,
    "defined_where": lambda _: _defined_where,
}


# ------------------------------------------------------------------------ building a graph


def _build(graph: Graph, tree: Syntax) -> int:  # noqa: PLR0911  (one case per kind)
    kind, column, *payload = tree
    try:
        if kind == "num":
            return graph.const(payload[0])
        if kind == "var":
            return graph.var(payload[0])
        if kind == "const":
            return graph.const(CONSTANTS[payload[0]])
        if kind == "pos":
            return _build(graph, payload[0])
        if kind == "neg":
            return graph.neg(_build(graph, payload[0]))
        if kind == "call":
            return graph.fn(payload[0], _build(graph, payload[1]))
        a, b = _build(graph, payload[0]), _build(graph, payload[1])
        if kind == "pow":
            return _power(graph, a, b, column)
        return {"add": graph.add, "sub": graph.sub, "mul": graph.mul, "div": graph.div}[kind](a, b)
    except _NotFinite:
        raise _refuse("not_finite", column) from None


def _power(graph: Graph, a: int, b: int, column: int) -> int:
    exponent = graph.value(b)
    if exponent is not None:
        if abs(exponent) > MAX_EXPONENT:
            raise _refuse("exponent", column, exponent=f"{exponent:g}", limit=MAX_EXPONENT)
        return graph.power(a, exponent)
    base = graph.value(a)
    if base is not None and base <= 0.0:
        raise _refuse("negative_base", column)
    if base == math.e:
        return graph.fn("exp", b)
    logarithm = graph.const(portable.log(base)) if base is not None else graph.fn("log", a)
    return graph.fn("exp", graph.mul(b, logarithm))  # a**b = exp(b log a), where a > 0


# ------------------------------------------------------------ where the value may be nan

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
            return 0.0, _whole_power(max(-la, ha), value)
        return _whole_power(la, value), _whole_power(ha, value)
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


def _nan_makers(graph: Graph, root: int) -> set[tuple[str, int]]:
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
    for i in _needed(graph, [root]):
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


# ------------------------------------------------------------------------------- running


def _gradient(graph: Graph, f: int) -> list[int]:
    """The nodes of f's gradient: torch's partial derivatives, and nan where f is nan (where
    the formula is undefined, so is its slope: 0*log(x) + y**2 has none at x = -1). A partial
    derivative that depends on every node that can make f nan is nan there already; any other
    is guarded by f."""
    partials = [graph.derivative(f, variable) for variable in VARIABLES]
    makers = _nan_makers(graph, f)
    return [p if makers <= _nan_makers(graph, p) else graph.defined_where(p, f) for p in partials]


def gradient_cost(text: str) -> int:
    """The work of one gradient of the formula ``text``, in operations (a function call counts 10)."""
    graph = Graph()
    f = _build(graph, parse(text))
    return _cost(graph, _gradient(graph, f))


def _cost(graph: Graph, roots: Sequence[int]) -> int:
    """The work of computing ``roots``: 1 an operation, 10 a function call."""
    return sum(10 if graph.nodes[i][0] in ("fn", "powc") else 1 for i in _needed(graph, roots))


def _needed(graph: Graph, roots: Sequence[int]) -> list[int]:
    """The nodes that ``roots`` depend on, in order (operands first)."""
    needed: set[int] = set()
    stack = list(roots)
    while stack:
        i = stack.pop()
        if i in needed:
            continue
        needed.add(i)
        _, a, b, _ = graph.nodes[i]
        stack.extend(j for j in (a, b) if j >= 0)
    return sorted(needed)


def _program(graph: Graph, roots: Sequence[int]) -> Callable[[Any, Any], list[Any]]:
    """A function of (x, y) that returns the values of ``roots``, each node computed once."""
    order = _needed(graph, roots)
    slot = {i: k for k, i in enumerate(order)}
    initial: list[Any] = [None] * len(order)
    steps = []
    x_slot = y_slot = -1
    for i in order:
        op, a, b, value = graph.nodes[i]
        if op == "const":
            initial[slot[i]] = value
        elif op == "var":
            if value == "x":
                x_slot = slot[i]
            else:
                y_slot = slot[i]
        else:
            steps.append((slot[i], _OPERATIONS[op](value), slot[a], slot[b] if b >= 0 else -1))
    outputs = [slot[r] for r in roots]

    def run(x: Any, y: Any) -> list[Any]:
        values = initial.copy()
        if x_slot >= 0:
            values[x_slot] = x
        if y_slot >= 0:
            values[y_slot] = y
        for out, function, a, b in steps:
            values[out] = function(values[a]) if b < 0 else function(values[a], values[b])
        return [values[k] for k in outputs]

    return run


def _on_points(run: Callable[[Any, Any], list[Any]]) -> Callable[[Any, Any], list[Any]]:
    """``run`` on two Python floats as it is; on anything else on float64 arrays, silently,
    with every output shaped like the broadcast points."""

    def on_points(x: Any, y: Any) -> list[Any]:
        if x.__class__ is float and y.__class__ is float:
            return run(x, y)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        shape = np.broadcast_shapes(x.shape, y.shape)
        with np.errstate(all="ignore"):
            outputs = run(x, y)
        shaped = [
            o
            if isinstance(o, np.ndarray) and o.shape == shape
            else np.array(np.broadcast_to(o, shape), dtype=np.float64)
            for o in outputs
        ]
        return [o[()] if o.ndim == 0 else o for o in shaped]

    return on_points


# ------------------------------------------------------------------------------ the LaTeX

_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pos": 3, "pow": 4}
_LATEX_FUNCTIONS = {
    "sin": r"\sin",
    "cos": r"\cos",
    "tan": r"\tan",
    "log": r"\ln",
    "log10": r"\log_{10}",
    "log2": r"\log_{2}",
    "tanh": r"\tanh",
    "sinh": r"\sinh",
    "cosh": r"\cosh",
    "arctan": r"\arctan",
}


def _latex_number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _parens(text: str) -> str:
    return rf"\left({text}\right)"


def latex(tree: Syntax) -> str:  # noqa: PLR0911  (one case per kind)
    """The formula as typed, in LaTeX."""
    kind, _, *payload = tree
    if kind == "num":
        return _latex_number(payload[0])
    if kind == "var":
        return payload[0]
    if kind == "const":
        return r"\pi" if payload[0] == "pi" else "e"
    if kind == "pos":
        return latex(payload[0])
    if kind == "neg":
        inner = payload[0]
        text = latex(inner)
        return "-" + (_parens(text) if _PRECEDENCE.get(inner[0], 5) <= 3 else text)
    if kind == "call":
        name, inner = payload
        text = latex(inner)
        if name == "sqrt":
            return rf"\sqrt{{{text}}}"
        if name == "abs":
            return rf"\left|{text}\right|"
        if name == "exp":
            return rf"e^{{{text}}}"
        return _LATEX_FUNCTIONS[name] + _parens(text)
    left, right = payload
    lt, rt = latex(left), latex(right)
    lp, rp = _PRECEDENCE.get(left[0], 5), _PRECEDENCE.get(right[0], 5)
    if kind == "div":
        return rf"\frac{{{lt}}}{{{rt}}}"
    if kind == "pow":
        atom = left[0] in ("var", "const") or (left[0] == "num" and left[2] >= 0)
        return rf"{lt if atom else _parens(lt)}^{{{rt}}}"
    if kind == "mul":
        lt = _parens(lt) if lp < 2 else lt
        rt = _parens(rt) if rp <= 3 and right[0] not in ("mul", "div") else rt
        juxtapose = not (rt[0].isdigit() or rt.startswith(("-", r"\frac")))  # 2x, 2\pi x, x y; 2 \cdot 3
        return f"{lt}{rt}" if juxtapose and lt[-1].isdigit() else f"{lt} {rt}" if juxtapose else rf"{lt} \cdot {rt}"
    rt = _parens(rt) if right[0] in ("neg",) or (kind == "sub" and rp <= 1) else rt
    return f"{lt} {'+' if kind == 'add' else '-'} {rt}"


# ------------------------------------------------------------------------ minima, start

GRID = 64  # points a side of the search grid
MAX_CANDIDATES = 256  # grid minima refined, lowest first
MAX_LISTED = 8  # minima listed (the rest, up to MAX_LOCAL, as local minima)
MAX_LOCAL = 200
NEWTON_STEPS = 40
# The search's work, counted in operations run on arrays (a function call counts 10): large
# formulas take fewer Newton steps, so that no formula keeps the server busy for long.
WORK = 60_000
INSET = 0.15  # of the domain's sides: the default start's distance from the edges
LOG_SPAN = 30.0  # log-spaced levels when f - f* over the grid spans more than this many times its lowest tenth


def _eigen(hxx: np.ndarray, hxy: np.ndarray, hyy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean and the half-spread of a symmetric 2 x 2 matrix's eigenvalues."""
    half = 0.5 * (hxx - hyy)
    return 0.5 * (hxx + hyy), np.sqrt(half * half + hxy * hxy)


def _distance(dx: float, dy: float) -> float:
    return math.sqrt(dx * dx + dy * dy)


class _Search:
    """The grid, its local minima refined by Newton's method, and what they tell."""

    def __init__(
        self, value: Callable, grad: Callable, hessian: Callable, domain: Domain, costs: tuple[int, int, int]
    ) -> None:
        self.value, self.grad, self.hessian = value, grad, hessian
        self.costs = costs  # of value, grad and hessian
        (x0, x1), (y0, y1) = domain
        self.domain = domain
        self.size = max(x1 - x0, y1 - y0)
        xs, ys = np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID)
        self.xx, self.yy = np.meshgrid(xs, ys)
        self.z = np.asarray(value(self.xx, self.yy), dtype=np.float64)

    def grid_minima(self) -> np.ndarray:
        """Grid points no higher than any of their eight neighbours, lowest first, (K, 2)."""
        z = np.where(np.isfinite(self.z), self.z, np.inf)
        padded = np.pad(z, 1, constant_values=np.inf)
        lowest = np.isfinite(z)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dx or dy:
                    lowest &= z <= padded[1 + dy : 1 + dy + GRID, 1 + dx : 1 + dx + GRID]
        rows, cols = np.nonzero(lowest)
        order = np.argsort(z[rows, cols], kind="stable")[:MAX_CANDIDATES]
        return np.stack([self.xx[rows, cols][order], self.yy[rows, cols][order]], axis=-1)

    def newton(self, points: np.ndarray) -> np.ndarray:
        """Damped Newton steps (the Hessian shifted to be positive definite, the step halved
        until f does not increase): every point moves downhill to a minimum nearby. A point
        stops when its step is below 1e-14 of the domain or it cannot go down."""
        p = points.copy()
        f = np.asarray(self.value(p[:, 0], p[:, 1]))
        active = np.flatnonzero(np.isfinite(f))
        work = 0
        value_cost, grad_cost, hessian_cost = self.costs
        for _ in range(NEWTON_STEPS):
            if not len(active) or work > WORK:
                break
            work += grad_cost + hessian_cost
            q, fq = p[active], f[active]
            gx, gy = self.grad(q[:, 0], q[:, 1])
            hxx, hxy, hyy = self.hessian(q[:, 0], q[:, 1])
            mean, radius = _eigen(hxx, hxy, hyy)
            smallest = mean - radius
            shift = np.where(smallest > 0, 0.0, -smallest + 1e-3 * (np.abs(mean) + radius) + 1e-12)
            a, d = hxx + shift, hyy + shift
            det = a * d - hxy * hxy
            step = -np.stack([(d * gx - hxy * gy) / det, (a * gy - hxy * gx) / det], axis=-1)
            step = np.where(np.isfinite(step), step, 0.0)
            scale = np.ones(len(q))
            moved = np.zeros(len(q), dtype=bool)
            pending = np.arange(len(q))
            for _ in range(30):
                trial = q[pending] + scale[pending, None] * step[pending]
                ft = np.asarray(self.value(trial[:, 0], trial[:, 1]))
                work += value_cost
                better = ft <= fq[pending]
                done = pending[better]
                q[done], fq[done], moved[done] = trial[better], ft[better], True
                pending = pending[~better]
                if not len(pending):
                    break
                scale[pending] *= 0.5
            p[active], f[active] = q, fq
            still = moved & (np.abs(step).max(axis=1) * scale > 1e-14 * self.size)
            active = active[still]
        return p

    def minima(self) -> list[Point]:
        candidates = self.grid_minima()
        if not len(candidates):
            return []
        points = self.newton(candidates)
        gx, gy = self.grad(points[:, 0], points[:, 1])
        hxx, hxy, hyy = self.hessian(points[:, 0], points[:, 1])
        f = np.asarray(self.value(points[:, 0], points[:, 1]))
        slopes = np.abs(np.stack(self.grad(self.xx, self.yy)))
        slope = 1.0 if np.isnan(slopes).all() else float(np.nanmedian(slopes))  # (x - x)**y: 0 for y > 0, with no slope
        tolerance = 1e-8 * max(1.0, slope if math.isfinite(slope) else 1.0)
        mean, radius = _eigen(hxx, hxy, hyy)
        (x0, x1), (y0, y1) = self.domain
        good = (
            np.isfinite(f)
            & (np.abs(gx) <= tolerance)
            & (np.abs(gy) <= tolerance)
            & (mean - radius >= -1e-9 * (np.abs(mean) + radius))  # no direction of descent
            & (points[:, 0] >= x0)
            & (points[:, 0] <= x1)
            & (points[:, 1] >= y0)
            & (points[:, 1] <= y1)
        )
        found: list[Point] = []
        for i in np.flatnonzero(good)[np.argsort(f[good], kind="stable")]:
            x, y = float(points[i, 0]), float(points[i, 1])
            if all(_distance(x - m.x, y - m.y) > 1e-6 * self.size for m in found):
                found.append(Point(x, y, float(f[i])))
        return found

    def lowest(self) -> Point:
        z = np.where(np.isfinite(self.z), self.z, np.inf)
        k = int(np.argmin(z))
        return Point(float(self.xx.flat[k]), float(self.yy.flat[k]), float(z.flat[k]))

    def log_scale(self, f_star: float) -> bool:
        finite = self.z[np.isfinite(self.z)]
        gap = finite - f_star
        if gap.min() < -1e-9 * (abs(f_star) + 1.0):  # somewhere lower than f*: levels below it
            return False
        low = float(np.quantile(gap, 0.1))
        return low > 0 and float(gap.max()) / low > LOG_SPAN


def _default_start(search: _Search, minima: Sequence[Point]) -> tuple[float, float]:
    """Of the points 15 % in from the corners and the edges' middles (the north-west corner
    first), the one farthest from every minimum where f and its gradient are finite."""
    (x0, x1), (y0, y1) = search.domain
    dx, dy = INSET * (x1 - x0), INSET * (y1 - y0)
    left, right, bottom, top = x0 + dx, x1 - dx, y0 + dy, y1 - dy
    mx, my = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    candidates = [
        (left, top),
        (right, top),
        (left, bottom),
        (right, bottom),
        (left, my),
        (mx, top),
        (right, my),
        (mx, bottom),
    ]
    best, distance = None, -1.0
    for x, y in candidates:
        gx, gy = search.grad(x, y)
        if not all(math.isfinite(v) for v in (search.value(x, y), gx, gy)):
            continue
        d = min(_distance(x - m.x, y - m.y) for m in minima)
        if d > distance:
            best, distance = (x, y), d
    if best is None:  # the grid point farthest from the minima where the formula is finite
        finite = np.isfinite(search.z)
        xs, ys = search.xx[finite], search.yy[finite]
        d = np.min([np.sqrt((xs - m.x) * (xs - m.x) + (ys - m.y) * (ys - m.y)) for m in minima], axis=0)
        k = int(np.argmax(d))
        best = (float(xs[k]), float(ys[k]))
    return best


# ------------------------------------------------------------------------------ the surface


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
    f = _build(graph, tree)
    if graph.value(f) is not None:
        raise _refuse("constant")
    try:
        gradient = _gradient(graph, f)
        gx, gy = graph.derivative(f, "x"), graph.derivative(f, "y")
        second = [graph.derivative(gx, "x"), graph.derivative(gx, "y"), graph.derivative(gy, "y")]
    except _NotFinite:
        raise _refuse("derivative") from None
    if graph.value(gx) == graph.value(gy) == 0.0 and not _nan_makers(graph, f):  # x - x, 0*x + 3
        raise _refuse("constant")
    value_run = _on_points(_program(graph, [f]))
    grad_run = _on_points(_program(graph, gradient))

    def value(x: Any, y: Any) -> Any:
        return value_run(x, y)[0]

    def grad(x: Any, y: Any) -> tuple[Any, Any]:
        g = grad_run(x, y)
        return g[0], g[1]

    hessian_run = _on_points(_program(graph, second))
    with np.errstate(all="ignore"):  # the search meets undefined points and overflows on the way
        costs = (_cost(graph, [f]), _cost(graph, gradient), _cost(graph, second))
        search = _Search(value, grad, hessian_run, domain, costs)
        return _surface(tree, domain=domain, value=value, grad=grad, search=search, start=start, minima=minima)


def _surface(
    tree: Syntax,
    *,
    domain: Domain,
    value: Callable,
    grad: Callable,
    search: _Search,
    start: tuple[float, float] | None,
    minima: Sequence[tuple[float, float]] | None,
) -> Surface:
    if not np.isfinite(search.z).any():
        raise _refuse("nowhere_finite")
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
        default_start=_check_point(start, "start", domain) if start is not None else _default_start(search, listed),
        log_scale=origin != "lowest" and search.log_scale(f_star),
        local_minima=local,
        minima_origin=origin,
    )
