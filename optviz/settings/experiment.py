"""The Experiment record, its settings table, and its link format.

An Experiment is everything on the page: the surface and its parameters, the start, the runs
(an optimizer with its hyperparameters each), and the page settings in :data:`SETTINGS` (the
number of steps, the tolerance used by the results table, the animation speed). Its link form
is a query string, versioned, human-readable and minimal (values equal to the defaults are
left out)::

    ?v=1&surface=valley:kappa=100&start=-2.5,1&steps=300
        &run=sgd:lr=0.015,momentum=0.9&run=adam:lr=0.05,beta1=0.8

Every setting is a :class:`~optviz.core.specs.Spec`, described once; validation, the link's
writer and reader, the widgets and the tests' strategies all come from the specs. A new page
setting is one row of :data:`SETTINGS` and its field on :class:`Experiment`.

:func:`parse` never raises: whatever a link holds, it returns a valid Experiment and a list
of :class:`~optviz.core.specs.Problem` naming what was ignored or adjusted. :meth:`Experiment.make`
accepts exactly what a link can hold, so :func:`to_query` and :func:`parse` round-trip every
Experiment it makes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any
from urllib.parse import urlencode

import surfaces
from optviz.core.optimizers import OPTIMIZERS, Optimizer
from optviz.core.rules import Setup, check_run, repair_run
from optviz.core.schedules import Schedule, read_schedule, schedule_text
from optviz.core.specs import Problem, Spec, Value, number_text, read_number
from optviz.settings.lessons import LESSONS
from optviz.settings.wording import problem_text
from optviz.text import DEFAULT_LANGUAGE, LANGUAGES, Words, hyperparameter_title
from surfaces.formula import FormulaError

VERSION = "2"  # 2: a surface opens on its own default page; 1: on the eight classic runs
VERSIONS = ("1", VERSION)
MAX_RUNS = 10
# A longer value is junk, not an experiment (a typed formula of 500 Chinese characters,
# percent-encoded, is 4,500).
MAX_QUERY_VALUE = 6000
SPEEDS = {"slow": 10, "normal": 100, "fast": 500}  # steps per second when the race plays

# The page settings: one row each. Their names and help on the page are in the catalogs
# (setting.<name>.title and .help).
STEPS = Spec("steps", 500, kind="int", low=1, high=5000, step=50)
TOLERANCE = Spec("tolerance", 1e-3, key="tol", low=1e-12, high=1e3, log=True)
SPEED = Spec("speed", "normal", kind="choice", choices=tuple(SPEEDS))
VIEW = Spec(
    "view", "loss", kind="choice", choices=("loss", "3d", "results", "rules", "inspect", "sweep", "map", "basins")
)
# Parts of the page a projector's link hides (all: everything but the race and a lesson's text).
HIDE = Spec("hide", (), kind="choices", choices=("all", "sidebar", "header", "views", "export", "share"))
LANG = Spec("lang", DEFAULT_LANGUAGE, kind="choice", choices=tuple(LANGUAGES))
LESSON = Spec("lesson", "", kind="choice", choices=("", *LESSONS))
QUIZ = Spec("quiz", True, kind="bool")  # a lesson asks its question before the race plays
# The sweep (and a map's learning-rate axis): its range and how many learning rates.
# Within the learning rates a run can take: a click on any point of a sweep gives the run that rate.
SWEEP_FROM = Spec("sweep_from", 1e-4, low=1e-5, high=10.0, log=True)
SWEEP_TO = Spec("sweep_to", 1.0, low=1e-5, high=10.0, log=True)
SWEEP_COUNT = Spec("sweep_n", 60, kind="int", low=50, high=200, step=10)
# The hyperparameter map: whose (a run's number), over which two hyperparameters, of what, how fine.
MAP_AXES = tuple(
    dict.fromkeys(
        part.name
        for optimizer in OPTIMIZERS.values()
        for hp in optimizer.hyperparameters
        for part in hp.parts or (hp,)
        if part.kind == "float"
    )
)
MAP_RUN = Spec("map_run", 1, kind="int", low=1, high=MAX_RUNS)
MAP_X = Spec("map_x", "lr", kind="choice", choices=MAP_AXES)
MAP_Y = Spec("map_y", "momentum", kind="choice", choices=MAP_AXES)
MAP_OF = Spec("map_of", "steps", kind="choice", choices=("steps", "loss"))
MAP_COUNT = Spec("map_n", 40, kind="int", low=10, high=100, step=5)
# The basin map: cells a side.
BASIN_COUNT = Spec("basin_n", 100, kind="int", low=10, high=200, step=10)
# Gradient noise for every run (the same draws for all: common random numbers), and the seed
# of the noise and of the minibatches' order.
NOISE = Spec("noise", 0.0, low=0.0, high=1e6, ui_high=20.0, step=0.1)
SEED = Spec("seed", 0, kind="int", low=0, high=99_999)
# How the race looks: contour lines on the surface's shading; no race that plays by itself
# (the browser's own "reduce motion" asks for that too).
CONTOURS = Spec("contours", True, kind="bool")
STILL = Spec("still", False, kind="bool")
SETTINGS: tuple[Spec, ...] = (
    *(STEPS, TOLERANCE, SPEED, CONTOURS, STILL, VIEW, HIDE, LANG, LESSON, QUIZ),
    *(SWEEP_FROM, SWEEP_TO, SWEEP_COUNT, MAP_RUN, MAP_X, MAP_Y, MAP_OF, MAP_COUNT, BASIN_COUNT),
    *(NOISE, SEED),
)

# A run's own settings besides its optimizer's: a name of the person's choosing, and the colour
# (and marker) it keeps for its whole life, 1 to MAX_RUNS in a link.
NAME = Spec("name", "", kind="text", high=40)
COLOUR = Spec("colour", 1, kind="int", low=1, high=MAX_RUNS)
# On a data surface, the rows per minibatch (the whole data set when absent: gradient descent).
BATCH = Spec("batch", 1, kind="int", low=1, high=100_000)
# A learning-rate schedule, written as schedule=name:argument=value:... (optviz.core.schedules).
SCHEDULE = Spec("schedule", "", kind="text", high=200)

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
    name: str = ""  # the person's own label; "" for the automatic one
    slot: int | None = None  # colour and marker index kept for life; None: the run's position
    batch: int | None = None  # rows per minibatch on a data surface; None: every row
    schedule: Schedule | None = None  # the learning rate's schedule; None: constant

    @classmethod
    def make(
        cls,
        optimizer: str,
        *,
        name: str = "",
        slot: int | None = None,
        batch: int | None = None,
        schedule: Schedule | None = None,
        **hyperparameters: Any,
    ) -> Run:
        """Validate within the app's ranges and keep only the non-default values.

        Raises KeyError for an unknown optimizer, TypeError for an unknown hyperparameter and
        ValueError for a value the app does not offer or a broken rule (Nesterov without
        momentum).
        """
        spec = _optimizer(optimizer)
        values = spec.resolve(hyperparameters)
        for key, value in hyperparameters.items():
            values[key] = spec.hyperparameter(key).check(value, app=True)
        kept = tuple((hp.name, values[hp.name]) for hp in spec.hyperparameters if values[hp.name] != hp.default)
        if slot is not None:
            slot = COLOUR.check(slot + 1, app=True) - 1
        if batch is not None:
            batch = BATCH.check(batch, app=True)
        if schedule is not None and not isinstance(schedule, Schedule):
            msg = f"Invalid schedule: {schedule!r} (make one with optviz.schedule)"
            raise ValueError(msg)
        return cls(optimizer, kept, NAME.check(name).strip(), slot, batch, schedule)

    def trajectory_key(self) -> tuple[str, Pairs, int | None, Schedule | None]:
        """What decides the run's path: its optimizer, hyperparameters, batches and schedule (not
        its name or colour)."""
        return self.optimizer, self.hyperparameters, self.batch, self.schedule

    def with_values(self, **changes: Any) -> Run:
        """This run with some hyperparameters changed; its name, colour, batches and schedule kept."""
        return Run.make(
            self.optimizer,
            name=self.name,
            slot=self.slot,
            batch=self.batch,
            schedule=self.schedule,
            **{**self.values(), **changes},
        )

    def settings(self) -> dict[str, Any]:
        """The keyword arguments of optviz.run for this run: its hyperparameters, its schedule and
        its batch size (the experiment adds the noise and the seed)."""
        return {**self.values(), "schedule": self.schedule, "batch_size": self.batch}

    @property
    def spec(self) -> Optimizer:
        return OPTIMIZERS[self.optimizer]

    def values(self) -> dict[str, Any]:
        """All hyperparameters, defaults included: the keyword arguments for optviz.run."""
        return {**self.spec.defaults(), **dict(self.hyperparameters)}

    def label(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The run's name, or a short automatic one: "Adam, lr 0.05", "SGD momentum 0.9 (Nesterov), lr 0.001"."""
        return self.name or self.auto_label(lang)

    def auto_label(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """What the run is, in ``lang``: "Adam, lr 0.05", "SGD momentum 0.9 (Nesterov), lr 0.001"."""
        words = Words(lang)
        values = self.values()
        name = self.spec.title
        if self.optimizer == "sgd" and values["momentum"]:
            name = words("label.momentum", momentum=number_text(values["momentum"]))
            if values["nesterov"]:
                name = words("label.nesterov", name=name)
        extras = [words("label.lr", lr=number_text(values["lr"]))]
        already_named = {"lr", "momentum", "nesterov"} if self.optimizer == "sgd" else {"lr"}
        for key, value in self.hyperparameters:
            if key in already_named:
                continue
            title = hyperparameter_title(key, lang)
            if isinstance(value, bool):
                extras.append(title if value else words("label.flag_off", name=title))
            elif isinstance(value, tuple):
                extras.append(words("label.betas", beta1=number_text(value[0]), beta2=number_text(value[1])))
            else:
                extras.append(words("label.value", name=title, value=number_text(value)))
        if self.batch is not None:
            extras.append(words("label.batch", size=self.batch))
        if self.schedule is not None:
            extras.append(self.schedule.kind)
        return words("label.joined", name=name, extras=words("label.separator").join(extras))


def _optimizer(name: str) -> Optimizer:
    if name not in OPTIMIZERS:
        msg = f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}"
        raise KeyError(msg)
    return OPTIMIZERS[name]


