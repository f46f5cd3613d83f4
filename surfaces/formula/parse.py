"""A typed formula's text turned into a checked syntax tree, never evaluated.

The text is read with Python's :mod:`ast` (``mode="eval"``) after its typed spellings are
normalised (``^`` is ``**``; ``−``, ``×``, ``·``, ``÷``; full-width signs; ``²``), and every
node is checked against a whitelist: numbers, ``x``, ``y``, ``pi``, ``e``, the four operations
and powers, and the functions of :data:`FUNCTIONS` called with one argument. Anything else,
and text past the limits below, is refused with a :class:`FormulaError` that says what and at
which column of the typed text.
"""

from __future__ import annotations

import ast
import math
import unicodedata

from surfaces.formula.errors import FormulaError

MAX_LENGTH = 500  # characters of text
MAX_NODES = 200  # operations, numbers and names
MAX_DEPTH = 100  # nesting
MAX_CONSTANT = 1e12  # of a number in the text

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
        return FormulaError("not_allowed", self.column(node), what=what)

    def parse(self, node: ast.AST, depth: int = 0) -> Syntax:
        if depth > MAX_DEPTH:
            raise FormulaError("too_deep", self.column(node), limit=MAX_DEPTH)
        column = self.column(node)
        if isinstance(node, ast.Constant):
            return self.number(node, column)
        if isinstance(node, ast.Name):
            return self.name(node, column)
        if isinstance(node, ast.BinOp):
            kind = _BINARY.get(type(node.op))
            if kind is None:
                raise FormulaError("operator", column, operator=_OPERATOR_NAMES.get(type(node.op), "?"))
            return (kind, column, self.parse(node.left, depth + 1), self.parse(node.right, depth + 1))
        if isinstance(node, ast.UnaryOp):
            kind = _UNARY.get(type(node.op))
            if kind is None:
                raise FormulaError("operator", column, operator=_OPERATOR_NAMES.get(type(node.op), "?"))
            return (kind, column, self.parse(node.operand, depth + 1))
        if isinstance(node, ast.Call):
            return self.call(node, column, depth)
        if isinstance(node, ast.Attribute):
            raise FormulaError("attribute", self.column(node), attribute=node.attr)
        raise self.refuse(_NODE_NAMES.get(type(node), "other"), node)

    def number(self, node: ast.Constant, column: int) -> Syntax:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = {str: "strings", bytes: "bytes", complex: "imaginary", bool: "booleans"}.get(type(value), "other")
            raise FormulaError("not_allowed", column, what=kind)
        if not abs(value) <= MAX_CONSTANT:  # ints compare exactly, however long; NaN and inf fail
            raise FormulaError("number", column, number=_excerpt(self.text, node), limit=f"{MAX_CONSTANT:g}")
        return ("num", column, float(value))

    def name(self, node: ast.Name, column: int) -> Syntax:
        if node.id in VARIABLES:
            return ("var", column, node.id)
        if node.id in CONSTANTS:
            return ("const", column, node.id)
        if node.id in FUNCTIONS:
            raise FormulaError("function_needs_call", column, name=node.id)
        raise FormulaError("unknown_name", column, name=repr(node.id))

    def call(self, node: ast.Call, column: int, depth: int) -> Syntax:
        if isinstance(node.func, (ast.Attribute, ast.Subscript, ast.Lambda)):
            return self.parse(node.func, depth + 1)  # refused, saying what it is
        if not isinstance(node.func, ast.Name):  # 2(x+1), (x-1)(y-1): a product written without *
            raise FormulaError("product", self.column(node.func))
        name = node.func.id
        if name not in FUNCTIONS:
            raise FormulaError("unknown_function", column, name=repr(name), allowed=", ".join(sorted(FUNCTIONS)))
        if node.keywords:
            raise self.refuse("keywords", node.keywords[0].value)
        if any(isinstance(argument, ast.Starred) for argument in node.args):
            raise self.refuse("starred", node.args[0])
        if len(node.args) != 1:
            raise FormulaError("arguments", column, name=name, count=len(node.args))
        return ("call", column, FUNCTIONS[name], self.parse(node.args[0], depth + 1))


# What a formula is written with: a typed character outside these (a full-width ；, a Chinese
# comma) is named in the refusal, where Python's parser would only say it cannot read the text.
_FORMULA_CHARACTERS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_ .+-*/()^,\t")


def _excerpt(text: str, node: ast.AST) -> str:
    """What ``node`` is in ``text``, cut to 20 characters, for a refusal to quote."""
    segment = ast.get_source_segment(text, node) or "?"
    return segment if len(segment) <= 20 else segment[:17] + "..."


def parse(text: object) -> Syntax:
    """Check ``text`` against the whitelist and return its tree; ValueError says what and where."""
    if not isinstance(text, str):
        raise FormulaError("not_text", kind=type(text).__name__)
    if len(text) > MAX_LENGTH:
        raise FormulaError("too_long", length=len(text), limit=MAX_LENGTH)
    if not text.strip():
        raise FormulaError("empty")
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
            raise FormulaError("character", column, char=typed)  # a full-width ； named, not "cannot read it"
    source = "".join(normalised)
    columns.append(len(text) + 1)
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        offset = (error.offset or 1) - 1 + (len(source) - len(source.lstrip()))
        code = "syntax_number" if "decimal literal" in (error.msg or "") else "syntax"  # 2x, not 2*x
        raise FormulaError(code, columns[min(max(offset, 0), len(columns) - 1)]) from None
    except (ValueError, RecursionError, MemoryError):  # NUL characters; pathological nesting
        raise FormulaError("unreadable") from None
    if sum(isinstance(node, ast.expr) for node in ast.walk(tree)) > MAX_NODES:
        raise FormulaError("too_many", limit=MAX_NODES)
    stripped = len(source) - len(source.lstrip())
    return _Parser(source.strip(), columns[stripped:]).parse(tree.body)
