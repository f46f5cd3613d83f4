"""One spec type for every setting: a hyperparameter, a surface parameter, a page setting.

A :class:`Spec` says everything about one setting once: its default, the values the Python
API accepts (torch's range for a hyperparameter), the narrower range the app offers and links
may carry, its scale, its symbol, and its text form in a link (its name and help on the page are
in the catalogs, optviz/text). From it come the
API's validation (:meth:`Spec.check`), the link's writer (:meth:`Spec.text`) and reader
(:meth:`Spec.read`), the widgets and their seeding, and the tests' strategies.

Validation follows torch.optim's constructors ("Invalid learning rate: -1.0"), with one
deliberate difference: NaN is rejected everywhere (torch's ``sgd`` lets ``lr=nan`` through).
Every bad value raises ValueError, whatever its type: None, text, a complex number, an
integer too large for a float.

This module imports nothing from the rest of optviz but optviz.text (the bottom layer, for the
English of a :class:`Refused`), so that ``surfaces`` can use it too.
"""

from __future__ import annotations

import math
import reprlib
import urllib.parse
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz.text.problems import MAX_TEXT, problem_text, quote

# A numeric value is one number, or one number per trajectory of a batch.
Number = float | np.ndarray
Value = Number | bool | int | str | tuple[Number, Number]

KINDS = ("float", "int", "bool", "choice", "choices", "pair", "text")
TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")
# What a text value (a run's name, a typed formula) keeps as it is: everything printable in
# ASCII but what ends a piece of a run or a surface in a link (, : =) and the escape (%). The
# query string's own encoding comes on top, so a formula reads as typed in the address bar.
TEXT_SAFE = " !\"#$&'()*+-./;<>?@[\\]^_`{|}~"


@dataclass(frozen=True)
class Problem:
    """Something a link held that was ignored or adjusted: a message code and its arguments.

    A record: :func:`optviz.text.problems.problem_text` words it in the page's language;
    ``str(problem)`` gives the English, through the same function.
    """

    code: str
    args: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, code: str, **args: Any) -> Problem:
        return cls(code, tuple(args.items()))

    def __str__(self) -> str:
        return problem_text(self)


