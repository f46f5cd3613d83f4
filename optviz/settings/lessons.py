"""The lessons as data: each one an experiment (the link that opens it) and its right answer.

The table is ``optviz/settings/lessons.toml``; a lesson's words are in the catalogs
(``lesson.<id>.title``, ``.intro``, ``.question``, ``.choices``, ``.explanation``,
``.look_for``). A lesson is opened by ``?lesson=<id>``: the link's other keys change its
experiment the way they change a surface's default page (:func:`optviz.settings.link.parse`).
This module imports nothing else from optviz, so that the settings table can read it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Lesson:
    id: str
    link: str  # the query string of its experiment
    answer: int  # the right choice, from 0

    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.link, keep_blank_values=True)

    @property
    def network(self) -> bool:
        """Whether it is a lesson of the network page (its link's surface is ``network:...``,
        optviz.settings.network.NAME) rather than of a race."""
        return self.query().get("surface", [""])[-1].partition(":")[0] == "network"


def _load() -> dict[str, Lesson]:
    with (Path(__file__).parent / "lessons.toml").open("rb") as file:
        table = tomllib.load(file)
    return {row["id"]: Lesson(row["id"], row["link"], int(row["answer"])) for row in table["lesson"]}


LESSONS: dict[str, Lesson] = _load()
