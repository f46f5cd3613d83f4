"""The Experiment record and its link format.

An Experiment is everything on the page: the surface and its parameters, the start, the
number of steps, the runs (an optimizer with its hyperparameters each), the tolerance used
by the results table and the animation speed. Its link form is a query string, versioned,
human-readable and minimal (values equal to the defaults are left out)::

    ?v=1&surface=valley:kappa=100&start=-2.5,1&steps=300
        &run=sgd:lr=0.015,momentum=0.9&run=adam:lr=0.05,beta1=0.8

:func:`parse` never raises: whatever a link holds, it returns a valid Experiment and a list
of plain-language problems naming what was ignored or adjusted. :func:`to_query` and
:func:`parse` round-trip every valid Experiment exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import surfaces
from optviz.hyperparameters import Hyperparameter
from optviz.optimizers import OPTIMIZERS, Optimizer

VERSION = "1"
MAX_RUNS = 10
MAX_STEPS = 5000
SPEEDS = {"slow": 120, "normal": 50, "fast": 15}  # milliseconds per animation frame
TOLERANCE_RANGE = (1e-12, 1e3)
MAX_QUERY_VALUE = 2000  # longer values are junk, not experiments

Pairs = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Run:
    """One optimizer run: the optimizer's name and its non-default hyperparameters.

    Pair hyperparameters (``betas``) are stored as pairs; only values that differ from
    torch's defaults are kept, in the order of the optimizer's specs, so equal runs compare
    equal.
    """

    optimizer: str
    hyperparameters: Pairs = ()

    @classmethod
    def make(cls, optimizer: str, **hyperparameters: Any) -> Run:
        """Validate with the optimizer's checks and keep only the non-default values."""
        spec = OPTIMIZERS[optimizer]
        values = spec.resolve(hyperparameters)
        kept = tuple((hp.name, values[hp.name]) for hp in spec.hyperparameters if values[hp.name] != hp.default)
        return cls(optimizer, kept)

    @property
    def spec(self) -> Optimizer:
        return OPTIMIZERS[self.optimizer]

    def values(self) -> dict[str, Any]:
        """All hyperparameters, defaults included: the keyword arguments for optviz.run."""
        return {**self.spec.defaults(), **dict(self.hyperparameters)}

    def label(self) -> str:
        """A short automatic name: "Adam, lr 0.05", "SGD momentum 0.9 (Nesterov), lr 0.001"."""
        values = self.values()
        name = self.spec.title
        if self.optimizer == "sgd" and values["momentum"]:
            name = f"SGD momentum {_number(values['momentum'])}"
            if values["nesterov"]:
                name += " (Nesterov)"
        extras = [f"lr {_number(values['lr'])}"]
        already_named = {"lr", "momentum", "nesterov"} if self.optimizer == "sgd" else {"lr"}
        for key, value in self.hyperparameters:
            if key in already_named:
                continue
            if isinstance(value, bool):
                extras.append(key if value else f"no {key}")
            elif isinstance(value, tuple):
                extras.append(f"betas {_number(value[0])}/{_number(value[1])}")
            else:
                extras.append(f"{key} {_number(value)}")
        return f"{name}, {', '.join(extras)}"


@dataclass(frozen=True)
class Experiment:
    """Everything on the page. Build it with :meth:`make` to validate and normalise."""

    surface: str = "rosenbrock"
    surface_params: Pairs = ()  # non-default surface parameters, in spec order
    start: tuple[float, float] = (-1.5, 2.0)
    steps: int = 500
    runs: tuple[Run, ...] = field(default_factory=tuple)
    tolerance: float = 1e-3  # "steps to tolerance" counts steps until f - f* <= tolerance
    speed: str = "normal"

    @classmethod
    def make(
        cls,
        surface: str = "rosenbrock",
        *,
        surface_params: Mapping[str, float] | None = None,
        start: tuple[float, float] | None = None,
        steps: int = 500,
        runs: Iterable[Run] = (),
        tolerance: float = 1e-3,
        speed: str = "normal",
    ) -> Experiment:
        """Validate and normalise: non-default surface parameters only, floats for the start."""
        surf = surfaces.get(surface, **(surface_params or {}))
        kept = tuple((p.name, surf.params[p.name]) for p in surf.param_specs if surf.params[p.name] != p.default)
        start = surf.default_start if start is None else (float(start[0]), float(start[1]))
        if speed not in SPEEDS:
            msg = f"Invalid speed: {speed!r} (choose {', '.join(SPEEDS)})"
            raise ValueError(msg)
        return cls(surface, kept, start, int(steps), tuple(runs), float(tolerance), speed)

    def build_surface(self) -> surfaces.Surface:
        return surfaces.get(self.surface, **dict(self.surface_params))


