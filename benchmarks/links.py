"""What one link costs the server: ``python -m benchmarks.links`` (``--list``, ``--only ID``).

Each of a list of crafted worst-case links runs in a fresh Python process: the process imports
the app's modules and warms Streamlit up on a page that has nothing to do with the link
(benchmarks/trivial_app.py, through AppTest), then measures one script run of ``app.py`` with
the link's query (Streamlit's AppTest, as tests/page/test_app.py's ``start()`` does it): the
process's CPU seconds (user and system, every thread), its peak resident memory during the
run (VmHWM, started afresh after the warm-up; what was resident before counts), the wall time,
and whether the page raised. A part of a page's work is measured the same way, in a process of
its own: an export (optviz.draw.export's HTML, CSV, JSON or GIF of a link's race), after its
trajectories are computed (on the page they are already there when the button is clicked), or
the surface's background alone.

The default page, ``?v=2``, is measured in the same run, as the yardstick: each row's CPU is
also printed as a multiple of the default page's. A row whose run takes more CPU than the
timeout is stopped by the kernel (RLIMIT_CPU) and printed as "timed out"; so is one that takes
four times as long in wall time (a machine busy with other work slows the wall clock, not the
CPU seconds).

The links are the costly ones of issue 15: a 486-character formula (a bowl and 15 sin, cos and
exp terms, 194 of the 200 operations a formula may have) with ten runs of 5,000 steps in the
step inspector and the 3-D view, and the largest learning-rate sweep, hyperparameter map and
basin map the page admits on it; the iris data surface (its background alone, the 3-D view,
basin maps with single-row minibatches); basin maps of 200 x 200 starts: Rastrigin's 121
basins, runs that take gradient noise or the tips data's minibatches, and a tips map of 5,000
steps (which the engine refuses as too much work: that page raises); a formula whose trig
arguments are huge (``tan(1e10*x) + y**2``: exact argument reduction), on its own and in basin
maps and a hyperparameter map; the exports of the formula's ten runs of 5,000 steps.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TRIVIAL_APP = str(ROOT / "benchmarks" / "trivial_app.py")
DEFAULT_TIMEOUT = 120.0  # seconds of CPU per row (and four times as many of wall time)
WALL = 4.0
EXPORTS = ("html", "csv", "json", "gif")
PARTS = (*EXPORTS, "background")


def long_formula() -> str:
    """A bowl and 15 sin, cos and exp terms: 486 characters, 194 numbers, names and operations
    (a formula may have 500 and 200)."""
    terms = ["0.05*(x**2+y**2)"]
    for i in range(15):
        a, b, c = 1.1 + 0.1373 * (i % 7), 0.2 + 0.0711 * (i % 5), 0.1 + 0.0453 * (i % 6)
        kind = ("sin", "cos", "exp")[i % 3]
        if kind == "exp":
            terms.append(f"{c:.4f}*exp(-{a:.4f}*(x-{b:.4f})**2)")
        else:
            terms.append(f"{c:.4f}*{kind}({a:.4f}*x-{b:.4f}*y)")
    return "+".join(terms)


def _formula(text: str) -> str:
    """``surface=formula:f=...`` as a link writes it (``+`` must be escaped: it reads as a space)."""
    return "surface=formula:f=" + quote(text, safe="*()/-.")


TEN_RUNS = "&".join(
    "run=" + text
    for text in (
        "sgd:lr=0.01",
        "sgd:lr=0.01,momentum=0.9",
        "sgd:lr=0.01,momentum=0.9,nesterov=true",
        "adagrad:lr=0.1",
        "rmsprop:lr=0.01",
        "adam:lr=0.05",
        "adadelta",
        "nadam:lr=0.05",
        "adamw:lr=0.05",
        "radam:lr=0.05",
    )
)
FORMULA_RACE = f"v=2&{_formula(long_formula())}&steps=5000&{TEN_RUNS}"
# Each view on its own budget: the largest work the page admits (ui/sweeps.py's WORK_LIMIT).
FORMULA_SWEEP = f"v=2&{_formula(long_formula())}&steps=5000&run=sgd:lr=0.01&run=adam:lr=0.05&view=sweep&sweep_n=60"
FORMULA_MAP = f"v=2&{_formula(long_formula())}&steps=5000&run=sgd:lr=0.01,momentum=0.9&view=map&map_n=100"
FORMULA_BASINS = f"v=2&{_formula(long_formula())}&steps=5000&run=adam:lr=0.05&view=basins&basin_n=200"
IRIS_BATCH_1 = "run=sgd:lr=5,batch=1&run=sgd:lr=0.5,momentum=0.9,batch=1&run=adam:lr=0.5,batch=1"
HUGE_TRIG = _formula("tan(1e10*x)+y**2")


@dataclass(frozen=True)
class Link:
    id: str
    query: str  # as in the address bar, after the "?"
    part: str | None = None  # one of PARTS: that part of the link's work (an export), not the page
    problems: bool = False  # the link is meant to have problems (otherwise it must parse cleanly)


LINKS = (
    Link("default", "v=2"),
    Link("formula-race", FORMULA_RACE),
    Link("formula-inspect", FORMULA_RACE + "&view=inspect"),
    Link("formula-3d", FORMULA_RACE + "&view=3d"),
    Link("formula-sweep", FORMULA_SWEEP),
    Link("formula-map", FORMULA_MAP),
    Link("formula-basins", FORMULA_BASINS),
    Link("iris", "v=2&surface=iris"),
    Link("iris-3d", "v=2&surface=iris&view=3d"),
    Link("iris-batch1-basins", f"v=2&surface=iris&{IRIS_BATCH_1}&view=basins&basin_n=200"),
    Link("tips-batch1-basins", "v=2&surface=tips:standardise=true&steps=5000&run=sgd:lr=0.1,batch=1&view=basins"),
    Link("rastrigin-basins", "v=2&surface=rastrigin&view=basins&basin_n=200"),
    Link("noisy-basins", "v=2&surface=valley&noise=0.1&steps=1000&run=sgd:lr=0.1&view=basins&basin_n=200"),
    Link("tips-basins", "v=2&surface=tips:standardise=true&view=basins&basin_n=200"),
    Link("huge-trig", f"v=2&{HUGE_TRIG}"),
    Link("huge-trig-basins", f"v=2&{HUGE_TRIG}&view=basins"),
    Link("huge-trig-map", f"v=2&{HUGE_TRIG}&view=map"),
    Link("iris/background", "v=2&surface=iris", part="background"),
    *(Link(f"formula-race/{kind}", FORMULA_RACE, part=kind) for kind in EXPORTS),
)


def query_of(link: Link) -> dict[str, list[str]]:
    """The link's query as Streamlit reads the address bar: each key with its values."""
    return parse_qs(link.query, keep_blank_values=True)


