"""The views that ask "for which settings?" and "from where?": the learning-rate sweep (with the
fair race), the hyperparameter map and the basin map.

Each view's settings are page settings (in the link: its range and resolution); each result
is cached by what decides it, and work that takes a while shows a progress bar. Clicking a
sweep's point or a map's cell applies those settings to the run; clicking a basin map moves
the start there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import replace
from typing import Any

import numpy as np
import streamlit as st

import surfaces
from optviz.core import budget
from optviz.core.engine import Trajectory
from optviz.core.specs import Spec
from optviz.draw import sweep_figures
from optviz.draw.race import colour, symbol
from optviz.settings import (
    BASIN_COUNT,
    MAP_COUNT,
    MAP_OF,
    MAP_RUN,
    MAP_X,
    MAP_Y,
    SWEEP_COUNT,
    SWEEP_FROM,
    SWEEP_TO,
    Experiment,
    Run,
)
from optviz.study import sweeps
from optviz.study.results import summarise
from optviz.text import hyperparameter_title
from ui import work
from ui.component import clicked, figure, start_at
from ui.controls import apply_clicked, apply_hyperparameters
from ui.guard import callback
from ui.state import RUNS, basin_key, mirrored
from ui.text import plain, words

REPLAY = "_replay"  # set by the fair race: the race starts again from its first step and plays
# The fewest learning rates a sweep, and the fewest cells a side a map, is drawn with: where the
# budget affords fewer, the view is off (ui.work says why).
FEWEST_RATES = 5
FEWEST_CELLS = 10


def _cells(view: str, experiment: Experiment, surf: surfaces.Surface, asked: int, runs: Sequence[Run]) -> int:
    """The cells a side a map of ``view`` (each of ``runs`` from every cell) is drawn with: those
    asked for, or as many as the budget and the engine's most points a call afford, saying so;
    0, saying why, when even FEWEST_CELLS would cost too much."""

    def seconds(count: int) -> float:
        return sum(work.batch_seconds(experiment, surf, run, count * count, own=view == "map") for run in runs)

    most = math.isqrt(work.most_at_once(experiment))  # one run's grid: one call
    count = work.left().most(min(asked, most), seconds, least=FEWEST_CELLS)
    if count == 0:
        work.say_refused(view, seconds(asked))
    elif count < asked:
        work.say_coarser(count, asked)
    return count


# ------------------------------------------------------------------------------ computing, cached


def _key(experiment: Experiment) -> Experiment:
    """What decides a sweep or a map: the trajectories' physics and the tolerance."""
    return replace(experiment.physics(), tolerance=experiment.tolerance)


# Each is made in its turn when heavy (``_seconds``: its estimate), inside the cached function:
# a result made for another visitor waits for nothing.


@st.cache_resource(max_entries=16, show_spinner=False)
def _sweeps(
    key: Experiment, lrs: tuple[float, ...], _progress: Callable[[float], None], _seconds: float
) -> list[sweeps.Sweep]:
    with work.turn(_seconds):
        return sweeps.sweep(key, np.array(lrs), _progress)


@st.cache_resource(max_entries=16, show_spinner=False)
def _hyper_map(
    key: Experiment,
    index: int,
    axes: tuple[str, str],
    count: int,
    lr_range: tuple[float, float],
    _seconds: float,
) -> sweeps.HyperMap:
    with work.turn(_seconds):
        return sweeps.hyper_map(key, key.runs[index], axes, count, lr_range)


@st.cache_resource(max_entries=16, show_spinner=False)
def _basin_maps(
    key: Experiment, count: int, _progress: Callable[[float], None], _seconds: float
) -> list[sweeps.BasinMap]:
    with work.turn(_seconds):
        return sweeps.basin_maps(key, count, _progress)


class _Progress:
    """A progress bar that appears only when the work is long (above optviz.core.budget.HEAVY seconds),
    and only if it is done (a cached result calls nothing)."""

    def __init__(self, seconds: float) -> None:
        self.shown = seconds > budget.HEAVY
        self.bar: Any = None

    def __call__(self, fraction: float) -> None:
        if not self.shown:
            return
        if self.bar is None:
            self.bar = st.progress(0.0, text=words()("sweep.working"))
        self.bar.progress(min(max(fraction, 0.0), 1.0), text=words()("sweep.working"))

    def done(self) -> None:
        if self.bar is not None:
            self.bar.empty()


# ------------------------------------------------------------------------------ view settings


def _setting(spec: Spec, column: Any = st) -> Any:
    """A view's setting as a widget: it keeps its value while its view is not shown."""
    say = words()
    label, help = say(f"setting.{spec.name}.title"), say(f"setting.{spec.name}.help")
    where = mirrored(spec)
    if spec.kind == "int":
        return column.number_input(
            label, int(spec.app_low), int(spec.app_high), step=int(spec.step or 1), help=help, **where
        )
    if spec.kind == "float":
        return column.number_input(label, spec.app_low, spec.app_high, format="%g", help=help, **where)
    return column.selectbox(label, spec.choices, help=help, **where)


