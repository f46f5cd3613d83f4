"""The session's state behind the widgets: every key the page builds, a setting kept under its own
key, shown by a widget of the page's language.

A widget and the code that reads it back (often in another module, or before the widget is
drawn) must agree on its key: the keys built from a name (a run's widgets, a surface's
parameters, a worded widget of one language) are built only here, one function per kind, and
the fixed keys more than one module uses are named here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from optviz.core.specs import Spec
from optviz.settings import CLASS, LESSON, QUIZ
from optviz.settings.network import NAME as NETWORK
from optviz.settings.network import SPECS as NETWORK_SPECS
from optviz.settings.network import NetworkPage
from ui.guard import callback
from ui.text import words

ANSWERS = "_lesson_answers"  # lesson id -> the choice the student made, for this session
CLASS_NOW = "_class_now"  # the class this run of the page found (optviz.classroom.Visit), if any
RUNS = "runs"  # the sidebar's editable runs, one entry each (ui.controls)
SURFACE = "surface"  # the surface the sidebar holds
START_X, START_Y = "start_x", "start_y"  # the start the sidebar holds
DOMAIN = "_domain"  # the plot's domain the race was drawn on, for a click that arrives on the next run


# ------------------------------------------------------------------------------ built keys


def network_key(name: str) -> str:
    """The key of one of the network page's settings (``network_epochs``)."""
    return f"network_{name}"


def load_network(page: NetworkPage) -> None:
    """Put the network page ``page`` into the widgets' state: the surface picker shows the network."""
    st.session_state[SURFACE] = NETWORK
    for spec in NETWORK_SPECS:
        st.session_state[network_key(spec.name)] = getattr(page, spec.name)


def on_network() -> bool:
    """Whether the sidebar holds the network page (the tutorial's test) rather than a 2-D surface."""
    return st.session_state.get(SURFACE) == NETWORK


def run_key(run_id: int, part: str) -> str:
    """The key of one of a run's own widgets (``optimizer``, ``name``, ``panel``, ``batch``...): ``r3_name``."""
    return f"r{run_id}_{part}"


def is_run_key(key: object) -> bool:
    """Whether ``key`` is one of a run's widgets (:func:`run_key` and the keys built on it)."""
    return str(key).startswith("r") and str(key)[1:2].isdigit()


def hyperparameter_key(run_id: int, optimizer: str, name: str) -> str:
    """The key of a run's hyperparameter widget, one per optimizer: SGD's lr is not Adam's."""
    return run_key(run_id, f"{optimizer}_{name}")


def forget_hyperparameters(run_id: int, optimizer: str) -> None:
    """Drop the state of the run's hyperparameter widgets for ``optimizer``: they start again from the run."""
    prefix = hyperparameter_key(run_id, optimizer, "")
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]


def schedule_argument_key(run_id: int, kind: str, name: str) -> str:
    """One key per schedule and argument: StepLR's gamma is not ExponentialLR's."""
    return run_key(run_id, f"schedule_{kind.lower()}_{name}")


def theory_key(run_id: int, value: str) -> str:
    """The key of the button that applies theory's ``value`` (a learning rate) to a run."""
    return run_key(run_id, f"theory_{value}")


def surface_parameter_key(surface: str, name: str) -> str:
    """The key of a surface's parameter widget, one per surface."""
    return f"surface_{surface}_{name}"


def good_parameters_key(surface: str) -> str:
    """Where the session keeps the last parameters of ``surface`` that made a surface."""
    return f"_good_{surface}"


def scale_key(key: str) -> str:
    """The key of the log-scale slider that follows the number held under ``key``."""
    return f"{key}__scale"


def basin_key(index: int) -> str:
    """The key of the basin map of the run at ``index``."""
    return f"basin_{index}"


def lesson_choice_key(lesson: str) -> str:
    """The key of a lesson's choices (worded: one widget per language)."""
    return scoped(f"lesson_choice_{lesson}")


# ------------------------------------------------------------------------------ settings and widgets


def lesson_held() -> bool:
    """Whether the page is a lesson whose question is not answered yet (in a class: whose answer
    its teacher has not shown): until then, nothing on the page shows how the race comes out (the
    race, the views, the exports, the surface's text)."""
    state = st.session_state
    lesson = state.get(LESSON.link_key, LESSON.default)
    now = state.get(CLASS_NOW)
    if now is not None and now.tally.lesson == lesson:  # a class's: until its teacher shows the answer
        return not now.tally.revealed
    if state.get(CLASS.link_key):  # in a class the page could not reach just now: held, to be safe
        return bool(lesson)
    return bool(lesson) and bool(state.get(QUIZ.link_key, QUIZ.default)) and lesson not in state.get(ANSWERS, {})


def copy_state(source: str, target: str) -> None:
    """Copy a widget's value (``source``) to the setting it shows (``target``)."""
    st.session_state[target] = st.session_state[source]


def scoped(key: str) -> str:
    """The key of a widget whose choices are worded in the page's language: one widget per language.

    Streamlit's select widgets (selectbox, radio, select_slider, segmented control) hold and
    send back the label a person saw, not the value behind it, and a widget with a key keeps
    its identity when its labels change. Kept across a change of language, such a widget would
    later send back a label of the other language (a translated label read as a key). Each
    language has a widget of its own instead, seeded from the setting it shows.
    """
    return f"{key}__widget_{words().lang}"


def mirror(key: str, default: Any, choices: Any = None, then: Callable[[], None] | None = None) -> dict[str, Any]:
    """The key and guarded callback of a widget that shows the setting held under ``key``.

    The setting itself stays in the session under ``key`` whether or not its widget is drawn
    in a run (Streamlit forgets the state of a widget it did not draw: a projector's link that
    hides the header would otherwise lose the language on the next click). A value outside
    ``choices`` (when given) never reaches the setting. ``then`` runs after a change.
    """
    widget = scoped(key)
    st.session_state[widget] = st.session_state.setdefault(key, default)
    return {"key": widget, "on_change": callback(_take), "args": (widget, key, choices, then)}


def _take(widget: str, key: str, choices: Any, then: Callable[[], None] | None) -> None:
    value = st.session_state[widget]
    if choices is not None and value not in choices:
        return  # not a value this widget offers: the setting stays as it was
    st.session_state[key] = value
    if then is not None:
        then()


def mirrored(spec: Spec, then: Callable[[], None] | None = None) -> dict[str, Any]:
    """:func:`mirror` for the page setting ``spec``."""
    choices = spec.choices if spec.kind == "choice" else None
    return mirror(spec.link_key, spec.default, choices, then)
