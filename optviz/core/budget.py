"""One budget, in CPU seconds of this machine, for every piece of work a link or a click can start.

A link or a click can start a race of ten runs of 5,000 steps on a typed formula, a basin map
of 200 x 200 starts, a GIF of 300 frames: work that, unchecked, costs a shared server half a
minute. Every such piece is admitted here before it starts, by an estimate made of costs
measured on this machine (``optviz/core/costs.toml``, written by ``python -m benchmarks.costs``):
seconds per trajectory-step for each catalog surface, for a typed formula by its operations,
for a data surface by the rows a step reads; seconds per point of a grid, of a 3-D path, of
an export; per frame of a GIF. One request (a run of the page, or one download) may spend
:data:`SECONDS`: work that asks more is reduced (fewer steps, fewer learning rates, coarser
cells, fewer frames) or refused, and the page says which and why.

The estimate decides, never the clock: a link is admitted the same way on a busy server and
an idle one, cold or warm, so that it restores the same view. The clock only stops what an
estimate got wrong (a formula's cost depends on its numbers too): while work runs,
:func:`checkpoint`, which the engine calls every few hundred steps, raises :class:`Stopped`
once the work has used :data:`STOP_AFTER` CPU seconds of its thread, or once whoever started
it has gone (the page's ``cancelled``). And heavy work (estimated above :data:`HEAVY`) takes
turns (:func:`turn`): at most :data:`AT_ONCE` pieces at once on this server, the others
waiting, so that a class's worth of heavy links cannot take every core at once.

This module imports nothing from the page; the page gives it the visitor's ``cancelled``.
"""

from __future__ import annotations

import contextlib
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from optviz.core.optimizers import OPTIMIZERS
from optviz.core.optimizers import get as get_optimizer

if TYPE_CHECKING:
    from optviz.core.engine.surface import Surface

TABLE = Path(__file__).parent / "costs.toml"
SECONDS = 2.75  # what one request may spend on the work it starts, by the estimates
# CPU seconds of one request's work after which it is stopped, estimate or not: half as much
# again as SECONDS, for estimates made from medians on a quiet machine; with the page's own
# half second, no request takes more than 5 s.
STOP_AFTER = 4.2
HEAVY = 0.5  # work estimated above this many seconds takes turns
AT_ONCE = 2  # heavy pieces at once on this server (it has two cores)
WAIT = 60.0  # seconds a heavy piece waits for its turn before it is refused as "busy"
CHECK_EVERY = 0.05  # seconds of wall time between two looks at the clock and at the visitor
# The most one call of the engine (optviz.run) may step, in (steps + 1) * starts, whatever the
# seconds: the histories of points, gradients and losses take 40 bytes a point, 1.9 GiB at the
# cap; wide batches are stepped a block at a time, so little comes on top. Peak memory of the
# whole process (ru_maxrss) for the largest allowed calls: 1.9 GiB for 100,000 steps x 499
# starts, 2.5 GiB for 1 step x 25 million starts (of which 0.4 GiB is the caller's array of
# starts and 0.2 GiB the tuple of their diverged_at). The page asks far less (SECONDS first).
MAX_POINTS = 50_000_000
# record="state" also keeps the optimizer's state after every step: up to four (2,)-vectors a
# point on top of the path's 40 bytes, collected step by step and then stacked (twice that at
# the peak). An eighth of MAX_POINTS keeps the largest such call near 1 GiB; the app records at
# most 10 runs x 5,001 points.
MAX_RECORDED_POINTS = MAX_POINTS // 8
# A comparison of optimizers training a network (optviz.study.network) is work of another
# order: the default, eight optimizers x 3 seeds x 10 epochs of the CNN on digits, is
# 9,360 trajectory-steps of a 1,370-weight network and 264 evaluations of its weights (6.2 s
# here), and its tuning grid 21,840 more steps (11.4 s; python -m benchmarks.network on
# 2026-12-06, priced at 7.0 s and 13.0 s). No page run could hold it in SECONDS: it is a page of
# its own, asked for by a click, run with a progress bar, and cached by its request (the grid
# apart, by the network, epochs, batch size and optimizers). It is admitted when its estimate,
# grid included whether cached or not (the estimate decides, never the state of a cache), fits
# COMPARISON_SECONDS; it takes turns as heavy work does (turn), and runs watched (watched) with
# COMPARISON_STOP_AFTER seconds in place of STOP_AFTER. The allowance admits the default with its
# grid (20 s by the estimates) and the default at the most seeds, ten (36 s); not ten
# seeds of 15 epochs (50 s).
COMPARISON_SECONDS = 40.0
COMPARISON_STOP_AFTER = 60.0


