r"""What each symbol of an update rule means, so the page can define it next to the rule.

A rule's hyperparameter symbols (:math:`\gamma`, :math:`\mu`, :math:`\beta_1`, ...) are
defined by the optimizer's hyperparameter specs (``Hyperparameter.symbol`` and ``.help``).
Every other symbol is the point, the gradient, or state that the optimizer keeps between
steps (:math:`m_t`, :math:`v_t`, :math:`b_t`, ...): :data:`STATE` defines each of those, once
per optimizer, and :data:`COMMON` the ones every rule shares. :func:`legend` lists the
symbols of one rule, in order of appearance, with their meanings and, for hyperparameters,
each run's value. The tests check that every symbol of every form of every rule has a
definition here, and that no definition is left unused.

Meanings are plain English and may hold inline LaTeX between ``$`` signs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optviz.hyperparameters import Hyperparameter
from optviz.optimizers import Optimizer

COMMON: dict[str, str] = {
    r"\theta_t": r"The point $(x, y)$ after step $t$; $\theta_0$ is the start.",
    "g_t": r"The gradient of the surface $f$ at the point before the step, $\theta_{t-1}$.",
}

_MOMENTS = {
    "m_t": "Running mean of the gradients (the first moment: momentum).",
    "v_t": "Running mean of the squared gradients (the second moment), per coordinate.",
    r"v^{\max}_t": r"The largest $v_t$ so far (AMSGrad).",
}

STATE: dict[str, dict[str, str]] = {
    "sgd": {
        "b_t": r"The momentum buffer: the gradients so far, each older one shrunk by $\mu$ once more.",
    },
    "adagrad": {
        r"\tilde\gamma": r"The learning rate at step $t$, decayed by $\eta$.",
        "s_t": r"The sum of all squared gradients so far, per coordinate; it starts at $\tau_0$.",
    },
    "rmsprop": {
        "v_t": _MOMENTS["v_t"],
        r"\bar g_t": "Running mean of the gradients (centered RMSprop subtracts its square).",
        "d_t": r"The divisor: the root mean square of the gradients plus $\epsilon$.",
        "b_t": r"The momentum buffer of the rescaled steps $g_t / d_t$.",
    },
    "adadelta": {
        "v_t": _MOMENTS["v_t"],
        r"\Delta_t": "The step: the gradient rescaled by the ratio of recent step sizes to recent gradient sizes.",
        "u_t": r"Running mean of the squared steps $\Delta_t^2$.",
    },
    "adam": _MOMENTS,
    "adamw": _MOMENTS,
    "nadam": {
        "m_t": _MOMENTS["m_t"],
        "v_t": _MOMENTS["v_t"],
        r"\mu_t": r"The momentum used at step $t$: it warms up towards $\beta_1$ at a pace set by $\psi$.",
        "d_t": r"The divisor: the bias-corrected root mean square of the gradients plus $\epsilon$.",
    },
    "radam": {
        "m_t": _MOMENTS["m_t"],
        "v_t": _MOMENTS["v_t"],
        r"\rho_\infty": "The length of the moving average that the second moment approximates, in the long run.",
        r"\rho_t": r"That length at step $t$; adaptive steps start once it exceeds 5.",
        "r_t": "The rectification: shrinks early adaptive steps, whose second moment is still unreliable.",
    },
    "adamax": {
        "m_t": _MOMENTS["m_t"],
        "u_t": r"The infinity norm: a decaying maximum of $|g_t|$, per coordinate.",
    },
}

# LaTeX commands that are operators or layout, not symbols.
_NOT_SYMBOLS = frozenset(
    "\\" + name
    for name in (
        *("frac", "tfrac", "dfrac", "sqrt", "left", "right", "max", "min", "nabla", "prod", "sum"),
        *("quad", "qquad", "cdot", "leftarrow", "rightarrow", "infty", "log", "exp", "mathrm", "operatorname"),
    )
)
_STRIP = re.compile(r"\\(?:text|begin|end)\{[^{}]*\}")
_TOKEN = re.compile(
    r"(?P<deco>\\(?:bar|tilde|hat)\s*)?"
    r"(?P<base>\\[A-Za-z]+|[A-Za-z])"
    r"(?P<sup>\^\{\\max\})?"
    r"(?:_(?P<sub>\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9]))?"
)
_STEP_INDICES = frozenset({"t", "t-1", "t+1", "i", "0"})  # theta_{t-1}, mu_{t+1}, mu_i, s_0: the same quantity


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


def meaning(optimizer: str, symbol: str) -> str | None:
    """What the state symbol ``symbol`` means in ``optimizer``'s rule, or None if undefined."""
    return STATE.get(optimizer, {}).get(symbol) or COMMON.get(symbol)


def legend(optimizer: Optimizer, latex: str, runs: Sequence[Mapping[str, Any]] = ()) -> list[Symbol]:
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
            settings.setdefault(token, Symbol(token, spec.help, values))
        else:
            quantity = _step_form(token)
            others.setdefault(quantity, Symbol(quantity, meaning(optimizer.name, quantity) or ""))
    ordered = sorted(settings.values(), key=lambda symbol: list(specs).index(symbol.latex))
    return [*ordered, *others.values()]
