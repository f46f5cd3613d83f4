"""The record of a run: :class:`Trajectory`, what :func:`optviz.core.engine.run` returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from optviz.core.engine.surface import Surface


class Probes(NamedTuple):
    """The points one trajectory's steps evaluated besides its iterates (LBFGS's iterations and line
    search inside a step, SAM's perturbed points), in order: ``points`` (E, d), ``steps`` (E,),
    the step that evaluated each (1 for the first step, which moves from row 0 to row 1), and
    ``gradients`` (E, d), the gradient each gave (step k's, with its noise and batch)."""

    points: np.ndarray
    steps: np.ndarray
    gradients: np.ndarray


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The path of one run, or of a batch of runs stepped together, over points of d coordinates.

    For a single start, ``points`` and ``grads`` have shape ``(steps + 1, d)``, ``losses``
    ``(steps + 1,)`` and ``diverged_at`` is None or an int. For a batch of B starts they have
    shapes ``(steps + 1, B, d)`` and ``(steps + 1, B)``, and ``diverged_at`` is a tuple of B
    entries. Row k is the state after k steps; ``grads[k]`` is the gradient at ``points[k]``.
    A run that diverged at step k (see :data:`optviz.core.engine.divergence.DIVERGENCE`) is
    frozen from there on at ``points[k - 1]``.
    """

    optimizer: str
    hyperparameters: Mapping[str, Any]
    surface: Surface
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
    # The gradient evaluations each trajectory's steps made, counted by the loop apart from the
    # steps: one a step, or as many as the rule made for a rule that evaluates again within a
    # step (Optimizer.looks: SAM two, LBFGS as its iterations and line search need), shaped like
    # diverged_at (a rule that looks may make a different number for each trajectory of a batch).
    # Not counted: the surface's own gradient that ``grads`` holds at the last point (no step used
    # it) and the check of the start.
    grad_evals: int | tuple[int, ...] = 0
    # With record="path" or "state", for a rule that keeps a second point beside its iterate
    # (``Optimizer.companion``: ASGD's average of its iterates): that point after every step,
    # shaped like ``points``, row 0 the start. None otherwise.
    companion: np.ndarray | None = None
    # With record="final": the step of each row of ``points`` (0 and the last; with every=, every
    # every-th step between). None for the other records, whose row k is step k.
    kept: tuple[int, ...] | None = None
    # For a rule that evaluates again within a step (Optimizer.looks): the gradient evaluations of
    # each step, (steps,) or (steps, B) (row k - 1 for step k), whatever the record; and, with
    # record="path" or "state", the further evaluations' points, a Probes (a tuple of B for a
    # batch). None otherwise: one evaluation a step, no further points.
    counts: np.ndarray | None = None
    probes: Probes | tuple[Probes, ...] | None = None

    @property
    def steps(self) -> int:
        return self.steps_run or self.points.shape[0] - 1

    @property
    def spec(self) -> Any:
        """The optimizer record that ran (a rule around another: the one for its base, SAM's)."""
        from optviz.core.optimizers import OPTIMIZERS  # noqa: PLC0415  (the registry, filled on import)

        return OPTIMIZERS[self.optimizer].for_values(self.hyperparameters)

    @property
    def evaluations(self) -> np.ndarray:
        """The gradient evaluations made by the end of each step, (steps + 1,) or (steps + 1, B)
        like ``losses`` (row 0: none yet): a fair x axis for rules that evaluate more than once a
        step. With record="final", of the kept rows (``kept``)."""
        rows = np.arange(self.steps + 1) if self.kept is None else np.asarray(self.kept)
        if self.counts is None:  # as many each step (or, with record="final", on average)
            totals = np.asarray(self.grad_evals, dtype=np.float64)
            if self.batched:
                totals = np.broadcast_to(totals, self.points.shape[1:2])
            return np.rint(np.multiply.outer(rows, totals / max(self.steps, 1))).astype(np.int64)
        made = np.concatenate([np.zeros((1, *self.counts.shape[1:]), dtype=np.int64), np.cumsum(self.counts, axis=0)])
        return made[rows]

    def evaluations_by(self, steps: Any) -> Any:
        """The gradient evaluations made by the end of step ``steps`` (one step for one start, one
        per trajectory of a batch; None stays None): what "steps to the tolerance" is in
        evaluations, the fair count for a rule that evaluates more than once a step."""
        if self.counts is None:
            per_step = np.asarray(self.grad_evals, dtype=np.float64) / max(self.steps, 1)
            made = [None if k is None else round(k * float(n)) for k, n in zip(*_each(steps, per_step), strict=True)]
        else:
            done = np.concatenate(
                [np.zeros((1, *self.counts.shape[1:]), dtype=np.int64), np.cumsum(self.counts, axis=0)]
            )
            columns = done.reshape(done.shape[0], -1)
            made = [None if k is None else int(columns[k, j]) for j, k in enumerate(_each(steps, 0.0)[0])]
        return made if self.batched else made[0]

    @property
    def final(self) -> bool:
        """Whether only some steps' rows were kept (``record="final"``: see :attr:`kept`)."""
        return self.kept is not None and len(self.kept) < self.steps_run + 1

    @property
    def batched(self) -> bool:
        return self.points.ndim == 3


def _each(steps: Any, per_step: Any) -> tuple[list[Any], list[float]]:
    """``steps`` as a list (one entry per trajectory) and ``per_step`` broadcast beside it."""
    listed = list(steps) if isinstance(steps, (tuple, list)) else [steps]
    rates = np.broadcast_to(np.asarray(per_step, dtype=np.float64), (len(listed),))
    return listed, rates.tolist()