def check_work(steps: int, starts: int, *, record: str = "path", dim: int = 2, second: bool = False) -> None:
    """Refuse a call of the engine that would step more than its cap: (steps + 1) * starts
    points, at most :data:`MAX_POINTS` (:data:`MAX_RECORDED_POINTS` with record="state"); a
    point of more than two coordinates counts as dim / 2 points (its memory grows with them).
    ``second``: the rule keeps a second point (``Optimizer.companion``), which record="path"
    and "state" keep too, 16 of every 56 bytes a point: a point counts as 1.4."""
    limit = MAX_RECORDED_POINTS if record == "state" else MAX_POINTS
    weight = 7 if second and record != "final" else 5  # fifths of a point
    if (steps + 1) * starts * max(dim, 2) * weight > 10 * limit:
        recorded = " with record='state'" if record == "state" else ""
        msg = f"Too much work: {steps} steps x {starts} starts exceeds {limit:,} points{recorded}"
        raise ValueError(msg)


def _load() -> dict[str, dict[str, object]]:
    with TABLE.open("rb") as file:
        return tomllib.load(file)


COSTS = _load()
MODES = ("scalar", "array", "value")


# ------------------------------------------------------------------------------ estimates


def _entry(mode: str, surf: Surface, batch: int | None) -> tuple[list[float], float]:
    """The table's figures for ``surf`` in ``mode`` and the size they grow with: a formula's
    operations, the rows a data surface's step reads (0 for a catalog surface). A surface
    registered since the table was measured is priced as the dearest of its kind (the tests
    check that every registered surface is in the table)."""
    table = COSTS[mode]
    if surf.name == "formula":
        return table["formula"], float(surf.operations)
    if surf.data_rows is not None:
        kind, size = table["data"], float(surf.data_rows if batch is None else min(batch, surf.data_rows))
    else:
        kind, size = table["catalog"], 0.0
    if surf.name in kind:
        return kind[surf.name], size
    return max(kind.values(), key=sum), size


def step_seconds(surf: Surface, mode: str, batch: int | None = None, width: int = 1) -> float:
    """Seconds of work on ``surf``: ``mode`` "scalar", one step of one trajectory on the race's
    loop; "array", one step of a batch of ``width`` trajectories; "value", one value of f at a
    point of a grid. ``batch``: the rows each step reads, on a data surface."""
    if mode not in MODES:
        msg = f"unknown mode {mode!r}; choose one of {MODES}"
        raise ValueError(msg)
    entry, size = _entry(mode, surf, None if mode == "value" else batch)
    seconds = entry[0] + entry[1] * size
    if mode == "array":
        seconds += width * (entry[2] + entry[3] * size)
    return float(seconds)


def run_step_seconds(surf: Surface, run: object, noise: float, mode: str, width: int = 1) -> float:
    """One step of ``run`` (an optviz.settings.experiment.Run: its minibatch read, its schedule stepped) on
    ``width`` trajectories, with gradient noise ``noise``: what varies from step to step costs more;
    a race step ("scalar") of a rule dearer than the table's is priced by its ``rule`` factor."""
    factor = cost("plan", "factor") if varies(run, noise) else 1.0
    name, batch = getattr(run, "optimizer", None), getattr(run, "batch", None)
    if mode == "array" and name in OPTIMIZERS and not get_optimizer(name).batched:
        # A rule that steps each trajectory on its own (LBFGS): a race step for each of them.
        return width * (step_seconds(surf, "scalar", batch) * factor * rule_factor(run) + evaluation_seconds(surf, run))
    if mode == "scalar":
        return step_seconds(surf, mode, batch) * factor * rule_factor(run) + evaluation_seconds(surf, run)
    return step_seconds(surf, mode, batch, width) * factor


