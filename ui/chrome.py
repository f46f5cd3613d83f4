"""The page's frame: its title, its language switch, where the race goes, and a projector's
layout. The first screen is the race's: what is above it takes one line each."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from optviz.settings import LANG
from optviz.text import LANGUAGES
from ui.state import mirrored
from ui.text import LESSON_TEXT, words

TITLE = "ov_title"  # the page's title line, by its key
SURFACE_TITLE = "ov_surface_title"  # the surface's name and formula beside a projector's race
SURFACE_NAME = "ov_surface_name"  # the surface's name above the race


def page_style() -> None:
    """Less of Streamlit's space above the page's first line, and its title on one line: the
    first screen of a laptop (1280 x 720) holds the race and its controls."""
    st.html(
        "<style>"
        "[data-testid='stMainBlockContainer'] { padding-top: 2.75rem; }"
        f".st-key-{TITLE} p {{ margin: 0; }}"
        f".st-key-{TITLE} strong {{ font-size: 1.5rem; margin-right: 0.6rem; }}"
        f".st-key-{SURFACE_NAME} h3 {{ font-size: 1.35rem; padding: 0; }}"
        "</style>"
    )


def projector_page(*, sidebar: bool) -> None:
    """A projector's page: hardly any space above the race, a lesson's text and the surface's
    name enlarged for the back of a room (the race scales itself to the screen), and no sidebar
    or its toggle if asked.

    The sidebar's widgets still run (hidden), so they still hold the experiment.
    """
    rules = [
        "[data-testid='stMainBlockContainer'] { padding-top: 1rem !important; padding-bottom: 1rem !important; }",
        # Streamlit's bar over the page's top: see-through, and only its menu takes clicks
        "[data-testid='stHeader'] { background: transparent; pointer-events: none; }",
        "[data-testid='stHeader'] button { pointer-events: auto; }",
        f".st-key-{LESSON_TEXT}, .st-key-{SURFACE_TITLE} h3 {{ zoom: 1.4; }}",
    ]
    if sidebar:
        rules.append(
            "section[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'],"
            " [data-testid='stExpandSidebarButton'] { display: none !important; }"
        )
    st.html("<style>" + " ".join(rules) + "</style>")


def header(*, compact: bool = False) -> None:
    """The page's title and what it does, on one line, with the language switch beside them.

    ``compact`` (a lesson's page): only the switch, so that the lesson starts at the top.
    """
    say = words()
    left, right = st.columns([4, 1], vertical_alignment="center")
    if not compact:
        left.container(key=TITLE).markdown(f"**{say('page.heading')}** :gray[{say('page.caption')}]")
    right.segmented_control(
        say("page.language"),
        list(LANGUAGES),
        required=True,
        format_func=LANGUAGES.get,
        label_visibility="collapsed",
        **mirrored(LANG),
    )


def race_frame(title: str, formula: str, *, projector: bool) -> DeltaGenerator:
    """Where the race goes, under its surface's name and formula, both on one line (the first
    screen keeps its height for the race); on a projector beside the race, which then has the
    screen's whole height. A long formula scrolls sideways."""
    if projector:
        race, side = st.columns([3, 1], gap="medium")
        with side.container(key=SURFACE_TITLE):
            st.subheader(title, anchor=False)
            st.latex(formula)
        return race
    name, shown = st.columns([2, 3], vertical_alignment="center")
    name.container(key=SURFACE_NAME).subheader(title, anchor=False)
    shown.latex(formula)
    return st.container()
