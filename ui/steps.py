"""A run's widgets for what changes from step to step: its minibatches and its learning-rate schedule.

The widgets' state is read back by :func:`run_steps` (before they are drawn, like every run
widget): the run's batch size on a data surface, and its schedule, validated by the core
(``optviz.schedule``); a value that does not make a schedule is reported and left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

import surfaces
from optviz.core.schedules import KINDS, Schedule, schedule_from
from optviz.core.specs import Problem, Spec
from optviz.settings import Run
from ui.component import figure
from ui.state import run_key, schedule_argument_key, scoped
from ui.text import words

BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128)  # the slider's stops, then every row
ALL_ROWS = 0  # the slider's value for every row: gradient descent on the whole data set
NO_SCHEDULE = ""


def run_steps(run_id: int, stored: Run) -> tuple[int | None, Schedule | None, list[Problem]]:
    """The batch size and schedule the run's widgets now hold (the stored run's where they are not
    drawn), and a problem for each schedule argument that was left at its default. Whether they
    suit the surface, the optimizer and the steps is for the rules of a runnable run (optviz.core.rules)."""
    state = st.session_state
    batch = stored.batch
    chosen = state.get(scoped(run_key(run_id, "batch")))
    if isinstance(chosen, int) and not isinstance(chosen, bool) and chosen >= 0:  # what the slider offers
        batch = None if chosen == ALL_ROWS else chosen
    kind = state.get(
        scoped(run_key(run_id, "schedule")), stored.schedule.kind.lower() if stored.schedule else NO_SCHEDULE
    )
    if kind not in KINDS:  # no schedule (or a value that is not one)
        return batch, None, []
    found = KINDS[kind]
    stored_args = stored.schedule.values() if stored.schedule and stored.schedule.kind == found.name else {}
    args = {
        spec.name: state.get(
            schedule_argument_key(run_id, found.name, spec.name), stored_args.get(spec.name, spec.default)
        )
        for spec in found.params
    }
    made, problems = schedule_from(found.name, args)
    return batch, made, problems


def batch_widget(run_id: int, run: Run, surf: surfaces.Surface) -> None:
    """On a data surface: the rows per minibatch, from 1 (SGD) to every row (gradient descent)."""
    if surf.data_rows is None:
        return
    say = words()
    key = scoped(run_key(run_id, "batch"))
    options = sorted({*(b for b in BATCH_SIZES if b < surf.data_rows), *([run.batch] if run.batch else [])})
    options.append(ALL_ROWS)
    st.session_state.setdefault(key, run.batch or ALL_ROWS)
    st.select_slider(
        say("sidebar.batch"),
        options,
        key=key,
        format_func=lambda b: say("sidebar.batch_all", rows=surf.data_rows) if b == ALL_ROWS else str(b),
        help=say("sidebar.batch_help"),
    )


def schedule_widgets(run_id: int, run: Run, steps: int) -> None:
    """The learning-rate schedule: torch's schedulers, their arguments, and the rate it gives each step."""
    say = words()
    key = scoped(run_key(run_id, "schedule"))
    st.session_state.setdefault(key, run.schedule.kind.lower() if run.schedule else NO_SCHEDULE)
    st.selectbox(
        say("sidebar.schedule"),
        [NO_SCHEDULE, *KINDS],
        key=key,
        format_func=lambda k: KINDS[k].name if k else say("sidebar.schedule_none"),
        help=say("sidebar.schedule_help"),
    )
    kind = st.session_state[key]
    if kind not in KINDS:
        return
    found = KINDS[kind]
    stored = run.schedule.values() if run.schedule and run.schedule.kind == found.name else {}
    for spec in found.params:
        _argument(schedule_argument_key(run_id, found.name, spec.name), spec, stored.get(spec.name, spec.default))
    if run.schedule is not None:
        _schedule_plot(run_id, run, steps)


def _argument(key: str, spec: Spec, value: Any) -> None:
    say = words()
    st.session_state.setdefault(key, value)
    help, title = say(f"schedule.{spec.name}"), say(f"schedule_title.{spec.name}")
    if spec.kind == "bool":
        st.checkbox(title, key=key, help=help)
    elif spec.kind == "choice":
        choice = lambda value: say(f"schedule_choice.{value}")
        st.radio(title, spec.choices, key=key, horizontal=True, help=help, format_func=choice)
    elif spec.kind == "text":
        st.text_input(title, key=key, help=help, max_chars=int(spec.high))
    elif spec.kind == "int":
        st.number_input(title, int(spec.app_low), int(spec.app_high), key=key, help=help)
    else:
        st.number_input(title, spec.app_low, min(spec.app_high, 1e9), key=key, format="%g", help=help)


def _schedule_plot(run_id: int, run: Run, steps: int) -> None:
    """The learning rate of every step, small: what the schedule does to this run."""
    say = words()
    values = np.array(run.schedule.lrs(run.values()["lr"], steps), dtype=np.float64)
    fig = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "x": list(range(1, steps + 1)),
                "y": values.tolist(),
                "line": {"width": 2},
                "hovertemplate": say("sidebar.schedule_hover") + "<extra></extra>",
            }
        ],
        "layout": {
            "height": 130,
            "margin": {"l": 44, "r": 6, "t": 6, "b": 26},
            "xaxis": {"title": {"text": ""}, "showgrid": False},
            "yaxis": {"title": {"text": "γ"}, "showgrid": False, "exponentformat": "power"},
            "showlegend": False,
        },
    }
    figure(fig, key=run_key(run_id, "schedule_plot"))