DEFAULT_RUNS: tuple[Run, ...] = (
    Run.make("sgd", lr=1e-3),
    Run.make("sgd", lr=1e-3, momentum=0.9),
    Run.make("sgd", lr=1e-3, momentum=0.9, nesterov=True),
    Run.make("adagrad", lr=0.5),
    Run.make("rmsprop", lr=0.01),
    Run.make("adam", lr=0.05),
    Run.make("adadelta"),
    Run.make("nadam", lr=0.05),
)
DEFAULT = Experiment(runs=DEFAULT_RUNS)

# The classic optimizers offered as presets: label -> run with a sensible learning rate.
PRESETS: dict[str, Run] = {
    "SGD": Run.make("sgd", lr=1e-3),
    "SGD with momentum": Run.make("sgd", lr=1e-3, momentum=0.9),
    "Nesterov": Run.make("sgd", lr=1e-3, momentum=0.9, nesterov=True),
    "Adagrad": Run.make("adagrad", lr=0.5),
    "RMSprop": Run.make("rmsprop", lr=0.01),
    "Adam": Run.make("adam", lr=0.05),
    "Adadelta": Run.make("adadelta"),
    "NAdam": Run.make("nadam", lr=0.05),
    "AdamW": Run.make("adamw", lr=0.05),
    "RAdam": Run.make("radam", lr=0.05),
    "Adamax": Run.make("adamax", lr=0.05),
}


# ------------------------------------------------------------------------------ serialising


def _number(value: float) -> str:
    """The shortest text that reads back as exactly ``value``."""
    text = repr(float(value))
    return text.removesuffix(".0")


def _pairs_text(pairs: Iterable[tuple[str, str]]) -> str:
    return ",".join(f"{key}={value}" for key, value in pairs)


def _hp_text(hp: Hyperparameter, value: Any) -> list[tuple[str, str]]:
    if hp.kind == "pair":
        return [
            (part.name, _number(v))
            for part, v, default in zip(hp.parts, value, hp.default, strict=True)
            if v != default
        ]
    if hp.kind == "bool":
        return [(hp.name, "true" if value else "false")]
    return [(hp.name, _number(value))]


def to_query(experiment: Experiment) -> dict[str, str | list[str]]:
    """The link form of ``experiment``: a mapping for ``st.query_params.from_dict``."""
    query: dict[str, str | list[str]] = {"v": VERSION}
    surf = experiment.build_surface()
    if experiment.surface != DEFAULT.surface or experiment.surface_params:
        text = experiment.surface
        if experiment.surface_params:
            text += ":" + _pairs_text((k, _number(v)) for k, v in experiment.surface_params)
        query["surface"] = text
    if experiment.start != surf.default_start:
        query["start"] = ",".join(_number(c) for c in experiment.start)
    if experiment.steps != DEFAULT.steps:
        query["steps"] = str(experiment.steps)
    if experiment.tolerance != DEFAULT.tolerance:
        query["tol"] = _number(experiment.tolerance)
    if experiment.speed != DEFAULT.speed:
        query["speed"] = experiment.speed
    if experiment.runs != DEFAULT_RUNS:
        query["run"] = [_run_text(run) for run in experiment.runs] or ["none"]
    return query


def _run_text(run: Run) -> str:
    spec = run.spec
    pairs = [pair for name, value in run.hyperparameters for pair in _hp_text(spec.hyperparameter(name), value)]
    return run.optimizer + (":" + _pairs_text(pairs) if pairs else "")


def query_string(experiment: Experiment) -> str:
    """``to_query`` as the text after "?" (repeated keys for the runs)."""
    return urlencode(to_query(experiment), doseq=True, safe=":,=/")


# ---------------------------------------------------------------------------------- parsing


