"""The page's work under the one budget (optviz.core.budget): admitted by its estimate, said when it is
reduced or refused, watched while it runs, taking its turn when heavy, stopped when its visitor
has gone.

Each run of the page (and each download) starts with the whole of :data:`optviz.core.budget.SECONDS`;
the race is admitted first, then the view, then the background; a piece that does not fit is
made smaller (fewer steps, learning rates, cells or frames) or left out, with one line in the
reader's language saying so.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import replace

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.exceptions import StopException

import surfaces
from optviz.core import budget, engine
from optviz.core.budget import Budget
from optviz.draw import figures
from optviz.settings import Experiment, Run, query_string
from optviz.study import results
from ui.text import words

BUDGET = "_budget"  # this run's Budget
_LOG = logging.getLogger("optviz.app")


def start() -> Budget:
    """A new run: the whole budget again (half of it, for the rest of the session, once a page
    of it ran past its estimate and was stopped: see ui.guard)."""
    st.session_state[BUDGET] = Budget(budget.SECONDS * (LESS if st.session_state.get(DRAW_LESS) else 1.0))
    st.session_state[DECISIONS] = {}
    return st.session_state[BUDGET]


DRAW_LESS = "_draw_less"  # set once a page's work ran past its estimate: later pages plan for less
LESS = 0.5


def charge_surface(surf: surfaces.Surface) -> None:
    """The making of the page's surface (already made, or cached) is charged to its budget."""
    left().spend(budget.build_seconds(surf))


def left() -> Budget:
    """What this run may still spend."""
    return st.session_state.setdefault(BUDGET, Budget())


def seconds_text(seconds: float) -> str:
    """Seconds as a person reads them: 0.04, 0.4, 3.0, 27."""
    return f"{seconds:.2g}" if seconds < 0.1 else f"{seconds:.1f}" if seconds < 10 else f"{seconds:.0f}"


def visitor_gone() -> bool:
    """Whether the browser that started this run has gone (its tab closed, its link dropped)."""
    context = get_script_run_ctx()
    return context is not None and _gone(context.session_id)


def _gone(session: str) -> bool:
    return Runtime.exists() and not Runtime.instance().is_active_session(session)


@contextlib.contextmanager
def watched() -> Iterator[None]:
    """This run's work, stopped once it has used optviz.core.budget.STOP_AFTER seconds or its visitor
    has gone: found gone at a checkpoint (optviz.core.budget.checkpoint), or stopped by Streamlit
    itself, which asks a run to stop as its browser disconnects (the next Streamlit call
    raises)."""
    context = get_script_run_ctx()
    session = None if context is None else context.session_id

    def gone() -> bool:
        left = session is not None and _gone(session)
        if left:  # said here: Streamlit's own stop may end the run before the guard sees ours
            _LOG.warning("Stopping a page's work: its visitor left")
        return left

    try:
        with budget.watched(budget.STOP_AFTER, cancelled=gone):
            yield
    except StopException:
        _LOG.warning("Stopping a page's work: its visitor left or stopped it")
        raise


@contextlib.contextmanager
def turn(seconds: float) -> Iterator[None]:
    """Work estimated at ``seconds``: heavy work waits for its turn (optviz.core.budget.turn). Taken
    inside a cached function, so that a result already made for another visitor waits for
    nothing."""
    with budget.turn(seconds, cancelled=visitor_gone):
        yield


# ------------------------------------------------------------------------------ admissions


DECISIONS = "_budget_decisions"  # what this run admitted, by name: the race and its views agree


def admit(name: str, seconds: float) -> bool:
    """Whether a piece of this run's work, ``name``, estimated at ``seconds``, fits in what is left;
    decided once a run (later asks get the same answer and take nothing)."""
    decisions = st.session_state.setdefault(DECISIONS, {})
    if name not in decisions:
        decisions[name] = left().admit(seconds)
    return decisions[name]


def say_refused(view: str, seconds: float, what: str | None = None) -> None:
    """One line: the view ``view`` (or ``what``, named so) is off, and why: it costs more than a
    page may, or more than the race (admitted first) has left of it."""
    say = words()
    what = what or say(f"view.{view}")
    if seconds > budget.SECONDS:
        st.info(say("budget.refused", what=what, seconds=seconds_text(seconds), budget=_budget_text()))
    else:
        st.info(say("budget.refused_after_race", what=what, seconds=seconds_text(seconds), budget=_budget_text()))


def say_stopped(view: str) -> None:
    """One line: the view ``view`` took longer than its estimate and was stopped."""
    say = words()
    st.info(say("budget.view_stopped", what=say(f"view.{view}"), seconds=seconds_text(budget.STOP_AFTER)))


