"""record="final": a batch stepped without its history, keeping the path's rows 0 and ``steps``
(frozen where it diverged), its diverged_at and, with a tolerance, its reached_at and
settled_at.

The same loop as the path's (:func:`optviz.core.engine.loop.advance`), without the history:
each block of trajectories is stepped through chunks of steps in a small rolling buffer (by
the rule's in-place kernel where it has one, its reference ``update`` where not), and each
chunk is then checked for divergence and for the tolerance, row by row as
:func:`~optviz.core.engine.divergence.freeze_diverged` and
:func:`~optviz.core.engine.divergence.arrivals` read the whole history. Trajectories are
independent, so a block stepped alone gives the bits that the whole batch gives; a diverged
trajectory is stepped on (its values go on being NaN or inf) and only its last finite row is
kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optviz.core.engine.divergence import divergence_limits, threshold
from optviz.core.engine.loop import Arrays, InPlace, advance, columns, fill
from optviz.core.engine.plan import Steps
from optviz.core.engine.surface import Surface, gradient_of, loss_of, takes_points
from optviz.core.optimizers import Optimizer

# Batches wider than SCALAR_BATCH are stepped FINAL_BLOCK trajectories at a time through chunks
# of FINAL_ROWS // FINAL_BLOCK steps (more for narrower batches), in a rolling buffer of points,
# gradients and losses of about 3 MB for two coordinates, which stays in the CPU's caches;
# blocks this wide make NumPy's per-call cost small against the work. Its memory is the
# caller's starts and the result, about 150 bytes a start of two coordinates, whatever the
# number of steps; the budget's cap on (steps + 1) * starts applies, as a bound on the time a
# call takes (at most a few seconds).
FINAL_BLOCK = 16_384
FINAL_ROWS = 65_536

Arrivals = tuple[int | None, ...]


def kept_steps(steps: int, every: int | None) -> tuple[int, ...]:
    """The steps whose rows record="final" keeps: 0, every ``every``-th step, and ``steps``."""
    if every is None:
        return (0, steps)
    return (*range(0, steps, every), steps)


def run_final(
    spec: Optimizer,
    surf: Surface,
    starts: np.ndarray,
    hp: dict[str, Any],
    *,
    steps: int,
    tolerance: float | None,
    plan: Steps | None = None,
    every: int | None = None,
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, Arrivals, Arrivals | None, Arrivals | None, int | np.ndarray, np.ndarray | None
]:
    """record="final" for a batch of starts (B, d) on arrays: the path's rows at the kept steps
    (:func:`kept_steps`: 0 and ``steps``, and every ``every``-th step between; points and
    gradients (K, B, d), losses (K, B)), diverged_at, reached_at and settled_at (None without a
    tolerance), the gradient evaluations each trajectory's steps made, and, for a rule that
    evaluates again within a step (``Optimizer.looks``), each step's per trajectory (steps, B).
    With a plan (a schedule, noise, minibatches), the steps take step k's gradient and
    settings, as the path's do; the losses and the last gradient are the surface's own."""
    batch, dim = starts.shape
    kept = kept_steps(steps, every)
    points = np.empty((len(kept), dim, batch))  # coordinate-major, as the path's history
    grads = np.empty((len(kept), dim, batch))
    losses = np.empty((len(kept), batch))
    diverged = np.zeros(batch, dtype=np.int64)  # 0: never (a run cannot diverge at its start)
    reached = None if tolerance is None else np.full((2, batch), -1, dtype=np.int64)  # first, settled
    levels = None if tolerance is None else Levels(surf, tolerance)
    grad_evals: int | np.ndarray = 0
    # A rule that looks again: each step's evaluations per trajectory (what record="final" keeps
    # of them, to tell how many it took to reach the tolerance).
    counts = np.ones((steps, batch), dtype=np.int64) if spec.looks else None
    for lo in range(0, batch, FINAL_BLOCK):
        block = slice(lo, lo + FINAL_BLOCK)
        made = _final_block(
            spec,
            surf,
            np.ascontiguousarray(starts[block].T),
            columns(hp, block),
            steps=steps,
            plan=plan and plan.columns(block),
            kept=kept,
            out=(points[:, :, block], losses[:, block], grads[:, :, block], diverged[block]),
            tolerance=None if levels is None else (levels, reached[:, block]),
            counts=None if counts is None else counts[:, block],
        )
        if isinstance(made, int):  # one a step: the same for every block
            grad_evals = made
        else:  # a rule that looks again: each trajectory's own
            grad_evals = np.zeros(batch, dtype=np.int64) if isinstance(grad_evals, int) else grad_evals
            grad_evals[block] = made
    diverged_at = dict(zip(np.flatnonzero(diverged).tolist(), diverged[diverged > 0].tolist(), strict=True))
    if counts is not None:  # a looking rule's: none after the step a trajectory diverged at (it is frozen)
        for column, end in diverged_at.items():
            counts[end:, column] = 0
        grad_evals = counts.sum(axis=0)
    reached_at = settled_at = None
    if reached is not None:
        reached_at, settled_at = (tuple(None if k < 0 else k for k in row.tolist()) for row in reached)
    return (
        np.ascontiguousarray(points.transpose(0, 2, 1)),
        losses,
        np.ascontiguousarray(grads.transpose(0, 2, 1)),
        tuple(map(diverged_at.get, range(batch))),
        reached_at,
        settled_at,
        grad_evals,
        counts,
    )


def _final_block(
    spec: Optimizer,
    surf: Surface,
    start: np.ndarray,
    hp: dict[str, Any],
    *,
    steps: int,
    plan: Steps | None,
    kept: tuple[int, ...],
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    tolerance: tuple[Levels, np.ndarray] | None,
    counts: np.ndarray | None = None,
) -> int | np.ndarray:
    """Step one block, ``start`` of shape (d, w), fill its part of the results ``out`` (the
    rows of the ``kept`` steps), and return the gradient evaluations each trajectory's steps made.

    The buffer's rows 0 .. n of a chunk are the path's rows done .. done + n. Row 0 carries
    over from the chunk before (its point and loss; its gradient is computed in the chunk), so
    after a chunk rows 0 .. n - 1 are complete and are checked (and copied out where kept), and
    row n moves to row 0.

    On a surface of whole points (a network), a loss costs a pass over the training rows, so it
    is computed only at the kept steps: the other rows hold the start's loss, and the
    divergence check reads their points and gradients only (a network's loss stays finite while
    its weights and gradients do; it is held to its limit at the kept steps).
    """
    out_points, out_losses, out_grads, _ = out
    dim, width = start.shape
    chunk = max(1, min(steps, FINAL_ROWS * 2 // (width * max(dim, 2))))  # a few MB, whatever the dimension
    # One buffer, each row a step's point, gradient and loss side by side: one sum checks them.
    buffer = np.empty((chunk + 1, 2 * dim + 1, width))
    points, grads, losses = buffer[:, :dim], buffer[:, dim : 2 * dim], buffer[:, 2 * dim]
    points[0] = start
    losses[0] = loss_of(surf, start)
    start_losses, whole = losses[0].copy(), takes_points(surf)
    at = {step: i for i, step in enumerate(kept)}  # a kept step's row of the results
    limits = divergence_limits(surf, losses[0])
    kernel = None if spec.kernel is None or plan is not None else spec.kernel(np.ascontiguousarray(start), hp)
    if kernel is None:
        first = hp if plan is None else plan.settings(0, hp)  # what the state starts from: step 0's
        backend: InPlace | Arrays = Arrays(spec, surf, start, first, points=points, grads=grads, in_place=plan is None)
        fills_losses = False
    else:
        backend = InPlace(kernel, surf, points, grads, losses)
        fills_losses = backend.fills_losses
    track, hits = (None, None) if tolerance is None else tolerance[0].tracker(width)
    alive = np.ones(width, dtype=bool)
    last = None  # the row before the chunk: (point, loss, gradient)
    done = grad_evals = 0  # grad_evals: one number, or one per trajectory (a rule that looks again)
    while done < steps:
        n = min(chunk, steps - done)
        grad_evals += _chunk(backend, n, hp, done=done, plan=plan, counts=counts)
        if whole:
            _kept_losses(surf, buffer, dim, n=n, done=done, kept=kept, start_losses=start_losses)
        elif not fills_losses:
            losses[1 : n + 1] = loss_of(surf, points[1 : n + 1])
        if done == 0:
            out_points[0], out_losses[0], out_grads[0] = start, losses[0], grads[0]
        _freeze_chunk(buffer, dim, n, done, limits, last=last, alive=alive, out=out)
        for step in kept[1:-1]:
            if done <= step < done + n:  # complete (its gradient made): copied out
                i, j = at[step], step - done
                out_points[i], out_losses[i], out_grads[i] = buffer[j, :dim], losses[j], grads[j]
        if track is not None:
            track(losses[:n], done)
        last = (points[n - 1].copy(), losses[n - 1].copy(), grads[n - 1].copy())
        points[0], losses[0] = points[n], losses[n]
        done += n
    fill(grads[0], gradient_of(surf, np.ascontiguousarray(points[0])))
    _freeze_chunk(buffer, dim, 1, steps, limits, last=last, alive=alive, out=out)
    out_points[-1][:, alive], out_losses[-1][alive], out_grads[-1][:, alive] = (
        points[0][:, alive],
        losses[0][alive],
        grads[0][:, alive],
    )
    _frozen_kept(out, kept, alive)
    if tolerance is not None:
        track(losses[:1], steps)
        levels, reached = tolerance
        reached[:] = levels.arrivals(out_points[-1].T, hits, steps)
        reached[:, ~alive] = -1
    return grad_evals


def _chunk(
    backend: InPlace | Arrays, n: int, hp: dict[str, Any], *, done: int, plan: Steps | None, counts: np.ndarray | None
) -> int | np.ndarray:
    """Steps ``done`` to ``done + n - 1``; their evaluations per trajectory into ``counts``' rows
    when given (a rule that looks again); the evaluations made."""
    tally: list[Any] | None = None if counts is None else []
    made = advance(backend, n, hp, first=done, plan=plan, tally=tally)
    if tally:
        counts[done : done + n] = tally
    return made


def _kept_losses(
    surf: Surface, buffer: np.ndarray, dim: int, *, n: int, done: int, kept: tuple[int, ...], start_losses: np.ndarray
) -> None:
    """A network's losses in a chunk's rows 1 .. n: measured at the kept steps, the start's elsewhere."""
    points, losses = buffer[:, :dim], buffer[:, 2 * dim]
    losses[1 : n + 1] = start_losses
    for step in kept:
        if done < step <= done + n:
            losses[step - done] = loss_of(surf, np.ascontiguousarray(points[step - done]))


