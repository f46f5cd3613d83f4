"""The page's frame: its title, its language switch, and a projector's layout."""

from __future__ import annotations

import streamlit as st

from optviz.experiment import LANG
from optviz.text import LANGUAGES
from ui.state import mirrored
from ui.text import LESSON_TEXT, words


def projector_page(*, sidebar: bool) -> None:
    """A projector's page: less space above the race, a lesson's text as large as the race's
    (drawn half as large again), and no sidebar or its toggle if asked.

    The sidebar's widgets still run (hidden), so they still hold the experiment.
    """
    rules = [
        "[data-testid='stMainBlockContainer'] { padding-top: 3.5rem !important; }",
        f".st-key-{LESSON_TEXT} {{ zoom: 1.4; }}",
    ]
    if sidebar:
        rules.append(
            "section[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'],"
            " [data-testid='stExpandSidebarButton'] { display: none !important; }"
        )
    st.html("<style>" + " ".join(rules) + "</style>")


def header(*, compact: bool = False) -> None:
    """The page's title and what it does, with the language switch beside them.

    ``compact`` (a lesson's page): only the switch, so that the lesson starts at the top.
    """
    say = words()
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    if not compact:
        left.title(say("page.heading"))
        left.caption(say("page.caption"))
    right.segmented_control(
        say("page.language"),
        list(LANGUAGES),
        required=True,
        format_func=LANGUAGES.get,
        label_visibility="collapsed",
        **mirrored(LANG),
    )