@dataclass(frozen=True)
class Experiment:
    """Everything on the page. Build it with :meth:`make` to validate and normalise."""

    surface: str = "rosenbrock"
    surface_params: Pairs = ()  # non-default surface parameters, in spec order
    start: tuple[float, float] = (-1.5, 2.0)
    runs: tuple[Run, ...] = field(default_factory=tuple)
    steps: int = STEPS.default
    tolerance: float = TOLERANCE.default  # "steps to tolerance" counts steps until f - f* <= tolerance
    speed: str = SPEED.default
    contours: bool = CONTOURS.default
    still: bool = STILL.default
    view: str = VIEW.default
    hide: tuple[str, ...] = HIDE.default
    lang: str = LANG.default
    lesson: str = LESSON.default
    quiz: bool = QUIZ.default
    sweep_from: float = SWEEP_FROM.default
    sweep_to: float = SWEEP_TO.default
    sweep_n: int = SWEEP_COUNT.default
    map_run: int = MAP_RUN.default
    map_x: str = MAP_X.default
    map_y: str = MAP_Y.default
    map_of: str = MAP_OF.default
    map_n: int = MAP_COUNT.default
    basin_n: int = BASIN_COUNT.default
    noise: float = NOISE.default
    seed: int = SEED.default

    @classmethod
    def make(
        cls,
        surface: str = "rosenbrock",
        *,
        surface_params: Mapping[str, float] | None = None,
        start: tuple[float, float] | None = None,
        runs: Iterable[Run] | None = None,
        **settings: Any,
    ) -> Experiment:
        """Validate and normalise; accepts exactly what a link can hold.

        ``settings`` are the rows of :data:`SETTINGS` by name (``steps``, ``tolerance``,
        ``speed``). What is not given is the surface's default page: its start, its runs
        (``runs=()`` for none) and its number of steps. Raises KeyError for an unknown
        surface, TypeError for an unknown setting and ValueError for a value outside what
        the app offers.
        """
        surf = surfaces.get(surface, **(surface_params or {}))
        if runs is None:
            runs = default_runs(surf)
        settings.setdefault(STEPS.name, surf.default_steps)
        kept = tuple((p.name, surf.params[p.name]) for p in surf.param_specs if surf.params[p.name] != p.default)
        unknown = sorted(set(settings) - {spec.name for spec in SETTINGS})
        if unknown:
            msg = f"unknown setting {unknown[0]!r}; the settings are: {', '.join(spec.name for spec in SETTINGS)}"
            raise TypeError(msg)
        values = {spec.name: spec.check(settings.get(spec.name, spec.default), app=True) for spec in SETTINGS}
        runs = tuple(runs)
        if len(runs) > MAX_RUNS or not all(isinstance(r, Run) for r in runs):
            msg = f"Invalid runs: expected at most {MAX_RUNS} Run records"
            raise ValueError(msg)
        for r in runs:
            check_run(run_setup(r, surf, values[STEPS.name]), app=True)
        return cls(surface, kept, _check_start(start, surf), normalise_slots(runs), **values)

    def surface_key(self) -> tuple[str, Pairs]:
        return self.surface, self.surface_params

    def build_surface(self) -> surfaces.Surface:
        return surfaces.get(self.surface, **dict(self.surface_params))

    def hidden(self, part: str) -> bool:
        """Whether the link hides this part of the page (``hide=all`` hides all but the race)."""
        return part in self.hide or ("all" in self.hide and part != "all")

    def physics(self) -> Experiment:
        """What decides the trajectories, and nothing else: the key of the cached computation."""
        runs = tuple(replace(run, name="", slot=None) for run in self.runs)  # what moves it, not its look
        return Experiment(
            self.surface, self.surface_params, self.start, runs, steps=self.steps, noise=self.noise, seed=self.seed
        )

    def run_settings(self, run: Run) -> dict[str, Any]:
        """The keyword arguments of optviz.run for ``run`` here: its own, the noise and the seed."""
        return {**run.settings(), "noise": self.noise, "seed": self.seed}

    def defaults(self, version: str = VERSION) -> Experiment:
        """What a link of ``version`` that names only this surface opens: its default page.

        Version 1 opened every surface on the eight classic runs, 500 steps and the start
        version 1 had; version 2 opens the surface's own default page.
        """
        surf = self.build_surface()
        if version == "1":
            return Experiment(self.surface, self.surface_params, surf.v1_start or surf.default_start, DEFAULT_RUNS)
        return Experiment(
            self.surface, self.surface_params, surf.default_start, default_runs(surf), steps=surf.default_steps
        )

    def setting(self, spec: Spec) -> Value:
        return getattr(self, spec.name)

    def slots(self) -> list[int]:
        """Each run's colour and marker index (see :func:`normalise_slots`)."""
        return [index if run.slot is None else run.slot for index, run in enumerate(self.runs)]

    def labels(self) -> list[str]:
        """Each run's label in the page's language, unique: a repeated one is numbered, "Adam, lr 0.05 (2)"."""
        labels, seen = [], {}
        words = Words(self.lang)
        for run in self.runs:
            label = run.label(self.lang)
            seen[label] = seen.get(label, 0) + 1
            labels.append(label if seen[label] == 1 else words("label.repeat", label=label, count=seen[label]))
        return labels

    def on_lesson(self) -> bool:
        """Whether this is its lesson's experiment as the lesson set it up (not changed since)."""
        if not self.lesson:
            return False
        lesson = lesson_experiment(self.lesson)
        return self.physics() == lesson.physics() and self.tolerance == lesson.tolerance


