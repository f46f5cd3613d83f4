"""The stepping loop: run an optimizer over a surface, for one start or a batch of starts."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

import surfaces
from optviz.core.budget import MAX_POINTS, MAX_RECORDED_POINTS, checkpoint
from optviz.core.engine.plan import StepPlan
from optviz.core.optimizers import Optimizer
from optviz.core.optimizers import get as get_optimizer
from optviz.core.schedules import Schedule

MAX_STEPS = 100_000
BLOCK = 65_536  # trajectories stepped together on arrays: bounds the per-step temporaries
SCALAR_BATCH = 4  # batches up to this size step each trajectory on Python floats
# record="final" keeps no history: batches wider than SCALAR_BATCH are stepped FINAL_BLOCK
# trajectories at a time through chunks of FINAL_ROWS // FINAL_BLOCK steps (more for narrower
# batches), in a rolling buffer of points, gradients and losses of about 3 MB, which stays in
# the CPU's caches; blocks this wide make NumPy's per-call cost small against the work. Its
# memory is the caller's starts and the result, about 150 bytes a start, whatever the number of
# steps; the same MAX_POINTS cap on (steps + 1) * starts applies, as a bound on the time a call
# takes (at most a few seconds).
FINAL_BLOCK = 16_384
FINAL_ROWS = 65_536
RECORDS = ("path", "state", "final")
# The loops on Python floats call optviz.core.budget.checkpoint (which stops work over its budget, or
# whose visitor left) once every CHECK_STEPS + 1 steps; the loops on arrays once a step (it looks
# at the clock at most every 50 ms).
CHECK_STEPS = 255
SEEDS = 1 << 32  # seeds from 0 to 2^32 - 1
# A run has diverged at the first step where its loss is not finite, or where f - f* is more
# than DIVERGENCE times the larger of its value at the start and the highest f - f* over the
# plot (Surface.plot_gap; the plot's scale keeps a start at the minimum from counting every
# wobble): such a point is far off the picture, and the run is frozen before it. One
# definition for the race, the results, the sweeps, the maps and the lessons.
DIVERGENCE = 1e4


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The path of one run, or of a batch of runs stepped together.

    For a single start, ``points`` and ``grads`` have shape ``(steps + 1, 2)``, ``losses``
    ``(steps + 1,)`` and ``diverged_at`` is None or an int. For a batch of B starts they have
    shapes ``(steps + 1, B, 2)`` and ``(steps + 1, B)``, and ``diverged_at`` is a tuple of B
    entries. Row k is the state after k steps; ``grads[k]`` is the gradient at ``points[k]``.
    A run that diverged at step k (see :data:`DIVERGENCE`) is frozen from there on at
    ``points[k - 1]``.
    """

    optimizer: str
    hyperparameters: Mapping[str, Any]
    surface: surfaces.Surface
    points: np.ndarray
    losses: np.ndarray
    grads: np.ndarray
    diverged_at: int | tuple[int | None, ...] | None
    # With record="state": the optimizer's state after every step, as its own state NamedTuple
    # whose fields are stacked like ``points`` (row k: after k steps, row 0: the initial state;
    # NaN where the state held None, a field None when it always did). None otherwise.
    states: Any = None
    # With a tolerance: the first step at which each trajectory came within the tolerance of the
    # minimum it ends nearest to (f - f_i <= tolerance), None where it never did (a diverged
    # one never did); shaped like diverged_at. None without a tolerance.
    reached_at: int | tuple[int | None, ...] | None = None
    # With a tolerance: the step from which each trajectory stays within it to its last step
    # (it may have come within it earlier and left again), None where its last step is not
    # within it; shaped like diverged_at. None without a tolerance.
    settled_at: int | tuple[int | None, ...] | None = None
    # The number of steps run: the rows of points are every step ("path", "state") or only the
    # start and the last one ("final").
    steps_run: int = 0

    @property
    def steps(self) -> int:
        return self.steps_run or self.points.shape[0] - 1

    @property
    def final(self) -> bool:
        """Whether only the start and the last step were kept (``record="final"``)."""
        return self.points.shape[0] == 2 and self.steps_run > 1

    @property
    def batched(self) -> bool:
        return self.points.ndim == 3


