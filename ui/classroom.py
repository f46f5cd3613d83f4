"""A class that answers together, on the page (the votes are kept by optviz.classroom).

Peer instruction (Mazur 1997; Crouch and Mazur 2001): every student commits to an answer, the
teacher sees how the class split, the students argue it out and vote again, and only then does
the race play. So a teacher starts a class for the lesson on the page (the sidebar's button) and
gets a code and a teacher link; a student's page joins by the code (a link, or the sidebar's
box), votes, and waits; the teacher's page counts the votes as they come in, asks again, and
shows the race and the answer to every page of the class at once.

Pages learn of a change by asking: a small fragment of each asks the store every few seconds
(POLL_SECONDS; the teacher's redraws the counts) and runs the whole page again when the class has
moved on (the answer shown, a new round, the class ended). A student's page votes under its seat,
a random key it makes for itself and keeps in its link (a reload keeps the vote; the share link
never carries it); the limits count by client (:func:`client_key`). Nothing else identifies anyone.
"""

from __future__ import annotations

import contextlib
import ipaddress

import streamlit as st

from optviz.classroom import (
    CODE_LENGTH,
    ClassRefused,
    Classroom,
    Tally,
    Visit,
    code_text,
    data_path,
    new_key,
    normal_code,
)
from optviz.settings import CLASS, CLASSROOM, LANG, LESSON, SEAT, TEACHER, VERSION, query_string
from optviz.settings.lessons import LESSONS
from optviz.text.problems import problem_text
from ui.guard import alone, callback, fragment_run
from ui.state import CLASS_NOW, scoped
from ui.text import plain, queue_problems, words

PAGE_KEY = "_page_key"  # this session's random key: the client, where no address is known
REFUSED = "_vote_refused"  # why the store refused this page's last vote, said once by the ballot
FOUND = "_classes_found"  # the codes this page has found (Classroom.find): asked again without a guess
JOIN = "class_join"  # the sidebar's box for a class code
POLL_SECONDS = {"teacher": 2.0, "student": 3.0}  # how often a page of the class asks for news


@st.cache_resource(show_spinner=False)
def room() -> Classroom:
    """The machine's classes (one store per server process, its file shared by the replicas)."""
    return Classroom(data_path())


def page_key() -> str:
    """This session's random key."""
    return st.session_state.setdefault(PAGE_KEY, new_key())


def client_key() -> str:
    """Who is asking, as the limits count it: the network address the page's connection came from
    (behind scripts/serve's nginx, the address nginx saw, which it passes in X-Real-IP), else,
    on the server's own machine, this page's key. The store keeps it salted and hashed, and only
    for its limit's window."""
    peer = forwarded = None
    with contextlib.suppress(Exception):  # outside a browser's session (a test's), neither is known
        peer, forwarded = _address(st.context.ip_address), _address(st.context.headers.get("X-Real-Ip"))
    local = peer is None or peer.is_loopback
    if forwarded is not None and local:  # only a proxy on this machine may say where a request came from
        return f"ip:{forwarded}"
    return f"ip:{peer}" if not local else f"page:{page_key()}"