def normalise_slots(runs: Iterable[Run]) -> tuple[Run, ...]:
    """Runs whose slots are distinct, and None where a slot is the run's position.

    A run keeps the slot it was given while it is free; a run whose slot is taken, or that
    has none and whose position is taken, gets the lowest free one. Equal experiments then
    compare equal, and a link writes a colour only where it differs from the position.
    """
    runs = list(runs)
    taken: set[int] = set()
    wanted = [index if run.slot is None else run.slot for index, run in enumerate(runs)]
    chosen: list[int | None] = [None] * len(runs)
    for index, slot in enumerate(wanted):
        if runs[index].slot is not None and slot not in taken:
            chosen[index] = slot
            taken.add(slot)
    for index, slot in enumerate(wanted):
        if chosen[index] is None and slot not in taken:
            chosen[index] = slot
            taken.add(slot)
    for index in range(len(runs)):
        if chosen[index] is None:
            chosen[index] = min(set(range(MAX_RUNS)) - taken)
            taken.add(chosen[index])
    return tuple(
        replace(run, slot=None if slot == index else slot)
        for index, (run, slot) in enumerate(zip(runs, chosen, strict=True))
    )


def _check_start(start: object, surf: surfaces.Surface) -> tuple[float, float]:
    if start is None:
        return surf.default_start
    (x0, x1), (y0, y1) = surf.domain
    x_spec = Spec("x", 0.0, low=x0, high=x1, label="start x")
    y_spec = Spec("y", 0.0, low=y0, high=y1, label="start y")
    if not isinstance(start, (tuple, list)) or len(start) != 2:
        msg = f"Invalid start: {start!r} (expected (x, y) inside the plot of {surf.name})"
        raise ValueError(msg)
    return float(x_spec.check(start[0], app=True)), float(y_spec.check(start[1], app=True))


