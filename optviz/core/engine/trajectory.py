"""The record of a run: :class:`Trajectory`, what :func:`optviz.core.engine.run` returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz.core.engine.surface import Surface


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
    # The gradient evaluations each trajectory's steps made (the same for every trajectory of a
    # batch, which step together), counted by the loop apart from the steps: one a step for every
    # rule today, more for a rule that looks ahead. Not counted: the surface's own gradient that
    # ``grads`` holds at the last point (no step used it) and the check of the start.
    grad_evals: int = 0
    # With record="path" or "state", for a rule that keeps a second point beside its iterate
    # (``Optimizer.companion``: ASGD's average of its iterates): that point after every step,
    # shaped like ``points``, row 0 the start. None otherwise.
    companion: np.ndarray | None = None
    # With record="final": the step of each row of ``points`` (0 and the last; with every=, every
    # every-th step between). None for the other records, whose row k is step k.
    kept: tuple[int, ...] | None = None

    @property
    def steps(self) -> int:
        return self.steps_run or self.points.shape[0] - 1

    @property
    def final(self) -> bool:
        """Whether only some steps' rows were kept (``record="final"``: see :attr:`kept`)."""
        return self.kept is not None and len(self.kept) < self.steps_run + 1

    @property
    def batched(self) -> bool:
        return self.points.ndim == 3