def _frozen_kept(
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], kept: tuple[int, ...], alive: np.ndarray
) -> None:
    """The kept rows of each diverged trajectory from the step it diverged at: its last finite row."""
    out_points, out_losses, out_grads, diverged = out
    for row in np.flatnonzero(~alive).tolist():
        for i, step in enumerate(kept[1:-1], start=1):
            if step >= diverged[row]:
                out_points[i][:, row], out_losses[i][row] = out_points[-1][:, row], out_losses[-1][row]
                out_grads[i][:, row] = out_grads[-1][:, row]


def _freeze_chunk(
    buffer: np.ndarray,
    dim: int,
    n: int,
    done: int,
    limits: np.ndarray,
    *,
    last: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    alive: np.ndarray,
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """:func:`~optviz.core.engine.divergence.freeze_diverged` for the buffer's rows 0 .. n - 1,
    the path's rows done ..: a trajectory with a non-finite point, loss or gradient there, or a
    loss above its limit (:func:`~optviz.core.engine.divergence.divergence_limits`), is frozen
    at the row before."""
    points, grads, losses = buffer[:, :dim], buffer[:, dim : 2 * dim], buffer[:, 2 * dim]
    sums = buffer[:n].reshape((2 * dim + 1) * n, -1).sum(axis=0)  # finite sums: finite entries
    high = np.fmax.reduce(losses[:n], axis=0) > limits  # (NaN only where every loss is NaN)
    suspects = np.flatnonzero((~np.isfinite(sums) | high) & alive)
    if not suspects.size:
        return
    finite = np.isfinite(losses[:n, suspects]) & (losses[:n, suspects] <= limits[suspects])
    finite &= np.isfinite(points[:n, :, suspects]).all(axis=1)
    finite &= np.isfinite(grads[:n, :, suspects]).all(axis=1)
    broken = ~finite.all(axis=0)
    rows, first = suspects[broken], np.argmin(finite[:, broken], axis=0)
    out_points, out_losses, out_grads, diverged = out
    for row, k in zip(rows.tolist(), first.tolist(), strict=True):
        if k:
            point, loss, grad = points[k - 1, :, row], losses[k - 1, row], grads[k - 1, :, row]
        else:  # the row before the chunk (a chunk after the first: the start is finite)
            point, loss, grad = last[0][:, row], last[1][row], last[2][:, row]
        out_points[-1][:, row], out_losses[-1][row], out_grads[-1][:, row] = point, loss, grad
        diverged[row] = done + k
    alive[rows] = False


class Levels:
    """reached_at and settled_at without the history: the first step with f - f_i <= tolerance,
    and the last step with f - f_i > tolerance, for every distinct value f_i of the surface's
    basin minima at once.

    Rounding is monotone, so fl(f - v) <= tolerance holds exactly when f <= T(v), the largest
    float for which it holds, and T grows with v. With the distinct values sorted, the values
    a loss is within the tolerance of are those from a level on (its level: how many T(v) lie
    below it). For the first hits, a trajectory's lowest level so far only falls, and it falls
    at most once per value (Rastrigin has 121 minima with 28 distinct values): each chunk costs
    a minimum per trajectory, and only the trajectories whose level fell are searched step by
    step. For the last step outside, only the trajectories whose level rose above 0 in a chunk
    (not yet within the tolerance of every value) are read step by step.
    """

    def __init__(self, surf: Surface, tolerance: float) -> None:
        self.surface, self.minima = surf, surf.basin_minima
        self.values = np.array([m.value for m in self.minima])
        self.distinct = np.unique(self.values)
        self.thresholds = np.array([threshold(v, tolerance) for v in self.distinct.tolist()])

    def tracker(self, width: int) -> tuple[Any, np.ndarray]:
        """For one block of w trajectories: a function of (losses of shape (n, w), the path's
        row of the first) to call on every row in order, and the steps it fills for each
        distinct value, (2, values, w): the first step within the tolerance of it (-1: not yet)
        and the last step outside (-1: none yet)."""
        thresholds, count = self.thresholds, len(self.thresholds)
        level = np.full(width, count)
        hits = np.full((2, count, width), -1, dtype=np.int64)
        first_hits, last_out = hits

        def see(losses: np.ndarray, offset: int) -> None:
            n = losses.shape[0]
            ceiling = np.searchsorted(thresholds, np.fmax.reduce(losses, axis=0))  # all NaN: count
            out = np.flatnonzero(ceiling > 0)
            if out.size:  # the last row with a level above j, for each j: from the end, a running maximum
                from_end = np.maximum.accumulate(np.searchsorted(thresholds, losses[::-1, out]), axis=0)
                flat = (from_end + np.arange(out.size) * (count + 1)).ravel()
                below = np.cumsum(np.bincount(flat, minlength=out.size * (count + 1)).reshape(-1, count + 1), axis=1)
                at_or_below = below[:, :count].T  # (values, a): rows whose running maximum is <= j
                last_out[:, out] = np.where(at_or_below < n, offset + n - 1 - at_or_below, last_out[:, out])
            lowest = np.searchsorted(thresholds, np.fmin.reduce(losses, axis=0))  # NaN: count
            fell = np.flatnonzero(lowest < level)
            if not fell.size:
                return
            levels = np.minimum.accumulate(np.searchsorted(thresholds, losses[:, fell]), axis=0)
            np.minimum(levels, level[fell], out=levels)
            before = np.vstack([level[fell][None], levels[:-1]])
            drops = before - levels
            step, column = np.nonzero(drops)
            counts = drops[step, column]
            starts = np.repeat(levels[step, column], counts)
            within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            first_hits[starts + within, np.repeat(fell[column], counts)] = offset + np.repeat(step, counts)
            level[fell] = levels[-1]

        return see, hits

    def arrivals(self, final_points: np.ndarray, hits: np.ndarray, steps: int) -> np.ndarray:
        """For the block just tracked to its last step, ``steps``: the first step within the
        tolerance of the basin minimum each trajectory ends nearest to, and the step from which
        it stays within it, (2, w) (-1: never), as :func:`arrivals` measures them."""
        nearest, _ = self.surface.nearest_minimum(final_points, self.minima)
        index = np.searchsorted(self.distinct, self.values[nearest])
        columns = np.arange(len(index))
        first, last_out = hits[0, index, columns], hits[1, index, columns]
        return np.stack([first, np.where(last_out < steps, last_out + 1, -1)])