def default_runs(surf: surfaces.Surface) -> tuple[Run, ...]:
    """The runs a surface's default page races (its description says what they show)."""
    return tuple(Run.make(optimizer, **dict(hyperparameters)) for optimizer, hyperparameters in surf.default_runs)


# The eight classic runs: Rosenbrock's default page, and every surface's in links of version 1.
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

# The classic optimizers offered as presets: label -> run with a sensible learning rate (a
# surface may set another where this one would diverge or barely move: see presets()).
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


# ------------------------------------------------------------------------------ writing links


def _items_text(items: Iterable[tuple[str, str]]) -> str:
    return ",".join(f"{key}={value}" for key, value in items)


def to_query(experiment: Experiment) -> dict[str, str | list[str]]:
    """The link form of ``experiment``: a mapping for ``st.query_params.from_dict``."""
    query: dict[str, str | list[str]] = {"v": VERSION}
    lesson = lesson_experiment(experiment.lesson) if experiment.lesson else None
    on_lesson_surface = lesson is not None and lesson.surface_key() == experiment.surface_key()
    # A lesson's link leaves out what the lesson sets: ?lesson=momentum opens it as it is.
    base = lesson if on_lesson_surface else experiment.defaults()
    if not on_lesson_surface and (lesson is not None or experiment.surface_key() != (DEFAULT.surface, ())):
        text = experiment.surface
        if experiment.surface_params:
            specs = {p.name: p for p in surfaces.entry(experiment.surface).param_specs}
            text += ":" + _items_text((k, specs[k].text(v)) for k, v in experiment.surface_params)
        query["surface"] = text
    if experiment.start != base.start:
        query["start"] = ",".join(number_text(c) for c in experiment.start)
    for spec in SETTINGS:
        value = experiment.setting(spec)
        if value != base.setting(spec):
            query[spec.link_key] = spec.text(value)
    if experiment.runs != base.runs:
        query["run"] = [run_text(run) for run in experiment.runs] or ["none"]
    return query