def run(
    optimizer: str | Optimizer,
    surface: str | surfaces.Surface,
    start: Any = None,
    steps: int = 100,
    *,
    record: str = "path",
    tolerance: float | None = None,
    schedule: Schedule | None = None,
    noise: float = 0.0,
    seed: int = 0,
    batch_size: int | None = None,
    **hyperparameters: Any,
) -> Trajectory:
    """Run ``optimizer`` on ``surface`` from ``start`` for ``steps`` steps.

    Parameters
    ----------
    optimizer
        A name from :data:`optviz.OPTIMIZERS` ("sgd", "adam", ...) or an Optimizer record.
    surface
        A Surface, or a registered surface name (built with its default parameters).
    start
        ``(x, y)``, or an array of shape ``(B, 2)`` for a batch; the surface's default start
        when omitted.
    steps
        Number of optimizer steps, from 1 to 100,000.
    record
        "path" (the default): the points, gradients and losses. "state": also the optimizer's
        state after every step (``Trajectory.states``), taken from the state records the
        update rule returned; for the step inspector. Only these calls pay for it. "final":
        only the start and the last step (``points`` of shape ``(2, B, 2)``, row 1 after the
        last step, or the last finite point of a diverged run), equal bit for bit to those
        rows of the path; for sweeps and basin maps, which read nothing else.
    tolerance
        With a tolerance (> 0), ``reached_at`` holds the first step at which each trajectory
        came within it of the minimum it ends nearest to (f − f_i ≤ tolerance), among the
        surface's basin minima (its minima and any local ones it lists), and ``settled_at``
        the step from which it stays within it.
    schedule
        A learning-rate schedule (:func:`optviz.schedule`), stepped once per optimizer step with
        torch.optim.lr_scheduler's values: step k uses the rate after k scheduler steps.
    noise, seed
        Gaussian noise of standard deviation ``noise`` added to every gradient coordinate; step
        k's draw depends only on ``seed`` and k, so every trajectory sees the same draws.
    batch_size
        On a data surface (``surface.data_rows``), each step's gradient is the mean over a
        minibatch of that many rows, drawn without replacement epoch by epoch from ``seed``.
        ``grads`` then holds the gradients the optimizer saw (noise and minibatch included);
        its last row, which no step used, is the surface's own gradient at the last point.
    **hyperparameters
        torch.optim's keyword arguments; missing ones take torch's defaults. A numeric one
        may be an array of shape ``(B,)`` to give each trajectory of a batch its own value.

    Raises
    ------
    KeyError
        Unknown optimizer or surface name.
    TypeError
        A hyperparameter the optimizer does not have.
    ValueError
        An invalid hyperparameter, start or step count.

    Examples
    --------
    >>> t = run("adam", "rosenbrock", start=(-1.5, 2.0), steps=500, lr=0.05)
    >>> t.points.shape, t.diverged_at
    ((501, 2), None)
    >>> sweep = run("sgd", "valley", start=[(-2.5, 1.0)] * 3, steps=300, lr=[0.01, 0.1, 1.0])
    >>> sweep.points.shape, sweep.diverged_at
    ((301, 3, 2), (None, None, 3))
    """
    spec = optimizer if isinstance(optimizer, Optimizer) else get_optimizer(optimizer)
    surf = surface if isinstance(surface, surfaces.Surface) else surfaces.get(surface)
    steps = _check_steps(steps)
    record = _check_record(record)
    tolerance = _check_tolerance(tolerance)
    limit = MAX_RECORDED_POINTS if record == "state" else MAX_POINTS
    start = surf.default_start if start is None else start
    _check_work(steps, _count_starts(start), limit)  # before the starts are copied
    starts, batched = _check_start(start)
    _check_work(steps, starts.shape[0], limit)
    hp = spec.resolve(hyperparameters)
    per_row = {name: _per_row(value, starts.shape[0], name) for name, value in hp.items()}
    plan = _plan(steps, schedule=schedule, noise=noise, seed=seed, batch_size=batch_size)
    if plan is not None:
        plan.check(spec, hp, surf)
    small = starts.shape[0] <= SCALAR_BATCH and spec.elementwise
    if record == "final" and not small:
        with np.errstate(all="ignore"):
            _check_finite_start(surf, starts)
            points, losses, grads, diverged_at, reached_at, settled_at = _run_final(
                spec, surf, starts, per_row, steps=steps, tolerance=tolerance, plan=plan
            )
        if not batched:  # a single start with a rule that is not elementwise
            points, losses, grads = (np.ascontiguousarray(a[:, 0]) for a in (points, losses, grads))
            diverged_at = diverged_at[0]
            reached_at, settled_at = (None, None) if reached_at is None else (reached_at[0], settled_at[0])
        return Trajectory(
            optimizer=spec.name,
            hyperparameters=hp,
            surface=surf,
            points=points,
            losses=losses,
            grads=grads,
            diverged_at=diverged_at,
            reached_at=reached_at,
            settled_at=settled_at,
            steps_run=steps,
        )
    # Small batches of record="final" take the path and keep its first and last rows.
    trajectory = _run_path(spec, surf, starts, per_row, steps=steps, record=record, plan=plan)
    reached_at = settled_at = None
    if tolerance is not None:
        reached_at, settled_at = arrivals(surf, trajectory.points, trajectory.losses, trajectory.diverged_at, tolerance)
    points, losses, grads = trajectory.points, trajectory.losses, trajectory.grads
    if record == "final":
        points, losses, grads = (np.ascontiguousarray(a[[0, -1]]) for a in (points, losses, grads))
    if not batched:
        points, losses, grads = (np.ascontiguousarray(a[:, 0]) for a in (points, losses, grads))
    return Trajectory(
        optimizer=spec.name,
        hyperparameters=hp,
        surface=surf,
        points=points,
        losses=losses,
        grads=grads,
        diverged_at=trajectory.diverged_at if batched else trajectory.diverged_at[0],
        states=None if trajectory.states is None else _lay_out(trajectory.states, batched),
        reached_at=None if reached_at is None else reached_at if batched else reached_at[0],
        settled_at=None if settled_at is None else settled_at if batched else settled_at[0],
        steps_run=steps,
    )


