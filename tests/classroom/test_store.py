"""The classes' store: codes, votes, rounds, the teacher's key, limits, expiry, and a file that
outlives its server and is shared by replicas."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from optviz.classroom import DAY, ClassRefused, Classroom, code_text, new_key, normal_code
from optviz.classroom import store as store_module
from optviz.text.problems import problem_text

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def room(tmp_path: Path, clock: Clock) -> Classroom:
    return Classroom(tmp_path / "data" / "classes.sqlite3", clock=clock)


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(ClassRefused) as caught:
        call(*args, **kwargs)
    return caught.value.problem.code


def test_a_class_starts_with_a_readable_code_and_a_teacher_key(room):
    started = room.start("momentum", 3, starter="teacher-page")
    assert len(started.code) == 8
    assert set(started.code) <= set(store_module.ALPHABET)
    assert not set(started.code) & set("01OIL")
    assert len(started.teacher) >= 22
    shown = code_text(started.code)
    for typed in (shown, shown.lower(), started.code, f" {shown[:4]} {shown[5:]} "):
        tally = room.find(typed, seeker="a student")
        assert (tally.code, tally.lesson, tally.choices) == (started.code, "momentum", 3)
        assert (tally.round, tally.revealed, tally.counts, tally.earlier) == (1, False, (0, 0, 0), ())
    assert tally.ends == T0 + DAY


def test_each_page_votes_once_and_may_change_its_vote(room):
    code = room.start("momentum", 3, starter="t").code
    for i in range(6):
        room.vote(code, voter=f"student {i}", choice=i % 3)
    room.vote(code, voter="student 0", choice=2)  # changed: still one vote
    tally = room.find(code, seeker="s")
    assert tally.counts == (1, 2, 3)
    assert tally.votes == 6
    assert room.vote_of(code, "student 0") == 2
    assert room.vote_of(code, "nobody") is None


@pytest.mark.parametrize("choice", [-1, 3, True, "1", 1.0, None])
def test_a_vote_is_one_of_the_answers(room, choice):
    code = room.start("momentum", 3, starter="t").code
    assert refused(room.vote, code, voter="s", choice=choice) == "class_choice"
    assert room.find(code, seeker="s").votes == 0


def test_only_the_teacher_link_reveals_or_asks_again(room):
    started = room.start("momentum", 3, starter="t")
    code = started.code
    for i, choice in enumerate((0, 1, 1)):
        room.vote(code, voter=f"s{i}", choice=choice)
    for wrong in ("", "guess", new_key(), started.teacher[:-1]):
        assert refused(room.reveal, code, teacher=wrong) == "class_teacher"
        assert refused(room.again, code, teacher=wrong) == "class_teacher"
    assert not room.find(code, seeker="s").revealed
    assert not room.is_teacher(code, "guess")
    assert room.is_teacher(code, started.teacher)

    assert room.reveal(code, teacher=started.teacher).revealed
    assert refused(room.vote, code, voter="late", choice=2) == "class_revealed"
    again = room.again(code, teacher=started.teacher)
    assert (again.round, again.revealed, again.counts, again.earlier) == (2, False, (0, 0, 0), (1, 2, 0))
    assert room.vote_of(code, "s1") is None  # a new round: everyone votes again
    room.vote(code, voter="s1", choice=2)
    assert room.find(code, seeker="s").counts == (0, 0, 1)


def test_wrong_codes_are_told_apart_and_limited(room, clock):
    code = room.start("momentum", 3, starter="t").code
    assert refused(room.find, "K7P2-QX9", seeker="p") == "class_code"
    assert refused(room.find, "OOOO-0000", seeker="p") == "class_code"
    assert refused(room.find, "x" * 5000, seeker="p") == "class_code"
    other = next(c for c in ("2222", "3333") if not code.startswith(c)) + "2222"
    assert refused(room.find, other, seeker="p") == "class_unknown"
    for _ in range(7):
        refused(room.find, other, seeker="p")
    # Ten wrong codes a minute from one page: after them not even the right code is looked up.
    assert refused(room.find, code, seeker="p") == "class_guesses"
    assert room.find(code, seeker="another page").code == code
    assert room.tally(code).code == code  # a page already in the class is never held up
    for k in range(300):  # everyone's wrong codes: no code is looked up, but classes under way go on
        refused(room.find, other, seeker=f"page {k}")
    assert refused(room.find, code, seeker="a third page") == "class_guesses"
    assert room.tally(code).code == code
    clock.now += 60
    assert room.find(code, seeker="p").code == code


def test_a_class_ends_after_a_day_and_its_votes_go(room, clock):
    started = room.start("momentum", 3, starter="t")
    room.vote(started.code, voter="s", choice=1)
    clock.now += DAY - 1
    assert room.find(started.code, seeker="s").votes == 1
    clock.now += 1
    assert refused(room.find, started.code, seeker="s") == "class_ended"
    assert refused(room.vote, started.code, voter="s2", choice=0) == "class_ended"
    assert refused(room.reveal, started.code, teacher=started.teacher) == "class_ended"
    with sqlite3.connect(room.path) as db:
        assert db.execute("SELECT COUNT(*) FROM votes").fetchone() == (0,)
    clock.now += 7 * DAY
    room.purge()
    assert refused(room.find, started.code, seeker="s") == "class_unknown"
    with sqlite3.connect(room.path) as db:
        assert db.execute("SELECT COUNT(*) FROM classes").fetchone() == (0,)


def test_a_flood_of_votes_is_refused_and_loses_nothing(room, clock):
    code = room.start("momentum", 3, starter="t").code
    room.vote(code, voter="calm", choice=0)
    for _ in range(5):
        room.vote(code, voter="flood", choice=1)
    assert refused(room.vote, code, voter="flood", choice=2) == "class_vote_flood"
    assert room.find(code, seeker="s").counts == (1, 1, 0)  # the flood's last vote stands, and the others'
    clock.now += 10
    assert room.vote(code, voter="flood", choice=2).counts == (1, 0, 1)


def test_a_full_class_keeps_its_votes(room, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_VOTERS", 3)
    code = room.start("momentum", 3, starter="t").code
    for i in range(3):
        room.vote(code, voter=f"s{i}", choice=0)
    assert refused(room.vote, code, voter="fourth", choice=1) == "class_full"
    room.vote(code, voter="s0", choice=2)  # one already counted may still change
    assert room.find(code, seeker="s").counts == (2, 0, 1)


def test_new_classes_are_limited_and_their_codes_unique(room):
    codes = {room.start("momentum", 3, starter=f"teacher {i}").code for i in range(150)}
    assert len(codes) == 150
    assert {c for code in codes for c in code} == set(store_module.ALPHABET)  # every character drawn
    for _ in range(5):
        room.start("zigzag", 3, starter="one page")
    assert refused(room.start, "zigzag", 3, starter="one page") == "class_too_many"
    assert refused(room.start, "not a lesson", 3, starter="t") == "class_lesson"
    assert refused(room.start, "zigzag", 1, starter="t") == "class_lesson"


def test_a_restart_loses_nothing(room, clock):
    started = room.start("momentum", 3, starter="t")
    for i in range(4):
        room.vote(started.code, voter=f"s{i}", choice=i % 2)
    room.again(started.code, teacher=started.teacher)
    room.vote(started.code, voter="s0", choice=2)
    again = Classroom(room.path, clock=clock)  # a new server process on the same file
    tally = again.find(started.code, seeker="s")
    assert (tally.round, tally.counts, tally.earlier) == (2, (0, 0, 1), (2, 2, 0))
    assert again.is_teacher(started.code, started.teacher)
    with sqlite3.connect(room.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_nothing_personal_or_secret_is_stored_in_clear(room):
    started = room.start("momentum", 3, starter="t")
    voters = [new_key() for _ in range(5)]
    for voter in voters:
        room.vote(started.code, voter=voter, choice=1)
    stored = b"".join(p.read_bytes() for p in room.path.parent.iterdir())
    for secret in (started.teacher, *voters):
        assert secret.encode() not in stored
    assert started.code.encode() in stored


def test_a_busy_file_is_a_refusal_not_a_traceback(room, monkeypatch):
    code = room.start("momentum", 3, starter="t").code
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.05)
    holder = sqlite3.connect(room.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another replica holds the write lock
    try:
        assert refused(room.vote, code, voter="s", choice=0) == "class_store"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert room.vote(code, voter="s", choice=0).votes == 1


def _votes(path: str, code: str, first: int, count: int) -> int:
    """One replica's share of a class: ``count`` students voting at once from threads."""
    replica = Classroom(path)
    errors = []

    def vote(i: int) -> None:
        try:
            replica.vote(code, voter=f"student {i}", choice=i % 3)
        except ClassRefused as refusal:
            errors.append(refusal)

    threads = [threading.Thread(target=vote, args=(i,)) for i in range(first, first + count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(errors)


def test_two_replicas_count_thirty_votes_cast_at_once(room):
    code = room.start("momentum", 3, starter="t").code
    with ProcessPoolExecutor(2) as replicas:
        errors = list(replicas.map(_votes, [str(room.path)] * 2, [code] * 2, [0, 15], [15, 15]))
    assert errors == [0, 0]
    assert room.find(code, seeker="teacher").counts == (10, 10, 10)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_refusal_is_worded(lang):
    codes = {
        "class_store": {},
        "class_lesson": {"value": "x"},
        "class_too_many": {},
        "class_teacher": {},
        "class_guesses": {},
        "class_ended": {"label": "K7P2-QX9M"},
        "class_code": {"value": "K7", "length": 8},
        "class_unknown": {"label": "K7P2-QX9M"},
        "class_revealed": {},
        "class_choice": {"value": 7},
        "class_full": {"most": 1000},
        "class_busy": {},
        "class_vote_flood": {},
    }
    from optviz.core.specs import Problem

    for code, args in codes.items():
        text = problem_text(Problem.of(code, **args), lang)
        assert text
        assert "{" not in text
        assert code not in text
    assert set(codes) == set(_raised_codes())


def _raised_codes() -> set[str]:
    import re

    source = Path(store_module.__file__).read_text()
    return set(re.findall(r'Problem\.of\("(class_\w+)"', source))


def test_normal_code_reads_what_people_type():
    assert normal_code("k7p2-qx9m") == "K7P2QX9M"
    assert normal_code("K7P2 QX9M") == "K7P2QX9M"
    assert normal_code("K7P2QX9") is None
    assert normal_code("K7P2QX9O") is None  # O is not in a code
    assert normal_code(None) is None


def test_a_folder_it_cannot_use_is_a_refusal(tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    with pytest.raises(ClassRefused) as caught:
        Classroom(blocked / "classes.sqlite3")
    assert caught.value.problem.code == "class_store"
