"""A formula printed in LaTeX as it was typed (its syntax tree, not its simplified graph):
``(1 - x)^2`` is ``\\left(1 - x\\right)^{2}``, ``2*pi*x`` is ``2\\pi x``, ``log`` is ``\\ln``."""

from __future__ import annotations

from surfaces.formula.parse import Syntax

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