def _run_path(
    spec: Optimizer,
    surf: surfaces.Surface,
    starts: np.ndarray,
    per_row: dict[str, Any],
    *,
    steps: int,
    record: str,
    plan: StepPlan | None,
) -> Trajectory:
    """Every step of every start: (steps + 1, B, 2) points and gradients, (steps + 1, B) losses,
    a tuple of B diverged_at, and with record="state" the states (coordinate-major)."""
    batch = starts.shape[0]
    # The loops step with the plan's step-aware functions where steps vary.
    stepping, stepped = (spec, surf) if plan is None else plan.wrap(spec, surf)
    # Histories are kept coordinate-major, (steps + 1, 2, B), so that x and y of the whole
    # batch are contiguous rows for the surface and the update rules. The Trajectory exposes
    # them as (steps + 1, B, 2) views.
    points = np.empty((steps + 1, 2, batch))
    grads = np.empty((steps + 1, 2, batch))
    points[0] = starts.T
    losses = np.empty((steps + 1, batch))
    states = None
    with np.errstate(all="ignore"):
        _check_finite_start(surf, starts)
        if record == "state":
            states = _record_states(stepping, stepped, points, grads, per_row)
        elif batch <= SCALAR_BATCH and spec.elementwise:
            for i in range(batch):
                _step_one(stepping, stepped, points[:, :, i : i + 1], grads[:, :, i : i + 1], row(per_row, i))
        else:
            for block in _blocks(batch):
                _step_arrays(stepping, stepped, points[:, :, block], grads[:, :, block], columns(per_row, block))
        chunk = max(1, 8192 // min(batch, BLOCK))  # evaluate the losses in cache-sized blocks
        for block in _blocks(batch):
            last = grads[steps, :, block]
            last[0], last[1] = surf.grad_fn(points[steps, 0, block], points[steps, 1, block])
            for i in range(0, steps + 1, chunk):
                part = points[i : i + chunk, :, block]
                losses[i : i + chunk, block] = surf.value_fn(part[:, 0], part[:, 1])
        diverged_at = _freeze_diverged(points, losses, grads, divergence_limits(surf, losses[0]))
        if states is not None:
            states = _finish_states(states, diverged_at)
    return Trajectory(
        optimizer=spec.name,
        hyperparameters={},
        surface=surf,
        points=points.transpose(0, 2, 1),
        losses=losses,
        grads=grads.transpose(0, 2, 1),
        diverged_at=diverged_at,
        states=states,
    )


def _plan(steps: int, *, schedule: object, noise: object, seed: object, batch_size: object) -> StepPlan | None:
    """What varies from step to step, validated; None when nothing does (the plain loops run)."""
    if schedule is not None and not isinstance(schedule, Schedule):
        msg = f"Invalid schedule: {schedule!r} (make one with optviz.schedule(name, ...))"
        raise ValueError(msg)
    if isinstance(noise, (bool, np.bool_)) or not isinstance(noise, (int, float, np.integer, np.floating)):
        msg = f"Invalid noise value: {noise!r} (expected a number >= 0)"
        raise ValueError(msg)
    if not (math.isfinite(float(noise)) and 0.0 <= float(noise) <= 1e6):
        msg = f"Invalid noise value: {noise!r} (expected a number from 0 to 1e6)"
        raise ValueError(msg)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < SEEDS:
        msg = f"Invalid seed value: {seed!r} (expected a whole number from 0 to 4294967295)"
        raise ValueError(msg)
    if batch_size is not None and (
        isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1
    ):
        msg = f"Invalid batch_size value: {batch_size!r} (expected a whole number from 1)"
        raise ValueError(msg)
    if schedule is None and float(noise) == 0.0 and batch_size is None:
        return None
    return StepPlan(steps, schedule, float(noise), int(seed), None if batch_size is None else int(batch_size))


def divergence_limits(surf: surfaces.Surface, start_losses: np.ndarray) -> np.ndarray:
    """The loss above which each trajectory has diverged (see :data:`DIVERGENCE`), from its
    loss at the start: f* + DIVERGENCE * max(f_0 - f*, the plot's highest f - f*)."""
    f_star = surf.f_star
    return f_star + DIVERGENCE * np.maximum(start_losses - f_star, surf.plot_gap)


def arrivals(
    surf: surfaces.Surface,
    points: np.ndarray,
    losses: np.ndarray,
    diverged_at: tuple[int | None, ...],
    tolerance: float,
) -> tuple[tuple[int | None, ...], tuple[int | None, ...]]:
    """For each trajectory, the first step with f - f_i <= tolerance, and the step from which it
    stays so to the last step, where i is the basin minimum its last point is nearest to; None
    where there is none (a diverged trajectory has neither).

    Takes the whole history, (steps + 1, B, 2) points and (steps + 1, B) losses.
    """
    minima = surf.basin_minima
    nearest, _ = surf.nearest_minimum(points[-1], minima)
    values = np.array([m.value for m in minima])[nearest]  # (B,)
    within = losses - values <= tolerance  # (steps + 1, B)
    columns = np.arange(within.shape[1])
    first = np.argmax(within, axis=0)
    hit = within[first, columns]
    last_out = within.shape[0] - 1 - np.argmax(~within[::-1], axis=0)  # the last step outside
    left = ~within[last_out, columns]  # False: never outside
    settled = np.where(left, last_out + 1, 0)
    stays = within[-1]
    reached = tuple(
        int(k) if ok and d is None else None for k, ok, d in zip(first.tolist(), hit.tolist(), diverged_at, strict=True)
    )
    return reached, tuple(
        int(k) if ok and d is None else None
        for k, ok, d in zip(settled.tolist(), stays.tolist(), diverged_at, strict=True)
    )


# ------------------------------------------------------------------------- record="final"
#
# The same update calls as the path's loop, without its history: each block of trajectories
# is stepped through chunks of steps in a small rolling buffer, and each chunk is then
# checked for divergence and for the tolerance, row by row as _freeze_diverged and
# _reached_at read the whole history. Trajectories are independent, so a block stepped alone
# gives the bits that the whole batch gives; a diverged trajectory is stepped on (its values
# go on being NaN or inf) and only its last finite row is kept.


def _run_final(
    spec: Optimizer,
    surf: surfaces.Surface,
    starts: np.ndarray,
    hp: dict[str, Any],
    *,
    steps: int,
    tolerance: float | None,
    plan: StepPlan | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int | None, ...], Arrivals | None, Arrivals | None]:
    """record="final" for a batch on arrays: the path's rows 0 and ``steps`` (frozen where it
    diverged), its diverged_at and, with a tolerance, its reached_at and settled_at; nothing
    else is kept. With a plan (a schedule, noise, minibatches), the steps take its step-aware
    functions, as the path's loop does; the losses and the last gradient are the surface's own."""
    stepping, stepped = (spec, surf) if plan is None else plan.wrap(spec, surf)
    batch = len(starts)
    points = np.empty((2, 2, batch))  # coordinate-major, as the path's history
    grads = np.empty((2, 2, batch))
    losses = np.empty((2, batch))
    diverged = np.zeros(batch, dtype=np.int64)  # 0: never (a run cannot diverge at its start)
    reached = None if tolerance is None else np.full((2, batch), -1, dtype=np.int64)  # first, settled
    levels = None if tolerance is None else _Levels(surf, tolerance)
    for lo in range(0, batch, FINAL_BLOCK):
        block = slice(lo, lo + FINAL_BLOCK)
        _final_block(
            (stepping, stepped),
            surf,
            np.ascontiguousarray(starts[block].T),
            columns(hp, block),
            steps=steps,
            out=(points[:, :, block], losses[:, block], grads[:, :, block], diverged[block]),
            tolerance=None if levels is None else (levels, reached[:, block]),
        )
    diverged_at = dict(zip(np.flatnonzero(diverged).tolist(), diverged[diverged > 0].tolist(), strict=True))
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
    )