class Refused(ValueError):
    """A call that breaks a rule between settings (Nesterov momentum without a momentum), as a record.

    ``problem`` is ``Problem.of("refused", rule=<rule>, ...)`` with what the rule's words may
    name; the exception's text is those words in English (``rule.<rule>`` in the catalogs), for
    the Python API, while a page can word ``problem`` in its reader's language.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem_text(problem))

    def __reduce__(self) -> tuple[type[Refused], tuple[Problem]]:  # pickled as its record, not its words
        return Refused, (self.problem,)


def number_text(value: float) -> str:
    """The shortest text that reads back as exactly ``value``: 0.001, 1e-05, 100."""
    return repr(float(value)).removesuffix(".0")


def read_number(text: str) -> float | None:
    """A finite number from a link's text, or None."""
    try:
        value = float(text)
    except (ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Spec:
    """One setting, described once.

    ``low``/``high`` bound what the Python API accepts (torch's range for a hyperparameter);
    ``ui_low``/``ui_high`` bound what the app offers and an experiment may hold (a link with
    a value outside is clamped, with a problem). ``parts`` holds the two numeric specs of a
    pair such as ``betas``; in a link the parts are written by their own names (``beta1``).
    """

    name: str
    default: Value
    kind: str = "float"
    symbol: str = ""  # LaTeX symbol in a formula or an update rule
    label: str = ""  # how an error names it: "Invalid <label>: <value>"; "<name> value" if empty
    low: float = 0.0
    high: float = math.inf
    high_open: bool = False  # True when ``high`` itself is excluded, as for betas in [0, 1)
    ui_low: float | None = None  # None: the same as low
    ui_high: float | None = None  # None: the same as high
    log: bool = False  # offered on a log scale
    choices: tuple[str, ...] = ()
    parts: tuple[Spec, ...] = ()
    key: str = ""  # its key in a link, when that is not ``name`` ("tol" for the tolerance)
    step: float | None = None  # a widget's increment, where the default one does not suit
    # Where a choice's words are in the catalogs: "setting.<name>.choice.<choice>", or another
    # table's ("optimizer.{choice}.title": SAM's base is named by its optimizer's title).
    choice_key: str = ""

    def choice_words(self, choice: str) -> str:
        """The catalog key of ``choice``'s words (a choice setting's)."""
        return self.choice_key.format(choice=choice) if self.choice_key else f"setting.{self.name}.choice.{choice}"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            msg = f"unknown kind {self.kind!r}; choose one of {KINDS}"
            raise ValueError(msg)

    # ------------------------------------------------------------------------ ranges

    @property
    def app_low(self) -> float:
        return self.low if self.ui_low is None else self.ui_low

    @property
    def app_high(self) -> float:
        return self.high if self.ui_high is None else self.ui_high

    @property
    def link_key(self) -> str:
        return self.key or self.name

    @property
    def error_label(self) -> str:
        return self.label or f"{self.name} value"

    def range_text(self, *, app: bool = False) -> str:
        """The valid range, for help texts and messages in any language: "[0, 1)", "[1e-05, 10]", "[1, 5000]"."""
        low, high = (self.app_low, self.app_high) if app else (self.low, self.high)
        if self.kind == "int":
            return f"[{int(low)}, {int(high)}]"
        close = ")" if self.high_open and high == self.high else "]"
        return f"[{low:g}, {high:g}{close}"

    def names(self) -> tuple[str, ...]:
        """The names this setting takes in a link: the pair's parts, or its own."""
        return tuple(part.name for part in self.parts) if self.parts else (self.name,)

    # ------------------------------------------------------------------------ the Python API

    def check(self, value: object, *, app: bool = False) -> Value:
        """``value`` validated, as a float, int, bool, str, 1-D float array or pair of those.

        With ``app=True`` the app's range applies and a number must be a single number: what
        passes is what an experiment may hold and a link can carry unchanged.
        """
        checkers = {
            "bool": self._check_bool,
            "choice": self._check_choice,
            "choices": self._check_choices,
            "text": self._check_text,
            "pair": lambda v: self._check_pair(v, app=app),
            "int": lambda v: self._check_int(v, app=app),
            "float": lambda v: self._check_number(v, app=app),
        }
        return checkers[self.kind](value)

    def _check_bool(self, value: object) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        msg = f"Invalid {self.name} value: {quote(value)} (expected True or False)"
        raise ValueError(msg)

    def _check_choice(self, value: object) -> str:
        if isinstance(value, str) and value in self.choices:
            return value
        msg = f"Invalid {self.name}: {quote(value)} (choose one of: {', '.join(self.choices)})"
        raise ValueError(msg)

    def _check_choices(self, value: object) -> tuple[str, ...]:
        """Some of the choices: a tuple in the choices' order."""
        if isinstance(value, (tuple, list, set, frozenset)) and all(v in self.choices for v in value):
            return tuple(c for c in self.choices if c in value)
        msg = f"Invalid {self.name}: {quote(value)} (choose any of: {', '.join(self.choices)})"
        raise ValueError(msg)

    def _check_pair(self, value: object, *, app: bool) -> tuple[Number, ...]:
        if isinstance(value, (str, bytes, np.ndarray)) or not isinstance(value, (tuple, list)):
            msg = f"Invalid {self.name} value: {quote(value)} (expected a pair of numbers)"
            raise ValueError(msg)
        if len(value) != len(self.parts):
            msg = f"Invalid {self.name} value: {quote(value)} (expected a pair of numbers)"
            raise ValueError(msg)
        return tuple(part.check(v, app=app) for part, v in zip(self.parts, value, strict=True))

    def _check_text(self, value: object) -> str:
        """A person's own words: at most ``high`` characters, no control characters."""
        if not isinstance(value, str):
            msg = f"Invalid {self.name}: {quote(value)} (expected text)"
            raise ValueError(msg)
        if len(value) > self.high or not value.isprintable():
            msg = f"Invalid {self.name}: {quote(value)} (at most {int(self.high)} printable characters)"
            raise ValueError(msg)
        return value

    def _check_int(self, value: object, *, app: bool) -> int:
        low, high = (self.app_low, self.app_high) if app else (self.low, self.high)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            msg = f"Invalid {self.error_label}: {quote(value)} (expected a whole number in {self.range_text(app=app)})"
            raise ValueError(msg)
        if not low <= value <= high:
            msg = f"Invalid {self.error_label}: {quote(int(value))} (expected {self.range_text(app=app)})"
            raise ValueError(msg)
        return int(value)

    def _check_number(self, value: object, *, app: bool) -> Number:
        try:
            raw = np.asarray(value)
        except (TypeError, ValueError, OverflowError):
            raw = np.asarray(None)
        if raw.dtype.kind == "c":
            msg = f"Invalid {self.error_label}: {quote(value)} (expected a real number)"
            raise ValueError(msg)
        if raw.dtype.kind not in "iuf" and not (raw.dtype.kind == "O" and _all_real(raw)):
            msg = f"Invalid {self.error_label}: {quote(value)} (expected a number)"
            raise ValueError(msg)
        try:
            array = raw.astype(np.float64)
        except OverflowError:  # an int beyond float64's range: 10**400
            msg = f"Invalid {self.error_label}: {quote(value)} (too large)"
            raise ValueError(msg) from None
        if array.ndim > (0 if app else 1):
            expected = "a number" if app else "a number or a 1-D array"
            msg = f"Invalid {self.error_label}: expected {expected}, got shape {array.shape}"
            raise ValueError(msg)
        low, high = (self.app_low, self.app_high) if app else (self.low, self.high)
        upper = array < high if self.high_open and high == self.high else array <= high
        bad = ~((low <= array) & upper)  # NaN fails both comparisons
        if bad.any():
            index = int(np.argmax(bad))
            first = float(array.flat[index])
            where = f" (at index {index})" if array.ndim else ""
            msg = f"Invalid {self.error_label}: {first}{where}"
            if app and (self.app_low, self.app_high) != (self.low, self.high):
                msg += f" (the app offers {self.range_text(app=True)})"
            elif not self.label:  # torch's hyperparameters keep torch's words; others say the range
                msg += f" (expected a number in {self.range_text(app=app)})"
            raise ValueError(msg)
        return float(array) if array.ndim == 0 else array

    # ------------------------------------------------------------------------ the link

    def text(self, value: Value) -> str:
        """The link form of a single value (a pair is written part by part, see :meth:`items`)."""
        if self.kind == "bool":
            return "true" if value else "false"
        if self.kind == "choice":
            return str(value)
        if self.kind == "choices":
            return ",".join(value)
        if self.kind == "text":  # no comma, colon or equals sign can end the piece it is in
            return urllib.parse.quote(str(value), safe=TEXT_SAFE)
        if self.kind == "int":
            return str(int(value))
        return number_text(float(value))

    def items(self, value: Value) -> list[tuple[str, str]]:
        """``name=value`` pieces of a link for ``value``: a pair gives its non-default parts."""
        if self.kind == "pair":
            return [
                (part.name, part.text(v))
                for part, v, default in zip(self.parts, value, self.default, strict=True)
                if v != default
            ]
        return [(self.name, self.text(value))]

    def read(self, text: str) -> tuple[Value | None, Problem | None]:
        """A value from a link's text, within the app's range.

        Returns ``(value, None)``, ``(clamped value, problem)`` when the number was outside the
        range, or ``(None, problem)`` when the text is not a value of this kind (the caller
        keeps what it had). Problems carry ``key`` and ``value``; the caller says where.
        """
        text = text.strip()
        readers = {
            "bool": self._read_flag,
            "choice": self._read_choice,
            "choices": self._read_choices,
            "text": self._read_text,
            "pair": lambda t: (None, self._problem("pair_needs_parts", t, parts=self.names())),
        }
        return readers.get(self.kind, self._read_number)(text)

    def accept(self, value: object) -> tuple[Value | None, Problem | None]:
        """A number from a click (the browser's JSON) read as a link's text is: within the app's
        range (clamped, with a problem), or None with a problem when it is not a number at all
        (a JSON ``true`` is not the number 1)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, self._problem("not_a_number", reprlib.repr(value)[:MAX_TEXT])
        return self.read(str(value) if isinstance(value, int) else number_text(value))

    def _read_choice(self, text: str) -> tuple[str | None, Problem | None]:
        if text in self.choices:
            return text, None
        return None, self._problem("not_a_choice", text, choices=self.choices, default=self.default)

    def _problem(self, code: str, text: str, **args: Any) -> Problem:
        return Problem.of(code, key=self.link_key, value=text, **args)

    def _read_choices(self, text: str) -> tuple[tuple[str, ...], Problem | None]:
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if name not in self.choices]
        chosen = tuple(c for c in self.choices if c in names)
        if unknown:
            return chosen, Problem.of("unknown_choice", key=self.link_key, value=unknown[0], choices=self.choices)
        return chosen, None

    def _read_text(self, text: str) -> tuple[str | None, Problem | None]:
        words = " ".join(urllib.parse.unquote(text).split())  # control characters become spaces
        words = "".join(c for c in words if c.isprintable())
        if len(words) > self.high:
            cut = words[: int(self.high)]
            return cut, Problem.of("too_long_text", key=self.link_key, value=words, limit=int(self.high))
        return words, None

    def _read_flag(self, text: str) -> tuple[bool | None, Problem | None]:
        lowered = text.lower()
        if lowered in TRUE_WORDS or lowered in FALSE_WORDS:
            return lowered in TRUE_WORDS, None
        return None, self._problem("not_a_flag", text)

    def _read_number(self, text: str) -> tuple[float | int | None, Problem | None]:
        if self.kind == "int":
            try:
                number: float | None = int(text) if len(text) < 20 else None
            except ValueError:
                number = None
            if number is None:
                return None, self._problem("not_a_whole_number", text, default=self.default)
        else:
            number = read_number(text)
            if number is None:
                return None, self._problem("not_a_number", text, default=self.default)
        clamped = min(max(number, self.app_low), self.app_high)
        if self.high_open and clamped >= self.high:  # betas' open end: the largest value below it
            clamped = math.nextafter(self.high, -math.inf)
        if clamped != number:
            shown = str(number) if self.kind == "int" else number_text(number)
            return clamped, Problem.of(
                "out_of_range",
                key=self.link_key,
                number=shown,
                range=self.range_text(app=True),
                used=self.text(clamped),
            )
        return (int(number) if self.kind == "int" else float(number)), None


def _all_real(array: np.ndarray) -> bool:
    """An object array of Python numbers (ints too large for int64): numbers, perhaps too large."""
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in array.flat)
