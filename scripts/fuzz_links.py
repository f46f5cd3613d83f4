"""Long fuzz of the link reader: python -m scripts.fuzz_links --count 200000 --seed 1

Feeds ``optviz.settings.link.parse`` generated queries (tests/link_grammar.py): half of them
from ``random_query`` (query dicts, some read from raw strings), half raw query strings from
``random_raw_query`` read with ``query_from_string``. For every input it checks that

- parse returns without raising, an (Experiment, problems) pair with problems a list of
  non-empty strings ("contract" failures otherwise);
- the experiment it returns round-trips: ``parse(to_query(e)) == (e, [])``, and through the
  link text too, ``parse(query_from_string(query_string(e))) == (e, [])`` ("round-trip");
- the experiment it returns runs: every run of it, for all its steps, as the page computes
  its race (``optviz.study.results.run_experiment``; "run"). A link that parses cleanly must run.

It prints a summary line (inputs, failures, rate), then each distinct failure (exception
type and message, or what differs) with its count, where it was raised and one minimal
example, shrunk by removing fields, and pieces of values, while it still fails the same way.
Exit status 1 if anything failed. Inputs are split into chunks seeded from (seed, chunk),
so a run is reproducible whatever ``--jobs`` is.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import random
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from optviz.core.specs import Problem
from optviz.settings import Experiment, parse, query_string, to_query
from optviz.study.results import run_experiment
from tests.link_grammar import query_from_string, random_query, random_raw_query

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1000
Fields = list[tuple[str, str]]


def _say(text: str = "") -> None:
    sys.stdout.write(text + "\n")


# ------------------------------------------------------------------------------ one input


def _where(error: BaseException) -> str:
    """The innermost frame of the project's own code that the error passed through."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if str(ROOT) in f.filename]
    if not frames:
        return "?"
    frame = frames[-1]
    return f"{Path(frame.filename).relative_to(ROOT)}:{frame.lineno} in {frame.name}"


def _message(error: BaseException) -> str:
    text = str(error)
    return text if len(text) <= 300 else text[:297] + "..."


def _differences(experiment: Experiment, again: tuple[Experiment, list[Problem]]) -> str:
    other, problems = again
    names = ("surface", "surface_params", "start", "steps", "runs", "tolerance", "speed")
    changed = [name for name in names if getattr(experiment, name, None) != getattr(other, name, None)]
    if changed and problems:
        return f"changed {', '.join(changed)}; problems on re-reading"
    if changed:
        return f"changed {', '.join(changed)}"
    if problems:
        return "problems on re-reading: " + _message(str(problems[0]))
    return "differs"


def check(query: dict[str, list[str]]) -> tuple[str, str, str] | None:
    """None if ``query`` is read well; else (category, signature, where)."""
    return inspect(query)[0]


def inspect(query: dict[str, list[str]]) -> tuple[tuple[str, str, str] | None, list[Problem]]:
    """(check's answer, the problems parse reported: [] when it failed)."""
    found = _inspect(query)
    return (found, []) if isinstance(found, tuple) else (None, found)


def _contract(result: object) -> str | None:
    if not (isinstance(result, tuple) and len(result) == 2):
        return f"parse returned {type(result).__name__}, not a pair"
    experiment, problems = result
    if not isinstance(experiment, Experiment):
        return f"parse returned {type(experiment).__name__}, not an Experiment"
    if not isinstance(problems, list) or not all(isinstance(p, Problem) and str(p) for p in problems):
        return "problems is not a list of worded Problems"
    return None


def _inspect(query: dict[str, list[str]]) -> tuple[str, str, str] | list[Problem]:
    try:
        result = parse(query)
    except Exception as error:  # noqa: BLE001  (any exception is what we look for)
        return "exception", f"{type(error).__name__}: {_message(error)}", _where(error)
    broken = _contract(result)
    if broken:
        return "contract", broken, "parse"
    experiment, problems = result
    for route, read in (
        ("to_query", lambda: parse(to_query(experiment))),
        ("query_string", lambda: parse(query_from_string(query_string(experiment)))),
    ):
        try:
            again = read()
        except Exception as error:  # noqa: BLE001
            return "round-trip", f"via {route}: {type(error).__name__}: {_message(error)}", _where(error)
        if again != (experiment, []):
            return "round-trip", f"via {route}: {_differences(experiment, again)}", route
    try:
        run_experiment(experiment)
    except Exception as error:  # noqa: BLE001
        return "run", f"{type(error).__name__}: {_message(error)}", _where(error)
    return problems


# ------------------------------------------------------------------------------- the chunks


@dataclass
class Failure:
    category: str
    signature: str
    where: str
    count: int = 0
    example: Fields | None = None  # the fields of the first failing query


@dataclass
class Tally:
    inputs: int = 0
    clean: int = 0  # parsed with no problems at all
    failures: dict[tuple[str, str], Failure] = field(default_factory=dict)
    slowest: float = 0.0
    slowest_example: Fields | None = None
    most_problems: int = 0  # the most problems one input got
    longest_problems: int = 0  # their longest total length, in characters

    def merge(self, other: Tally) -> None:
        self.inputs += other.inputs
        self.clean += other.clean
        self.most_problems = max(self.most_problems, other.most_problems)
        self.longest_problems = max(self.longest_problems, other.longest_problems)
        for key, failure in other.failures.items():
            mine = self.failures.setdefault(key, Failure(failure.category, failure.signature, failure.where))
            mine.count += failure.count
            mine.example = mine.example or failure.example
        if other.slowest > self.slowest:
            self.slowest, self.slowest_example = other.slowest, other.slowest_example


