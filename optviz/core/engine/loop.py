"""The one stepping loop, :func:`advance`, and the backends it steps: Python floats, arrays, and
the in-place kernels of record="final".

The loop knows the step number k and hands it to the step plan; a backend knows how a point
is held (d Python floats for one trajectory, a (d, w) array for w trajectories) and writes
each step's gradient and point into the rows its recorder gave it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from optviz.core.budget import checkpoint
from optviz.core.engine.look import Look
from optviz.core.engine.plan import Gradient, Steps
from optviz.core.engine.surface import Surface, takes_points
from optviz.core.optimizers import Optimizer

SCALAR_BATCH = 4  # batches up to this size step each trajectory on Python floats
BLOCK = 65_536  # trajectories stepped together on arrays: bounds the per-step temporaries
# The loop on Python floats calls optviz.core.budget.checkpoint (which stops work over its budget, or
# whose visitor left) once every CHECK_STEPS + 1 steps; the loops on arrays once a step (it looks
# at the clock at most every 50 ms).
CHECK_STEPS = 255


class Backend(Protocol):
    """How the loop's points are held and stepped (see :func:`advance`)."""

    check_every: int  # a mask: the loop calls checkpoint() at the steps k with k & check_every == 0
    gradient: Gradient | None  # the gradient without a plan (None: the backend's own, in place where it can)

    # The gradient evaluations it made: one number, or one per trajectory (a rule that looks again).
    def step(self, row: int, gradient: Gradient | None, hp: Any) -> int | np.ndarray: ...

    def snapshot(self) -> Any: ...  # the optimizer's state (asked only by record="state")


def advance(
    backend: Backend,
    count: int,
    hp: Any,
    *,
    first: int = 0,
    plan: Steps | None = None,
    keep: Any = None,
    tally: list[Any] | None = None,
) -> int | np.ndarray:
    """Steps ``first`` to ``first + count - 1`` of ``backend``; return the gradient evaluations made
    (per trajectory, (w,), for a rule that looks again: they may differ).

    Step k mirrors one iteration of a torch training loop: the gradient is evaluated once, at
    the current point (``loss.backward()``, with step k's minibatch and noise), then the update
    rule makes one ``optimizer.step()`` with step k's settings (after k ``scheduler.step()``
    calls). The loop tells the plan which step it is on; it never infers k from a count of
    calls. ``row`` k - first of the backend's buffers takes step k's gradient, row k - first + 1
    the point after it. ``keep``, when given, receives the optimizer's state after every step
    (record="state"). Each step reports the gradient evaluations it made (one; a rule that looks
    again, as SAM or a line search does, each trajectory's own) and the loop adds them up:
    ``Trajectory.grad_evals``; ``tally``, when given, receives each step's.
    """
    step, every, gradient, settings = backend.step, backend.check_every, backend.gradient, hp
    evaluations: int | np.ndarray = 0
    for k in range(first, first + count):
        if not k & every:
            checkpoint()
        if plan is not None:
            gradient, settings = plan.gradient(k), plan.settings(k, hp)
        made = step(k - first, gradient, settings)
        evaluations += made
        if tally is not None:  # each step's evaluations (a rule that looks again: per trajectory)
            tally.append(made)
        if keep is not None:
            keep(backend.snapshot())
    return evaluations


class Floats:
    """One trajectory on Python floats, for elementwise rules (``Optimizer.elementwise``): each of
    its d coordinates is stepped as a one-coordinate problem with its own state.

    Python float arithmetic is IEEE arithmetic and the rules and surfaces compute every power
    and trigonometric function through :mod:`optviz.core.primitives`, so this gives the same
    bits as :class:`Arrays` at a fraction of NumPy's per-call cost. Where Python floats raise
    instead of returning inf or NaN (a division by zero, an overflowing power), :meth:`step`
    raises ArithmeticError or ValueError and the caller steps the trajectory again on arrays.
    """

    check_every = CHECK_STEPS

    def __init__(self, spec: Optimizer, surf: Surface, start: np.ndarray, hp: Any) -> None:
        self.gradient = surf.grad_fn
        self.point = point = [float(c) for c in start]
        self.state = state = [spec.init(c, hp) for c in point]
        self.points: list[float] = []  # the point after each step, its coordinates one after the other
        self.grads: list[Any] = []  # the gradient each step used, the same way
        # The rule's second point after each step (Optimizer.companion), the same way; None without one.
        self.companions: list[float] | None = None if spec.companion is None else []
        update, axes, keep_point, keep_grad = spec.update, range(len(point)), self.points.extend, self.grads.extend
        keep_companion = None if self.companions is None else self.companions.extend
        at = None if spec.companion is None else type(state[0])._fields.index(spec.companion.field)

        def step(row: int, gradient: Gradient, hp: Any) -> int:  # a closure: its names are fast to reach
            g = gradient(*point)
            keep_grad(g)
            for i in axes:
                point[i], state[i] = update(point[i], g[i], state[i], hp)
            keep_point(point)
            if keep_companion is not None:
                keep_companion([coordinate[at] for coordinate in state])
            return 1

        self.step = step

    def snapshot(self) -> tuple[Any, ...]:
        """The state of each coordinate."""
        return tuple(self.state)

    def write(self, points: np.ndarray, grads: np.ndarray, companion: np.ndarray | None = None) -> None:
        """The steps made into ``points[1:]``, ``grads[:-1]`` and ``companion[1:]`` (given when
        the rule keeps a second point), shape (steps + 1, d, 1)."""
        dim = len(self.point)
        points[1:, :, 0] = np.array(self.points).reshape(-1, dim)
        grads[:-1, :, 0] = np.array(self.grads).reshape(-1, dim)
        if companion is not None:
            companion[1:, :, 0] = np.array(self.companions).reshape(-1, dim)