def rule_factor(run: object) -> float:
    """How much dearer a race step of ``run``'s optimizer is than the ``scalar`` table's (at
    least 1): on Python floats, or on arrays where its settings couple the coordinates (a
    cautious mask) or it never steps coordinates alone (Adafactor), times the work its settings
    ask of a step over the defaults' (``Optimizer.work``: LBFGS's iterations). An optimizer
    registered since the table was measured is priced as the dearest."""
    factors = COSTS["rule"]
    name = getattr(run, "optimizer", None)
    if name not in factors:
        return float(max(max(pair) for pair in factors.values()))
    spec = get_optimizer(name).for_values(dict(run.hyperparameters))
    values = {**spec.defaults(), **dict(run.hyperparameters)}
    work = 1.0 if spec.work is None else spec.work(values)  # its settings' work over the defaults'
    factor = float(factors[name][0 if spec.elementwise_for(values) else 1]) * work
    for base in spec.words_from:  # a rule around another (SAM, measured around SGD): its base's share
        if base in factors and "sgd" in factors:
            factor *= max(1.0, factors[base][1] / factors["sgd"][1])
    return factor


def evaluation_seconds(surf: Surface, run: object) -> float:
    """The evaluations a step of ``run``'s rule may make beyond the race step's one (LBFGS's
    iterations and line search: ``Optimizer.evaluations``), each priced as a step of one
    trajectory on arrays on ``surf`` (a dear surface's gradient is dear for each), 0 for a rule
    that makes one. Its ``rule`` factor, measured on Rosenbrock, holds the rest of its work."""
    name = getattr(run, "optimizer", None)
    if name not in OPTIMIZERS or get_optimizer(name).evaluations is None:
        return 0.0
    spec = get_optimizer(name)
    most = spec.evaluations({**spec.defaults(), **dict(run.hyperparameters)})
    return most * step_seconds(surf, "array", getattr(run, "batch", None), 1)


def varies(run: object, noise: float) -> bool:
    """Whether ``run``'s steps vary (minibatches, a schedule, noise): the step plan's functions
    make each step then, at a cost of their own."""
    return getattr(run, "batch", None) is not None or getattr(run, "schedule", None) is not None or noise > 0


def build_seconds(surf: Surface) -> float:
    """What making ``surf`` costs the first time (a typed formula's parsing, derivatives and
    minima search; a data set's model): charged to every page that shows it, made or cached."""
    if surf.name == "formula":
        return _at(COSTS["build"]["formula"], surf.operations)
    if surf.data_rows is not None:
        found = COSTS["build"]["data"]
        return float(found.get(surf.name, max(found.values())))
    return 0.0


def _at(entry: list[float], size: float) -> float:
    return float(entry[0] + entry[1] * size)


def per_row(optimizer: str) -> float:
    """How much longer ``optimizer`` steps a batch whose trajectories have their own two
    hyperparameters (a map's cells) than a batch that shares them; an optimizer registered since
    the table was measured is priced as the dearest."""
    factors = COSTS["per_row"]
    return float(factors.get(optimizer, max(factors.values())))


def network_step_seconds(data: str, model: str, width: int, batch: int) -> float:
    """One step of one trajectory training the network ``model`` on ``data`` (its gradient over
    ``batch`` rows and the slowest tutorial optimizer's update), ``width`` hidden units or
    filters: a line in ``width * batch``."""
    return _at(_network_entry("step", data, model), float(width * batch))


def network_run_seconds(data: str, model: str, width: int) -> float:
    """What one run of a network costs besides its steps: its start checked and measured on
    every training row, its end measured (a line in ``width``)."""
    return _at(_network_entry("run", data, model), float(width))


def network_evaluation_seconds(data: str, model: str, width: int) -> float:
    """One evaluation of a network's weights: its loss over every training row and its loss
    and accuracy on the test rows (what a comparison measures after every epoch): a line in ``width``."""
    return _at(_network_entry("evaluation", data, model), float(width))


def network_landscape_seconds(data: str, model: str, width: int) -> float:
    """A network's landscape (optviz.study.landscape: a 41 x 41 slice of its training loss over
    every training row, and the runs projected): a line in ``width``."""
    return _at(_network_entry("landscape", data, model), float(width))


def _network_entry(kind: str, data: str, model: str) -> list[float]:
    """The table's line for a network; one measured since is priced as the dearest."""
    found = COSTS["network"][kind]
    return found.get(f"{data}_{model}") or max(found.values(), key=sum)


def cost(section: str, name: str) -> float:
    """One of the table's other figures: ``cost("gif", "frame")``, ``cost("state", "factor")``."""
    return float(COSTS[section][name])


