"""Text that came from a link or a person is shown as text, never interpreted."""

from __future__ import annotations

import string

import streamlit as st

from optviz.specs import Problem

SHOWN_PROBLEMS = 5  # a link's problems beyond these are counted, not listed


def plain(text: str) -> str:
    """``text`` made inert for Streamlit's Markdown: shown as written, never interpreted.

    Every ASCII punctuation character becomes a numeric character reference (``&#36;`` for
    ``$``): CommonMark shows it as the character, but no Markdown, LaTeX, colour directive or
    HTML tag can form from it. Streamlit also turns text that looks like an address
    (``http://``, ``www.``, ``name@host``) into a link after decoding, so an invisible word
    joiner follows each ``:`` and ``@`` and comes between ``www`` and its dot. Line breaks
    become spaces.
    """
    flat = " ".join(text.split())
    out = []
    for i, c in enumerate(flat):
        if c == "." and flat[max(0, i - 3) : i].lower() == "www":
            out.append(_WORD_JOINER)
        out.append(f"&#{ord(c)};" if c in _PUNCTUATION else c)
        if c in ":@":
            out.append(_WORD_JOINER)
    return "".join(out)


_PUNCTUATION = frozenset(string.punctuation)
_WORD_JOINER = "\u2060"


def show_problems(problems: list[Problem]) -> None:
    """One warning for a link's problems: the first few as plain text, then how many more."""
    if not problems:
        return
    lines = [f"- {plain(str(p))}" for p in problems[:SHOWN_PROBLEMS]]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"- {plain(str(Problem.of('more', count=len(problems) - SHOWN_PROBLEMS)))}")
    st.warning("This link had problems; the page uses sensible values instead:\n\n" + "\n".join(lines))


def projector_page(*, sidebar: bool) -> None:
    """A projector's page: less space above the race, and no sidebar or its toggle if asked.

    The sidebar's widgets still run (hidden), so they still hold the experiment.
    """
    rules = ["[data-testid='stMainBlockContainer'] { padding-top: 1.5rem !important; }"]
    if sidebar:
        rules.append(
            "section[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'],"
            " [data-testid='stExpandSidebarButton'] { display: none !important; }"
        )
    st.html("<style>" + " ".join(rules) + "</style>")
