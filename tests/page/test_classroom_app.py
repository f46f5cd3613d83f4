"""A class on the page, under Streamlit's AppTest: a student's ballot, a flood of votes, a busy
file, and the teacher's buttons, each refusal a message and nothing lost."""

from __future__ import annotations

import pytest

import ui.classroom
from optviz.classroom import ClassRefused, Classroom
from optviz.core.specs import Problem
from optviz.settings.lessons import LESSONS
from optviz.text import Words
from tests.page.test_app import start
from ui.text import plain

T0 = 1_800_000_000.0
say = Words("en")


@pytest.fixture
def room(tmp_path, monkeypatch):
    """The page's classes in a file of the test's, on a clock that stands still (the limits'
    windows never turn over during a test)."""
    classes = Classroom(tmp_path / "classes.sqlite3", clock=lambda: T0)
    monkeypatch.setattr(ui.classroom, "room", lambda: classes)
    return classes


def ballot(at):
    radio = next(r for r in at.radio if str(r.key).startswith("class_choice_"))
    button = next(b for b in at.button if b.key == "class_vote")
    return radio, button


def vote(at, choice: int):
    radio, _ = ballot(at)
    radio.set_value(choice).run()
    _, button = ballot(at)
    return button.click().run()


def test_a_student_votes_changes_and_a_flood_keeps_the_last_vote(room):
    started = room.start("momentum", 3, client="teacher")
    at = start({"class": started.code})
    assert not at.exception
    assert at.session_state["lesson"] == "momentum"  # the class's lesson opened from the code alone
    now = at.session_state["_class_now"]  # in the class, a student's page, the answer not shown
    assert (now.tally.code, now.teacher, now.tally.revealed, now.vote) == (started.code, False, False, None)
    for choice in (0, 1, 2, 0, 1):  # five votes: one page, one vote, changed four times
        at = vote(at, choice)
        assert not at.exception
    assert room.find(started.code, client="t").counts == (0, 1, 0)
    assert [s.value for s in at.success] == [say("class.voted", choice=say.list("lesson.momentum.choices")[1])]
    at = vote(at, 2)  # the sixth within ten seconds: refused, said, and the vote stays
    assert any("Too many votes from this page at once" in w.value for w in at.warning)
    assert room.find(started.code, client="t").counts == (0, 1, 0)
    assert not at.error


def test_the_teacher_reveals_and_asks_again_and_a_student_link_cannot(room):
    started = room.start("zigzag", 3, client="teacher")
    student = start({"class": started.code})
    vote(student, LESSONS["zigzag"].answer)
    teacher = start({"class": started.code, "teacher": started.teacher})
    assert not teacher.exception
    assert not any(b.key == "class_reveal" for b in student.button)  # a student has no such button
    assert any(say("class.votes", count=1) in m.value for m in teacher.markdown)
    teacher = next(b for b in teacher.button if b.key == "class_reveal").click().run()
    assert room.find(started.code, client="t").revealed
    assert not any(b.key == "class_reveal" for b in teacher.button)
    teacher = next(b for b in teacher.button if b.key == "class_again").click().run()
    tally = room.find(started.code, client="t")
    assert (tally.round, tally.revealed, tally.earlier) == (2, False, (0, 1, 0))
    assert not teacher.exception


def test_a_busy_file_is_a_message_and_the_lesson_stays(room, monkeypatch):
    started = room.start("momentum", 3, client="teacher")
    at = start({"class": started.code})

    def busy(*args, **kwargs):
        raise ClassRefused(Problem.of("class_store"))

    monkeypatch.setattr(room, "vote", busy)
    at = vote(at, 1)
    assert any(plain(say("problem.class_store")) in w.value for w in at.warning)  # shown as text
    assert not at.exception
    monkeypatch.setattr(room, "tally", busy)
    at = at.run()  # the page's own lookup of its class fails: said, and the page stays in its class
    assert not at.exception
    assert at.session_state["class"] == started.code


def test_a_reload_keeps_a_students_vote_under_its_seat(room):
    started = room.start("momentum", 3, client="teacher")
    at = vote(start({"class": started.code}), 2)
    assert len(at.query_params["seat"]) >= 22  # the page wrote its seat into its link
    again = start(dict(at.query_params))  # the same link, a new session: a reload
    assert again.session_state["_class_now"].vote == 2
    assert room.find(started.code, client="t").votes == 1
    ballot_radio, button = ballot(again)
    assert ballot_radio.value == 2
    assert button.disabled  # the vote it has is the one shown: nothing to change yet


def test_restoring_the_lesson_keeps_the_class(room):
    started = room.start("momentum", 3, client="teacher")
    at = start({"class": started.code, "teacher": started.teacher})
    at.number_input(key="steps").set_value(300).run()
    restore = next(b for b in at.button if b.key == "lesson_restore")
    at = restore.click().run()
    assert at.session_state["steps"] != 300
    assert (at.session_state["class"], at.session_state["teacher"]) == (started.code, started.teacher)
    assert at.session_state["_class_now"].teacher
    assert not at.exception
