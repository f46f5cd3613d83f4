"""Records worded: a problem with a link or a setting, a refused formula, in the reader's language.

Every layer reports what it refused as a record: :class:`optviz.core.specs.Problem` (a code
and its arguments), :class:`~optviz.core.specs.Refused` and
:class:`surfaces.formula.errors.FormulaError` carry one. This module is the one place that
words them, from the catalogs (``problem.<code>``, ``rule.<rule>``, ``repair.<repair>``,
``where.<part>``, ``formula.<code>``); the page calls it in its reader's language and the
records' own ``str()`` calls it in English, for the Python API.

Arguments named ``value`` and ``unknown`` came from the link: they are quoted and cut short,
never trusted. ``where`` says which part of the link a problem is in: ``("run", "adam")``,
``("surface", "valley")``, or absent for the link's own keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from optviz.text import DEFAULT_LANGUAGE, Words, say

MAX_TEXT = 40  # how much of an offending value a message quotes
QUOTED = ("value", "unknown")
LISTED = ("choices", "parts", "valid")


class Record(Protocol):
    """What a problem record holds (optviz.core.specs.Problem): a code and its arguments."""

    code: str
    args: tuple[tuple[str, Any], ...]


def quote(value: object) -> str:
    """A value from a person or a link, quoted for a message and cut short if long."""
    text = value if isinstance(value, str) else repr(value)
    cut = text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."
    return repr(cut) if isinstance(value, str) else cut


def problem_text(problem: Record, lang: str = DEFAULT_LANGUAGE) -> str:
    """``problem`` in ``lang``."""
    words = Words(lang)
    args: dict[str, Any] = dict(problem.args)
    if problem.code == "refused":  # the Python API's refusal: its names as the caller wrote them
        return words("problem.refused", rule=words(f"rule.{args['rule']}", **args))
    for name in QUOTED:
        if name in args:
            args[name] = quote(args[name])
    where = args.get("where")
    if where is not None and where[0] == "run":  # an optimizer by its title: "Adam"
        where = ("run", _optimizer_title(where[1], words))
    args["where"] = "" if where is None else words(f"where.{where[0]}", name=where[1])
    for name in LISTED:
        if isinstance(args.get(name), (tuple, list)):
            args[name] = words("problem.list_separator").join(args[name])
    for name in ("surface", "default"):  # a surface by its name in the reader's language
        if isinstance(args.get(name), str) and words.has(f"surface.{args[name]}.title"):
            args[name] = words(f"surface.{args[name]}.title")
    if "optimizer" in args:  # an optimizer by its name, torch's: Adagrad, not adagrad
        args["optimizer"] = _optimizer_title(args["optimizer"], words)
    if problem.code == "constraint":
        args["rule"], args["repair"] = words(f"rule.{args['rule']}", **args), words(f"repair.{args['repair']}", **args)
    if problem.code == "bad_surface":
        args["reason"] = refusal_text(args["reason"], lang)
    return words(f"problem.{problem.code}", **args)


def _optimizer_title(name: object, words: Words) -> object:
    """A registered optimizer's title (torch's class name) from the catalogs; anything else as it is."""
    return words(f"optimizer.{name}.title") if isinstance(name, str) and words.has(f"optimizer.{name}.title") else name


def formula_text(code: str, column: int | None, details: Mapping[str, Any], lang: str = DEFAULT_LANGUAGE) -> str:
    """A refused formula in ``lang``: "Invalid formula: unknown name 'z' ... at column 9". ``code``
    picks ``formula.<code>``, ``details`` fill it (a construct, ``what``, named by its key in
    ``formula_node``), and ``column`` (None: the whole text) says where in the typed text."""
    args = dict(details)
    if "what" in args:
        args["what"] = say(f"formula_node.{args['what']}", lang)
    where = "" if column is None else say("formula.at_column", lang, column=column)
    return say("formula.invalid", lang) + say(f"formula.{code}", lang, **args) + where


def refusal_text(reason: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """A refused formula's reason in ``lang`` (see optviz.settings.link.refusal); other text as it is."""
    if not isinstance(reason, tuple):
        return str(reason)
    code, column, details = reason
    return formula_text(code, column, dict(details), lang)