def _fields(query: dict[str, list[str]]) -> Fields:
    return [(key, value) for key, values in query.items() for value in values]


def run_chunk(task: tuple[int, int, int]) -> Tally:
    seed, chunk, size = task
    rng = random.Random(f"{seed}:{chunk}")
    tally = Tally()
    for i in range(size):
        query = query_from_string(random_raw_query(rng)) if i % 2 else random_query(rng)
        began = time.perf_counter()
        found, problems = inspect(query)
        elapsed = time.perf_counter() - began
        tally.inputs += 1
        if elapsed > tally.slowest:
            tally.slowest, tally.slowest_example = elapsed, _fields(query)
        tally.most_problems = max(tally.most_problems, len(problems))
        tally.longest_problems = max(tally.longest_problems, sum(len(str(p)) for p in problems))
        if found is None:
            tally.clean += not problems
            continue
        category, signature, where = found
        failure = tally.failures.setdefault((category, signature), Failure(category, signature, where))
        failure.count += 1
        failure.example = failure.example or _fields(query)
    return tally


# ------------------------------------------------------------------------------- shrinking


def _shrink_list(items: list, fails: Callable[[list], bool]) -> list:
    """Remove chunks of ``items`` (halves, quarters, ..., single items) while it still fails."""
    size = max(len(items) // 2, 1)
    while True:
        start, removed = 0, False
        while start < len(items):
            candidate = items[:start] + items[start + size :]
            if len(candidate) < len(items) and fails(candidate):
                items, removed = candidate, True
            else:
                start += size
        if size == 1 and not removed:
            return items
        size = max(size // 2, 1)


def _shrink_fields(fields: Fields, fails: Callable[[Fields], bool]) -> Fields:
    fields = _shrink_list(fields, fails)
    for index in range(len(fields)):  # then the comma-separated pieces inside each value
        key, value = fields[index]
        head, colon, rest = value.partition(":") if ":" in value else ("", "", value)
        pieces = rest.split(",")

        def still(candidate: list[str], key=key, head=head, colon=colon, index=index) -> bool:
            return fails([*fields[:index], (key, head + colon + ",".join(candidate)), *fields[index + 1 :]])

        pieces = _shrink_list(pieces, still)
        fields[index] = (key, head + colon + ",".join(pieces))
        stripped = (key.strip(), fields[index][1].strip())
        if stripped != fields[index] and fails([*fields[:index], stripped, *fields[index + 1 :]]):
            fields[index] = stripped
    return fields


def shrink(fields: Fields, key: tuple[str, str]) -> Fields:
    """A smaller example that fails the same way (same category and signature)."""

    def same(candidate: Fields) -> bool:
        found = check(_query(candidate))
        return found is not None and found[:2] == key

    return _shrink_fields(list(fields), same)


def _query(fields: Fields) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for key, value in fields:
        query.setdefault(key, []).append(value)
    return query


def show(fields: Fields) -> str:
    """The query as a dict, and as a link when one reads back as exactly that dict."""
    query = _query(fields)
    shown = repr(query)
    shown = shown if len(shown) <= 600 else shown[:600] + "..."
    safe = ":,=/()$![]*"
    link = "&".join(f"{quote(k, safe=safe)}={quote(v, safe=safe)}" for k, v in fields)
    if query_from_string(link) == query and len(link) <= 600:
        return f"query {shown}\n      link  ?{link}"
    return f"query {shown}"


# ------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200_000, help="number of inputs (default 200000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=multiprocessing.cpu_count(), help="worker processes")
    args = parser.parse_args(argv)

    tasks = [
        (args.seed, chunk, min(CHUNK, args.count - chunk * CHUNK)) for chunk in range(math.ceil(args.count / CHUNK))
    ]
    began = time.perf_counter()
    total = Tally()
    if args.jobs > 1:
        with multiprocessing.Pool(args.jobs) as pool:
            for tally in pool.imap(run_chunk, tasks, chunksize=1):
                total.merge(tally)
    else:
        for task in tasks:
            total.merge(run_chunk(task))
    elapsed = time.perf_counter() - began

    failures = sorted(total.failures.values(), key=lambda f: (f.category, -f.count, f.signature))
    failed = sum(f.count for f in failures)
    by_category = {
        c: sum(f.count for f in failures if f.category == c) for c in ("exception", "contract", "round-trip", "run")
    }
    _say(
        f"fuzz_links: {total.inputs} inputs (seed {args.seed}), {failed} failed ({failed / max(total.inputs, 1):.2%}): "
        f"{by_category['exception']} raised, {by_category['contract']} broke the contract, "
        f"{by_category['round-trip']} did not round-trip, {by_category['run']} did not run; "
        f"{total.clean} parsed without problems; "
        f"{elapsed:.0f} s"
    )
    slowest = total.slowest_example or []
    _say(
        f"slowest input: {total.slowest * 1000:.1f} ms for parse and round trips "
        f"({len(slowest)} fields, {sum(len(k) + len(v) + 2 for k, v in slowest)} characters); "
        f"most problems for one input: {total.most_problems} ({total.longest_problems:,} characters)"
    )
    for number, failure in enumerate(failures, 1):
        _say()
        _say(f"[{number}] {failure.category}: {failure.signature}")
        _say(f"    {failure.count} inputs; at {failure.where}")
        if failure.example is not None:
            smallest = shrink(failure.example, (failure.category, failure.signature))
            for line in show(smallest).splitlines():
                _say(f"    {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
