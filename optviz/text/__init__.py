"""Every text a person reads, in one catalog per language: ``en.toml`` and ``zh.toml``.

A text is found by its key, dotted as in the catalog (``page.title``,
``surface.valley.description``, ``problem.out_of_range``); arguments fill its ``{name}``
placeholders (and nothing else: LaTeX braces such as ``\\theta_{t-1}`` are left alone).
A language is one catalog file and one row of :data:`LANGUAGES`; the tests fail when a key
of either catalog is missing in the other, or when their placeholders differ.

The core never words anything for the page in a fixed language: functions that make text
take a ``lang`` argument, and problems are records (:class:`optviz.core.specs.Problem`) that
:mod:`optviz.text.problems` words in the reader's language. English is the default and the
fallback: a key a catalog lacks (which the tests forbid) is said in English, never shown as
a key or a traceback.

May import: nothing of optviz.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
# Each language: its code in links (lang=zh) and its own name, as the switch on the page shows it.
LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT_LANGUAGE = "en"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


@cache
def catalog(lang: str) -> dict[str, Any]:
    """The catalog of ``lang``, keys flattened: ``{"page.title": "optviz", ...}``."""
    if lang not in LANGUAGES:
        msg = f"unknown language {lang!r}; choose one of: {', '.join(LANGUAGES)}"
        raise KeyError(msg)
    with (HERE / f"{lang}.toml").open("rb") as file:
        return _flatten(tomllib.load(file))


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders of a text."""
    return set(_PLACEHOLDER.findall(text))


def fill(text: str, args: Mapping[str, Any]) -> str:
    """``text`` with each ``{name}`` that ``args`` has replaced by its value; other braces kept."""
    return _PLACEHOLDER.sub(lambda m: str(args[m[1]]) if m[1] in args else m[0], text)


def has(key: str, lang: str = DEFAULT_LANGUAGE) -> bool:
    return key in catalog(lang) or key in catalog(DEFAULT_LANGUAGE)


def raw(key: str, lang: str = DEFAULT_LANGUAGE) -> Any:
    """The catalog's entry for ``key`` as stored (a text, or a list of texts); English if ``lang`` lacks it."""
    found = catalog(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(key)
    if found is None:
        found = catalog(DEFAULT_LANGUAGE)[key]  # KeyError: a key no catalog has is a bug
    return found


def say(key: str, lang: str = DEFAULT_LANGUAGE, /, **args: Any) -> str:
    """The text of ``key`` in ``lang``, its placeholders filled from ``args``."""
    return fill(raw(key, lang), args)


def first(keys: list[str] | tuple[str, ...], lang: str = DEFAULT_LANGUAGE, /, **args: Any) -> str:
    """The text of the first of ``keys`` that the catalogs have: a specific text before a general one."""
    for key in keys:
        if has(key, lang):
            return say(key, lang, **args)
    raise KeyError(keys[-1])


class Words:
    """The texts of one language: ``words = Words("zh"); words("page.title")``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, /, **args: Any) -> str:
        return say(key, self.lang, **args)

    def first(self, *keys: str, **args: Any) -> str:
        return first(keys, self.lang, **args)

    def list(self, key: str) -> list[str]:
        return list(raw(key, self.lang))

    def has(self, key: str) -> bool:
        return has(key, self.lang)


def lineage(optimizer: str | tuple[str, ...]) -> tuple[str, ...]:
    """The optimizers whose own words apply, first first: one name, or a rule around another's
    (SAM's ``("sam", "adam")``: SAM's words, then Adam's; ``Optimizer.words``)."""
    return (optimizer,) if isinstance(optimizer, str) else tuple(optimizer)


def hyperparameter_title(name: str, lang: str = DEFAULT_LANGUAGE, optimizer: str | tuple[str, ...] = "") -> str:
    """Hyperparameter ``name`` as its widget and a run's label call it: torch's name in English,
    the teacher's word in Chinese (学习率, 动量); ``optimizer``'s own word where the same name
    means another thing there (ASGD's alpha is a power, RMSprop's a smoothing constant)."""
    own = tuple(f"optimizer.{o}.hyperparameter_title.{name}" for o in lineage(optimizer))
    return first((*own, f"hyperparameter_title.{name}"), lang)


def hyperparameter_help(optimizer: str | tuple[str, ...], name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """What hyperparameter ``name`` does in ``optimizer``: its own words there, else the general ones."""
    own = tuple(f"optimizer.{o}.hyperparameter.{name}" for o in lineage(optimizer))
    return first((*own, f"hyperparameter.{name}"), lang)


def plotly_locale(lang: str) -> dict[str, Any]:
    """plotly.js's locale for ``lang``: its name and the words of its own buttons (the catalog's
    ``[plotly]`` table, keyed by plotly.js's English)."""
    return {"name": lang, "dictionary": dict(_plotly_words(lang))}


@cache
def _plotly_words(lang: str) -> dict[str, str]:  # found once: every page view asks (a read-only copy is given)
    return {key.removeprefix("plotly."): value for key, value in catalog(lang).items() if key.startswith("plotly.")}


def axis_names(surface: str, lang: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
    """What the surface's x and y are, in ``lang``: a model's parameters on a data surface
    ("slope", "intercept"), else x and y."""
    words = Words(lang)
    names = tuple(f"surface.{surface}.axis.{axis}" for axis in ("x", "y"))
    return (words(names[0]), words(names[1])) if has(names[0], lang) else ("x", "y")


def data_words(surface: str, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The axes of a data surface's view of its data (its title is the player's); none elsewhere."""
    words = Words(lang)
    if not has(f"surface.{surface}.data.x", lang):
        return {}
    return {"data_x": words(f"surface.{surface}.data.x"), "data_y": words(f"surface.{surface}.data.y")}


def section(prefix: str, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Every text under ``prefix`` (``"player"``), by its last key: a word list for the browser."""
    return dict(_section(prefix, lang if lang in LANGUAGES else DEFAULT_LANGUAGE))


@cache
def _section(prefix: str, lang: str) -> dict[str, str]:  # found once: the player asks on every view
    start = prefix + "."
    return {key[len(start) :]: Words(lang)(key) for key in catalog(DEFAULT_LANGUAGE) if key.startswith(start)}