def parse(query: Mapping[str, str | list[str]]) -> tuple[Experiment, list[str]]:
    """Read an Experiment from a link's query; never raises.

    ``query`` maps each key to its value or to the list of its values (repeated keys, as
    ``{k: st.query_params.get_all(k)}`` gives). Returns the experiment and the problems
    found, each naming what was ignored or adjusted and the value used instead.
    """
    problems: list[str] = []
    values = {key: _as_list(value) for key, value in query.items()}

    version = _last(values, "v")
    if version is not None and version != VERSION:
        problems.append(f"Unknown link version {_show(version)}; read as version {VERSION}.")

    surface_name, surface_params = _parse_surface(_last(values, "surface"), problems)
    surf = surfaces.get(surface_name, **dict(surface_params))
    start = _parse_start(_last(values, "start"), surf, problems)
    steps = _parse_steps(_last(values, "steps"), problems)
    tolerance = _parse_tolerance(_last(values, "tol"), problems)
    speed = _last(values, "speed") or DEFAULT.speed
    if speed not in SPEEDS:
        problems.append(f"Ignored speed {_show(speed)} (choose {', '.join(SPEEDS)}); using {DEFAULT.speed}.")
        speed = DEFAULT.speed
    runs = _parse_runs(values.get("run"), problems)

    known = {"v", "surface", "start", "steps", "tol", "speed", "run"}
    for key in sorted(set(values) - known):
        problems.append(f"Ignored unknown link parameter {_show(key)}.")
    experiment = Experiment(surface_name, surface_params, start, steps, runs, tolerance, speed)
    return experiment, problems


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _last(values: Mapping[str, list[str]], key: str) -> str | None:
    found = values.get(key)
    return found[-1] if found else None