def check(link: Link) -> list[str]:
    """The problems optviz.settings.link.parse reports for the link (none, unless it means to have some)."""
    from optviz.settings import parse  # noqa: PLC0415  (the parent process needs no optviz)
    from optviz.text.problems import problem_text  # noqa: PLC0415

    _, problems = parse(query_of(link))
    return [problem_text(p, "en") for p in problems]


# ------------------------------------------------------------------------------ the fresh process


def _warm_up() -> None:
    """The imports and one script run of a page that has nothing to do with any link."""
    import numpy  # noqa: F401, PLC0415
    from streamlit.testing.v1 import AppTest  # noqa: PLC0415

    import optviz.draw.export  # noqa: F401, PLC0415
    import surfaces  # noqa: F401, PLC0415
    import ui  # noqa: F401, PLC0415

    AppTest.from_file(TRIVIAL_APP, default_timeout=60).run()


def _page(link: Link, timeout: float) -> str:
    """One script run of app.py with the link; what the page showed that matters here."""
    import logging  # noqa: PLC0415

    from streamlit.testing.v1 import AppTest  # noqa: PLC0415

    failures: list[str] = []

    class Caught(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            failures.append(record.getMessage())

    logging.getLogger("optviz.app").addHandler(Caught(logging.ERROR))
    at = AppTest.from_file(APP, default_timeout=WALL * timeout)
    for key, values in query_of(link).items():
        at.query_params[key] = values if len(values) > 1 else values[0]
    at.run()
    if at.exception or failures:
        return "raised"
    notes = [element.value for element in (*at.warning, *at.info)]
    return "ok" + "".join(f"; {note[:60]}" for note in notes)


def _part(link: Link) -> Callable[[], str | bytes]:
    """The part of the link's work to measure; what it needs is made before the measurement."""
    from dataclasses import replace  # noqa: PLC0415

    from optviz.core import budget  # noqa: PLC0415
    from optviz.draw import export, figures  # noqa: PLC0415
    from optviz.settings import parse  # noqa: PLC0415
    from optviz.study.results import run_experiment  # noqa: PLC0415
    from ui import work  # noqa: PLC0415

    experiment, _ = parse(query_of(link))
    surf = experiment.build_surface()
    if link.part == "background":
        return lambda: figures.background(surf)
    # The race the page shows (its steps admitted by the budget), and the export as it offers it.
    each = work.race_seconds(experiment, surf, 1)
    steps = budget.Budget().most(experiment.steps, lambda n: n * each) or 1
    experiment = replace(experiment, steps=steps)
    trajectories = run_experiment(experiment)
    if link.part == "html":
        shaded = figures.background(surf)
        return lambda: export.race_html(experiment, trajectories, shaded)
    if link.part == "csv":
        return lambda: export.trajectories_csv(experiment, trajectories)
    if link.part == "json":
        return lambda: export.trajectories_json(experiment, trajectories)
    return lambda: export.race_gif(experiment, trajectories, surf, max_frames=export.gif_frames(len(trajectories)))


def child(link_id: str, timeout: float) -> None:
    """Measure one row in this (fresh) process and print it as one line of JSON."""
    from benchmarks.process import cpu_seconds, peak_mb, reset_peak, resident_mb  # noqa: PLC0415

    link = next(link for link in LINKS if link.id == link_id)
    _warm_up()
    work = _part(link) if link.part else (lambda: _page(link, timeout))
    limit = math.ceil(cpu_seconds() + timeout)  # the kernel stops the process there (SIGXCPU)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, resource.getrlimit(resource.RLIMIT_CPU)[1]))
    fresh = reset_peak()
    before = resident_mb()
    cpu, wall = cpu_seconds(), time.perf_counter()
    try:
        result = work()
        status = f"ok; {len(result) / 1e6:.3g} MB" if link.part else result
    except Exception:  # noqa: BLE001  (reported as the row's status)
        status = "raised: " + traceback.format_exc().strip().splitlines()[-1][:80]
    cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
    print(
        json.dumps(
            {"cpu": cpu, "peak": peak_mb(), "before": before, "wall": wall, "status": status, "fresh_peak": fresh}
        )
    )


# ------------------------------------------------------------------------------ the table


def measure(link: Link, timeout: float) -> dict:
    """One row, measured in a fresh process (killed after ``timeout`` seconds)."""
    command = [sys.executable, "-m", "benchmarks.links", "--child", link.id, "--timeout", str(timeout)]
    wall = WALL * timeout + 60
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=wall, check=False)
    except subprocess.TimeoutExpired:
        return {"status": f"timed out after {wall:.0f} s of wall time"}
    if done.returncode == -signal.SIGXCPU:
        return {"status": f"timed out after {timeout:.0f} s of CPU"}
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        return {"status": f"failed: {(done.stderr.strip().splitlines() or ['?'])[-1][:80]}"}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="ID", help="measure only this row (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the rows and their links, and check the links")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds of CPU per row")
    parser.add_argument("--child", metavar="ID", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.timeout)
        return
    if args.list:
        for link in LINKS:
            problems = check(link)
            what = f"{link.part} of" if link.part else "page"
            print(f"{link.id:24} {what} ?{link.query[:90]}{'...' if len(link.query) > 90 else ''}")
            for problem in problems:
                print(f"{'':24} problem: {problem}")
        return
    chosen = [link for link in LINKS if not args.only or link.id in args.only]
    unknown = set(args.only or ()) - {link.id for link in LINKS}
    if unknown:
        parser.error(f"unknown id {sorted(unknown)}; --list shows them")
    for link in chosen:
        problems = check(link)
        if problems and not link.problems:
            msg = f"{link.id}: the link has problems: {problems}"
            raise SystemExit(msg)
    print(
        f"Each row in a fresh process (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs); "
        f"timeout {args.timeout:g} s of CPU a row"
    )
    print(f"{'id':24} {'CPU s':>7} {'x default':>9} {'peak MB':>8} {'(before)':>8} {'wall s':>7}  status")
    reference = measure(LINKS[0], args.timeout) if LINKS[0] not in chosen else None
    rows = []
    for link in chosen:
        row = measure(link, args.timeout)
        if link is LINKS[0]:
            reference = row
        rows.append(row)
        base = (reference or {}).get("cpu")
        if "cpu" not in row:
            print(f"{link.id:24} {'':>7} {'':>9} {'':>8} {'':>8} {'':>7}  {row['status']}")
            continue
        ratio = f"{row['cpu'] / base:8.1f}x" if base else f"{'':>9}"
        print(
            f"{link.id:24} {row['cpu']:7.2f} {ratio} {row['peak']:8.0f} {row['before']:8.0f} "
            f"{row['wall']:7.2f}  {row['status']}",
            flush=True,
        )
    if reference and LINKS[0] not in chosen and "cpu" in reference:
        print(f"(default page, the yardstick: {reference['cpu']:.2f} s CPU, {reference['peak']:.0f} MB peak)")


if __name__ == "__main__":
    main()