Arrivals = tuple[int | None, ...]


def _final_block(
    stepping: tuple[Optimizer, surfaces.Surface],
    surf: surfaces.Surface,
    start: np.ndarray,
    hp: dict[str, Any],
    *,
    steps: int,
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    tolerance: tuple[_Levels, np.ndarray] | None,
) -> None:
    """Step one block, ``start`` of shape (2, w), and fill its part of the results ``out``.

    ``stepping``: the optimizer and surface whose update and gradient make the steps (a plan's
    step-aware ones, or ``surf`` itself); the losses and the last gradient are ``surf``'s. The
    buffer's rows 0 .. n of a chunk are the path's rows done .. done + n. Row 0 carries
    over from the chunk before (its point and loss; its gradient is computed in the chunk), so
    after a chunk rows 0 .. n - 1 are complete and are checked, and row n moves to row 0.
    """
    out_points, out_losses, out_grads, _ = out
    width = start.shape[1]
    chunk = max(1, min(steps, FINAL_ROWS // width))
    # One buffer, each row a step's point, gradient and loss side by side: one sum checks them.
    buffer = np.empty((chunk + 1, 5, width))
    points, grads, losses = buffer[:, 0:2], buffer[:, 2:4], buffer[:, 4]
    points[0] = start
    losses[0] = surf.value_fn(start[0], start[1])
    limits = divergence_limits(surf, losses[0])
    advance = _stepper(*stepping, start, hp, width, losses=losses)
    track, hits = (None, None) if tolerance is None else tolerance[0].tracker(width)
    alive = np.ones(width, dtype=bool)
    last = None  # the row before the chunk: (point, loss, gradient)
    done = 0
    while done < steps:
        n = min(chunk, steps - done)
        if advance(points, grads, n):  # the losses were not computed along the way
            rows = points[1 : n + 1]
            losses[1 : n + 1] = surf.value_fn(rows[:, 0], rows[:, 1])
        if done == 0:
            out_points[0], out_losses[0], out_grads[0] = start, losses[0], grads[0]
        _freeze_chunk(buffer, n, done, limits, last=last, alive=alive, out=out)
        if track is not None:
            track(losses[:n], done)
        last = (points[n - 1].copy(), losses[n - 1].copy(), grads[n - 1].copy())
        points[0], losses[0] = points[n], losses[n]
        done += n
    final = grads[0]
    final[0], final[1] = surf.grad_fn(points[0, 0], points[0, 1])
    _freeze_chunk(buffer, 1, steps, limits, last=last, alive=alive, out=out)
    out_points[1][:, alive], out_losses[1][alive], out_grads[1][:, alive] = (
        points[0][:, alive],
        losses[0][alive],
        grads[0][:, alive],
    )
    if tolerance is not None:
        track(losses[:1], steps)
        levels, reached = tolerance
        reached[:] = levels.arrivals(out_points[1].T, hits, steps)
        reached[:, ~alive] = -1


def _freeze_chunk(
    buffer: np.ndarray,
    n: int,
    done: int,
    limits: np.ndarray,
    *,
    last: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    alive: np.ndarray,
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """:func:`_freeze_diverged` for the buffer's rows 0 .. n - 1, the path's rows done ..:
    a trajectory with a non-finite point, loss or gradient there, or a loss above its limit
    (:func:`divergence_limits`), is frozen at the row before."""
    points, grads, losses = buffer[:, 0:2], buffer[:, 2:4], buffer[:, 4]
    sums = buffer[:n].reshape(5 * n, -1).sum(axis=0)  # finite sums: finite entries
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
        out_points[1][:, row], out_losses[1][row], out_grads[1][:, row] = point, loss, grad
        diverged[row] = done + k
    alive[rows] = False


def _stepper(
    spec: Optimizer, surf: surfaces.Surface, start: np.ndarray, hp: dict[str, Any], width: int, *, losses: np.ndarray
) -> Any:
    """``advance(points, grads, n)``: n steps from ``points[0]``, filling ``grads[:n]`` and
    ``points[1 : n + 1]`` (shape (rows, 2, w)) exactly as :func:`_step_arrays` fills the path.

    With the in-place kernels of the optimizer (:attr:`Optimizer.kernel`) and the surface
    (:attr:`Surface.grad_kernel`, :attr:`Surface.value_kernel`) where they have them, and the
    reference functions where not. It returns True when the caller is to compute
    ``losses[1 : n + 1]``, False when it filled them along the way (with the surface's
    value kernel, while the rows are in the cache).
    """
    params = np.ascontiguousarray(start)
    grad_fn, update = surf.grad_fn, spec.update
    kernel = None if spec.kernel is None else spec.kernel(params, hp)
    grad_into = None if surf.grad_kernel is None else surf.grad_kernel(width)
    value_into = None if surf.value_kernel is None else surf.value_kernel(width)
    if kernel is not None and grad_into is not None and value_into is not None:

        def advance_in_place(points: np.ndarray, grads: np.ndarray, n: int) -> bool:
            for k in range(n):
                checkpoint()
                p, g, q = points[k], grads[k], points[k + 1]
                grad_into(p[0], p[1], g[0], g[1])
                kernel(p, g, q)
                value_into(q[0], q[1], losses[k + 1])
            return False

        return advance_in_place
    if kernel is not None:

        def advance_kernel(points: np.ndarray, grads: np.ndarray, n: int) -> bool:
            for k in range(n):
                checkpoint()
                p, g = points[k], grads[k]
                if grad_into is None:
                    g[0], g[1] = grad_fn(p[0], p[1])
                else:
                    grad_into(p[0], p[1], g[0], g[1])
                kernel(p, g, points[k + 1])
            return True

        return advance_kernel
    state = spec.init(params, hp)

    def advance(points: np.ndarray, grads: np.ndarray, n: int) -> bool:
        nonlocal params, state
        for k in range(n):
            checkpoint()
            g = grads[k]
            if grad_into is None:
                g[0], g[1] = grad_fn(params[0], params[1])
            else:
                grad_into(params[0], params[1], g[0], g[1])
            params, state = update(params, g, state, hp)
            points[k + 1] = params
        return True

    return advance


class _Levels:
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

    def __init__(self, surf: surfaces.Surface, tolerance: float) -> None:
        self.surface, self.minima = surf, surf.basin_minima
        self.values = np.array([m.value for m in self.minima])
        self.distinct = np.unique(self.values)
        self.thresholds = np.array([_threshold(v, tolerance) for v in self.distinct.tolist()])

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


def _threshold(value: float, tolerance: float) -> float:
    """The largest float f with fl(f - value) <= tolerance."""
    f = value + tolerance
    while f - value > tolerance:
        f = math.nextafter(f, -math.inf)
    while math.nextafter(f, math.inf) - value <= tolerance:
        f = math.nextafter(f, math.inf)
    return f


def _check_tolerance(tolerance: object) -> float | None:
    if tolerance is None:
        return None
    if isinstance(tolerance, (bool, np.bool_)) or not isinstance(tolerance, (int, float, np.floating, np.integer)):
        msg = f"Invalid tolerance value: {tolerance!r} (expected a positive number)"
        raise ValueError(msg)
    value = float(tolerance)
    if not (math.isfinite(value) and value > 0):
        msg = f"Invalid tolerance value: {tolerance!r} (expected a positive number)"
        raise ValueError(msg)
    return value


def _step_arrays(spec: Optimizer, surf: surfaces.Surface, points: np.ndarray, grads: np.ndarray, hp: Any) -> None:
    """Fill ``points[1:]`` and ``grads[:-1]``, shape (steps + 1, 2, B), stepping the batch at once."""
    params = np.ascontiguousarray(points[0])
    state = spec.init(params, hp)
    grad_fn, update = surf.grad_fn, spec.update
    for k in range(points.shape[0] - 1):
        checkpoint()
        g = grads[k]
        g[0], g[1] = grad_fn(params[0], params[1])
        params, state = update(params, g, state, hp)
        points[k + 1] = params


def _step_one(spec: Optimizer, surf: surfaces.Surface, points: np.ndarray, grads: np.ndarray, hp: Any) -> None:
    """The same for one trajectory, shape (steps + 1, 2, 1), on Python floats.

    Only for elementwise rules (``spec.elementwise``): x and y are stepped as two independent
    one-coordinate problems. Python float arithmetic is IEEE arithmetic and the rules and
    surfaces compute every power and trigonometric function through
    :mod:`optviz.core.primitives`, so this gives the same bits as :func:`_step_arrays` at a
    fraction of NumPy's per-call cost. Where Python floats raise
    instead of returning inf or NaN (a division by zero, an overflowing power), the
    trajectory is computed again on arrays.
    """
    x, y = float(points[0, 0, 0]), float(points[0, 1, 0])
    state_x, state_y = spec.init(x, hp), spec.init(y, hp)
    grad_fn, update = surf.grad_fn, spec.update
    xs, ys, gxs, gys = [], [], [], []
    try:
        for k in range(points.shape[0] - 1):
            if not k & CHECK_STEPS:
                checkpoint()
            gx, gy = grad_fn(x, y)
            gxs.append(gx)
            gys.append(gy)
            x, state_x = update(x, gx, state_x, hp)
            y, state_y = update(y, gy, state_y, hp)
            xs.append(x)
            ys.append(y)
    except (ArithmeticError, ValueError):
        _step_arrays(spec, surf, points, grads, hp)
        return
    points[1:, 0, 0], points[1:, 1, 0] = xs, ys
    grads[:-1, 0, 0], grads[:-1, 1, 0] = gxs, gys


# The same loops for record="state", kept apart so that the loops above pay nothing for it: the
# update rule is called exactly as there, and the state it returns is kept after every step.


def _record_states(spec: Optimizer, surf: surfaces.Surface, points: np.ndarray, grads: np.ndarray, hp: Any) -> Any:
    """Fill ``points`` and ``grads`` as the plain loops do; return the state after every step.

    The result is the optimizer's state NamedTuple with each field stacked coordinate-major,
    ``(steps + 1, 2, B)``: NaN where the state held None (SGD's buffer before the first step),
    None for a field that is None throughout.
    """
    batch = points.shape[2]
    if batch <= SCALAR_BATCH and spec.elementwise:
        parts = [
            (block, _record_one(spec, surf, points[:, :, block], grads[:, :, block], row(hp, block.start)))
            for block in (slice(i, i + 1) for i in range(batch))
        ]
    else:
        parts = [
            (block, _record_arrays(spec, surf, points[:, :, block], grads[:, :, block], columns(hp, block)))
            for block in _blocks(batch)
        ]
    kind = type(parts[0][1])
    fields = []
    for name in kind._fields:
        pieces = [(block, getattr(stacked, name)) for block, stacked in parts]
        if all(piece is None for _, piece in pieces):
            fields.append(None)
            continue
        field = np.full(points.shape, np.nan)
        for block, piece in pieces:
            if piece is not None:
                field[:, :, block] = piece
        fields.append(field)
    return kind._make(fields)


def _record_arrays(spec: Optimizer, surf: surfaces.Surface, points: np.ndarray, grads: np.ndarray, hp: Any) -> Any:
    """:func:`_step_arrays`, keeping the state that every update returned."""
    params = np.ascontiguousarray(points[0])
    state = spec.init(params, hp)
    states = [state]
    grad_fn, update = surf.grad_fn, spec.update
    for k in range(points.shape[0] - 1):
        checkpoint()
        g = grads[k]
        g[0], g[1] = grad_fn(params[0], params[1])
        params, state = update(params, g, state, hp)
        points[k + 1] = params
        states.append(state)
    kind, width = type(state), points.shape[2]
    fields = []
    for values in zip(*states, strict=True):
        if all(value is None for value in values):
            fields.append(None)
            continue
        field = np.full((len(values), 2, width), np.nan)
        for k, value in enumerate(values):
            if value is not None:
                field[k] = value  # a (2, B) array, a (B,) array or a number: broadcast
        fields.append(field)
    return kind._make(fields)


def _record_one(spec: Optimizer, surf: surfaces.Surface, points: np.ndarray, grads: np.ndarray, hp: Any) -> Any:
    """:func:`_step_one`, keeping the states of x and y that every update returned."""
    x, y = float(points[0, 0, 0]), float(points[0, 1, 0])
    state_x, state_y = spec.init(x, hp), spec.init(y, hp)
    grad_fn, update = surf.grad_fn, spec.update
    xs, ys, gxs, gys, states_x, states_y = [], [], [], [], [state_x], [state_y]
    try:
        for k in range(points.shape[0] - 1):
            if not k & CHECK_STEPS:
                checkpoint()
            gx, gy = grad_fn(x, y)
            gxs.append(gx)
            gys.append(gy)
            x, state_x = update(x, gx, state_x, hp)
            y, state_y = update(y, gy, state_y, hp)
            xs.append(x)
            ys.append(y)
            states_x.append(state_x)
            states_y.append(state_y)
    except (ArithmeticError, ValueError):
        return _record_arrays(spec, surf, points, grads, hp)
    points[1:, 0, 0], points[1:, 1, 0] = xs, ys
    grads[:-1, 0, 0], grads[:-1, 1, 0] = gxs, gys
    fields = []
    for values_x, values_y in zip(zip(*states_x, strict=True), zip(*states_y, strict=True), strict=True):
        if all(value is None for value in values_x + values_y):
            fields.append(None)
            continue
        field = np.empty((len(values_x), 2, 1))
        field[:, 0, 0] = [np.nan if value is None else value for value in values_x]
        field[:, 1, 0] = [np.nan if value is None else value for value in values_y]
        fields.append(field)
    return type(state_x)._make(fields)


def _finish_states(states: Any, diverged_at: tuple[int | None, ...]) -> Any:
    """Freeze each diverged trajectory's states as its points were (coordinate-major fields)."""
    for field in states:
        if field is None:
            continue
        for row, k in enumerate(diverged_at):
            if k is not None:
                field[k:, :, row] = field[k - 1, :, row]
    return states


def _lay_out(states: Any, batched: bool) -> Any:
    """The states laid out like ``points``: (steps + 1, B, 2), or (steps + 1, 2) for one start."""
    fields = []
    for field in states:
        if field is None:
            fields.append(None)
            continue
        laid_out = field.transpose(0, 2, 1)
        fields.append(laid_out if batched else np.ascontiguousarray(laid_out[:, 0]))
    return type(states)._make(fields)


def _blocks(batch: int) -> list[slice]:
    """The batch in runs of BLOCK trajectories: they are independent, so each is stepped alone."""
    return [slice(lo, lo + BLOCK) for lo in range(0, batch, BLOCK)]


def columns(hp: dict[str, Any], block: slice | np.ndarray) -> dict[str, Any]:
    """The hyperparameters of the trajectories in ``block`` (a slice, or an array of indices)."""

    def pick(value: Any) -> Any:
        if isinstance(value, tuple):
            return tuple(pick(v) for v in value)
        return value[block] if isinstance(value, np.ndarray) else value

    return {name: pick(value) for name, value in hp.items()}


def row(hp: dict[str, Any], i: int) -> dict[str, Any]:
    """The hyperparameters of trajectory ``i``: per-trajectory arrays become floats."""

    def pick(value: Any) -> Any:
        if isinstance(value, tuple):
            return tuple(pick(v) for v in value)
        return float(value[i]) if isinstance(value, np.ndarray) else value

    return {name: pick(value) for name, value in hp.items()}


def _check_steps(steps: object) -> int:
    if isinstance(steps, (bool, np.bool_)) or not isinstance(steps, (int, np.integer)):
        msg = f"Invalid steps value: {steps!r} (expected a whole number from 1 to {MAX_STEPS:,})"
        raise ValueError(msg)
    if not 1 <= steps <= MAX_STEPS:
        msg = f"Invalid steps value: {steps} (expected 1 to {MAX_STEPS:,})"
        raise ValueError(msg)
    return int(steps)


def _check_work(steps: int, starts: int, limit: int = MAX_POINTS) -> None:
    if (steps + 1) * starts > limit:
        recorded = " with record='state'" if limit != MAX_POINTS else ""
        msg = f"Too much work: {steps} steps x {starts} starts exceeds {limit:,} points{recorded}"
        raise ValueError(msg)


def _check_record(record: object) -> str:
    if not isinstance(record, str) or record not in RECORDS:
        msg = f"Invalid record value: {record!r} (expected one of: {', '.join(RECORDS)})"
        raise ValueError(msg)
    return record


def _count_starts(start: object) -> int:
    """How many starts ``start`` holds, read from its shape or its length without copying it.

    A pair ``(x, y)`` counts as 2 here (the exact count follows validation); an array of the
    wrong shape is refused here, before it is copied.
    """
    shape = getattr(start, "shape", None)
    if isinstance(shape, tuple):
        if shape == (2,):
            return 1
        if len(shape) == 2 and shape[1] == 2 and shape[0] >= 1:
            return int(shape[0])
        msg = f"Invalid start: expected (x, y) or an array of shape (B, 2), got shape {shape}"
        raise ValueError(msg)
    try:
        return len(start)
    except TypeError:  # not a sequence: _check_start says what is wrong with it
        return 1
    except OverflowError:  # a length beyond sys.maxsize
        return sys.maxsize


def _check_start(start: object) -> tuple[np.ndarray, bool]:
    try:
        array = np.asarray(start, dtype=np.float64)  # read only: points[0] gets a copy
    except (TypeError, ValueError):
        msg = f"Invalid start: {start!r} (expected (x, y) or an array of shape (B, 2))"
        raise ValueError(msg) from None
    if array.shape == (2,):
        array, batched = array[None, :], False
    elif array.ndim == 2 and array.shape[1] == 2 and array.shape[0] >= 1:
        batched = True
    else:
        msg = f"Invalid start: expected (x, y) or an array of shape (B, 2), got shape {array.shape}"
        raise ValueError(msg)
    if not np.isfinite(array).all():
        msg = f"Invalid start: {start!r} (coordinates must be finite)"
        raise ValueError(msg)
    return array, batched


def _check_finite_start(surf: surfaces.Surface, starts: np.ndarray) -> None:
    for block in _blocks(len(starts)):
        part = starts[block]
        if not (np.isfinite(surf.value(part)).all() and np.isfinite(surf.grad(part)).all()):
            msg = "Invalid start: the surface's value or gradient is not finite there"
            raise ValueError(msg)


def _per_row(value: Any, batch: int, name: str) -> Any:
    """Check that a per-trajectory hyperparameter has one value per start."""
    if isinstance(value, tuple):
        return tuple(_per_row(v, batch, name) for v in value)
    if isinstance(value, np.ndarray) and value.shape != (batch,):
        msg = f"Invalid {name} value: an array of {value.shape[0]} values for {batch} starts"
        raise ValueError(msg)
    return value


def _freeze_diverged(
    points: np.ndarray, losses: np.ndarray, grads: np.ndarray, limits: np.ndarray
) -> tuple[int | None, ...]:
    """Freeze every trajectory before the step it diverged at (see :data:`DIVERGENCE`: a point,
    loss or gradient not finite, or a loss above its limit); return that step.

    Takes coordinate-major histories, (steps + 1, 2, B), and each trajectory's loss limit.
    Trajectories evolve independently (no update rule couples two of them), so cutting one off
    after the loop gives exactly what stopping it inside the loop would have given.
    """
    # A cheap pass first: a trajectory whose sums are finite has only finite entries (an
    # overflowing sum only sends it to the exact check below), and one whose highest loss is
    # below its limit never went above it.
    suspects = np.empty(points.shape[2], dtype=bool)
    for block in _blocks(points.shape[2]):
        sums = points[:, :, block].sum(axis=(0, 1)) + grads[:, :, block].sum(axis=(0, 1))
        high = np.fmax.reduce(losses[:, block], axis=0) > limits[block]
        suspects[block] = ~np.isfinite(sums + losses[:, block].sum(axis=0)) | high
    diverged_at: dict[int, int] = {}
    for row in np.flatnonzero(suspects):
        finite = np.isfinite(losses[:, row]) & (losses[:, row] <= limits[row])
        finite &= np.isfinite(points[:, :, row]).all(axis=1)
        finite &= np.isfinite(grads[:, :, row]).all(axis=1)
        if finite.all():
            continue
        k = int(np.argmin(finite))  # >= 1: the start was checked to be finite, and is below its limit
        points[k:, :, row] = points[k - 1, :, row]
        losses[k:, row] = losses[k - 1, row]
        grads[k:, :, row] = grads[k - 1, :, row]
        diverged_at[int(row)] = k
    return tuple(map(diverged_at.get, range(points.shape[2])))  # no list of B entries first
