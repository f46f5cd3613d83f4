"""What a rule that evaluates the surface again within a step sees: :class:`Look`.

Most rules take one gradient a step, the one the loop evaluates at the iterate. LBFGS (its
iterations and its line search inside one ``step()``) and SAM (the gradient at a perturbed
point) evaluate more (``Optimizer.looks``). Their ``update`` gets a Look, through which each
further evaluation is made, counted for the trajectory that made it and kept with its point,
in order: ``Trajectory.counts`` (the x axis of gradient evaluations) and ``Trajectory.probes``
(the points the race draws faintly).

Every evaluation within step k is of step k's objective, as a torch closure evaluates one
minibatch: step k's minibatch rows and noise draw. Gaussian gradient noise ξ_k added to every
evaluation of step k is the gradient of f(θ) + ξ_k·θ, so that is the loss a Look gives a rule
that reads it (LBFGS): the loss and the gradient it sees agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optviz.core.engine.surface import Surface, loss_of, takes_points

Columns = slice | np.ndarray | int


class Look:
    """Step k's loss and gradient at points of a block's trajectories, each evaluation counted.

    :meth:`begin` starts a step (the loop's gradient function for it, the block's width);
    ``counts`` then holds each trajectory's evaluations in the step (1: the loop's, at the
    iterate) and ``seen`` each further evaluation's trajectories, points and gradients, in order."""

    def __init__(self, surf: Surface) -> None:
        self.surf, self.whole = surf, takes_points(surf)
        self.gradient: Any = None
        self.noise: np.ndarray | None = None
        self.counts = np.ones(0, dtype=np.int64)
        self.seen: list[tuple[Columns, np.ndarray, np.ndarray]] = []

    def begin(self, gradient: Any, width: int) -> None:
        """A new step, whose gradient is ``gradient`` (step k's: a function of the coordinates,
        or of whole points on a surface that takes them), for ``width`` trajectories."""
        self.gradient = gradient
        self.noise = getattr(gradient, "noise", None)  # step k's draw, scaled: (d,) or (d, B)
        self.counts = np.ones(width, dtype=np.int64)
        self.seen = []

    def loss(self, points: np.ndarray, columns: Columns = slice(None)) -> np.ndarray:
        """Step k's loss at ``points`` (d, n) of the trajectories ``columns``, (n,): not counted, for
        the points the step has evaluated already (the iterate, whose gradient the loop took)."""
        values = loss_of(self.surf, points)
        noise = self._noise(columns)
        if noise is not None:
            for i in range(len(points)):  # f + ξ·θ, coordinate by coordinate
                values = values + noise[i] * points[i]
        return values

    def __call__(self, points: np.ndarray, columns: Columns = slice(None)) -> np.ndarray:
        """Step k's gradient at ``points`` (d, n) of the trajectories ``columns`` (all of the
        block by default), (d, n): counted once for each of them, and kept."""
        self.counts[columns] += 1
        grads = self._gradient(points, columns)
        self.seen.append((columns, points.copy(), np.array(grads, dtype=np.float64)))
        return grads

    def _gradient(self, points: np.ndarray, columns: Columns) -> np.ndarray:
        if isinstance(columns, slice) and columns == slice(None):  # the whole block: the step's own function
            if self.whole:
                return np.asarray(self.gradient(points))
            return np.array(self.gradient(*points))
        # Some of the block (LBFGS, a trajectory at a time, never with minibatches): the surface's
        # gradient and these trajectories' noise, as the step's function adds them.
        grads = np.asarray(self.surf.grad_at(points)) if self.whole else np.array(self.surf.grad_fn(*points))
        noise = self._noise(columns)
        if noise is not None:
            grads = grads + (noise if noise.ndim == 2 else noise[:, None])
        return grads

    def value_and_gradient(self, points: np.ndarray, columns: Columns = slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """Step k's loss and gradient at ``points``: one evaluation (a torch closure's)."""
        return self.loss(points, columns), self(points, columns)

    def _noise(self, columns: Columns) -> np.ndarray | None:
        """Step k's draw for the trajectories ``columns``: (d,) when shared, (d, n) when each has its own."""
        if self.noise is None or self.noise.ndim == 1:
            return self.noise
        return self.noise[:, columns]
