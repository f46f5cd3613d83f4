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
    started = room.start("momentum", 3, client="teacher-page")
    assert len(started.code) == 8
    assert set(started.code) <= set(store_module.ALPHABET)
    assert not set(started.code) & set("01OIL")
    assert len(started.teacher) >= 22
    shown = code_text(started.code)
    for typed in (shown, shown.lower(), started.code, f" {shown[:4]} {shown[5:]} "):
        tally = room.find(typed, client="a student")
        assert (tally.code, tally.lesson, tally.choices) == (started.code, "momentum", 3)
        assert (tally.round, tally.revealed, tally.counts, tally.earlier) == (1, False, (0, 0, 0), ())
    assert tally.ends == T0 + DAY


def test_each_page_votes_once_and_may_change_its_vote(room):
    code = room.start("momentum", 3, client="t").code
    for i in range(6):
        room.vote(code, voter=f"student {i}", choice=i % 3)
    room.vote(code, voter="student 0", choice=2)  # changed: still one vote
    tally = room.find(code, client="s")
    assert tally.counts == (1, 2, 3)
    assert tally.votes == 6
    assert room.vote_of(code, "student 0") == 2
    assert room.vote_of(code, "nobody") is None


@pytest.mark.parametrize("choice", [-1, 3, True, "1", 1.0, None])
def test_a_vote_is_one_of_the_answers(room, choice):
    code = room.start("momentum", 3, client="t").code
    assert refused(room.vote, code, voter="s", choice=choice) == "class_choice"
    assert room.find(code, client="s").votes == 0


def test_only_the_teacher_link_reveals_or_asks_again(room):
    started = room.start("momentum", 3, client="t")
    code = started.code
    for i, choice in enumerate((0, 1, 1)):
        room.vote(code, voter=f"s{i}", choice=choice)
    for wrong in ("", "guess", new_key(), started.teacher[:-1]):
        assert refused(room.reveal, code, teacher=wrong) == "class_teacher"
        assert refused(room.again, code, teacher=wrong) == "class_teacher"
    assert not room.find(code, client="s").revealed
    assert not room.is_teacher(code, "guess")
    assert room.is_teacher(code, started.teacher)

    assert room.reveal(code, teacher=started.teacher).revealed
    assert refused(room.vote, code, voter="late", choice=2) == "class_revealed"
    again = room.again(code, teacher=started.teacher)
    assert (again.round, again.revealed, again.counts, again.earlier) == (2, False, (0, 0, 0), (1, 2, 0))
    assert room.vote_of(code, "s1") is None  # a new round: everyone votes again
    room.vote(code, voter="s1", choice=2)
    assert room.find(code, client="s").counts == (0, 0, 1)


def test_wrong_codes_are_told_apart_and_limited_by_client(room, clock):
    code = room.start("momentum", 3, client="t").code
    assert refused(room.find, "K7P2-QX9", client="p") == "class_code"
    assert refused(room.find, "OOOO-0000", client="p") == "class_code"
    assert refused(room.find, "x" * 5000, client="p") == "class_code"
    other = next(c for c in ("2222", "3333") if not code.startswith(c)) + "2222"
    assert refused(room.find, other, client="p") == "class_unknown"
    for _ in range(26):
        refused(room.find, other, client="p")
    # Thirty wrong codes a minute from one client: after them not even the right code is looked up
    # for it, and nobody else is held up: no limit is shared by everyone.
    assert refused(room.find, code, client="p") == "class_guesses"
    for k in range(300):
        refused(room.find, other, client=f"another {k}")
    assert room.find(code, client="a teacher reopening the class").code == code
    assert room.tally(code).code == code  # a page already in the class never asks as a guess
    clock.now += 60
    assert room.find(code, client="p").code == code


def test_a_class_ends_after_a_day_and_its_votes_go(room, clock):
    started = room.start("momentum", 3, client="t")
    room.vote(started.code, voter="s", choice=1)
    clock.now += DAY - 1
    assert room.find(started.code, client="s").votes == 1
    clock.now += 1
    assert refused(room.find, started.code, client="s") == "class_ended"
    assert refused(room.vote, started.code, voter="s2", choice=0) == "class_ended"
    assert refused(room.reveal, started.code, teacher=started.teacher) == "class_ended"
    with sqlite3.connect(room.path) as db:
        assert db.execute("SELECT COUNT(*) FROM votes").fetchone() == (0,)
    clock.now += 7 * DAY
    room.purge()
    assert refused(room.find, started.code, client="s") == "class_unknown"
    with sqlite3.connect(room.path) as db:
        assert db.execute("SELECT COUNT(*) FROM classes").fetchone() == (0,)


