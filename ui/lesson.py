"""A lesson beside its race: the question first, the race held until it is answered, then why.

Predicting first and then watching teaches; watching alone teaches little (Crouch et al.
2004, Miller et al. 2013). So a lesson opens with its question and its choices, and the race
waits at its start until the student has chosen; then it plays, and the page says which
answer was right and why, and what to look for. A teacher turns the question off for a
demonstration (``quiz=false`` in the link, or the switch under the lesson picker in the
sidebar): the race is free and the explanation is there to open. In a class (ui.classroom) the
question is the class's: the students vote, and the race waits for the teacher.
"""

from __future__ import annotations

import streamlit as st

from optviz.classroom import ClassRefused, new_key
from optviz.core.specs import Problem
from optviz.settings import CLASS, LESSON, SEAT, TEACHER, Experiment, on_lesson
from optviz.settings.lessons import LESSONS
from ui import classroom
from ui.controls import load_lesson
from ui.guard import callback
from ui.link import share_url
from ui.state import ANSWERS, CLASS_NOW, lesson_choice_key, lesson_held
from ui.text import LESSON_TEXT, words


def follow_class() -> list[Problem]:
    """Find the page's class (its code from the link or the sidebar's box) for this run: a page
    that has just joined opens the class's lesson; a teacher link is checked (a wrong one makes
    the page a student's). A class that is gone or unknown leaves the page on its lesson alone.
    Returns what to say about it."""
    state = st.session_state
    state.pop(CLASS_NOW, None)
    code = str(state.get(CLASS.link_key, CLASS.default))
    if not code:
        state[TEACHER.link_key] = TEACHER.default  # a teacher link's key means nothing without its class
        return []
    teacher, seat = str(state.get(TEACHER.link_key, "")), str(state.get(SEAT.link_key, ""))
    try:
        now = classroom.visit(code, teacher=teacher, seat=seat)
        if now.tally.lesson not in LESSONS:  # a lesson this version has not got
            raise ClassRefused(Problem.of("class_lesson", value=now.tally.lesson))
    except ClassRefused as refusal:
        if refusal.problem.code not in ("class_store", "class_guesses"):  # busy, or wait a minute: it stays
            classroom.leave()
        return [refusal.problem]
    problems = [Problem.of("class_teacher")] if teacher and not now.teacher else []
    if state.get(LESSON.link_key) != now.tally.lesson:  # a link with the code alone, or the code typed
        load_lesson(now.tally.lesson)
    state[CLASS.link_key] = now.tally.code
    state[TEACHER.link_key] = teacher if now.teacher else TEACHER.default
    state[SEAT.link_key] = SEAT.default if now.teacher else seat or new_key()  # a student's, in its link
    state[CLASS_NOW] = now
    return problems


def lesson_text(experiment: Experiment, *, changed: bool | None = None) -> str | None:
    """The lesson's text and question; returns the message that holds the race, or None to let it
    play. ``changed``: whether the page is no longer the lesson's as it was set up (by default,
    whether ``experiment`` is not; the network page says for itself)."""
    with st.container(key=LESSON_TEXT):  # a projector's page enlarges it by its key
        return _lesson_text(experiment, not on_lesson(experiment) if changed is None else changed)


def _lesson_text(experiment: Experiment, changed: bool) -> str | None:
    say = words()
    name = experiment.lesson
    lesson = LESSONS[name]
    key = f"lesson.{name}"
    answers: dict[str, int] = st.session_state.setdefault(ANSWERS, {})
    st.subheader(say(f"{key}.title"))
    st.markdown(say(f"{key}.intro"))
    if changed:
        st.info(say("lesson.changed"))
        st.button(say("lesson.restore"), key="lesson_restore", on_click=callback(load_lesson), args=(name,))
    st.markdown(f"**{say(f'{key}.question')}**")
    choices = say.list(f"{key}.choices")
    chosen = answers.get(name)
    now = classroom.present()
    if now is not None and now.tally.lesson == name:
        hold = classroom.class_text(now, lesson.answer, share_url(classroom.student_query(now.tally.code)))
        if hold is None:
            st.markdown(say(f"{key}.explanation"))
            st.markdown(f"**{say('lesson.look_for')}** {say(f'{key}.look_for')}")
        return hold
    if lesson_held():
        picked = st.radio(
            say("lesson.your_answer"),
            range(len(choices)),
            index=None,
            format_func=lambda i: choices[i],
            key=lesson_choice_key(name),
            label_visibility="collapsed",
        )
        st.button(
            say("lesson.check"),
            key="lesson_check",
            type="primary",
            disabled=picked is None,
            on_click=callback(_answer),
            args=(name, picked),
        )
        return say("lesson.hold")
    if experiment.quiz:
        right = chosen == lesson.answer
        verdict = say("lesson.right") if right else say("lesson.wrong", answer=choices[lesson.answer])
        (st.success if right else st.warning)(f"{say('lesson.you_chose', choice=choices[chosen])} {verdict}")
        st.markdown(say(f"{key}.explanation"))
        st.markdown(f"**{say('lesson.look_for')}** {say(f'{key}.look_for')}")
        st.button(say("lesson.again"), key="lesson_again", on_click=callback(_forget), args=(name,))
    else:
        st.markdown("\n".join(f"- {choice}" for choice in choices))
        st.markdown(f"**{say('lesson.look_for')}** {say(f'{key}.look_for')}")
        with st.expander(say("lesson.show_answer")):
            st.markdown(f"**{choices[lesson.answer]}**")
            st.markdown(say(f"{key}.explanation"))
    return None


def _answer(name: str, choice: object) -> None:
    """The student's answer: one of the lesson's choices, by its index (nothing else counts)."""
    count = len(words().list(f"lesson.{name}.choices"))
    if isinstance(choice, int) and not isinstance(choice, bool) and 0 <= choice < count:
        st.session_state.setdefault(ANSWERS, {})[name] = choice


def _forget(name: str) -> None:
    st.session_state.setdefault(ANSWERS, {}).pop(name, None)
    st.session_state.pop(lesson_choice_key(name), None)