def say_coarser(count: int, asked: int) -> None:
    st.info(words()("budget.coarser", count=count, asked=asked, budget=_budget_text()))


def _budget_text() -> str:
    return seconds_text(budget.SECONDS)


def race_seconds(experiment: Experiment, surf: surfaces.Surface, steps: int) -> float:
    """The estimate of the race's runs for ``steps`` steps (the race's loop)."""
    return steps * sum(budget.run_step_seconds(surf, run, experiment.noise, "scalar") for run in experiment.runs)


def batch_seconds(experiment: Experiment, surf: surfaces.Surface, run: Run, width: int, *, own: bool = False) -> float:
    """The estimate of ``run`` from ``width`` starts (or settings) at once, for all its steps, on
    arrays (a sweep, a map, a basin map), a block of the engine's at a time; ``own``: each
    trajectory has its own two hyperparameters (a hyperparameter map's cells)."""
    block = engine.FINAL_BLOCK  # the final loop's blocks
    blocks, last = divmod(width, block)
    each = budget.run_step_seconds(surf, run, experiment.noise, "array", block) if blocks else 0.0
    tail = budget.run_step_seconds(surf, run, experiment.noise, "array", last) if last else 0.0
    return experiment.steps * (blocks * each + tail) * (budget.per_row(run.optimizer) if own else 1.0)


def most_at_once(experiment: Experiment) -> int:
    """The most starts (or settings) one call of the engine may take: their points (steps + 1
    each) within the engine's limit."""
    return budget.MAX_POINTS // (experiment.steps + 1)


def admitted_race(experiment: Experiment, surf: surfaces.Surface) -> Experiment:
    """The experiment with as many of its steps as the budget affords its race (all, mostly),
    saying so when it had to stop the race early."""
    each = race_seconds(experiment, surf, 1)
    steps = left().most(experiment.steps, lambda n: n * each, least=1) or 1
    if steps < experiment.steps:
        st.info(
            words()(
                "budget.race_cut",
                steps=steps,
                asked=experiment.steps,
                seconds=seconds_text(each * experiment.steps),
                budget=_budget_text(),
            )
        )
        return replace(experiment, steps=steps)
    return experiment


def background_size(surf: surfaces.Surface, wanted: int) -> int:
    """The grid of the surface's shading: ``wanted`` points a side, or fewer where that costs more
    than is left (saying so)."""
    value = budget.step_seconds(surf, "value")
    count = left().most(wanted, lambda n: n * n * value, least=BACKGROUND_LEAST)
    if count == 0:
        count = BACKGROUND_LEAST  # the page needs its surface: the coarsest, whatever it costs
    if count < wanted:
        st.caption(words()("budget.background", count=count, budget=_budget_text()))
    return count


BACKGROUND_LEAST = 40


# ------------------------------------------------------------------------------ shared results


def trajectories(physics: Experiment, seconds: float) -> list[engine.Trajectory]:
    """The runs' trajectories, shared by every visitor (read-only), made in their turn when
    heavy (their estimate, ``seconds``). Keyed by the link of what decides them (exact: a link
    round-trips), which is hashed much sooner than the experiment itself."""
    return _trajectories(query_string(physics), physics, seconds)


@st.cache_resource(max_entries=32, show_spinner=False)
def _trajectories(key: str, _physics: Experiment, _seconds: float) -> list[engine.Trajectory]:
    """``key`` alone keys the cache (Streamlit hashes no argument whose name starts with _)."""
    with turn(_seconds):
        return results.run_experiment(_physics)


@st.cache_data(max_entries=16, show_spinner=False)
def shading(surface: str, params: tuple, size: int, contours: bool) -> figures.Shading:
    """The surface's background image, shared by every visitor."""
    return figures.background(surfaces.get(surface, **dict(params)), size, contours=contours)


class Shared:
    """Results shared by every visitor (read-only), for the last ``size`` keys: each made once,
    while everyone else who asks for the same key waits for it (a lock per key), so that a class
    opening one link at once costs the server one computation. Unlike Streamlit's caches, what
    the making draws on the page (a progress bar) belongs to the visitor who made it, and is
    never replayed to another. A making that fails stores nothing: the next visitor tries again."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._values: OrderedDict[Hashable, object] = OrderedDict()
        self._making: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, make: Callable[[], object]) -> object:
        """The value of ``key``: kept, or made by ``make()`` (once, however many ask at once)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = make()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self._size:
                    self._values.popitem(last=False)
                self._making.pop(key, None)
            return value

    def has(self, key: Hashable) -> bool:
        """Whether ``key``'s value is kept (nothing to wait for)."""
        with self._lock:
            return key in self._values