def test_a_flood_of_votes_is_refused_and_loses_nothing(room, clock):
    code = room.start("momentum", 3, client="t").code
    room.vote(code, voter="calm", choice=0)
    for _ in range(5):
        room.vote(code, voter="flood", choice=1)
    assert refused(room.vote, code, voter="flood", choice=2) == "class_vote_flood"
    assert room.find(code, client="s").counts == (1, 1, 0)  # the flood's last vote stands, and the others'
    clock.now += 10
    assert room.vote(code, voter="flood", choice=2).counts == (1, 0, 1)


def test_a_full_class_keeps_its_votes(room, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_VOTERS", 3)
    code = room.start("momentum", 3, client="t").code
    for i in range(3):
        room.vote(code, voter=f"s{i}", choice=0)
    assert refused(room.vote, code, voter="fourth", choice=1) == "class_full"
    room.vote(code, voter="s0", choice=2)  # one already counted may still change
    assert room.find(code, client="s").counts == (2, 0, 1)


def test_new_classes_are_limited_by_client_and_their_codes_unique(room):
    codes = {room.start("momentum", 3, client=f"teacher {i}").code for i in range(150)}
    assert len(codes) == 150
    assert {c for code in codes for c in code} == set(store_module.ALPHABET)  # every character drawn
    for _ in range(10):
        room.start("zigzag", 3, client="one client")
    assert refused(room.start, "zigzag", 3, client="one client") == "class_too_many"
    assert room.start("zigzag", 3, client="another client").code  # nobody else is held up
    assert refused(room.start, "not a lesson", 3, client="t") == "class_lesson"
    assert refused(room.start, "zigzag", 1, client="t") == "class_lesson"


def test_one_client_adds_only_so_many_students_to_a_class(room, monkeypatch):
    monkeypatch.setitem(store_module.LIMITS, "new_voters", (3, 600.0))
    code = room.start("momentum", 3, client="t").code
    for k in range(3):
        room.vote(code, voter=f"seat {k}", choice=0, client="a script")
    assert refused(room.vote, code, voter="seat 3", choice=0, client="a script") == "class_busy"
    room.vote(code, voter="seat 0", choice=1, client="a script")  # a seat already counted may change
    room.vote(code, voter="seat 3", choice=2, client="the classroom")
    assert room.find(code, client="t").counts == (2, 1, 1)


def test_a_restart_loses_nothing(room, clock):
    started = room.start("momentum", 3, client="t")
    for i in range(4):
        room.vote(started.code, voter=f"s{i}", choice=i % 2)
    room.again(started.code, teacher=started.teacher)
    room.vote(started.code, voter="s0", choice=2)
    again = Classroom(room.path, clock=clock)  # a new server process on the same file
    tally = again.find(started.code, client="s")
    assert (tally.round, tally.counts, tally.earlier) == (2, (0, 0, 1), (2, 2, 0))
    assert again.is_teacher(started.code, started.teacher)
    with sqlite3.connect(room.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_nothing_personal_or_secret_is_stored_in_clear(room):
    started = room.start("momentum", 3, client="t")
    voters = [new_key() for _ in range(5)]
    for voter in voters:
        room.vote(started.code, voter=voter, choice=1, client="ip:203.0.113.9")
    refused(room.find, "2222-2222", client="ip:198.51.100.7")  # a wrong code, counted against its client
    stored = b"".join(p.read_bytes() for p in room.path.parent.iterdir())
    for secret in (started.teacher, *voters, "203.0.113.9", "198.51.100.7"):
        assert secret.encode() not in stored
    assert started.code.encode() in stored


def test_a_busy_file_is_a_refusal_not_a_traceback(room, monkeypatch):
    code = room.start("momentum", 3, client="t").code
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
    code = Classroom(room.path).start("momentum", 3, client="t").code  # on the real clock, as the replicas
    with ProcessPoolExecutor(2) as replicas:
        errors = list(replicas.map(_votes, [str(room.path)] * 2, [code] * 2, [0, 15], [15, 15]))
    assert errors == [0, 0]
    assert Classroom(room.path).find(code, client="teacher").counts == (10, 10, 10)


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


def test_a_file_of_a_newer_optviz_is_a_refusal(tmp_path):
    path = tmp_path / "classes.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {store_module.SCHEMA + 1}")
    with pytest.raises(ClassRefused) as caught:
        Classroom(path)
    assert caught.value.problem.code == "class_store"
