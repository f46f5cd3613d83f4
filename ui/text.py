"""The page's words in the reader's language; text from a link or a person shown as text, never interpreted."""

from __future__ import annotations

import string

import streamlit as st

from optviz.core.specs import Problem
from optviz.settings import LANG
from optviz.text import Words
from optviz.text.problems import problem_text

SHOWN_PROBLEMS = 5  # a link's problems beyond these are counted, not listed
CLASS_PROBLEMS = "class_"  # the codes of what a class refused (optviz.classroom), said apart from a link's
QUEUED = "_queued_problems"  # problems found by a callback (a click), said on the next run
LESSON_TEXT = "lesson_text"  # the key of the container that holds a lesson's text


def words() -> Words:
    """The catalog of the page's language (the ``lang`` setting: the link's, or the switch's)."""
    return Words(str(st.session_state.get(LANG.link_key, LANG.default)))


def plain(text: str) -> str:
    """``text`` made inert for Streamlit's Markdown: shown as written, never interpreted.

    Every ASCII punctuation character becomes a numeric character reference (``&#36;`` for
    ``$``): CommonMark shows it as the character, but no Markdown, LaTeX, colour directive or
    HTML tag can form from it. Streamlit also turns text that looks like an address
    (``http://``, ``www.``, ``name@host``) into a link after decoding, so an invisible word
    joiner follows each ``:`` and ``@`` and comes between ``www`` and its dot. Line breaks
    become spaces.

    One function per medium: this one for Markdown; in a Plotly figure (a legend, a title, a
    hover label) :func:`optviz.draw.figures.figure_text`; in the CSV :func:`optviz.draw.export.csv_text`.
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


def queue_problems(problems: list[Problem]) -> None:
    """Problems found in a callback (a click's values), to be said on the run that follows it."""
    st.session_state.setdefault(QUEUED, []).extend(problems)


def queued_problems() -> list[Problem]:
    """The problems callbacks found since the last run, once."""
    return st.session_state.pop(QUEUED, [])


def show_problems(problems: list[Problem]) -> None:
    """One warning for a link's problems: the first few as plain text, then how many more. What a
    class refused (an unknown code, a vote too many: ``class_*``) is not the link's: a warning of
    its own each."""
    say = words()
    for problem in [p for p in problems if p.code.startswith(CLASS_PROBLEMS)]:
        st.warning(plain(problem_text(problem, say.lang)))
    problems = [p for p in problems if not p.code.startswith(CLASS_PROBLEMS)]
    if not problems:
        return
    shown = problems[:SHOWN_PROBLEMS]
    if len(problems) > SHOWN_PROBLEMS:
        shown.append(Problem.of("more", count=len(problems) - SHOWN_PROBLEMS))
    lines = [f"- {plain(problem_text(problem, say.lang))}" for problem in shown]
    st.warning(say("page.problems") + "\n\n" + "\n".join(lines))
