"""The session's state behind the widgets: a setting kept under its own key, shown by a widget
of the page's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from optviz.core.specs import Spec
from optviz.settings import LESSON, QUIZ
from ui.guard import callback
from ui.text import words

ANSWERS = "_lesson_answers"  # lesson id -> the choice the student made, for this session


def lesson_held() -> bool:
    """Whether the page is a lesson whose question is not answered yet: until it is, nothing on
    the page shows how the race comes out (the race, the views, the exports, the surface's text)."""
    state = st.session_state
    lesson = state.get(LESSON.link_key, LESSON.default)
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