def run_text(run: Run) -> str:
    """A run's link form: ``adam:lr=0.05,beta1=0.8,name=Fast%20Adam,colour=3``."""
    spec = run.spec
    items = [item for name, value in run.hyperparameters for item in spec.hyperparameter(name).items(value)]
    if run.batch is not None:
        items.append((BATCH.link_key, BATCH.text(run.batch)))
    if run.schedule is not None:
        items.append((SCHEDULE.link_key, schedule_text(run.schedule)))
    if run.name:
        items.append((NAME.link_key, NAME.text(run.name)))
    if run.slot is not None:
        items.append((COLOUR.link_key, COLOUR.text(run.slot + 1)))
    return run.optimizer + (":" + _items_text(items) if items else "")


def query_string(experiment: Experiment) -> str:
    """``to_query`` as the text after "?" (repeated keys for the runs)."""
    return urlencode(to_query(experiment), doseq=True, safe=":,=/()*^!~'")


# ------------------------------------------------------------------------------ reading links

LINK_KEYS = ("v", "surface", "start", "run", *(spec.link_key for spec in SETTINGS))


def parse(query: Mapping[str, str | list[str]]) -> tuple[Experiment, list[Problem]]:
    """Read an Experiment from a link's query; never raises.

    ``query`` maps each key to its value or to the list of its values (repeated keys, as
    ``{k: st.query_params.get_all(k)}`` gives). Returns the experiment and the problems
    found, each naming what was ignored or adjusted and the value used instead. A repeated
    key counts once, with its last value, except ``run``, which is repeated once per run.
    """
    problems: list[Problem] = []
    values = {str(key): _as_list(value) for key, value in query.items()}

    version = _last(values, "v") or "1"  # a link without a version is from version 1
    if version not in VERSIONS:
        problems.append(Problem.of("version", value=version, version=VERSION))
        version = VERSION

    # A lesson is a page of its own: the link's other keys change it as they change a surface's
    # default page, and a surface that is not the lesson's opens that surface's default page.
    lesson = _read_setting(LESSON, _last(values, LESSON.link_key), LESSON.default, problems)
    surface_text = _last(values, "surface")
    if lesson and surface_text is None:
        surface_name, surface_params = lesson_experiment(lesson).surface_key()
    else:
        surface_name, surface_params = _read_surface(surface_text, problems)
    base = Experiment(surface_name, surface_params).defaults(version)
    if lesson and lesson_experiment(lesson).surface_key() == (surface_name, surface_params):
        base = lesson_experiment(lesson)
    surf = base.build_surface()
    start = _read_start(_last(values, "start"), surf, base.start, problems)
    settings = {
        spec.name: _read_setting(spec, _last(values, spec.link_key), base.setting(spec), problems)
        for spec in SETTINGS
        if spec is not LESSON
    }
    settings[LESSON.name] = lesson
    runs = _read_runs(values.get("run"), base.runs, surf, settings[STEPS.name], problems)
    problems.extend(Problem.of("unknown_key", unknown=key) for key in values if key not in LINK_KEYS)
    experiment = Experiment(surface_name, surface_params, start, runs, **settings)
    return experiment, problems


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _last(values: Mapping[str, list[str]], key: str) -> str | None:
    found = values.get(key)
    return found[-1] if found else None