class Arrays:
    """w trajectories at once, their points a (d, w) array, stepped by the rule's reference
    ``update``. ``points`` and ``grads``, shape (rows, d, w), are the recorder's rows: a step's
    gradient goes to row ``row``, its point to row ``row + 1``, and the rule's second point
    (``Optimizer.companion``) to that row of ``companion`` when given. With ``in_place``, the
    surface's gradient is taken from its in-place kernel where it has one (record="final")."""

    check_every = 0
    gradient = None

    def __init__(
        self,
        spec: Optimizer,
        surf: Surface,
        start: np.ndarray,
        hp: Any,
        *,
        points: np.ndarray,
        grads: np.ndarray,
        companion: np.ndarray | None = None,
        in_place: bool = False,
        probes: list[tuple[int, Any, np.ndarray, np.ndarray]] | None = None,
    ) -> None:
        self.params = np.ascontiguousarray(start)
        self.state = spec.init(self.params, hp)
        self.update, self.grad_fn = spec.update, surf.grad_fn
        self.grad_at = surf.grad_at if takes_points(surf) else None  # whole points (a network)
        kernel = surf.grad_kernel if in_place else None
        self.grad_into = None if kernel is None else kernel(self.params.shape[1])
        self.points, self.grads = points, grads
        self.companion, self.field = companion, None if spec.companion is None else spec.companion.field
        self.split, self.axes = rows_of(len(self.params)), range(len(self.params))
        # A rule that evaluates again within a step (Optimizer.looks) gets a Look, and each step
        # reports its trajectories' evaluations; ``probes``, when given, receives the further
        # evaluations' (row, columns, points), in order.
        self.look = Look(surf) if spec.looks else None
        self.probes = probes

    def step(self, row: int, gradient: Gradient | None, hp: Any) -> int | np.ndarray:
        params, g, split = self.params, self.grads[row], self.split
        if self.grad_at is not None:
            g[...] = (gradient or self.grad_at)(params)
        elif gradient is None and self.grad_into is not None:
            self.grad_into(*split(params), *split(g))
        else:
            values = (gradient or self.grad_fn)(*split(params))
            for i in self.axes:
                g[i] = values[i]
        look = self.look
        if look is None:
            self.params, self.state = self.update(params, g, self.state, hp)
        else:
            look.begin(gradient or (self.grad_at if self.grad_at is not None else self.grad_fn), params.shape[1])
            self.params, self.state = self.update(params, g, self.state, hp, look)
            if self.probes is not None:
                self.probes.extend((row, *evaluation) for evaluation in look.seen)
        self.points[row + 1] = self.params
        if self.companion is not None:
            self.companion[row + 1] = getattr(self.state, self.field)
        return 1 if look is None else look.counts

    def snapshot(self) -> Any:
        return self.state


class InPlace:
    """record="final"'s fast path: w trajectories stepped in the recorder's rows by the rule's
    in-place kernel (``Optimizer.kernel``, built for the run's settings: never with a plan) and
    the surface's in-place gradient and value where it has them. The same operations in the
    same order as ``update``, so the same bits (tests/core/test_kernels.py). ``fills_losses``: the
    value kernel wrote each point's loss into ``losses`` while the rows were in the cache."""

    check_every = 0
    gradient = None

    def __init__(self, kernel: Any, surf: Surface, points: np.ndarray, grads: np.ndarray, losses: np.ndarray) -> None:
        _, dim, width = points.shape
        self.kernel, self.grad_fn = kernel, surf.grad_fn
        self.grad_at = surf.grad_at if takes_points(surf) else None  # whole points (a network)
        self.grad_into = None if surf.grad_kernel is None else surf.grad_kernel(width)
        value_kernel = surf.value_kernel if self.grad_into is not None else None
        self.value_into = None if value_kernel is None else value_kernel(width)
        self.fills_losses = self.value_into is not None
        self.points, self.grads, self.losses = points, grads, losses
        self.split, self.axes = rows_of(dim), range(dim)

    def step(self, row: int, gradient: Gradient | None, hp: Any) -> int:
        p, g, q, split = self.points[row], self.grads[row], self.points[row + 1], self.split
        if self.grad_at is not None:
            g[...] = self.grad_at(p)
        elif self.grad_into is None:
            values = self.grad_fn(*split(p))
            for i in self.axes:
                g[i] = values[i]
        else:
            self.grad_into(*split(p), *split(g))
        self.kernel(p, g, q)
        if self.value_into is not None:
            self.value_into(*split(q), self.losses[row + 1])
        return 1


def rows_of(dim: int) -> Callable[[np.ndarray], tuple[np.ndarray, ...]]:
    """A function that gives the ``dim`` rows of an array as a tuple of views, for a surface's
    functions, which take a point coordinate by coordinate (faster than unpacking the array
    itself: NumPy's iterator is slow)."""
    if dim == 1:
        return lambda array: (array[0],)
    return operator.itemgetter(*range(dim))


def fill(rows: np.ndarray, values: Any) -> None:
    """Write a gradient's d values (arrays of w values, or numbers; or a whole (d, w) array)
    into ``rows``, (d, w)."""
    if isinstance(values, np.ndarray) and values.shape == rows.shape:
        rows[...] = values
        return
    for row_, value in zip(rows, values, strict=True):
        row_[...] = value


def blocks(batch: int) -> list[slice]:
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
