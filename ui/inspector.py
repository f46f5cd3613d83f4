"""The step inspector's view: one step of a run, its vectors and its rule's symbols, with their values.

The race draws the arrows (optviz/draw/assets/view.js); this panel under it lists, for the step the
player rests on, what :mod:`optviz.teach.inspector` reads from the run's recorded state. The runs
are run again with ``record="state"`` only while this view is open (the same paths, bit for
bit), cached like the race's.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

import surfaces
from optviz.core import budget
from optviz.core.engine import Trajectory
from optviz.draw import figures
from optviz.draw import race as race_data
from optviz.settings import Experiment
from optviz.teach import inspector
from ui import work
from ui.component import figure
from ui.state import mirror
from ui.text import plain, words

RUN_KEY = "inspect_run"
ALL = "all"


def say(key: str, **args: Any) -> str:
    """The inspector's words in the page's language."""
    return words()(key, **args)


@st.cache_resource(max_entries=8, show_spinner=False)
def _recorded(physics: Experiment, _seconds: float) -> list[Trajectory]:
    with work.turn(_seconds):
        return inspector.record_experiment(physics)


def recorded(experiment: Experiment) -> list[Trajectory]:
    """The runs with their states: keyed, like the race's, by what decides them, made in their
    turn when heavy."""
    return _recorded(experiment.physics(), recording_seconds(experiment, experiment.build_surface()))


def recording_seconds(experiment: Experiment, surf: surfaces.Surface) -> float:
    """The estimate of recording every run's state (record="state")."""
    return budget.cost("state", "factor") * work.race_seconds(experiment, surf, experiment.steps)


def selected(experiment: Experiment) -> int | None:
    """The run picked in the panel (its index), or None for all of them; the first by default."""
    value = st.session_state.get(RUN_KEY, 0)
    if value == ALL:
        return None
    return value if isinstance(value, int) and 0 <= value < len(experiment.runs) else 0


def shown_step(experiment: Experiment, state: Any) -> int:
    """The step the player rests on, as it last reported it; the last step (where it opens) before that."""
    step = state.get("step") if state else None
    if isinstance(step, int) and not isinstance(step, bool) and 0 <= step <= experiment.steps:
        return step
    return experiment.steps


def arrays(experiment: Experiment) -> list[dict[str, str]]:
    """Each run's gradient and velocity at every step, for the race's arrows."""
    return [race_data.arrows(t) for t in recorded(experiment)]


def panel(experiment: Experiment, surf: surfaces.Surface, step: int) -> None:
    """The picked run's (or every run's) update rule and its values at ``step``."""
    labels = experiment.labels()
    options = [*range(len(labels)), ALL]
    st.session_state[RUN_KEY] = ALL if selected(experiment) is None else selected(experiment)
    st.selectbox(
        say("inspector.run"),
        options,
        format_func=lambda option: (
            say("inspector.all_runs") if option == ALL else labels[option]
        ),  # options are text, never Markdown
        **mirror(RUN_KEY, 0, options),
    )
    st.caption(say("inspector.how"))
    picked = selected(experiment)
    trajectories = recorded(experiment)
    slots = experiment.slots()
    for index in range(len(labels)) if picked is None else [picked]:
        _run(experiment.runs[index].values(), labels[index], trajectories[index], step, experiment.steps)
        _plot(trajectories[index], index, slots[index], step)
    st.caption(say("inspector.scale_note"))


def _run(hyperparameters: dict[str, Any], label: str, trajectory: Trajectory, step: int, steps: int) -> None:
    st.markdown("#### " + plain(say("inspector.heading", label=label, step=step, steps=steps)))
    if step == 0:
        st.latex(trajectory.spec.rule(hyperparameters))
        st.info(say("inspector.at_start"))
        return
    latex, symbols = inspector.symbol_values(trajectory, hyperparameters, step, words().lang)
    st.latex(latex)
    if trajectory.diverged_at is not None and step >= trajectory.diverged_at:
        st.warning(say("inspector.diverged", step=trajectory.diverged_at))
    found = inspector.vectors(trajectory)
    gradient_at_probe = trajectory.spec.inspection.gradient_at_probe  # SAM's: at the perturbed point
    symbol = inspector.velocity_symbol(trajectory.spec)
    velocity = say("inspector.no_velocity") if found.velocity is None else _pair(found.velocity[step])
    rows = [
        (
            say("inspector.gradient_at_probe" if gradient_at_probe else "inspector.gradient"),
            _pair(found.gradient[step]),
        ),
        (say("inspector.velocity", symbol=symbol or "v"), velocity),
        (say("inspector.scale"), _pair(found.scale[step])),
        (say("inspector.step"), _pair(found.step[step])),
    ]
    st.markdown(_table((say("inspector.quantity"), say("inspector.value")), rows))
    st.markdown(f"**{say('inspector.symbols')}**")
    st.markdown(
        _table(
            (say("inspector.symbol"), say("inspector.value"), say("inspector.meaning")),
            [(f"${s.latex}$", _value(s.value), s.meaning) for s in symbols],
        )
    )


def _plot(trajectory: Trajectory, index: int, slot: int, step: int) -> None:
    """The run's plotted state value (``Inspection.plotted``: Prodigy's d) over every step, the
    player's step marked and followed (a click on the chart moves the player there)."""
    symbol = trajectory.spec.inspection.plotted
    if symbol is None or step == 0:
        return
    st.markdown(f"**{say('inspector.plotted', symbol=f'${symbol}$')}**")
    chart = figures.state_figure(words(), trajectory, symbol, race_data.colour(slot), f"inspect-{index}")
    figure(chart, f"inspect_plot_{index}", playhead=True)


def _number(value: float) -> str:
    return say("inspector.undefined") if not math.isfinite(value) else f"{value:.6g}"


def _pair(vector: Any) -> str:
    return f"({_number(float(vector[0]))}, {_number(float(vector[1]))})"


def _value(value: float | tuple[float, float] | None) -> str:
    if value is None:
        return f"*{say('inspector.not_kept')}*"
    return _pair(value) if isinstance(value, tuple) else _number(value)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A Markdown table; its cells are the page's own words and numbers, never a link's text."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)
