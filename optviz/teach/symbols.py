r"""What each symbol of an update rule means, so the page can define it next to the rule.

A rule's hyperparameter symbols (:math:`\gamma`, :math:`\mu`, :math:`\beta_1`, ...) are
the optimizer's hyperparameter specs' (``Hyperparameter.symbol``), and mean what their help
in the catalogs says. Every other symbol is the point, the gradient, or state that the
optimizer keeps between steps (:math:`m_t`, :math:`v_t`, :math:`b_t`, ...): the catalogs
define each under ``symbol.<optimizer>.<latex>``, or once for all under ``symbol.<latex>``
(the ones in :data:`COMMON` every rule shares). :func:`legend` lists the symbols of one
rule, in order of appearance, with their meanings and, for hyperparameters, each run's value.
The tests check that every symbol of every form of every rule has a definition, and that no
definition is left unused.

Meanings may hold inline LaTeX between ``$`` signs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optviz.core.hyperparameters import Hyperparameter
from optviz.core.optimizers import Optimizer
from optviz.text import DEFAULT_LANGUAGE, first, has, hyperparameter_help, lineage

# The symbols every rule shares: defined once, above the rules.
COMMON = (r"\theta_t", "g_t")

# LaTeX commands that are operators or layout, not symbols.
_NOT_SYMBOLS = frozenset(
    "\\" + name
    for name in (
        *("frac", "tfrac", "dfrac", "sqrt", "left", "right", "max", "min", "nabla", "prod", "sum"),
        *("quad", "qquad", "cdot", "leftarrow", "rightarrow", "infty", "log", "exp", "mathrm", "operatorname"),
        *("ge", "geq", "le", "leq", "big", "pm", "ln", "lVert", "rVert", "rm", "top", "odot"),
    )
)
_STRIP = re.compile(r"\\(?:text|begin|end)\{[^{}]*\}")
_TOKEN = re.compile(
    r"(?P<deco>\\(?:bar|tilde|hat)\s*)?"
    r"(?P<base>\\[A-Za-z]+|[A-Za-z])"
    r"(?P<sup>\^\{\\max\})?"
    r"(?:_(?P<sub>\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9]))?"
)
_STEP_INDICES = frozenset({"t", "t-1", "t+1", "i", "0", "1"})  # theta_{t-1}, mu_{t+1}, mu_i, s_0: the same quantity


def tokens(latex: str) -> list[str]:
    r"""The symbols of ``latex`` as written (``\theta_{t-1}``, ``\beta_1``), in order.

    Operators (``\frac``, ``\sqrt``, ``\nabla``, ...), text and bare letters such as the step
    number ``t`` or the surface ``f`` are left out.
    """
    found = []
    for match in _TOKEN.finditer(_STRIP.sub(" ", latex)):
        deco, base, sup, sub = match.group("deco", "base", "sup", "sub")
        if base in _NOT_SYMBOLS or (sub is None and not deco and not base.startswith("\\")):
            continue
        head = (deco.strip() + ("" if base.startswith("\\") else " ")) if deco else ""
        found.append(head + base + (sup or "") + (f"_{sub}" if sub else ""))
    return found


def _step_form(token: str) -> str:
    r"""``\theta_{t-1}``, ``\mu_i`` and ``s_0`` name the quantities ``\theta_t``, ``\mu_t`` and ``s_t``."""
    head, _, sub = token.rpartition("_")
    if head and sub.strip("{}") in _STEP_INDICES:
        return f"{head}_t"
    return token


@dataclass(frozen=True)
class Symbol:
    """One symbol of a rule: as LaTeX, what it means, and each run's value for a hyperparameter."""

    latex: str
    meaning: str
    values: tuple[Any, ...] = ()  # one per run, for a hyperparameter; empty for state


def _symbol_specs(optimizer: Optimizer) -> dict[str, tuple[Hyperparameter, str, int | None]]:
    """Each hyperparameter symbol -> (its spec, the name of its value, the index in a pair)."""
    specs: dict[str, tuple[Hyperparameter, str, int | None]] = {}
    for hp in optimizer.hyperparameters:
        if hp.parts:
            for index, part in enumerate(hp.parts):
                specs[part.symbol] = (part, hp.name, index)
        elif hp.symbol:
            specs[hp.symbol] = (hp, hp.name, None)
    return specs


def meaning(optimizer: str | tuple[str, ...], symbol: str, lang: str = DEFAULT_LANGUAGE) -> str | None:
    """What the state symbol ``symbol`` means in ``optimizer``'s rule (a name, or a rule around
    another's lineage: ``Optimizer.words``), in ``lang``; None if undefined."""
    keys = (*(f"symbol.{o}.{symbol}" for o in lineage(optimizer)), f"symbol.{symbol}")
    return first(keys, lang) if any(has(key) for key in keys) else None


def legend(
    optimizer: Optimizer, latex: str, runs: Sequence[Mapping[str, Any]] = (), lang: str = DEFAULT_LANGUAGE
) -> list[Symbol]:
    """The symbols of ``latex`` (``optimizer``'s rule), each once.

    First the hyperparameters, in the optimizer's order (the learning rate first), each
    carrying the value of every run in ``runs`` (the runs that use this rule); then the
    other symbols in their order of appearance. A symbol without a definition keeps an
    empty meaning (the tests make sure there is none).
    """
    specs = _symbol_specs(optimizer)
    settings: dict[str, Symbol] = {}
    others: dict[str, Symbol] = {}
    for token in tokens(latex):
        if token in specs:
            spec, name, index = specs[token]
            values = tuple(run[name] if index is None else run[name][index] for run in runs)
            settings.setdefault(token, Symbol(token, hyperparameter_help(optimizer.words, spec.name, lang), values))
        else:
            quantity = _step_form(token)
            others.setdefault(quantity, Symbol(quantity, meaning(optimizer.words, quantity, lang) or ""))
    ordered = sorted(settings.values(), key=lambda symbol: list(specs).index(symbol.latex))
    return [*ordered, *others.values()]
