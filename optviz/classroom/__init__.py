"""A class that answers together (peer instruction): a lesson's question asked of a whole room.

A teacher starts a class for a lesson and gets a short code for the students and a teacher link
of their own; each student's page votes once (it may change its vote until the answer is shown);
the teacher sees how the votes fall while they come in, asks the class to vote again after a
discussion, and shows the race and the right answer to everyone when they choose.

The votes live in one SQLite file (:func:`data_path`: ``$OPTVIZ_DATA/classes.sqlite3``), in WAL
mode, so that the replicas of one machine share it; its tables are created on start, and a class
ends a day after it began. Nothing about a person is stored: a vote is a choice and a random key
that the student's page made (its seat, hashed with the class's code), and a teacher link is kept
as its hash. Codes are drawn by ``secrets``; wrong codes, votes and new classes are rate-limited
in the file, so the limits hold across replicas, each by client (an address, salted and hashed,
kept only for its window): no limit is shared by everyone. What the store refuses is a record
(:class:`ClassRefused`, a :class:`~optviz.core.specs.Problem` inside), worded by optviz.text.

May import: optviz.core, optviz.text.
"""

from optviz.classroom.store import (
    CODE_LENGTH,
    DAY,
    ClassRefused,
    Classroom,
    Started,
    Tally,
    Visit,
    code_text,
    data_path,
    new_key,
    normal_code,
)

__all__ = [
    "CODE_LENGTH",
    "DAY",
    "ClassRefused",
    "Classroom",
    "Started",
    "Tally",
    "Visit",
    "code_text",
    "data_path",
    "new_key",
    "normal_code",
]