def _show(text: str) -> str:
    """Quote a value from a link for a message, cut short if it is long."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _split_spec(text: str) -> tuple[str, list[tuple[str, str]], list[str]]:
    """'name:k=v,k=v' -> ('name', [(k, v), ...], [malformed pieces])."""
    name, _, rest = text.partition(":")
    pairs, malformed = [], []
    for piece in filter(None, rest.split(",")):
        key, sep, value = piece.partition("=")
        if sep and key:
            pairs.append((key.strip(), value.strip()))
        else:
            malformed.append(piece)
    return name.strip(), pairs, malformed


def _parse_surface(text: str | None, problems: list[str]) -> tuple[str, Pairs]:
    if text is None or len(text) > MAX_QUERY_VALUE:
        if text is not None:
            problems.append(f"Ignored an over-long surface; using {DEFAULT.surface}.")
        return DEFAULT.surface, ()
    name, pairs, malformed = _split_spec(text)
    if name not in surfaces.names():
        problems.append(
            f"Ignored unknown surface {_show(name)} (choose one of: {', '.join(surfaces.names())}); "
            f"using {DEFAULT.surface}."
        )
        return DEFAULT.surface, ()
    problems.extend(f"Ignored {_show(piece)} in the surface (expected name=value)." for piece in malformed)
    specs = {p.name: p for p in surfaces.entry(name).param_specs}
    chosen: dict[str, float] = {}
    for key, raw in pairs:
        param = specs.get(key)
        if param is None:
            valid = ", ".join(specs) or "none"
            problems.append(f"Ignored unknown parameter {_show(key)} of surface {name} (its parameters: {valid}).")
            continue
        value = _float(raw)
        if value is None:
            problems.append(f"Ignored {key}={_show(raw)} for surface {name}: not a number; using {param.default:g}.")
            continue
        clamped = min(max(value, param.low), param.high)
        if clamped != value:
            problems.append(
                f"{key}={_number(value)} is outside [{param.low:g}, {param.high:g}] for surface {name}; "
                f"using {_number(clamped)}."
            )
        chosen[key] = clamped
    kept = tuple((p, chosen[p]) for p in specs if p in chosen and chosen[p] != specs[p].default)
    return name, kept


def _parse_start(text: str | None, surf: surfaces.Surface, problems: list[str]) -> tuple[float, float]:
    if text is None:
        return surf.default_start
    parts = text.split(",")
    coords = [_float(p) for p in parts] if len(parts) == 2 and len(text) < 100 else [None]
    if None in coords:
        problems.append(f"Ignored start {_show(text)} (expected x,y); using the surface's default start.")
        return surf.default_start
    (x0, x1), (y0, y1) = surf.domain
    x, y = coords
    clamped = (min(max(x, x0), x1), min(max(y, y0), y1))
    if clamped != (x, y):
        problems.append(
            f"Start {_number(x)},{_number(y)} is outside the plot of {surf.name}; "
            f"using {_number(clamped[0])},{_number(clamped[1])}."
        )
    return float(clamped[0]), float(clamped[1])


def _parse_steps(text: str | None, problems: list[str]) -> int:
    if text is None:
        return DEFAULT.steps
    try:
        steps = int(text) if len(text) < 20 else None
    except ValueError:
        steps = None
    if steps is None:
        problems.append(f"Ignored steps {_show(text)} (expected a whole number); using {DEFAULT.steps}.")
        return DEFAULT.steps
    clamped = min(max(steps, 1), MAX_STEPS)
    if clamped != steps:
        problems.append(f"steps={steps} is outside 1 to {MAX_STEPS:,}; using {clamped}.")
    return clamped


def _parse_tolerance(text: str | None, problems: list[str]) -> float:
    if text is None:
        return DEFAULT.tolerance
    value = _float(text)
    low, high = TOLERANCE_RANGE
    if value is None or not low <= value <= high:
        problems.append(
            f"Ignored tol {_show(text)} (expected a number in [{low:g}, {high:g}]); using {DEFAULT.tolerance:g}."
        )
        return DEFAULT.tolerance
    return value


def _parse_runs(texts: list[str] | None, problems: list[str]) -> tuple[Run, ...]:
    if texts is None:
        return DEFAULT_RUNS
    if texts == ["none"]:
        return ()
    if len(texts) > MAX_RUNS:
        problems.append(f"The link has {len(texts)} runs; kept the first {MAX_RUNS}.")
        texts = texts[:MAX_RUNS]
    runs = []
    for text in texts:
        run = _parse_run(text, problems)
        if run is not None:
            runs.append(run)
    if not runs:
        problems.append("No valid run in the link; showing the default runs.")
        return DEFAULT_RUNS
    return tuple(runs)


def _parse_run(text: str, problems: list[str]) -> Run | None:
    if len(text) > MAX_QUERY_VALUE:
        problems.append("Ignored an over-long run.")
        return None
    name, pairs, malformed = _split_spec(text)
    spec = OPTIMIZERS.get(name)
    if spec is None:
        problems.append(
            f"Ignored run {_show(text)}: unknown optimizer {_show(name)} (choose one of: {', '.join(OPTIMIZERS)})."
        )
        return None
    problems.extend(f"Ignored {_show(piece)} in run {name} (expected name=value)." for piece in malformed)
    by_name = {hp.name: hp for hp in spec.hyperparameters}
    parts = {part.name: (hp, i) for hp in spec.hyperparameters for i, part in enumerate(hp.parts)}
    chosen: dict[str, Any] = {}
    for key, raw in pairs:
        if key in parts:
            pair_hp, index = parts[key]
            value = _hp_value(pair_hp.parts[index], raw, name, problems)
            if value is not None:
                current = list(chosen.get(pair_hp.name, pair_hp.default))
                current[index] = value
                chosen[pair_hp.name] = tuple(current)
        elif key in by_name:
            value = _hp_value(by_name[key], raw, name, problems)
            if value is not None:
                chosen[key] = value
        else:
            problems.append(
                f"Ignored unknown hyperparameter {_show(key)} of {name} "
                f"(its hyperparameters: {', '.join(_link_names(spec))})."
            )
    try:
        return Run.make(name, **chosen)
    except ValueError as err:  # a rule between hyperparameters, such as Nesterov's
        problems.append(f"In run {name}: {err}; turned nesterov off.")
        chosen["nesterov"] = False
        return Run.make(name, **chosen)


def _link_names(spec: Optimizer) -> list[str]:
    return [part.name for hp in spec.hyperparameters for part in (hp.parts or (hp,))]


def _hp_value(hp: Hyperparameter, raw: str, optimizer: str, problems: list[str]) -> Any:
    if hp.kind == "bool":
        lowered = raw.lower()
        if lowered in {"true", "1", "yes", "on"}:
            return True
        if lowered in {"false", "0", "no", "off"}:
            return False
        problems.append(f"Ignored {hp.name}={_show(raw)} in run {optimizer} (expected true or false).")
        return None
    value = _float(raw)
    if value is None:
        problems.append(f"Ignored {hp.name}={_show(raw)} in run {optimizer}: not a number.")
        return None
    clamped = min(max(value, hp.ui_low), hp.ui_high)
    if clamped != value:
        problems.append(
            f"{hp.name}={_number(value)} in run {optimizer} is outside [{hp.ui_low:g}, {hp.ui_high:g}]; "
            f"using {_number(clamped)}."
        )
    return clamped