def _run_key(index: int) -> int:
    """The id of the run at ``index`` (its widgets' and its entry's)."""
    return st.session_state[RUNS][index]["id"]


# ------------------------------------------------------------------------------ the sweep


def sweep_view(experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory]) -> None:
    say = words()
    left, middle, right = st.columns(3)
    _setting(SWEEP_FROM, left)
    _setting(SWEEP_TO, middle)
    _setting(SWEEP_COUNT, right)

    def seconds(count: int) -> float:  # one call per run (and seed) of ``count`` rates
        return sum(
            (sweeps.SEEDS if sweeps.stochastic(experiment, run) else 1)
            * work.batch_seconds(experiment, surf, run, count)
            for run in experiment.runs
        )

    wanted = min(experiment.sweep_n, work.most_at_once(experiment))
    count = work.left().most(wanted, seconds, least=FEWEST_RATES)
    if count == 0:
        work.say_refused("sweep", seconds(experiment.sweep_n))
        return
    if count < experiment.sweep_n:
        st.info(
            say("budget.fewer_rates", count=count, asked=experiment.sweep_n, budget=work.seconds_text(budget.SECONDS))
        )
    lrs = sweeps.log_grid(experiment.sweep_from, experiment.sweep_to, count)
    progress = _Progress(seconds(count))
    found = _sweeps(_key(experiment), tuple(lrs.tolist()), progress, seconds(count))
    progress.done()
    rows = summarise(experiment, surf, trajectories)
    current = [
        (float(run.values()["lr"]), row.gap, row.steps_to_tolerance, row.evaluations_to_tolerance)
        for run, row in zip(experiment.runs, rows, strict=True)
    ]
    colours = [colour(slot) for slot in experiment.slots()]
    start_gap = float(trajectories[0].losses[0]) - surf.f_star if trajectories else 1.0
    fig = sweep_figures.sweep_figure(
        found,
        experiment.labels(),
        colours,
        current,
        surf=surf,
        tolerance=experiment.tolerance,
        start_gap=start_gap,
        lang=say.lang,
        symbols=[symbol(slot) for slot in experiment.slots()],
    )
    figure(fig, key="sweep", click="points", on_click=_on_sweep_click)
    st.caption(
        say(
            "sweep.measured_on",
            count=len(lrs),
            low=f"{lrs[0]:g}",
            high=f"{lrs[-1]:g}",
            steps=experiment.steps,
            tolerance=f"{experiment.tolerance:g}",
        )
    )
    st.button(
        say("sweep.fair"),
        key="fair_race",
        type="primary",
        on_click=callback(_fair_race),
        args=(experiment, found),
        help=say("sweep.fair_help"),
    )
    if any(result.seeds > 1 for result in found):
        st.caption(say("sweep.seeds", seeds=max(result.seeds for result in found)))
    _best_table(experiment, found)


def _best_table(experiment: Experiment, found: list[sweeps.Sweep]) -> None:
    say = words()
    lines = []
    for number, result in enumerate(found, start=1):
        best = result.best()
        if best is None:
            lines.append(say("sweep.best_none", number=number))
        elif result.converged[best] and result.evaluations is not None:  # chosen by its evaluations (LBFGS)
            evaluations = int(result.evaluations[best])
            lines.append(
                say("sweep.best_evaluations", number=number, lr=f"{result.lrs[best]:g}", evaluations=evaluations)
            )
        elif result.converged[best]:
            lines.append(say("sweep.best", number=number, lr=f"{result.lrs[best]:g}", steps=int(result.steps[best])))
        else:
            lines.append(say("sweep.best_unconverged", number=number, lr=f"{result.lrs[best]:g}"))
    st.markdown("\n".join(f"- {line}" for line in lines))


def _on_sweep_click() -> None:
    """A click on a sweep's point: that run gets that learning rate, validated as a link's is."""
    point = clicked("sweep")
    custom = None if point is None else point.get("customdata")
    if not (isinstance(custom, list) and len(custom) == 2):
        return
    index, lr = custom
    runs = st.session_state.get(RUNS, [])
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(runs):
        return
    apply_clicked(_run_key(index), {"lr": lr}, digits=3)


def _fair_race(experiment: Experiment, found: list[sweeps.Sweep]) -> None:
    """Every run gets its best learning rate from the sweep, and the race plays again from the start."""
    fair = sweeps.with_best_rates(experiment, found)
    for index, run in enumerate(fair.runs):
        apply_hyperparameters(_run_key(index), {"lr": run.values()["lr"]})
    st.session_state[REPLAY] = st.session_state.get(REPLAY, 0) + 1


# ------------------------------------------------------------------------------ the hyperparameter map