def _read_setting(spec: Spec, text: str | None, default: Value, problems: list[Problem]) -> Value:
    if text is None or not text.strip():  # an empty value is no value: ?speed= means the default
        return default
    if len(text) > MAX_QUERY_VALUE:
        problems.append(Problem.of("too_long", part=spec.link_key))
        return default
    value, problem = spec.read(text)
    if problem is not None:
        problems.append(problem)
    return default if value is None else value


def _split(text: str, pairs: Iterable[str] = ()) -> tuple[str, list[tuple[str, str]], list[str]]:
    """'name:k=v,k=v' -> ('name', [(k, v), ...], [malformed pieces]).

    A piece without '=' that follows a pair's name continues it, so ``betas=0.9,0.999`` and
    ``betas=(0.9,0.999)`` read as torch users write them.
    """
    name, _, rest = text.partition(":")
    items: list[tuple[str, str]] = []
    malformed: list[str] = []
    pair_names = set(pairs)
    for piece in rest.split(","):
        key, sep, value = piece.partition("=")
        if sep and key.strip():
            items.append((key.strip(), value.strip()))
        elif items and items[-1][0] in pair_names and items[-1][1].count(",") == 0 and piece.strip():
            items[-1] = (items[-1][0], items[-1][1] + "," + piece.strip())
        elif piece.strip():
            malformed.append(piece)
    return name.strip(), items, malformed


def _read_pair(spec: Spec, text: str, where: tuple[str, str], problems: list[Problem]) -> tuple[Any, ...] | None:
    """A pair such as betas from "0.9,0.999" or "(0.9, 0.999)"; None when it is not two numbers."""
    texts = text.strip().strip("()[]").split(",")
    if len(texts) != len(spec.parts):
        problems.append(Problem.of("pair_needs_parts", key=spec.name, value=text, parts=spec.names(), where=where))
        return None
    values = []
    for part, part_text in zip(spec.parts, texts, strict=True):
        value, problem = part.read(part_text)
        if problem is not None:
            problems.append(Problem(problem.code, (*problem.args, ("where", where))))
        if value is None:
            return None
        values.append(value)
    return tuple(values)