# ------------------------------------------------------------------------------ admission


@dataclass
class Budget:
    """The seconds one request may still spend; each admission takes what it admits."""

    left: float = SECONDS

    def spend(self, seconds: float) -> None:
        """Take ``seconds`` already spent (what is left may go below zero: then nothing more fits)."""
        self.left -= seconds

    def admit(self, seconds: float) -> bool:
        """Whether work of ``seconds`` fits; if it does, it is taken from what is left."""
        if seconds > self.left:
            return False
        self.left -= seconds
        return True

    def most(self, wanted: int, seconds: Callable[[int], float], least: int = 1) -> int:
        """The largest n <= ``wanted`` whose work, ``seconds(n)`` (growing with n), fits, taken
        from what is left; 0 when even ``least`` does not fit (nothing is taken)."""
        if wanted < least or seconds(least) > self.left:
            return 0
        low, high = least, wanted  # seconds(low) fits; find the last n that does
        while low < high:
            middle = (low + high + 1) // 2
            if seconds(middle) <= self.left:
                low = middle
            else:
                high = middle - 1
        self.left -= seconds(low)
        return low


# ------------------------------------------------------------------------------ while it runs


class Stopped(Exception):
    """Work stopped before it ended: ``reason`` "time" (it took :data:`STOP_AFTER` seconds) or
    "gone" (whoever started it left)."""

    def __init__(self, reason: str, seconds: float) -> None:
        self.reason, self.seconds = reason, seconds
        super().__init__(f"stopped ({reason}) after {seconds:.1f} s")


class Busy(Exception):
    """Heavy work that waited :data:`WAIT` seconds for its turn and was refused."""


@dataclass
class _Watch:
    started: float  # thread CPU time at the start
    seconds: float
    cancelled: Callable[[], bool]
    next_look: float = 0.0  # wall time of the next look


_WATCH = threading.local()


@contextlib.contextmanager
def watched(
    seconds: float = STOP_AFTER, cancelled: Callable[[], bool] = lambda: False, *, apart: bool = False
) -> Iterator[None]:
    """Within this block, :func:`checkpoint` stops the work once it has used ``seconds`` of this
    thread's CPU time, or once ``cancelled()`` is true. ``apart``: work admitted by an allowance
    of its own (a comparison of networks, COMPARISON_SECONDS), whose seconds the watch around
    it does not count."""
    outer = getattr(_WATCH, "watch", None)
    started = time.thread_time()
    _WATCH.watch = _Watch(started, seconds, cancelled)
    try:
        yield
    finally:
        if apart and outer is not None:
            outer.started += time.thread_time() - started
        _WATCH.watch = outer


def checkpoint() -> None:
    """Called by long work every so often: raises :class:`Stopped` when it must stop (see
    :func:`watched`); costs next to nothing between two looks at the clock."""
    watch = getattr(_WATCH, "watch", None)
    if watch is None:
        return
    now = time.monotonic()
    if now < watch.next_look:
        return
    watch.next_look = now + CHECK_EVERY
    spent = time.thread_time() - watch.started
    if spent > watch.seconds:
        raise Stopped("time", spent)
    if watch.cancelled():
        raise Stopped("gone", spent)


_TURNS = threading.BoundedSemaphore(AT_ONCE)


@contextlib.contextmanager
def turn(seconds: float, cancelled: Callable[[], bool] = lambda: False) -> Iterator[None]:
    """Work estimated at ``seconds``: heavy work (above :data:`HEAVY` seconds) waits for one of
    :data:`AT_ONCE` turns (raising :class:`Busy` after :data:`WAIT` seconds, :class:`Stopped`
    if whoever asked leaves), light work goes at once. (What a piece of work holds in memory is
    bounded apart from its seconds: the final loop keeps no history, MAX_POINTS bounds a path.)

    Turns bound what runs at once, not what a core does: two turns of the race's loop (Python
    floats, holding the interpreter's lock) still slow every other visitor's page a little."""
    if seconds <= HEAVY:
        yield
        return
    waited = 0.0
    while not _TURNS.acquire(timeout=0.25):
        waited += 0.25
        if cancelled():
            raise Stopped("gone", 0.0)
        if waited >= WAIT:
            raise Busy
    try:
        yield
    finally:
        _TURNS.release()
