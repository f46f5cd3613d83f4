"""The classes and their votes: one SQLite file that every replica of one machine shares.

Every call opens its own connection (a page's script runs in a thread of its own) and does its
work in one short transaction; a write takes the file's write lock first (``BEGIN IMMEDIATE``)
and waits up to :data:`BUSY_SECONDS` for another replica to let it go. The file is in WAL mode,
so that reading never waits for writing, with ``synchronous=NORMAL``: a stopped or crashed server
loses nothing committed (only the machine losing power could lose the last moments).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from optviz.core.specs import Problem, Refused

_LOG = logging.getLogger("optviz.classroom")
T = TypeVar("T")

# Codes are read off a projector and typed on a phone: no 0 or O, no 1, I or L.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8  # 31 ** 8: 8.5e11 codes, against LIMITS["wrong_code"] guesses a minute from one client
DAY = 86_400.0  # a class ends a day after it began: its votes are removed
KEPT = 7 * DAY  # an ended class's code and lesson stay a week, so that its link says "ended"
MAX_CHOICES = 10
MAX_VOTERS = 1_000  # students in one class
MAX_OPEN = 10_000  # classes open at once on one machine (a row each: a bound on the file, not a quota)
BUSY_SECONDS = 10.0  # how long a write waits for another replica's
PURGE_EVERY = 60.0  # seconds between two sweeps of ended classes, in one process
SCHEMA = 1  # PRAGMA user_version

# The rate limits, counted in the file (so they hold across replicas): (how many, in seconds). A
# "client" is where the requests come from (the page says: its network address, else its own key),
# kept only salted and hashed, and only as long as its window. None is shared by everyone: a limit
# that all visitors share would let one of them shut the others out.
LIMITS = {
    "vote": (5, 10.0),  # one student's votes in one class
    "class_votes": (2_000, 10.0),  # a class's votes, from all its students
    "new_voters": (500, 600.0),  # students new to a class from one client (a classroom shares one address)
    "wrong_code": (30, 60.0),  # wrong codes from one client
    "start": (10, 3_600.0),  # classes started from one client
}

TABLES = """
CREATE TABLE IF NOT EXISTS classes (
    code TEXT PRIMARY KEY,
    lesson TEXT NOT NULL,
    choices INTEGER NOT NULL,
    teacher TEXT NOT NULL,            -- the teacher link's key, hashed
    created REAL NOT NULL,
    round INTEGER NOT NULL DEFAULT 1,
    revealed INTEGER NOT NULL DEFAULT 0,
    earlier TEXT NOT NULL DEFAULT '', -- the round before's counts, "3,10,2"
    ended INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS votes (
    code TEXT NOT NULL REFERENCES classes(code) ON DELETE CASCADE,
    voter TEXT NOT NULL,              -- the student's page's random key, hashed with the code
    choice INTEGER NOT NULL,
    PRIMARY KEY (code, voter)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL               -- "salt": what the clients' keys are hashed with
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', lower(hex(randomblob(16))));
CREATE TABLE IF NOT EXISTS rates (
    key TEXT NOT NULL,
    slot INTEGER NOT NULL,
    count INTEGER NOT NULL,
    until REAL NOT NULL,
    PRIMARY KEY (key, slot)
);
"""


class ClassRefused(Refused):
    """What the store would not do (an unknown code, a vote too many), as a record: ``problem``
    is worded in a reader's language by optviz.text; ``str()`` is its English."""


@dataclass(frozen=True)
class Started:
    """A new class: the code its students type, and the key of its teacher's link."""

    code: str
    teacher: str


@dataclass(frozen=True)
class Tally:
    """A class as it stands: its lesson, which round of votes, whether the answer is shown, and
    how many students chose each answer (``earlier``: the round before's, empty in the first)."""

    code: str
    lesson: str
    choices: int
    round: int
    revealed: bool
    counts: tuple[int, ...]
    earlier: tuple[int, ...]
    ends: float  # when the class ends, in seconds since the epoch

    @property
    def votes(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Visit:
    """A class as one page in it sees it: the tally, whether the page is its teacher's, and the
    answer the page's seat chose in this round (None: none yet, or the teacher's page)."""

    tally: Tally
    teacher: bool
    vote: int | None


def data_path() -> Path:
    """The classes' file: ``$OPTVIZ_DATA/classes.sqlite3``, by default in ``$XDG_DATA_HOME/optviz``
    (``~/.local/share/optviz``). Every replica of one machine must name the same folder."""
    folder = os.environ.get("OPTVIZ_DATA")
    if not folder:
        base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
        folder = Path(base) / "optviz"
    return Path(folder) / "classes.sqlite3"


def new_key() -> str:
    """A random key for a page (a student's vote, a teacher link): 128 bits, URL-safe."""
    return secrets.token_urlsafe(16)


def normal_code(text: str) -> str | None:
    """A class code as typed (any case, spaces or a dash between its halves) in its stored form,
    or None when it cannot be one."""
    if not isinstance(text, str) or len(text) > 2 * CODE_LENGTH:
        return None
    code = text.upper().replace(" ", "").replace("-", "")
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def code_text(code: str) -> str:
    """A code as a person reads it: two groups of four, ``K7P2-QX9M``."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def _hashed(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]


def _counts(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.split(",")) if text else ()


def _sweeping(method: Callable[..., T]) -> Callable[..., T]:
    """A method that reads a class: one it finds ended is swept at once (its votes removed when it
    says so), after the method's own transaction has closed."""

    @functools.wraps(method)
    def swept(self: Classroom, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except ClassRefused as refusal:
            if refusal.problem.code == "class_ended":
                self.purge(now_or_never=True)
            raise

    return swept


class Classroom:
    """The classes of one machine, in the SQLite file at ``path`` (created with its tables when
    missing). ``clock`` gives the time in seconds since the epoch (a test's clock moves a day)."""

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        self._purged = -PURGE_EVERY
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        except (OSError, sqlite3.Error) as failure:  # a folder it may not write, say: the page says so
            raise ClassRefused(Problem.of("class_store")) from failure
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA:  # the server's log says why; the page says the votes cannot be reached
                _LOG.error(
                    "%s holds classes of a newer optviz (schema %s; this one reads %s)", self.path, version, SCHEMA
                )
                raise ClassRefused(Problem.of("class_store"))
            db.execute("PRAGMA journal_mode=WAL")  # kept in the file: every connection after reads it
            db.executescript(f"BEGIN IMMEDIATE; {TABLES} PRAGMA user_version = {SCHEMA}; COMMIT;")
            self._salt = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
        except sqlite3.Error as failure:
            raise ClassRefused(Problem.of("class_store")) from failure
        finally:
            db.close()
        self.purge()

    # ------------------------------------------------------------------------ connections

    @contextlib.contextmanager
    def _connection(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """One transaction on a connection of its own; a failure of the file itself (locked for
        longer than BUSY_SECONDS, the disk full) is a refusal that says so, not a traceback."""
        try:
            db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        except sqlite3.Error as failure:
            raise ClassRefused(Problem.of("class_store")) from failure
        try:
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield db
            db.execute("COMMIT")
        except sqlite3.Error as failure:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise ClassRefused(Problem.of("class_store")) from failure
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def _allow(self, db: sqlite3.Connection, limit: str, key: str, now: float) -> bool:
        """Count one more of ``limit`` for ``key`` in the current window, if it is not full yet."""
        most, seconds = LIMITS[limit]
        slot = int(now // seconds)
        row = db.execute("SELECT count FROM rates WHERE key = ? AND slot = ?", (f"{limit}:{key}", slot)).fetchone()
        if row is not None and row[0] >= most:
            return False
        db.execute(
            "INSERT INTO rates (key, slot, count, until) VALUES (?, ?, 1, ?) "
            "ON CONFLICT (key, slot) DO UPDATE SET count = count + 1",
            (f"{limit}:{key}", slot, (slot + 1) * seconds),
        )
        return True

    def _full(self, db: sqlite3.Connection, limit: str, key: str, now: float) -> bool:
        """Whether ``limit`` is already reached for ``key`` in the current window (counting nothing)."""
        most, seconds = LIMITS[limit]
        row = db.execute(
            "SELECT count FROM rates WHERE key = ? AND slot = ?", (f"{limit}:{key}", int(now // seconds))
        ).fetchone()
        return row is not None and row[0] >= most

    # ------------------------------------------------------------------------ a teacher's

    def _client(self, client: str) -> str:
        """A client's key as the limits count it: salted with the file's own salt, and hashed."""
        return _hashed(self._salt, client)

    def start(self, lesson: str, choices: int, *, client: str) -> Started:
        """A new class for ``lesson`` (whose question has ``choices`` answers), started by ``client``."""
        if not (isinstance(lesson, str) and 0 < len(lesson) <= 64 and lesson.isidentifier()):
            raise ClassRefused(Problem.of("class_lesson", value=lesson))
        if not (isinstance(choices, int) and 2 <= choices <= MAX_CHOICES):
            raise ClassRefused(Problem.of("class_lesson", value=lesson))
        self.purge()
        now = self.clock()
        teacher = new_key()
        with self._connection(write=True) as db:
            (open_now,) = db.execute("SELECT COUNT(*) FROM classes WHERE ended = 0").fetchone()
            if open_now >= MAX_OPEN or not self._allow(db, "start", self._client(client), now):
                raise ClassRefused(Problem.of("class_too_many"))
            while True:  # a code no class holds, even an ended one
                code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
                if db.execute("SELECT 1 FROM classes WHERE code = ?", (code,)).fetchone() is None:
                    break
            db.execute(
                "INSERT INTO classes (code, lesson, choices, teacher, created) VALUES (?, ?, ?, ?, ?)",
                (code, lesson, choices, _hashed(teacher), now),
            )
        return Started(code, teacher)

    def is_teacher(self, code: str, teacher: str) -> bool:
        """Whether ``teacher`` is the key of the teacher link of the class ``code``."""
        found = normal_code(code)
        if found is None:
            return False
        with self._connection(write=False) as db:
            return self._is_teacher(db, found, teacher)

    def reveal(self, code: str, *, teacher: str) -> Tally:
        """Show the race and the answer to the class: votes close until the teacher asks again."""
        return self._teachers(code, teacher, "UPDATE classes SET revealed = 1 WHERE code = ?")

    def again(self, code: str, *, teacher: str) -> Tally:
        """A new round: the answer hidden again, every vote cleared (this round's counts are kept
        as the round before's, for the teacher to compare)."""
        return self._teachers(code, teacher, "DELETE FROM votes WHERE code = ?", new_round=True)

    @_sweeping
    def _teachers(self, code: str, teacher: str, change: str, *, new_round: bool = False) -> Tally:
        found = normal_code(code)
        now = self.clock()
        with self._connection(write=True) as db:
            if found is None or not self._is_teacher(db, found, teacher):
                raise ClassRefused(Problem.of("class_teacher"))
            tally = self._tally(db, found, now)
            if new_round:
                db.execute(
                    "UPDATE classes SET round = round + 1, revealed = 0, earlier = ? WHERE code = ?",
                    (",".join(map(str, tally.counts)), found),
                )
            db.execute(change, (found,))
            return self._tally(db, found, now)

    # ------------------------------------------------------------------------ everyone's

    @_sweeping
    def find(self, code: str, *, client: str) -> Tally:
        """The class whose code is ``code`` (as typed), looked up by ``client``. A wrong code counts
        against that client: past LIMITS["wrong_code"] a minute, it has no code looked up (not
        even a right one) until the minute is over; nobody else is held up."""
        now = self.clock()
        found = normal_code(code)
        page = self._client(client)
        with self._connection(write=False) as db:
            if self._full(db, "wrong_code", page, now):
                raise ClassRefused(Problem.of("class_guesses"))
            if found is not None and self._row(db, found) is not None:
                return self._tally(db, found, now)  # (an ended class says so)
        with self._connection(write=True) as db:
            self._allow(db, "wrong_code", page, now)
        if found is None:
            raise ClassRefused(Problem.of("class_code", value=code, length=CODE_LENGTH))
        raise ClassRefused(Problem.of("class_unknown", label=code_text(found)))

    @_sweeping
    def tally(self, code: str) -> Tally:
        """The class ``code`` as it stands, for a page already in it (found before with
        :meth:`find`): no guess is counted, so that a flood of wrong codes elsewhere never stops
        a class that is under way."""
        found = self._code(code)
        with self._connection(write=False) as db:
            return self._tally(db, found, self.clock())

    @_sweeping
    def visit(self, code: str, *, teacher: str = "", seat: str = "") -> Visit:
        """The class ``code`` as a page already in it sees it, in one read: its tally, whether
        ``teacher`` is the key of its teacher link, and the vote under ``seat`` in this round."""
        found = self._code(code)
        with self._connection(write=False) as db:
            tally = self._tally(db, found, self.clock())
            return Visit(tally, self._is_teacher(db, found, teacher), self._vote_of(db, found, seat))

    @_sweeping
    def vote(self, code: str, *, voter: str, choice: int, client: str = "") -> Tally:
        """The student whose seat (their page's key, kept across reloads) is ``voter`` chooses
        answer ``choice``, from ``client`` (a vote they made before in this round is replaced:
        one vote a seat)."""
        found = self._code(code)
        now = self.clock()
        who = _hashed(found, voter)
        with self._connection(write=True) as db:
            tally = self._tally(db, found, now)
            if tally.revealed:
                raise ClassRefused(Problem.of("class_revealed"))
            if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < tally.choices:
                raise ClassRefused(Problem.of("class_choice", value=choice))
            voted = self._vote_of(db, found, voter) is not None
            if not voted and tally.votes >= MAX_VOTERS:
                raise ClassRefused(Problem.of("class_full", most=MAX_VOTERS))
            if not voted and not self._allow(db, "new_voters", found + self._client(client), now):
                raise ClassRefused(Problem.of("class_busy"))
            if not self._allow(db, "class_votes", found, now):
                raise ClassRefused(Problem.of("class_busy"))
            if not self._allow(db, "vote", who, now):
                raise ClassRefused(Problem.of("class_vote_flood"))
            db.execute(
                "INSERT INTO votes (code, voter, choice) VALUES (?, ?, ?) "
                "ON CONFLICT (code, voter) DO UPDATE SET choice = excluded.choice",
                (found, who, choice),
            )
            return self._tally(db, found, now)

    def vote_of(self, code: str, voter: str) -> int | None:
        """The answer the seat ``voter`` chose in this round, or None."""
        found = normal_code(code)
        if found is None:
            return None
        with self._connection(write=False) as db:
            return self._vote_of(db, found, voter)

    # ------------------------------------------------------------------------ the file

    @staticmethod
    def _code(code: str) -> str:
        """``code`` in its stored form, or the refusal that says what a code is."""
        found = normal_code(code)
        if found is None:
            raise ClassRefused(Problem.of("class_code", value=code, length=CODE_LENGTH))
        return found

    @staticmethod
    def _is_teacher(db: sqlite3.Connection, code: str, teacher: str) -> bool:
        if not isinstance(teacher, str) or not teacher:
            return False
        row = db.execute("SELECT teacher FROM classes WHERE code = ?", (code,)).fetchone()
        return row is not None and hmac.compare_digest(row[0], _hashed(teacher))

    @staticmethod
    def _vote_of(db: sqlite3.Connection, code: str, voter: str) -> int | None:
        if not voter:
            return None
        row = db.execute(
            "SELECT choice FROM votes WHERE code = ? AND voter = ?", (code, _hashed(code, voter))
        ).fetchone()
        return None if row is None else int(row[0])

    def _row(self, db: sqlite3.Connection, code: str) -> tuple | None:
        return db.execute(
            "SELECT lesson, choices, round, revealed, created, earlier, ended FROM classes WHERE code = ?", (code,)
        ).fetchone()

    def _tally(self, db: sqlite3.Connection, code: str, now: float) -> Tally:
        row = self._row(db, code)
        if row is None:
            raise ClassRefused(Problem.of("class_unknown", label=code_text(code)))
        lesson, choices, round_, revealed, created, earlier, ended = row
        if ended or now >= created + DAY:
            raise ClassRefused(Problem.of("class_ended", label=code_text(code)))
        counts = [0] * choices
        for choice, count in db.execute("SELECT choice, COUNT(*) FROM votes WHERE code = ? GROUP BY choice", (code,)):
            counts[choice] = count
        return Tally(code, lesson, choices, round_, bool(revealed), tuple(counts), _counts(earlier), created + DAY)

    def purge(self, *, now_or_never: bool = False) -> None:
        """End the classes a day old (their votes removed), forget those a week old and the rate
        windows that have passed: at most once every PURGE_EVERY seconds in one process, or at
        once (``now_or_never``: a class was just found ended)."""
        now = self.clock()
        if now - self._purged < PURGE_EVERY and not now_or_never:
            return
        self._purged = now
        with self._connection(write=True) as db:
            db.execute("UPDATE classes SET ended = 1, earlier = '' WHERE ended = 0 AND created <= ?", (now - DAY,))
            db.execute("DELETE FROM votes WHERE code IN (SELECT code FROM classes WHERE ended = 1)")
            db.execute("DELETE FROM classes WHERE created <= ?", (now - KEPT,))
            db.execute("DELETE FROM rates WHERE until <= ?", (now,))