def _read_values(
    specs: tuple[Spec, ...], items: list[tuple[str, str]], where: tuple[str, str], problems: list[Problem]
) -> dict[str, Any]:
    """Values for ``specs`` from a link's ``name=value`` items: a run's or a surface's.

    A pair is read whole (``betas=0.9,0.999``) or by its parts (``beta1=0.8``); a later item
    overrides an earlier one, as a repeated key of the link does. What cannot be read is
    reported and left out.
    """
    by_name = {spec.name: spec for spec in specs}
    by_part = {part.name: (spec, i) for spec in specs for i, part in enumerate(spec.parts)}
    chosen: dict[str, Any] = {}
    for key, text in items:
        if len(text) > MAX_QUERY_VALUE:
            problems.append(Problem.of("too_long", part=key))
        elif key in by_part:
            spec, index = by_part[key]
            value, problem = spec.parts[index].read(text)
            if problem is not None:
                problems.append(Problem(problem.code, (*problem.args, ("where", where))))
            if value is not None:
                pair = list(chosen.get(spec.name, spec.default))
                pair[index] = value
                chosen[spec.name] = tuple(pair)
        elif key in by_name and by_name[key].kind == "pair":
            pair = _read_pair(by_name[key], text, where, problems)
            if pair is not None:
                chosen[key] = pair
        elif key in by_name:
            value, problem = by_name[key].read(text)
            if problem is not None:
                problems.append(Problem(problem.code, (*problem.args, ("where", where))))
            if value is not None:
                chosen[key] = value
        else:
            valid = [name for spec in specs for name in spec.names()]
            problems.append(Problem.of("unknown_param", unknown=key, where=where, valid=valid or ["none"]))
    return chosen


def _read_surface(text: str | None, problems: list[Problem]) -> tuple[str, Pairs]:
    if text is None:
        return DEFAULT.surface, ()
    if len(text) > MAX_QUERY_VALUE:
        problems.append(Problem.of("too_long", part="surface"))
        return DEFAULT.surface, ()
    name, items, malformed = _split(text)
    if name not in surfaces.names():
        problems.append(Problem.of("unknown_surface", unknown=name, choices=surfaces.names(), default=DEFAULT.surface))
        return DEFAULT.surface, ()
    where = ("surface", name)
    problems.extend(Problem.of("malformed", value=piece, where=where) for piece in malformed)
    specs = surfaces.entry(name).param_specs
    chosen = _read_values(specs, items, where, problems)
    params = tuple((p.name, chosen[p.name]) for p in specs if p.name in chosen and chosen[p.name] != p.default)
    try:  # a typed formula may be refused as a whole (it says why), or a plot with no width
        surfaces.get(name, **dict(params))
    except ValueError as error:
        problems.append(Problem.of("bad_surface", surface=name, reason=refusal(error), default=DEFAULT.surface))
        return DEFAULT.surface, ()
    return name, params


def refusal(error: ValueError) -> tuple[str, int | None, tuple[tuple[str, Any], ...]] | str:
    """What a refused surface says, to be worded in the reader's language: a typed formula's
    refusal as its code, column and details; any other as its English text."""
    if isinstance(error, FormulaError):
        return error.code, error.column, tuple(error.details.items())
    return str(error)


def _read_start(
    text: str | None, surf: surfaces.Surface, default: tuple[float, float], problems: list[Problem]
) -> tuple[float, float]:
    if text is None:
        return default
    parts = text.split(",")
    coords = [read_number(p) for p in parts] if len(parts) == 2 and len(text) < 100 else [None]
    if None in coords:
        problems.append(Problem.of("bad_start", value=text))
        return default
    (x0, x1), (y0, y1) = surf.domain
    x, y = coords
    clamped = (float(min(max(x, x0), x1)), float(min(max(y, y0), y1)))
    if clamped != (x, y):
        used = ",".join(number_text(c) for c in clamped)
        problems.append(
            Problem.of("start_outside", point=f"{number_text(x)},{number_text(y)}", surface=surf.name, used=used)
        )
    return clamped


def _read_runs(
    texts: list[str] | None,
    default: tuple[Run, ...],
    surf: surfaces.Surface,
    steps: int,
    problems: list[Problem],
) -> tuple[Run, ...]:
    if texts is None:
        return tuple(_repaired(run, surf, steps, problems) for run in default)
    if texts == ["none"]:
        return ()
    if len(texts) > MAX_RUNS:
        problems.append(Problem.of("too_many_runs", count=len(texts), limit=MAX_RUNS))
        texts = texts[:MAX_RUNS]
    runs = [run for run in (_read_run(text, surf, steps, problems) for text in texts) if run is not None]
    if not runs:
        problems.append(Problem.of("no_runs"))
        return default
    return normalise_slots(runs)


