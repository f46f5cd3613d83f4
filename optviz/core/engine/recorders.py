"""What a run keeps of every step: :class:`Path` (record="path": every point, gradient and loss)
and :class:`States` (record="state": the path and the optimizer's state after every step).

A recorder holds coordinate-major histories, (steps + 1, d, B), so that the coordinates of the
whole batch are contiguous rows for the surface and the update rules (the Trajectory shows them
as (steps + 1, B, d) views), and steps its starts through the one loop
(:func:`optviz.core.engine.loop.advance`): small batches of elementwise rules one trajectory
at a time on Python floats, the others in blocks on arrays. record="final" keeps no history:
:mod:`optviz.core.engine.final`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optviz.core.engine import loop
from optviz.core.engine.divergence import divergence_limits, freeze_diverged
from optviz.core.engine.loop import Arrays, Floats, advance, blocks, columns, fill, row
from optviz.core.engine.plan import Steps
from optviz.core.engine.surface import Surface, gradient_of, loss_of, takes_points
from optviz.core.engine.trajectory import Probes
from optviz.core.optimizers import Optimizer


class Path:
    """record="path": the points, gradients and losses of every step of every start."""

    def __init__(self, starts: np.ndarray, steps: int) -> None:
        batch, dim = starts.shape
        self.steps = steps
        self.points = np.empty((steps + 1, dim, batch))
        self.grads = np.empty((steps + 1, dim, batch))
        self.points[0] = starts.T
        self.losses = np.empty((steps + 1, batch))
        # The rule's second point after every step (Optimizer.companion: ASGD's average), laid
        # out like the points, row 0 the start; None for a rule that keeps none.
        self.companion: np.ndarray | None = None
        self.grad_evals: int | np.ndarray = 0
        self.diverged_at: tuple[int | None, ...] = ()
        # For a rule that evaluates again within a step (Optimizer.looks): each step's gradient
        # evaluations per trajectory, (steps, B), and its further evaluations' points, one
        # Probes per trajectory; None for the others (one evaluation a step).
        self.counts: np.ndarray | None = None
        self.probes: tuple[Probes, ...] | None = None

    def record(self, spec: Optimizer, surf: Surface, hp: dict[str, Any], plan: Steps | None) -> None:
        """Step every start, fill the histories and freeze the diverged trajectories.

        ``hp``: the hyperparameters, a per-trajectory one an array of B values; ``plan``: the
        step plan bound to this run, or None. ``surf``'s own gradient and value make the last
        row's gradient (no step used it) and the losses."""
        batch = self.points.shape[2]
        if spec.companion is not None:
            self.companion = np.empty_like(self.points)
            self.companion[0] = self.points[0]
        seen: list[tuple[int, Any, np.ndarray, np.ndarray]] | None = [] if spec.looks else None
        per_trajectory = plan is not None and plan.per_trajectory
        if batch <= loop.SCALAR_BATCH and spec.elementwise and not takes_points(surf) and not per_trajectory:
            for i in range(batch):
                self._step(spec, surf, slice(i, i + 1), row(hp, i), plan, floats=True)
        else:
            for block in blocks(batch):
                found = None if seen is None else []
                self._step(
                    spec, surf, block, columns(hp, block), plan and plan.columns(block), floats=False, seen=found
                )
                if found is not None:  # the block's columns, as the batch's
                    seen.extend((step, np.arange(batch)[block][which], *made) for step, which, *made in found)
        points, grads, losses, steps = self.points, self.grads, self.losses, self.steps
        chunk = max(1, 8192 // min(batch, loop.BLOCK))  # the losses in cache-sized blocks
        for block in blocks(batch):
            fill(grads[steps, :, block], gradient_of(surf, np.ascontiguousarray(points[steps, :, block])))
            for i in range(0, steps + 1, chunk):
                losses[i : i + chunk, block] = loss_of(surf, points[i : i + chunk, :, block])
        self.diverged_at = freeze_diverged(points, losses, grads, divergence_limits(surf, losses[0]))
        if seen is not None:
            self.counts, self.probes = probes_of(seen, steps, batch, points.shape[1], self.diverged_at)
            self.grad_evals = self.counts.sum(axis=0)
        if self.companion is not None:  # frozen where the iterate is
            for column, k in enumerate(self.diverged_at):
                if k is not None:
                    self.companion[k:, :, column] = self.companion[k - 1, :, column]

    def _step(
        self,
        spec: Optimizer,
        surf: Surface,
        block: slice,
        hp: dict[str, Any],
        plan: Steps | None,
        *,
        floats: bool,
        seen: list[tuple[int, Any, np.ndarray]] | None = None,
    ) -> None:
        """The starts in ``block`` through every step: on Python floats (one start) where asked,
        and on arrays where not, or where Python floats raised instead of giving inf or NaN."""
        points, grads = self.points[:, :, block], self.grads[:, :, block]
        companion = None if self.companion is None else self.companion[:, :, block]
        first = hp if plan is None else plan.settings(0, hp)  # what the state starts from: step 0's
        if floats:
            backend = Floats(spec, surf, points[0, :, 0], first)
            kept = self._begin(backend)
            try:
                self.grad_evals = advance(
                    backend, self.steps, hp, plan=plan, keep=None if kept is None else kept.append
                )
            except (ArithmeticError, ValueError):
                pass
            else:
                backend.write(points, grads, companion)
                self._end(block, kept, per_coordinate=True)
                return
        backend = Arrays(spec, surf, points[0], first, points=points, grads=grads, companion=companion, probes=seen)
        kept = self._begin(backend)
        self.grad_evals = advance(backend, self.steps, hp, plan=plan, keep=None if kept is None else kept.append)
        self._end(block, kept, per_coordinate=False)

    def _begin(self, backend: Floats | Arrays) -> list[Any] | None:
        """The list the loop appends each step's state to: none here (see :class:`States`)."""
        return None

    def _end(self, block: slice, kept: list[Any] | None, *, per_coordinate: bool) -> None:
        """Take the states ``kept`` of the starts in ``block``: nothing here (see :class:`States`)."""


class States(Path):
    """record="state": the path, and the optimizer's state after every step (row 0: the initial
    state), taken from the state records the update rule returned."""

    def __init__(self, starts: np.ndarray, steps: int) -> None:
        super().__init__(starts, steps)
        self.parts: list[tuple[slice, Any]] = []
        self.states: Any = None

    def record(self, spec: Optimizer, surf: Surface, hp: dict[str, Any], plan: Steps | None) -> None:
        """The path's :meth:`Path.record`; then the states stacked like the points, frozen where
        the points were: each field (steps + 1, d, B), NaN where the state held None (SGD's
        buffer before the first step), None for a field that is None throughout."""
        super().record(spec, surf, hp, plan)
        kind = type(self.parts[0][1])
        fields = []
        for name in kind._fields:
            pieces = [(block, getattr(stacked, name)) for block, stacked in self.parts]
            if all(piece is None for _, piece in pieces):
                fields.append(None)
                continue
            field = np.full(self.points.shape, np.nan)
            for block, piece in pieces:
                if piece is not None:
                    field[:, :, block] = piece
            for column, k in enumerate(self.diverged_at):
                if k is not None:
                    field[k:, :, column] = field[k - 1, :, column]
            fields.append(field)
        self.states = kind._make(fields)

    def _begin(self, backend: Floats | Arrays) -> list[Any] | None:
        return [backend.snapshot()]  # the initial state, then the loop's

    def _end(self, block: slice, kept: list[Any] | None, *, per_coordinate: bool) -> None:
        stack = _stack_coordinates if per_coordinate else _stack_arrays
        _, dim, width = self.points[:, :, block].shape
        self.parts.append((block, stack(kept, dim, width)))


def _stack_arrays(snapshots: list[Any], dim: int, width: int) -> Any:
    """The states of a block stepped on arrays, each field stacked (steps + 1, d, w)."""
    kind = type(snapshots[0])
    unrecorded = getattr(kind, "unrecorded", ())  # fields of objects, not numbers (LBFGS's memory)
    fields = []
    for name, values in zip(kind._fields, zip(*snapshots, strict=True), strict=True):
        if name in unrecorded or all(value is None for value in values):
            fields.append(None)
            continue
        field = np.full((len(values), dim, width), np.nan)
        for k, value in enumerate(values):
            if value is not None:
                field[k] = value  # a (d, w) array, a (w,) array or a number: broadcast
        fields.append(field)
    return kind._make(fields)


def _stack_coordinates(snapshots: list[tuple[Any, ...]], dim: int, width: int) -> Any:
    """The states of one trajectory stepped on Python floats (a state per coordinate), each
    field stacked (steps + 1, d, 1)."""
    kind = type(snapshots[0][0])
    fields = []
    for index in range(len(kind._fields)):
        values = [[state[i][index] for state in snapshots] for i in range(dim)]
        if all(value is None for coordinate in values for value in coordinate):
            fields.append(None)
            continue
        field = np.empty((len(snapshots), dim, 1))
        for i, coordinate in enumerate(values):
            field[:, i, 0] = [np.nan if value is None else value for value in coordinate]
        fields.append(field)
    return kind._make(fields)


def probes_of(
    seen: list[tuple[int, Any, np.ndarray, np.ndarray]],
    steps: int,
    batch: int,
    dim: int,
    diverged_at: tuple[int | None, ...],
) -> tuple[np.ndarray, tuple[Probes, ...]]:
    """Each step's gradient evaluations per trajectory, (steps, B) (the loop's one and the further
    ones ``seen``: (row, the trajectories, their points and gradients (d, n)), in order; none after the step a
    trajectory diverged at, where it is frozen), and each trajectory's further evaluations as
    :class:`Probes`, up to the step before it diverged (a diverged run's later points are not
    drawn)."""
    counts = np.ones((steps, batch), dtype=np.int64)
    found: list[list[tuple[int, np.ndarray, np.ndarray]]] = [[] for _ in range(batch)]
    for step_row, which, at, gradients in seen:
        for j, column in enumerate(np.atleast_1d(which)):
            counts[step_row, column] += 1
            found[column].append((step_row + 1, at[:, j], gradients[:, j]))
    for column, end in enumerate(diverged_at):  # frozen from the step it diverged at: no more made
        if end is not None:
            counts[end:, column] = 0
    probes = []
    for column, made in enumerate(found):
        end = diverged_at[column]
        kept = [found for found in made if end is None or found[0] < end]
        probes.append(
            Probes(
                np.array([point for _, point, _ in kept]).reshape(len(kept), dim),
                np.array([step for step, _, _ in kept], dtype=np.int64),
                np.array([gradient for _, _, gradient in kept]).reshape(len(kept), dim),
            )
        )
    return counts, tuple(probes)
