"""Adversarial link queries, generated from the link grammar.

The link format (``optviz/settings/link.py``)::

    ?v=1&surface=NAME:param=value,...&start=x,y&steps=N&tol=T&speed=slow|normal|fast
        &run=OPTIMIZER:hp=value,...&run=...

with torch.optim's hyperparameter names (a pair such as ``betas`` is written as its halves
``beta1``, ``beta2``; flags ``true``/``false``).

This module generates queries in the form :func:`optviz.settings.link.parse` takes: a dict
mapping each key to the list of its values (``{k: st.query_params.get_all(k)}``). Most of
them are near-valid links, so that parsing gets deep: every surface with every parameter,
every optimizer with every hyperparameter name (pair names and their halves too), spelled
the way people and other tools spell them, with a few wrong pieces. The rest is junk: odd
numbers (inf, nan, 1e309, -0, hex floats, ``1_000``, Unicode digits, percent escapes),
pairs where a number is expected and numbers where a pair is, repeated keys, empty values,
separators in odd places, Markdown/HTML/LaTeX payloads, unknown names, very long values,
up to about 15 runs and about 1000 fields. Some queries are written as raw query strings
and read back with :func:`query_from_string` (``urllib.parse.parse_qs`` semantics, as
Streamlit reads the address bar), so percent-encoding, ``+`` and broken escapes are
exercised on the way in.

One grammar, two drivers:

- :func:`queries` and :func:`raw_queries`: Hypothesis strategies (they shrink towards
  plain, short, valid links);
- :func:`random_query` and :func:`random_raw_query`: the same distribution driven by a
  :class:`random.Random`, without Hypothesis, for long fuzz runs (``scripts/fuzz_links.py``).

>>> import random
>>> query = random_query(random.Random(1))
>>> all(isinstance(k, str) and all(isinstance(v, str) for v in vs) for k, vs in query.items())
True
>>> query_from_string("v=1&run=adam:lr=0.1&run=sgd&x")
{'v': ['1'], 'run': ['adam:lr=0.1', 'sgd'], 'x': ['']}
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, quote_plus

import surfaces
from optviz import OPTIMIZERS
from optviz.core.specs import Spec
from optviz.settings import HIDE, SETTINGS, SPEED, STEPS, TOLERANCE, VIEW

T = TypeVar("T")
Query = dict[str, list[str]]
Fields = list[tuple[str, str]]

# The link's own keys, then one per row of the settings table (optviz.settings.table): a new
# setting is fuzzed as soon as it is in the table. Its words and ranges come from its row.
KEYS = ("v", "surface", "start", "run", *(spec.link_key for spec in SETTINGS))
SPEEDS = SPEED.choices
VIEWS = VIEW.choices
HIDDEN = HIDE.choices
STEPS_RANGE = (int(STEPS.app_low), int(STEPS.app_high))
TOLERANCE_RANGE = (TOLERANCE.app_low, TOLERANCE.app_high)
MAX_RUNS = 15  # a little over the app's limit, to cross it
MAX_FIELDS = 1000


def query_from_string(text: str) -> Query:
    """A raw query string (the text after "?") as ``parse`` takes it.

    ``urllib.parse.parse_qs(text, keep_blank_values=True)``, as Streamlit reads the address
    bar: '&' separates fields, the first '=' splits key from value, '+' is a space, percent
    escapes are decoded (invalid UTF-8 becomes U+FFFD), a field without '=' has an empty value.
    """
    return dict(parse_qs(text, keep_blank_values=True))


# ------------------------------------------------------------------------------ randomness


class Source:
    """What the grammar draws from. The first option of every choice is the plainest one,
    so that Hypothesis, which shrinks towards it, shrinks towards ordinary links.

    ``noise`` is how often a link's pieces go wrong: drawn once per link (none, a little,
    a lot), so that some links are valid throughout and most have a few wrong pieces.
    """

    noise = 0.1

    def odd(self, scale: float = 1.0) -> bool:
        """Whether this piece goes wrong (``scale`` times the link's noise)."""
        return self.noise > 0 and self.chance(min(self.noise * scale, 1.0))

    def integer(self, low: int, high: int) -> int:
        raise NotImplementedError

    def real(self, low: float, high: float) -> float:
        raise NotImplementedError

    def unit(self) -> float:
        """A number in [0, 1): drives ``chance`` and ``weighted``."""
        raise NotImplementedError

    def text(self, max_size: int) -> str:
        """Arbitrary Unicode text."""
        raise NotImplementedError

    def chance(self, p: float) -> bool:
        return self.unit() >= 1.0 - p  # 0 (what Hypothesis shrinks to) is False

    def pick(self, options: Sequence[T]) -> T:
        return options[self.integer(0, len(options) - 1)]

    def weighted(self, *options: tuple[float, T]) -> T:
        total = sum(weight for weight, _ in options)
        point = self.unit() * total
        for weight, option in options:
            if point < weight:
                return option
            point -= weight
        return options[-1][1]

    def log_real(self, low: float, high: float) -> float:
        """Log-uniform in [low, high] when both are positive and far apart, else uniform."""
        if low > 0 and high / low > 100:
            return min(max(10 ** self.real(math.log10(low), math.log10(high)), low), high)
        return self.real(low, high)

    def sub(self) -> RandomSource:
        """A cheap independent source for bulk (one draw here, however much is drawn there)."""
        sub = RandomSource(random.Random(self.integer(0, 2**32 - 1)))
        sub.noise = self.noise
        return sub


class RandomSource(Source):
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def real(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    def unit(self) -> float:
        return self.rng.random()

    def text(self, max_size: int) -> str:
        blocks = ((0x20, 0x7E), (0x00, 0x1F), (0xA0, 0x17F), (0x300, 0x36F), (0x600, 0x6FF), (0x2000, 0x206F))
        blocks += ((0x3000, 0x30FF), (0xFF00, 0xFFEF), (0x1F300, 0x1F64F))  # no surrogates: links are UTF-8
        size = self.rng.randint(0, max_size)
        chars = []
        for _ in range(size):
            low, high = self.rng.choice(blocks) if self.rng.random() < 0.4 else blocks[0]
            chars.append(chr(self.rng.randint(low, high)))
        return "".join(chars)


class HypothesisSource(Source):
    def __init__(self, draw: Callable[[Any], Any]) -> None:
        from hypothesis import strategies as st

        self.draw = draw
        self.st = st

    def integer(self, low: int, high: int) -> int:
        return self.draw(self.st.integers(low, high))

    def real(self, low: float, high: float) -> float:
        return self.draw(self.st.floats(low, high, allow_nan=False, allow_infinity=False))

    def unit(self) -> float:
        return self.draw(self.st.integers(0, 9999)) / 10000

    def text(self, max_size: int) -> str:
        return self.draw(self.st.text(max_size=max_size))


# ----------------------------------------------------------------------------- vocabulary

PAYLOADS = (
    "![](http://host/pixel.png)",
    "[Sign in again](https://host/login)",
    ":red-background[**Session expired**]",
    ":red[x]",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "$x^2$",
    "$$\\frac{1}{0}$$",
    "**bold** _it_ `code`",
    "# Heading",
    "> quote",
    "---",
    "\\",
    "{0}{1}%s%d",
    "\x00",
    "\r\n",
    "\u202egnp.exe",
    "\u200b",
    "🚀",
    "e\u0301",
    "' OR 1=1 --",
    '"quoted"',
)
UNKNOWN_KEYS = (
    "utm_source",
    "fbclid",
    "x",
    "Run",
    "RUN",
    "run ",
    " run",
    "runs",
    "run[]",
    "Surface",
    "V",
    "step",
    "tolerance",
    "lr",
    "betas",
    "beta1",
    "optimizer",
    "",
)
UNKNOWN_NAMES = ("adamm", "lbfgs", "sgd_momentum", "Adam W", "adam2", "none2", "null", "undefined", "0", "-", "é")
UNKNOWN_HYPERPARAMETERS = ("beta3", "beta0", "learning_rate", "LR", "lr_", "momentun", "betas2", "foreach", "maximize")
NICE = (1e-12, 1e-10, 1e-8, 1e-6, 1e-5, 1e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.015, 0.02, 0.05, 0.09, 0.1, 0.2, 0.25)
NICE += (0.3, 0.4, 0.5, 0.6, 0.75, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999, 0.99999, 1, 1.5, 2, 2.5, 3, 5, 10)
NICE += (20, 30, 45, 50, 90, 100, 300, 500, 1000)
SPECIAL_NUMBERS = (
    "inf",
    "-inf",
    "+inf",
    "Infinity",
    "-Infinity",
    "INF",
    "nan",
    "NaN",
    "-nan",
    "1e309",
    "-1e309",
    "1e999999999",
    "1e-400",
    "-1e-400",
    "5e-324",
    "2.2250738585072014e-308",
    "1.7976931348623157e308",
    "1e308",
    "-1e308",
    "-0",
    "-0.0",
    "+0",
    "0",
    "0.0",
    "1e9",
    "-1",
    "-1e9",
    "9" * 400,
    "0." + "0" * 400 + "1",
    "1" + "0" * 25,
    "1" * 2100,
)
BAD_NUMBERS = (
    "",
    " ",
    "abc",
    "true",
    "None",
    "null",
    "1e",
    "e5",
    "1e+",
    ".",
    "-",
    "+",
    "+-1",
    "--1",
    "1..2",
    "1.2.3",
    "0x",
    "1/2",
    "½",
    "²",
    "Ⅷ",
    "1:2",
    "1=2",
    "1;2",
    "1 2",
    "0. 1",
    "\u200b0.1",
    "1,2",
    "0.1,0.2",
    "(0.9,0.999)",
    "[0.9, 0.999]",
    "{}",
)
# Unicode decimal digits (float() and int() read every one of these) and look-alikes.
DIGIT_SETS = (
    "٠١٢٣٤٥٦٧٨٩",  # Arabic-Indic
    "۰۱۲۳۴۵۶۷۸۹",  # Extended Arabic-Indic
    "०१२३४५६७८९",  # Devanagari
    "０１２３４５６７８９",  # fullwidth
    "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",  # mathematical bold
    "⁰¹²³⁴⁵⁶⁷⁸⁹",  # superscripts: not decimal digits, float() refuses them
    "₀₁₂₃₄₅₆₇₈₉",  # subscripts
)
BOOLS = ("true", "false", "1", "0", "yes", "no", "on", "off")
ODD_BOOLS = ("True", "FALSE", "Yes", "ON", "oFF", " true", "false ", "2", "-1", "0.0", "1.0", "tru", "", "nan")
ODD_BOOLS += ("y", "t", "١", "１", "none", "null", "true,false")


# --------------------------------------------------------------------------------- numbers


def _spell(s: Source, value: float) -> str:
    """One of the many ways to write ``value``."""
    return s.weighted(
        (50, lambda: repr(float(value)).removesuffix(".0")),
        (15, lambda: f"{value:g}"),
        (8, lambda: f"{value:.{s.integer(1, 4)}g}"),
        (8, lambda: f"{value:e}"),
        (5, lambda: f"{value:.3E}"),
        (4, lambda: repr(float(value))),
        (4, lambda: "+" + repr(float(value))),
        (3, lambda: repr(float(value)).replace("0.", ".", 1)),
        (3, lambda: f"{value:.20f}"),
    )()


def _in_range(s: Source, low: float, high: float, log: bool) -> float:
    high = min(high, 1e6)
    nice = [v for v in NICE if low <= v <= high]
    if nice and s.chance(0.5):
        return s.pick(nice)
    return s.log_real(low, high) if log else s.real(low, high)


def _unicode_digits(s: Source, text: str) -> str:
    digits = s.pick(DIGIT_SETS)
    every = s.chance(0.6)
    return "".join(
        digits[int(c)] if c.isascii() and c.isdigit() and (every or s.chance(0.5)) else c for c in text
    ).replace(".", "．" if digits[0] == "０" and s.chance(0.3) else ".")


def _odd_number(s: Source, plain: str, value: float) -> str:
    """``value`` spelled in a way a reader may or may not accept."""
    spellings = (
        lambda: _unicode_digits(s, plain),
        # hex floats, as float.hex writes them and shorter ones
        lambda: s.pick((float(value).hex(), "0x1p-3", "0x10", "0X1.8p1", "0x1.999999999999ap-4", "-0x0p+0")),
        # underscores, as int() and float() accept some of them
        lambda: s.pick(("1_000", "0.000_1", "1__0", "_1", "1_", "3_00", "1_0e1_0", plain[:1] + "_" + plain[1:])),
        # whitespace around
        lambda: s.pick((" ", "\t", "\n", "\u00a0", "\u3000", "+", "%20")) + plain + s.pick(("", " ", "\n", "\r")),
        # percent escapes left undecoded
        lambda: "".join(f"%{ord(c):02X}" if c.isascii() and s.chance(0.4) else c for c in plain),
        # a pair where a number is expected
        lambda: plain + s.pick((",", ";", " ", "/")) + _spell(s, value),
        lambda: s.pick(BAD_NUMBERS),
        lambda: s.pick(PAYLOADS),
        lambda: plain * s.integer(2, 60),  # long and repetitive
    )
    return s.pick(spellings)()


def number_text(s: Source, low: float, high: float, *, log: bool = False, default: float | None = None) -> str:
    """A number for a range: mostly in it, sometimes at or past its ends, sometimes odd."""
    if s.odd():
        kind = s.weighted((25, "edge"), (30, "special"), (20, "outside"), (25, "odd"))
    else:  # in range, sometimes at its ends or the default
        kind = "edge" if s.chance(0.1) else "valid"
    if kind == "valid":
        return _spell(s, _in_range(s, low, high, log))
    if kind == "edge":
        choices = [low, high, -0.0 if low <= 0 <= high else low]
        if default is not None and math.isfinite(default):
            choices.append(default)
        return _spell(s, s.pick([c for c in choices if math.isfinite(c)] or [0.0]))
    if kind == "special":
        return s.pick(SPECIAL_NUMBERS)
    if kind == "outside":
        span = (min(high, 1e6) - low) or 1.0
        value = s.pick(
            (low - span * s.real(0.001, 10), min(high, 1e6) + span * s.real(0.001, 10), -abs(low) - 1, 1e300, 1e-300)
        )
        return _spell(s, value)
    return _odd_number(s, _spell(s, _in_range(s, low, high, log)), _in_range(s, low, high, log))


def bool_text(s: Source) -> str:
    kind = s.weighted((70, "odd"), (30, "number")) if s.odd() else "valid"
    if kind == "valid":
        return s.pick(BOOLS)
    if kind == "odd":
        return s.pick(ODD_BOOLS)
    return number_text(s, 0, 1)


def pair_text(s: Source, parts: Sequence[Any]) -> str:
    """Text after ``betas=``: the many ways people write a pair (or AdEMAMix's three betas), and
    single numbers."""
    first, second, *more = (number_text(s, *_range(p), log=False, default=_default(p)) for p in parts)
    third = more[0] if more else first
    form = s.weighted(
        (30, "{a},{b}"),  # as a torch user writes it: the comma also separates the run's fields
        (15, "({a},{b})"),
        (10, "({a}, {b})"),
        (8, "[{a},{b}]"),
        (10, "{a}"),
        (5, "{a};{b}"),
        (5, "{a} {b}"),
        (3, "{a}/{b}"),
        (4, "{a},"),
        (3, ",{b}"),
        (3 if more else 0, "{a},{b},{c}"),
        (3, "({a},{b},{c})"),  # a pair's third is one too many
        (4, ""),
    )
    return form.format(a=first, b=second, c=third)


# ------------------------------------------------------------------------------ spec access


def _range(spec: Any) -> tuple[float, float]:
    """The range a link may hold for a hyperparameter or surface parameter."""
    for low_name, high_name in (("ui_low", "ui_high"), ("low", "high")):
        low, high = getattr(spec, low_name, None), getattr(spec, high_name, None)
        if isinstance(low, (int, float)) and isinstance(high, (int, float)):
            return float(low), float(high)
    return 0.0, 1.0


def _default(spec: Any) -> float | None:
    default = getattr(spec, "default", None)
    return float(default) if isinstance(default, (int, float)) and not isinstance(default, bool) else None


def _log(spec: Any) -> bool:
    return bool(getattr(spec, "log", False))


def link_names(name: str) -> list[str]:
    """Every name a run of ``name`` may hold: each hyperparameter, pair names and their halves."""
    names = []
    for hp in OPTIMIZERS[name].hyperparameters:
        names.append(hp.name)
        names.extend(part.name for part in hp.parts)
    return names


def _hp_specs(name: str) -> dict[str, Any]:
    specs = {}
    for hp in OPTIMIZERS[name].hyperparameters:
        specs[hp.name] = hp
        specs.update({part.name: part for part in hp.parts})
    return specs


def _value_for(s: Source, spec: Any) -> str:
    if spec is None:
        return number_text(s, 0, 1)
    kind = getattr(spec, "kind", "float")
    if kind == "bool":
        return bool_text(s)
    if kind == "pair":
        return pair_text(s, spec.parts)
    if kind == "choice":  # LBFGS's line search: one of its words, a near miss, or junk
        return choice_text(s, spec.choices)
    return number_text(s, *_range(spec), log=_log(spec), default=_default(spec))


# ----------------------------------------------------------------------------- the fields


def _mutate(s: Source, text: str) -> str:
    """A small typo: a separator inserted, a character dropped or doubled, a cut."""
    at = s.integer(0, len(text))
    kind = s.integer(0, 5)
    if kind == 0:
        return text[:at] + s.pick((":", ",", "=", "&", ";", "(", ")", " ", "%", "#", "+", "::", ",,", "==")) + text[at:]
    if kind == 1:
        return text[:at] + text[at + 1 :]
    if kind == 2:
        return text[:at] + text[at : at + s.integer(1, 8)] * 2 + text[at:]
    if kind == 3:
        return text.swapcase()
    if kind == 4:
        return text[:at]
    return text + s.pick((" ", "\n", ",", ":", "="))


def _join(s: Source, pieces: Sequence[str]) -> str:
    separator = s.pick((", ", ",,", " ,", ";")) if s.odd(0.2) else ","
    text = separator.join(pieces)
    if s.odd(0.3):
        text = s.pick((",", ",,", " ")) + text
    if s.odd(0.3):
        text += s.pick((",", ",,", " ", ":"))
    return text


def _piece(s: Source, key: str, value: str) -> str:
    if not s.odd(0.5):
        return f"{key}={value}"
    return s.weighted(
        (25, key),  # no '='
        (20, f"={value}"),  # no key
        (10, f"{key}=={value}"),
        (10, f"{key}={value}={value}"),
        (10, f"{key}:{value}"),
        (25, f" {key} = {value} "),
    )


def _name(s: Source, known: Sequence[str], none: bool = False) -> str:
    kind = s.weighted((30, "variant"), (35, "unknown"), (15, "empty"), (20, "payload")) if s.odd(0.5) else "known"
    if kind == "known" or (kind == "variant" and not known):
        return s.pick(known)
    if kind == "variant":
        name = s.pick(known)
        return s.pick((name.upper(), name.title(), f" {name}", f"{name} ", f"{name}\t", name + "\u200b", name[:-1]))
    if kind == "unknown":
        return s.pick((*UNKNOWN_NAMES, "none")) if none else s.pick(UNKNOWN_NAMES)
    if kind == "empty":
        return ""
    return s.pick(PAYLOADS)


def surface_text(s: Source) -> str:
    """``NAME`` or ``NAME:param=value,...``, every surface, every parameter, and mistakes."""
    name = _name(s, surfaces.names())
    real = name.strip() if name.strip() in surfaces.names() else s.pick(surfaces.names())
    pieces = []
    for param in surfaces.entry(real).param_specs:
        if s.chance(0.5):
            pieces.append(
                _piece(s, param.name, number_text(s, *_range(param), log=_log(param), default=_default(param)))
            )
    if s.odd(0.7):  # a parameter of another surface, an unknown one, or one twice
        other = [p for n in surfaces.names() for p in surfaces.entry(n).param_specs]
        spec = s.pick(other)
        key = s.pick((spec.name, "tilt", "kappa ", "A", "", spec.name))
        pieces.insert(s.integer(0, len(pieces)), _piece(s, key, number_text(s, *_range(spec))))
    if s.chance(0.05) and pieces:
        pieces.append(s.pick(pieces))
    if not pieces and not s.chance(0.05):
        return name
    return name + (s.pick(("::", ": ", ";", " :", "=")) if s.odd(0.2) else ":") + _join(s, pieces)


def start_text(s: Source, surface: str) -> str:
    name = surface.partition(":")[0].strip()
    domain = surfaces.get(name if name in surfaces.names() else "rosenbrock").domain
    (x0, x1), (y0, y1) = domain
    kind = s.weighted((30, "pair"), (20, "wrapped"), (25, "shape"), (15, "junk"), (10, "long")) if s.odd(0.5) else ""
    x, y = number_text(s, x0, x1), number_text(s, y0, y1)
    if kind == "":
        return f"{x},{y}"
    if kind == "pair":
        return f"{x}{s.pick((', ', ';', ' ', ' , '))}{y}"
    if kind == "wrapped":
        return s.pick(("({x},{y})", "[{x},{y}]", "{x},{y},", ",{x},{y}", "({x}, {y})")).format(x=x, y=y)
    if kind == "shape":
        return s.pick((x, f"{x},{y},{x}", f"{x},", f",{y}", ",", "", f"{x},,{y}", f"{x},{y},"))
    if kind == "junk":
        return s.pick((*PAYLOADS, *BAD_NUMBERS))
    return ",".join([x, y] * s.integer(30, 300))


def steps_text(s: Source) -> str:
    low, high = STEPS_RANGE
    kind = s.weighted((20, "edge"), (25, "huge"), (25, "float"), (30, "odd")) if s.odd() else "valid"
    if kind == "valid":
        return str(s.pick((s.integer(low, high), s.integer(low, 1000), 100, 200, 300, 500, 1000)))
    if kind == "edge":
        return str(s.pick((0, 1, 2, high - 1, high, high + 1, -1, -4, -0)))
    if kind == "huge":
        return s.pick(("99999", "999999999", "9" * 18, "9" * 19, "1" + "0" * 19, "9" * 25, "1e9", "1e309", "-9" * 10))
    if kind == "float":
        return s.pick(("300.0", "3.5", "1e2", "1e3", "1E3", "-0", "-0.0", "0.5", "2.5e3", "inf", "nan", "-inf"))
    plain = str(s.integer(low, high))
    return s.pick(
        (
            _unicode_digits(s, plain),
            f" {plain} ",
            f"+{plain}",
            f"\t{plain}\n",
            "1_000",
            "3_00",
            "0x10",
            "0b101",
            "0o17",
            f"0{plain}",
            f"{plain},{plain}",
            "",
            "²",
            s.pick(PAYLOADS),
            f"%{ord(plain[0]):02X}{plain[1:]}",
        )
    )


def tolerance_text(s: Source) -> str:
    return number_text(s, *TOLERANCE_RANGE, log=True, default=1e-3)


def speed_text(s: Source) -> str:
    kind = s.weighted((50, "variant"), (50, "junk")) if s.odd(0.5) else "valid"
    if kind == "valid":
        return s.pick(SPEEDS)
    if kind == "variant":
        speed = s.pick(SPEEDS)
        return s.pick((speed.upper(), speed.title(), f" {speed}", f"{speed} ", speed[:-1], f"{speed},{speed}"))
    return s.pick(("warp", "", "1", "0", "medium", "50", "none", *PAYLOADS))


def view_text(s: Source) -> str:
    if s.odd(0.5):
        return s.pick(("3D", "Loss", "", "table", "loss,rules", *PAYLOADS))
    return s.pick(VIEWS)


def hide_text(s: Source) -> str:
    names = [name for name in HIDDEN if s.chance(0.3)] or [s.pick(HIDDEN)]
    if s.odd(0.5):
        names.insert(s.integer(0, len(names)), s.pick(("lights", "", " ", "ALL", "sidebar ", *PAYLOADS)))
    return ",".join(names)


def choice_text(s: Source, choices: Sequence[str]) -> str:
    """One of ``choices``, or something near one, or junk."""
    if s.odd(0.5):
        word = s.pick(choices)
        return s.pick((word.upper(), f" {word}", word[:-1], f"{word},{word}", "", "none", *PAYLOADS))
    return s.pick(choices)


def free_text(s: Source, most: int) -> str:
    """A person's text of at most ``most`` characters (a class code, a teacher link's key), or junk."""
    if s.odd(0.5):
        return s.pick(("", " ", "x" * (most + 1), "k7p2-qx9m", "K7P2QX9M", "%00", "\u202e", *PAYLOADS))
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZabc-_"
    return "".join(s.pick(alphabet) for _ in range(s.integer(1, most)))


def flag_text(s: Source) -> str:
    if s.odd(0.5):
        return s.pick(("maybe", "", "2", "TRUE ", "nope", *PAYLOADS))
    return s.pick(("true", "false", "1", "0", "yes", "no", "on", "off", "False"))


# The classic page settings, with makers of their own (their own junk); every other row of the
# settings table gets a maker by its kind (setting_text).
CLASSIC_SETTINGS: dict[str, Callable[[Source], str]] = {
    STEPS.link_key: steps_text,
    TOLERANCE.link_key: tolerance_text,
    SPEED.link_key: speed_text,
    VIEW.link_key: view_text,
    HIDE.link_key: hide_text,
}


def setting_text(spec: Spec) -> Callable[[Source], str]:
    """A maker of link text for the page setting ``spec``, by its kind: a number in its range (the
    app's), one of its choices, a flag. Raises TypeError for a kind the grammar cannot write yet,
    naming the setting, so that a new kind of setting is never left out of the fuzz."""
    if spec.kind in ("int", "float"):
        return lambda s: number_text(s, spec.app_low, spec.app_high, log=spec.log, default=spec.default)
    if spec.kind == "choice":
        return lambda s: choice_text(s, spec.choices)
    if spec.kind == "bool":
        return flag_text
    if spec.kind == "text":
        return lambda s: free_text(s, int(spec.high))
    msg = f"the link grammar has no maker for the setting {spec.link_key!r} of kind {spec.kind!r}"
    raise TypeError(msg)


# The page settings beyond the classic ones: a maker of link text for each row of the table.
PAGE_SETTINGS: dict[str, Callable[[Source], str]] = {
    spec.link_key: setting_text(spec) for spec in SETTINGS if spec.link_key not in CLASSIC_SETTINGS
}


def version_text(s: Source) -> str:
    if s.odd(0.5):
        return s.pick(("2", "0", "", "1.0", "01", " 1", "v1", "١", "1,1", *PAYLOADS))
    return "1"


def _hp_pieces(s: Source, optimizer: str) -> list[str]:
    specs = _hp_specs(optimizer)
    names = link_names(optimizer)
    plain = [hp.name for hp in OPTIMIZERS[optimizer].hyperparameters if not hp.parts]
    plain += [part.name for hp in OPTIMIZERS[optimizer].hyperparameters for part in hp.parts]
    pairs = [hp.name for hp in OPTIMIZERS[optimizer].hyperparameters if hp.parts]
    count = s.weighted((12, 0), (22, 1), (22, 2), (16, 3), (10, 4), (10, None), (5, -1))
    if count is None:
        count = s.integer(5, 12)
    elif count == -1:
        count = s.integer(13, 60)
    pieces = []
    for _ in range(count):
        if not s.odd(0.5):  # the names a link may hold: pairs as their halves
            key = s.pick(plain)
        else:
            key = s.weighted(
                (25, lambda: s.pick(pairs or names)),  # "betas=": a pair where the link wants halves
                (25, lambda: s.pick(names)),
                (20, lambda: s.pick(link_names(s.pick(sorted(OPTIMIZERS))))),  # another optimizer's
                (20, lambda: s.pick(UNKNOWN_HYPERPARAMETERS)),
                (10, lambda: s.pick(PAYLOADS)),
            )()
        pieces.append(_piece(s, key, _value_for(s, specs.get(key))))
    return pieces


SCHEDULES = (
    "steplr:step_size=30:gamma=0.5",
    "multisteplr:milestones=100/200",
    "exponentiallr:gamma=0.99",
    "cosineannealinglr:T_max=300",
    "cosineannealingwarmrestarts:T_0=50:T_mult=2",
    "linearlr:start_factor=0.1:total_iters=40",
    "onecyclelr:max_lr=0.1:total_steps=500",
)


def schedule_text(s: Source) -> str:
    """A schedule's link form, or something near one: an unknown name, a bad argument, junk."""
    if s.odd(0.5):
        return s.pick(
            (
                "warp",
                "steplr:step_size=0",
                "multisteplr:milestones=soon",
                "onecyclelr:total_steps=5",
                "onecyclelr:base_momentum=0",
                "onecyclelr:max_momentum=0:base_momentum=0.5",
                "onecyclelr:max_momentum=1",
                "onecyclelr:base_momentum=1:max_momentum=1",
                "onecyclelr:base_momentum=0:max_momentum=0",
                "onecyclelr:cycle_momentum=false:total_steps=5000",
                "onecyclelr:three_phase=true:max_momentum=0.99",
                "steplr:x=1",
                "cosineannealinglr:T_max=nan",
                "steplr::",
                "",
                *PAYLOADS,
            )
        )
    return s.pick(SCHEDULES)


def run_text(s: Source) -> str:
    """``OPTIMIZER`` or ``OPTIMIZER:hp=value,...``: every optimizer and hyperparameter name."""
    name = _name(s, sorted(OPTIMIZERS), none=True)
    real = name.strip() if name.strip() in OPTIMIZERS else s.pick(sorted(OPTIMIZERS))
    pieces = _hp_pieces(s, real)
    pair = next((hp for hp in OPTIMIZERS[real].hyperparameters if hp.parts), None)
    if pair is not None and s.odd():  # a pair and one or both of its halves, in either order
        extra = [_piece(s, pair.name, pair_text(s, pair.parts))]
        extra += [_piece(s, part.name, _value_for(s, part)) for part in pair.parts if s.chance(0.6)]
        if s.chance(0.5):
            extra.reverse()
        at = s.integer(0, len(pieces))
        pieces[at:at] = extra
    if real == "sgd" and s.chance(0.25):  # Nesterov's rule: needs momentum > 0 and no dampening
        pieces.append(_piece(s, "nesterov", s.pick(("true", "1", "yes", "on", "True"))))
        if not s.odd(2):
            pieces.insert(0, _piece(s, "momentum", s.pick(("0.9", "0.5", "0.99", "0.95"))))
        elif s.chance(0.7):
            pieces.insert(0, _piece(s, "momentum", s.pick(("0", "-0", "nan", "1e-300", "0.9,0.9"))))
        if s.chance(0.5) and not s.odd(2):
            pieces.append(_piece(s, "dampening", s.pick(("0", "-0", "0.0"))))
        elif s.chance(0.5):
            pieces.append(_piece(s, "dampening", s.pick(("0.1", "1", "1e-300", "nan"))))
    if s.chance(0.15):  # minibatches (a data surface's) and a learning-rate schedule
        pieces.append(_piece(s, "batch", s.pick(("1", "16", "244", "0", "-3", "1e9", "x", "9999"))))
    if s.chance(0.15):
        pieces.append(_piece(s, "schedule", schedule_text(s)))
    if pieces and s.chance(0.1):  # the same hyperparameter twice
        key = pieces[s.integer(0, len(pieces) - 1)].partition("=")[0]
        pieces.insert(s.integer(0, len(pieces)), _piece(s, key, _value_for(s, _hp_specs(real).get(key.strip()))))
    if not pieces:
        return name + (s.pick((":", ": ", ",")) if s.odd(0.2) else "")
    return name + (s.pick(("::", ";", " : ", "=")) if s.odd(0.2) else ":") + _join(s, pieces)


# ------------------------------------------------------------------------------ the queries


def _maybe_mutate(s: Source, value: str) -> str:
    return _mutate(s, value) if s.odd(0.3) else value


def _near_valid(s: Source, many_runs: bool = False) -> Fields:
    fields: Fields = []
    if s.chance(0.7):
        fields.append(("v", version_text(s)))
    surface = surface_text(s) if s.chance(0.6) else "rosenbrock"
    if surface != "rosenbrock" or s.chance(0.05):
        fields.append(("surface", surface))
    if s.chance(0.4):
        fields.append(("start", start_text(s, surface)))
    if s.chance(0.4):
        fields.append(("steps", steps_text(s)))
    optional = [("tol", 0.25, tolerance_text), ("speed", 0.25, speed_text), ("view", 0.15, view_text)]
    optional += [("hide", 0.15, hide_text), *((key, 0.06, maker) for key, maker in PAGE_SETTINGS.items())]
    for key, chance, maker in optional:
        if s.chance(chance):
            fields.append((key, maker(s)))
    fields.extend(_runs(s, many_runs))
    if s.odd():  # an unknown key, a tracking parameter, a payload for a key
        key = s.weighted((70, None), (30, "payload")) or s.pick(UNKNOWN_KEYS)
        key = s.pick(PAYLOADS) if key == "payload" else key
        fields.insert(s.integer(0, len(fields)), (key, s.pick(("1", "", "mail", "adam:lr=0.1", *PAYLOADS))))
    if fields and s.chance(0.12):  # a repeated key with another value
        key, _ = fields[s.integer(0, len(fields) - 1)]
        fields.insert(s.integer(0, len(fields)), (key, _value_of_key(s, key)))
    fields = [(key, _maybe_mutate(s, value)) for key, value in fields]
    if s.chance(0.2):  # keys in an unusual order
        order = [s.unit() for _ in fields]
        fields = [f for _, f in sorted(zip(order, fields, strict=True), key=lambda pair: pair[0])]
    return fields


def _runs(s: Source, many: bool) -> Fields:
    if s.chance(0.05):
        return [("run", "none")]
    if not many and not s.chance(0.85):
        return []
    count = s.integer(8, MAX_RUNS) if many else s.weighted((35, 1), (25, 2), (20, 3), (12, 4), (8, None))
    if count is None:
        count = s.integer(5, MAX_RUNS)
    runs = [("run", run_text(s)) for _ in range(count)]
    if s.odd(0.2):
        runs.insert(s.integer(0, len(runs)), ("run", "none"))
    return runs


def _value_of_key(s: Source, key: str) -> str:
    makers = {
        "v": version_text,
        "surface": surface_text,
        "start": lambda s: start_text(s, "rosenbrock"),
        "run": run_text,
        **CLASSIC_SETTINGS,
        **PAGE_SETTINGS,
    }
    maker = makers.get(key)
    return maker(s) if maker else s.pick(("1", "", *PAYLOADS))


def _bulk(s: Source) -> Fields:
    """Hundreds of fields: long links made of repeats (runs, unknown keys, repeated keys)."""
    s = s.sub()  # one Hypothesis draw: bulk is not worth shrinking piece by piece
    size = s.pick((20, 50, 100, 200, 500, s.integer(900, MAX_FIELDS)))
    fields = _near_valid(s)
    kind = s.integer(0, 3)
    while len(fields) < size:
        if kind == 0:
            fields.append(("run", run_text(s)))
        elif kind == 1:
            fields.append((f"k{len(fields)}", s.pick(("1", "", *PAYLOADS))))
        elif kind == 2:
            key = s.pick(KEYS)
            fields.append((key, _value_of_key(s, key)))
        else:
            fields.append(s.pick(fields) if fields else ("run", run_text(s)))
    return fields


def _junk(s: Source) -> Fields:
    fields: Fields = []
    for _ in range(s.integer(1, 8)):
        key = s.weighted((50, None), (25, "text"), (25, "payload")) or s.pick((*KEYS, *UNKNOWN_KEYS))
        key = s.text(12) if key == "text" else s.pick(PAYLOADS) if key == "payload" else key
        value = s.weighted((40, "text"), (20, "payload"), (20, "number"), (20, "mixed"))
        if value == "text":
            value = s.text(40)
        elif value == "payload":
            value = s.pick(PAYLOADS)
        elif value == "number":
            value = number_text(s, -10, 10)
        else:
            value = _mutate(s, _value_of_key(s, s.pick(KEYS)))
        fields.append((key, value))
    return fields


def fields(s: Source) -> Fields:
    """A link's fields, in order: (key, value) with values decoded."""
    s.noise = s.weighted((20, 0.0), (40, 0.15), (40, 0.4))
    kind = s.weighted((85, "near-valid"), (4, "many runs"), (4, "bulk"), (7, "junk"))
    if kind == "near-valid":
        return _near_valid(s)
    if kind == "many runs":
        return _near_valid(s, many_runs=True)
    if kind == "bulk":
        return _bulk(s)
    return _junk(s)


def as_query(fields: Fields) -> Query:
    """Fields as ``parse`` takes them: each key with the list of its values, in order."""
    query: Query = {}
    for key, value in fields:
        query.setdefault(key, []).append(value)
    return query


# ------------------------------------------------------------------------------ raw strings

# Links from the issue and other hand-picked cases, as raw query strings.
KNOWN_LINKS = (
    "",
    "v=1",
    "v=1&run=adam:lr=0.05,betas=0.9,0.999",
    "run=adam:betas=(0.9,0.999)",
    "run=adam:betas=0.9",
    "run=adam:betas=0.5,beta1=0.3",
    "run=adam:beta1=0.3,betas=0.5",
    "run=adam:beta2=0.9,betas=(0.9,0.99)",
    "run=sgd:lr=0.1,0.2",
    "run=sgd:nesterov=true",
    "run=sgd:nesterov=true,momentum=0.9,dampening=0.5",
    "run=adam:nesterov=true",
    "steps=99999&run=sgd:lr=50",
    "![](http://host/pixel.png)=1",
    "[Sign in again](https://host/login)=1",
    ":red-background[**Session expired**]=1",
    "%21%5B%5D%28http%3A%2F%2Fhost%2Fpixel.png%29=1",
    "surface=%3Cscript%3Ealert(1)%3C/script%3E",
    "run=$x^2$",
    "v=1&surface=valley:kappa=20,angle=30&steps=200&run=sgd:lr=0.09&run=sgd:lr=0.02,momentum=0.9&run=adam:lr=0.1",
    "?v=1&run=adam",
    "v=1;run=adam",
    "v=1&&&run=adam&",
    "run=adam%3Alr%3D0.1",
    "run=adam:lr=0%2E1",
    "run=adam:lr=%E2%80%8B0.1",
    "run=adam:lr=%ZZ",
    "run=adam:lr=%",
    "run=adam:lr=%e2%82",
    "steps=%D9%A3",
    "steps=%EF%BC%93",
    "tol=1e309&start=nan,inf",
    "start=-0,-0&steps=-0&tol=-0",
    "run=none&run=adam",
    "run=none&run=none",
    "run",
    "=",
    "&",
    "==",
    "run==adam",
    "run=:",
    "run=adam:,,,",
    "surface=valley:kappa=1e309,kappa=nan,angle=-inf",
    "run=adam:lr=0x1p-3",
    "run=adam:lr=1_000",
    "steps=1_000",
    "run=adam:amsgrad=TRUE,decoupled_weight_decay=%31",
)


def _random_escapes(s: Source, text: str) -> str:
    """Any character escaped, digits and letters too, in either case."""
    out = []
    for char in text:
        if s.chance(0.3):
            escaped = quote(char, safe="") if not char.isascii() else f"%{ord(char):02X}"
            out.append(escaped.lower() if s.chance(0.3) else escaped)
        else:
            out.append(quote(char, safe=":,=/") if not char.isascii() or char in "&#%+ " else char)
    return "".join(out)


def _broken_escape(s: Source, text: str) -> str:
    at = s.integer(0, len(text))
    return quote(text[:at], safe=":,=") + s.pick(("%", "%Z", "%zz", "%e2%82", "%C3", "%00", "%ff", "%2")) + text[at:]


def _percent(s: Source, text: str) -> str:
    """``text`` written into a link: escaped as a browser would, or not, or badly."""
    if s.odd(0.5):
        return s.weighted(
            (50, lambda: text),  # typed by hand: '+' becomes a space, '&' splits, '#' stays
            (25, lambda: quote(quote(text, safe=""), safe="")),  # escaped twice: read back with escapes in it
            (25, lambda: _broken_escape(s, text)),
        )()
    return s.weighted(
        (60, lambda: quote(text, safe=":,=/()[]$*!'")),  # as query_string writes links
        (15, lambda: quote(text, safe="")),
        (13, lambda: quote_plus(text, safe=":,")),
        (12, lambda: _random_escapes(s, text)),  # letters and digits too, in either case
    )()


def raw_text(s: Source) -> str:
    """A raw query string (the text after "?")."""
    if s.chance(0.06):
        link = s.pick(KNOWN_LINKS)
        return _mutate(s, link) if s.chance(0.3) else link
    parts = []
    for key, value in fields(s):
        form = s.weighted((60, "key"), (40, "eq")) if s.odd(0.2) else "kv"
        if form == "key" and value == "":
            parts.append(_percent(s, key))
        elif form == "eq":
            parts.append(f"{_percent(s, key)}=={_percent(s, value)}")
        else:
            parts.append(f"{_percent(s, key)}={_percent(s, value)}")
    separator = s.pick(("&&", ";", "&amp;")) if s.odd(0.2) else "&"
    text = separator.join(parts)
    prefix = s.pick(("?", "&", "%3F")) if s.odd(0.2) else ""
    suffix = s.pick(("&", "#section", "&=")) if s.odd(0.2) else ""
    return prefix + text + suffix


def _query(s: Source) -> Query:
    if s.chance(0.3):
        return query_from_string(raw_text(s))
    return as_query(fields(s))


# ------------------------------------------------------------------------------ the drivers


def random_query(rng: random.Random) -> Query:
    """A generated query, in the form ``parse`` takes (about 30% of them read from raw strings)."""
    return _query(RandomSource(rng))


def random_raw_query(rng: random.Random) -> str:
    """A generated raw query string; read it with :func:`query_from_string`."""
    return raw_text(RandomSource(rng))


def queries():
    """Hypothesis strategy: :func:`random_query`'s distribution, shrinking towards plain links."""
    from hypothesis import strategies as st

    return st.composite(lambda draw: _query(HypothesisSource(draw)))()


def raw_queries():
    """Hypothesis strategy: :func:`random_raw_query`'s distribution."""
    from hypothesis import strategies as st

    return st.composite(lambda draw: raw_text(HypothesisSource(draw)))()