def _read_run(text: str, surf: surfaces.Surface, steps: int, problems: list[Problem]) -> Run | None:
    if len(text) > MAX_QUERY_VALUE:
        problems.append(Problem.of("too_long", part="run"))
        return None
    name = text.partition(":")[0].strip()
    spec = OPTIMIZERS.get(name)
    if spec is None:
        problems.append(Problem.of("unknown_optimizer", value=text, unknown=name, choices=list(OPTIMIZERS)))
        return None
    pairs = [hp.name for hp in spec.hyperparameters if hp.kind == "pair"]
    _, items, malformed = _split(text, pairs)
    where = ("run", name)
    problems.extend(Problem.of("malformed", value=piece, where=where) for piece in malformed)
    own = (NAME, COLOUR, BATCH, SCHEDULE)
    chosen = _read_values((*spec.hyperparameters, *own), items, where, problems)
    label, colour = chosen.pop(NAME.name, ""), chosen.pop(COLOUR.name, None)
    batch = chosen.pop(BATCH.name, None)
    schedule, problem = read_schedule(chosen.pop(SCHEDULE.name, ""))
    if problem is not None:
        problems.append(Problem(problem.code, (*problem.args, ("where", where))))
    run, repairs = runnable(
        name,
        chosen,
        surf=surf,
        steps=steps,
        name=label,
        slot=None if colour is None else colour - 1,
        batch=batch,
        schedule=schedule,
    )
    problems.extend(Problem(p.code, (*p.args, ("where", where))) for p in repairs)
    return run


def runnable(
    optimizer: str,
    values: Mapping[str, Any],
    *,
    surf: surfaces.Surface,
    steps: int,
    name: str = "",
    slot: int | None = None,
    batch: int | None = None,
    schedule: Schedule | None = None,
) -> tuple[Run, list[Problem]]:
    """A run from what a link or a person asked for, with every rule of a runnable run kept on
    ``surf`` for ``steps`` steps (:mod:`optviz.core.rules`: the optimizer's own and the run's), and a
    problem for each repair. The link reader and the sidebar both make their runs here."""
    spec = _optimizer(optimizer)
    setup = Setup(spec, {**spec.defaults(), **values}, schedule, batch, surf.name, surf.data_rows, steps)
    setup, problems = repair_run(setup)
    changed = {hp.name: setup.values[hp.name] for hp in spec.hyperparameters if setup.values[hp.name] != hp.default}
    run = Run.make(optimizer, name=name, slot=slot, batch=setup.batch, schedule=setup.schedule, **changed)
    return run, problems


def run_setup(run: Run, surf: surfaces.Surface, steps: int) -> Setup:
    """``run`` on ``surf`` for ``steps`` steps, as the rules of a runnable run see it."""
    return Setup(run.spec, run.values(), run.schedule, run.batch, surf.name, surf.data_rows, steps)


def _repaired(run: Run, surf: surfaces.Surface, steps: int, problems: list[Problem]) -> Run:
    """``run`` with every rule of a runnable run kept, its name and colour too."""
    fixed, repairs = runnable(
        run.optimizer,
        run.values(),
        surf=surf,
        steps=steps,
        name=run.name,
        slot=run.slot,
        batch=run.batch,
        schedule=run.schedule,
    )
    problems.extend(Problem(p.code, (*p.args, ("where", ("run", run.optimizer)))) for p in repairs)
    return fixed


@cache
def lesson_experiment(name: str) -> Experiment:
    """The experiment of the lesson ``name``, as its link in optviz/settings/lessons.toml sets it up.

    Raises KeyError for an unknown lesson and ValueError for a lesson whose link has a
    problem (the tests read every lesson's link).
    """
    experiment, problems = parse(LESSONS[name].query())
    if problems or experiment.lesson:
        msg = f"lesson {name!r}: its link has problems: {[problem_text(p) for p in problems]}"
        raise ValueError(msg)
    return experiment


def presets(surf: surfaces.Surface) -> dict[str, Run]:
    """The presets for ``surf``: the general ones, with the surface's own learning rates."""
    return {
        label: Run.make(
            run.optimizer, **{**dict(run.hyperparameters), "lr": surf.learning_rate(label, run.values()["lr"])}
        )
        for label, run in PRESETS.items()
    }
