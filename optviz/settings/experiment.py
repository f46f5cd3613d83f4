"""The frozen records of what is on the page: an :class:`Experiment` and its :class:`Run` records.

An Experiment is everything on the page: the surface and its parameters, the start, the runs
(an optimizer with its hyperparameters each), and the page settings of
:data:`optviz.settings.table.SETTINGS` (the number of steps, the tolerance used by the results
table, the animation speed). :meth:`Experiment.make` and :meth:`Run.make` validate within what
the app offers and normalise, so equal pages compare equal; :func:`runnable` makes a run that
keeps every rule of a runnable run (:mod:`optviz.core.rules`), saying what it repaired. The link
form of these records is :mod:`optviz.settings.link`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import surfaces
from optviz.core.optimizers import OPTIMIZERS, Optimizer
from optviz.core.rules import Setup, check_run, repair_run
from optviz.core.schedules import Schedule
from optviz.core.specs import Problem, Spec, Value, number_text
from optviz.settings import table
from optviz.settings.table import BATCH, COLOUR, MAX_RUNS, NAME, SETTINGS, STEPS
from optviz.text import DEFAULT_LANGUAGE, Words, has, hyperparameter_title

# The link format's version, and what a link of each opens (see Experiment.defaults).
VERSION = "2"  # 2: a surface opens on its own default page; 1: on the eight classic runs
VERSIONS = ("1", VERSION)

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
        spec = _optimizer(optimizer).for_values(hyperparameters)  # a rule around another: its base's record
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
        # A name's spaces as the link reads them (one between words), so that every run round-trips.
        return cls(optimizer, kept, " ".join(NAME.check(name).split()), slot, batch, schedule)

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
        """Its optimizer's record for its settings (a rule around another: the one for its base)."""
        return OPTIMIZERS[self.optimizer].for_values(dict(self.hyperparameters))

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
        if self.spec.words_from:  # a rule around another: "SAM (Adam)"
            base = self.spec.hyperparameter("base")
            name = words("label.around", name=name, base=words(base.choice_words(values["base"])))
            already_named |= {"base"}
        named = dict(self.hyperparameters)
        shown = [(key, values[key]) for key in self.spec.labelled if key not in named]  # even at its default
        for key, value in [*shown, *self.hyperparameters]:
            if key in already_named:
                continue
            title = hyperparameter_title(key, lang, self.spec.words)
            if isinstance(value, bool):
                extras.append(title if value else words("label.flag_off", name=title))
            elif isinstance(value, str):  # a choice (LBFGS's line search), in its own words
                extras.append(words(self.spec.hyperparameter(key).choice_words(value)))
            elif isinstance(value, tuple):
                parts = dict(zip(("first", "second", "third"), map(number_text, value), strict=False))
                own = [f"optimizer.{n}.label.{key}" for n in self.spec.words]  # its own (AdEMAMix's three betas)
                extras.append(words(next((k for k in own if has(k, lang)), f"label.{key}"), **parts))
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
    steps: int = table.STEPS.default
    tolerance: float = table.TOLERANCE.default  # "steps to tolerance" counts steps until f - f* <= tolerance
    speed: str = table.SPEED.default
    contours: bool = table.CONTOURS.default
    still: bool = table.STILL.default
    forces: bool = table.FORCES.default
    directions_log: bool = table.DIRECTIONS_LOG.default
    loss_x: str = table.LOSS_X.default
    view: str = table.VIEW.default
    hide: tuple[str, ...] = table.HIDE.default
    lang: str = table.LANG.default
    lesson: str = table.LESSON.default
    quiz: bool = table.QUIZ.default
    class_code: str = table.CLASS.default
    teacher: str = table.TEACHER.default
    seat: str = table.SEAT.default
    sweep_from: float = table.SWEEP_FROM.default
    sweep_to: float = table.SWEEP_TO.default
    sweep_n: int = table.SWEEP_COUNT.default
    map_run: int = table.MAP_RUN.default
    map_x: str = table.MAP_X.default
    map_y: str = table.MAP_Y.default
    map_of: str = table.MAP_OF.default
    map_n: int = table.MAP_COUNT.default
    basin_n: int = table.BASIN_COUNT.default
    noise: float = table.NOISE.default
    seed: int = table.SEED.default

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

    def public(self) -> Experiment:
        """What the page may hand on (its share link, an export): all but a teacher link's key and
        a student's seat."""
        return replace(self, **{spec.name: spec.default for spec in table.PRIVATE})

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
    spec = _optimizer(optimizer).for_values(values)  # a rule around another: its base's record
    setup = Setup(spec, {**spec.defaults(), **values}, schedule, batch, surf.name, surf.data_rows, steps)
    setup, problems = repair_run(setup)
    changed = {hp.name: setup.values[hp.name] for hp in spec.hyperparameters if setup.values[hp.name] != hp.default}
    run = Run.make(optimizer, name=name, slot=slot, batch=setup.batch, schedule=setup.schedule, **changed)
    return run, problems


def run_setup(run: Run, surf: surfaces.Surface, steps: int) -> Setup:
    """``run`` on ``surf`` for ``steps`` steps, as the rules of a runnable run see it."""
    return Setup(run.spec, run.values(), run.schedule, run.batch, surf.name, surf.data_rows, steps)