def map_view(experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory]) -> None:
    say = words()
    top = st.columns(5)
    index = min(experiment.map_run, len(experiment.runs)) - 1
    st.session_state[MAP_RUN.link_key] = index + 1  # what this run has: the link says so too
    labels = experiment.labels()
    top[0].selectbox(  # the run by its name, not a bare number
        say(f"setting.{MAP_RUN.name}.title"),
        range(1, len(labels) + 1),
        format_func=lambda number: say("sidebar.run_title", number=number, label=labels[number - 1]),
        help=say(f"setting.{MAP_RUN.name}.help"),
        **mirrored(MAP_RUN),
    )
    run = experiment.runs[index]
    names = sweeps.axes(run.spec)
    x_name = experiment.map_x if experiment.map_x in names else names[0]
    y_name = experiment.map_y if experiment.map_y in names and experiment.map_y != x_name else _other(names, x_name)
    for spec, column, value in ((MAP_X, top[1], x_name), (MAP_Y, top[2], y_name)):
        st.session_state[spec.link_key] = value  # what this run has: the link says so too
        where = mirrored(spec)
        column.selectbox(
            say(f"setting.{spec.name}.title"),
            names,
            format_func=lambda name: hyperparameter_title(name, say.lang, run.optimizer),
            help=say(f"setting.{spec.name}.help"),
            **where,
        )
    top[3].selectbox(
        say("setting.map_of.title"),
        MAP_OF.choices,
        format_func=lambda v: say(f"setting.map_of.choice.{v}"),
        help=say("setting.map_of.help"),
        **mirrored(MAP_OF),
    )
    _setting(MAP_COUNT, top[4])
    label = plain(experiment.labels()[index])  # a person's text: shown as written
    if y_name is None:
        st.info(say("map.one_axis", label=label))
        return
    st.caption(say("map.of_run", number=index + 1, label=label))
    lr_range = (experiment.sweep_from, experiment.sweep_to)
    count = _cells("map", experiment, surf, experiment.map_n, [run])
    if count == 0:
        return
    heavy = work.batch_seconds(experiment, surf, run, count * count, own=True)
    with st.spinner(say("sweep.working")) if heavy > budget.HEAVY else nullcontext():
        found = _hyper_map(_key(experiment), index, (x_name, y_name), count, lr_range, heavy)
    values = run.values()
    current = (_value(values, run.spec, x_name), _value(values, run.spec, y_name))
    fig = sweep_figures.hyper_map_figure(found, experiment.map_of, current, say.lang, surf)
    figure(fig, key="hyper_map", click="points", on_click=lambda: _on_map_click(index, run.optimizer, (x_name, y_name)))
    st.caption(say("map.click"))


def _other(names: list[str], taken: str) -> str | None:
    return next((name for name in names if name != taken), None)


def _value(values: dict[str, Any], optimizer: Any, name: str) -> float:
    for key, value in values.items():
        if key == name:
            return float(value)
        if isinstance(value, tuple):
            parts = [
                part.name for hp in sweeps._record(optimizer).hyperparameters if hp.name == key for part in hp.parts
            ]
            if name in parts:
                return float(value[parts.index(name)])
    msg = f"{optimizer} has no hyperparameter {name!r}"
    raise KeyError(msg)


def _on_map_click(index: int, optimizer: str, axes: tuple[str, str]) -> None:
    """A click on a map's cell: the run gets that cell's two settings, validated as a link's are."""
    point = clicked("hyper_map")
    runs = st.session_state.get(RUNS, [])
    if point is None or not 0 <= index < len(runs) or runs[index]["run"].optimizer != optimizer:
        return
    apply_clicked(_run_key(index), {axes[0]: point.get("x"), axes[1]: point.get("y")})


# ------------------------------------------------------------------------------ the basin map


def basins_view(experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory]) -> None:
    say = words()
    _setting(BASIN_COUNT, st.columns(4)[0])
    count = _cells("basins", experiment, surf, experiment.basin_n, experiment.runs)
    if count == 0:
        return
    heavy = sum(work.batch_seconds(experiment, surf, run, count * count) for run in experiment.runs)
    progress = _Progress(heavy)
    found = _basin_maps(_key(experiment), count, progress, heavy)
    progress.done()
    st.caption(say("basin.caption", steps=experiment.steps, tolerance=f"{experiment.tolerance:g}"))
    width = min(3, len(found))
    for index, (result, label) in enumerate(zip(found, experiment.labels(), strict=True)):
        if index % width == 0:  # a row of maps at a time: on a phone they stack in the runs' order
            columns = st.columns(width)
        fig = sweep_figures.basin_figure(result, surf, experiment.start, f"{index + 1}. {label}", say.lang)
        key = basin_key(index)
        with columns[index % width]:
            figure(fig, key=key, click="plane", on_click=lambda key=key: _on_basin_click(key))


def _on_basin_click(key: str) -> None:
    """A click on a basin map: the race starts there."""
    start_at(clicked(key))