def _address(text: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A network address, if ``text`` is one (a header is what a client says it is)."""
    try:
        return ipaddress.ip_address(text) if isinstance(text, str) else None
    except ValueError:
        return None


def seat() -> str:
    """This student's seat in its class: the key its vote is kept under."""
    return str(st.session_state.get(SEAT.link_key, SEAT.default))


def present() -> Visit | None:
    """The class of this page, as this run found it (:func:`ui.lesson.follow_class`), or None."""
    return st.session_state.get(CLASS_NOW)


def find(code: str) -> Tally:
    """The class ``code``, looked up as a guess: a code from a link or the sidebar's box counts
    against the limits on wrong codes the first time this page asks; later, it is a class the page is in."""
    tally = room().find(code, client=client_key())
    st.session_state.setdefault(FOUND, set()).add(tally.code)
    return tally


def visit(code: str, *, teacher: str, seat: str) -> Visit:
    """The class ``code`` as this page sees it (:meth:`Classroom.visit`), found first as a guess
    if this page has not found it before."""
    if normal_code(code) not in st.session_state.get(FOUND, set()):
        find(code)
    return room().visit(code, teacher=teacher, seat=seat)


def leave() -> None:
    """This page leaves its class (the lesson stays, with its own question)."""
    state = st.session_state
    for spec in CLASSROOM:
        state[spec.link_key] = spec.default
    state.pop(CLASS_NOW, None)


def choices_of(lesson: str) -> list[str]:
    return words().list(f"lesson.{lesson}.choices")


# ------------------------------------------------------------------------------ the sidebar


def class_sidebar() -> None:
    """Under the lesson picker: the class this page is in and a way out; else the box a student
    types a code in, and on a lesson the teacher's button that starts a class."""
    say = words()
    now = present()
    if now is not None:
        role = "teacher" if now.teacher else "student"
        st.caption(say(f"class.in_class_{role}", code=code_text(now.tally.code)))
        st.button(say("class.leave"), key="class_leave", on_click=callback(leave))
        return
    st.text_input(
        say("setting.class_code.title"),
        key=JOIN,
        max_chars=2 * CODE_LENGTH,
        placeholder="K7P2-QX9M",
        help=say("setting.class_code.help"),
        on_change=callback(_join),
    )
    lesson = st.session_state.get(LESSON.link_key, LESSON.default)
    if lesson:
        st.button(say("class.start"), key="class_start", help=say("class.start_help"), on_click=callback(_start))


def _join() -> None:
    """A code typed in the sidebar: the page joins that class (its lesson opens on the next run)."""
    state = st.session_state
    typed = str(state.pop(JOIN, "") or "").strip()
    if not typed:
        return
    try:
        tally = find(typed)
    except ClassRefused as refusal:
        queue_problems([refusal.problem])
        return
    leave()
    state[CLASS.link_key] = tally.code


def _start() -> None:
    """The teacher's button: a class for the lesson on the page; this page becomes its teacher's."""
    state = st.session_state
    lesson = str(state.get(LESSON.link_key, LESSON.default))
    if not lesson or lesson not in LESSONS:
        return
    try:
        started = room().start(lesson, len(choices_of(lesson)), client=client_key())
    except ClassRefused as refusal:
        queue_problems([refusal.problem])
        return
    state.setdefault(FOUND, set()).add(started.code)
    leave()
    state[CLASS.link_key], state[TEACHER.link_key] = started.code, started.teacher


# ------------------------------------------------------------------------------ beside the lesson


def class_text(now: Visit, answer: int, student_link: str) -> str | None:
    """The class's part of the lesson's text: for the teacher the code, the students' link, the
    votes as they come in and the buttons; for a student the vote. Returns the message that holds
    the race (until the answer is shown), or None."""
    say = words()
    tally = now.tally
    choices = choices_of(tally.lesson)
    if now.teacher:
        st.metric(say("class.code_is"), code_text(tally.code))
        st.caption(say("class.students_open"))
        st.code(student_link, language=None, wrap_lines=True)
        _live(now, answer, "teacher")
        if not tally.revealed:
            st.button(
                say("class.reveal"),
                key="class_reveal",
                type="primary",
                width="stretch",
                on_click=callback(_teacher),
                args=("reveal",),
            )
        st.button(
            say("class.again"),
            key="class_again",
            help=say("class.again_help"),
            width="stretch",
            on_click=callback(_teacher),
            args=("again",),
        )
        st.caption(say("class.keep_link"))
        return None if tally.revealed else say("class.held_teacher")
    if tally.revealed:
        if now.vote is None:
            st.info(say("class.answer_was", answer=choices[answer]))
        else:
            right = now.vote == answer
            verdict = say("lesson.right") if right else say("lesson.wrong", answer=choices[answer])
            (st.success if right else st.warning)(f"{say('lesson.you_chose', choice=choices[now.vote])} {verdict}")
        _live(now, answer, "student")
        return None
    st.caption(say("class.student_intro", code=code_text(tally.code)))
    _ballot(tally.code, tally.lesson, tally.round, now.vote)
    _live(now, answer, "student")
    return say("class.held_student")


@st.fragment
def _ballot(code: str, lesson: str, round_: int, vote: int | None) -> None:
    """A student's choices and vote button: a fragment of its own, so that picking an answer and
    voting run it alone, not the whole page (a class votes at once). ``vote``: the one the page's
    run found; the ballot's own run asks again."""
    with alone():
        say = words()
        choices = choices_of(lesson)
        if fragment_run():
            try:
                vote = room().vote_of(code, seat())
            except ClassRefused as refusal:
                st.session_state[REFUSED] = refusal.problem
        picked = st.radio(
            say("lesson.your_answer"),
            range(len(choices)),
            index=vote,
            format_func=lambda i: choices[i],
            key=scoped(f"class_choice_{lesson}_{round_}"),  # a new round: a new question
            label_visibility="collapsed",
        )
        st.button(
            say("class.change_vote" if vote is not None else "class.vote"),
            key="class_vote",
            type="primary",
            disabled=picked is None or picked == vote,
            on_click=callback(_vote),
            args=(code, picked),
        )
        refused = st.session_state.pop(REFUSED, None)
        if refused is not None:
            st.warning(plain(problem_text(refused, say.lang)))
        elif vote is not None:
            st.success(say("class.voted", choice=choices[vote]))


def _vote(code: str, choice: object) -> None:
    try:
        room().vote(code, voter=seat(), choice=choice, client=client_key())  # one of the answers, nothing else
    except ClassRefused as refusal:
        st.session_state[REFUSED] = refusal.problem  # said by the ballot, which runs alone next


def _teacher(action: str) -> None:
    """The teacher's buttons: show the answer, or ask again."""
    state = st.session_state
    code, teacher = str(state.get(CLASS.link_key, "")), str(state.get(TEACHER.link_key, ""))
    try:
        (room().reveal if action == "reveal" else room().again)(code, teacher=teacher)
    except ClassRefused as refusal:
        queue_problems([refusal.problem])


def _news(now: Visit, answer: int) -> None:
    """The part of a class's page that asks for news every few seconds: the teacher's counts (and
    the class's, once the answer is shown), and a run of the whole page when the class has moved
    on. In a run of the whole page it shows what that run found."""
    with alone():
        tally = now.tally
        if fragment_run():  # its own run: ask the store (the page's run has just asked)
            try:
                tally = room().tally(tally.code)
            except ClassRefused as refusal:
                if refusal.problem.code != "class_store":  # the file busy: what the page had, till next time
                    st.rerun(scope="app")  # the class has ended: the page says so
                tally = now.tally
            if (tally.round, tally.revealed) != (now.tally.round, now.tally.revealed):
                st.rerun(scope="app")
        if now.teacher or tally.revealed:
            _counts(tally, answer)


_NEWS = {role: st.fragment(_news, run_every=seconds) for role, seconds in POLL_SECONDS.items()}


def _live(now: Visit, answer: int, role: str) -> None:
    _NEWS[role](now, answer)


def _counts(tally: Tally, answer: int) -> None:
    """How the class voted: a bar for each answer (the right one marked once it is shown), and the
    round before's count beside each after a second vote."""
    say = words()
    choices = choices_of(tally.lesson)
    total = tally.votes
    st.markdown(f"**{say('class.votes', count=total)}**")
    for i, choice in enumerate(choices):
        count = tally.counts[i]
        share = count / total if total else 0.0
        mark = "✓ " if tally.revealed and i == answer else ""
        text = mark + say("class.count", choice=choice, count=count, share=f"{share:.0%}")
        if tally.earlier:
            text += " · " + say("class.before", count=tally.earlier[i])
        st.progress(share, text=text)


def student_query(code: str) -> str:
    """The link a teacher gives the class: the code, in the teacher's language."""
    lang = st.session_state.get(LANG.link_key, LANG.default)
    query = {"v": VERSION, CLASS.link_key: code_text(code)}
    return query_string(query | ({LANG.link_key: lang} if lang != LANG.default else {}))
