"""Problems worded in the reader's language.

The core reports a :class:`~optviz.core.specs.Problem` (a code and its arguments); this module
words it from the catalogs (``problem.<code>``, ``rule.<rule>``, ``repair.<repair>``,
``where.<part>``). Arguments named ``value`` and ``unknown`` came from the link: they are
quoted and cut short, never trusted. ``where`` says which part of the link a problem is in:
``("run", "adam")``, ``("surface", "valley")``, or absent for the link's own keys.
"""

from __future__ import annotations

from typing import Any

from optviz.core.optimizers import OPTIMIZERS
from optviz.core.specs import Problem, quote
from optviz.text import DEFAULT_LANGUAGE, Words, formula_text

QUOTED = ("value", "unknown")
LISTED = ("choices", "parts", "valid")


def problem_text(problem: Problem, lang: str = DEFAULT_LANGUAGE) -> str:
    """``problem`` in ``lang``."""
    words = Words(lang)
    args: dict[str, Any] = dict(problem.args)
    for name in QUOTED:
        if name in args:
            args[name] = quote(args[name])
    where = args.get("where")
    if where is not None and where[0] == "run" and where[1] in OPTIMIZERS:  # an optimizer by its title: "Adam"
        where = ("run", OPTIMIZERS[where[1]].title)
    args["where"] = "" if where is None else words(f"where.{where[0]}", name=where[1])
    for name in LISTED:
        if isinstance(args.get(name), (tuple, list)):
            args[name] = words("problem.list_separator").join(args[name])
    for name in ("surface", "default"):  # a surface by its name in the reader's language
        if isinstance(args.get(name), str) and words.has(f"surface.{args[name]}.title"):
            args[name] = words(f"surface.{args[name]}.title")
    if args.get("optimizer") in OPTIMIZERS:  # an optimizer by its name, torch's: Adagrad, not adagrad
        args["optimizer"] = OPTIMIZERS[args["optimizer"]].title
    if problem.code == "constraint":
        args["rule"], args["repair"] = words(f"rule.{args['rule']}", **args), words(f"repair.{args['repair']}", **args)
    if problem.code == "bad_surface":
        args["reason"] = refusal_text(args["reason"], lang)
    return words(f"problem.{problem.code}", **args)


def refusal_text(reason: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """A refused formula's reason in ``lang`` (see optviz.settings.experiment.refusal); other text as it is."""
    if not isinstance(reason, tuple):
        return str(reason)
    code, column, details = reason
    return formula_text(code, column, dict(details), lang)
