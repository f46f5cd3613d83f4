"""One call of the engine, :func:`run`: its arguments checked, its path chosen (a recorder and the
one loop, or the record="final" blocks), its Trajectory laid out."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from optviz.core import budget
from optviz.core.engine import loop, recorders
from optviz.core.engine.checks import (
    check_every,
    check_finite_start,
    check_record,
    check_start,
    check_steps,
    check_tolerance,
    count_starts,
    dimension,
    per_row,
    step_plan,
)
from optviz.core.engine.divergence import arrivals
from optviz.core.engine.final import kept_steps, run_final
from optviz.core.engine.surface import Surface, takes_points
from optviz.core.engine.trajectory import Trajectory
from optviz.core.optimizers import Optimizer
from optviz.core.optimizers import get as get_optimizer
from optviz.core.schedules import Schedule


def run(
    optimizer: str | Optimizer,
    surface: Surface,
    start: Any = None,
    steps: int = 100,
    *,
    record: str = "path",
    tolerance: float | None = None,
    schedule: Schedule | None = None,
    noise: float = 0.0,
    seed: int = 0,
    batch_size: int | None = None,
    every: int | None = None,
    **hyperparameters: Any,
) -> Trajectory:
    """Run ``optimizer`` on ``surface`` from ``start`` for ``steps`` steps.

    Parameters
    ----------
    optimizer
        A name from :data:`optviz.OPTIMIZERS` ("sgd", "adam", ...) or an Optimizer record.
    surface
        A surface object (:class:`~optviz.core.engine.surface.Surface`) whose points have d
        coordinates (its ``dim``); :func:`optviz.run` also takes a registered surface's name.
    start
        A point of d coordinates (``(x, y)`` on a 2-D surface), or an array of shape ``(B, d)``
        for a batch; the surface's default start when omitted.
    steps
        Number of optimizer steps, from 1 to 100,000.
    record
        "path" (the default): the points, gradients and losses. "state": also the optimizer's
        state after every step (``Trajectory.states``), taken from the state records the
        update rule returned; for the step inspector. Only these calls pay for it. "final":
        only the start and the last step (``points`` of shape ``(2, B, d)``, row 1 after the
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
        k's draw depends only on ``seed`` and k, so every trajectory sees the same draws. A
        sequence of B seeds gives each trajectory of a batch its own (its noise and, on a
        surface that takes whole points, its minibatches): trajectory i as a single run with
        seed ``seed[i]``.
    batch_size
        On a data surface (``surface.data_rows``), each step's gradient is the mean over a
        minibatch of that many rows, drawn without replacement epoch by epoch from ``seed``
        (a surface with its own ``batches(seed, batch_size, steps)``, a network, draws them).
        ``grads`` then holds the gradients the optimizer saw (noise and minibatch included);
        its last row, which no step used, is the surface's own gradient at the last point.
    every
        With record="final": keep also every ``every``-th step's row (steps 0, every,
        2 every, ..., and the last: ``Trajectory.kept``), the same bits as those rows of the path.
        A network's epochs: ``every=net.steps_per_epoch(batch_size)``.
    **hyperparameters
        torch.optim's keyword arguments; missing ones take torch's defaults. A numeric one
        may be an array of shape ``(B,)`` to give each trajectory of a batch its own value.

    Returns
    -------
    Trajectory
        Its ``grad_evals``: the gradient evaluations each trajectory's steps made (one a step, or
        as many as a rule that evaluates again within a step made: ``counts``, ``probes``).

    Raises
    ------
    KeyError
        Unknown optimizer name.
    TypeError
        A hyperparameter the optimizer does not have.
    ValueError
        An invalid hyperparameter, start or step count, or more work than the budget's cap
        (:func:`optviz.core.budget.check_work`).

    Examples: see :func:`optviz.run`, which takes a surface by name.
    """
    # A rule around another (SAM): the record for its base.
    spec = (optimizer if isinstance(optimizer, Optimizer) else get_optimizer(optimizer)).for_values(hyperparameters)
    steps = check_steps(steps)
    record = check_record(record)
    tolerance = check_tolerance(tolerance)
    every = check_every(every, record)
    start = surface.default_start if start is None else start
    dim = dimension(surface, start)
    second = spec.companion is not None
    budget.check_work(steps, count_starts(start, dim), record=record, dim=dim, second=second)  # before the copy
    starts, batched = check_start(start, dim)
    budget.check_work(steps, starts.shape[0], record=record, dim=dim, second=second)
    hp = spec.resolve(hyperparameters)
    if spec.elementwise and not spec.elementwise_for(hp):  # an option couples the coordinates (cautious)
        spec = dataclasses.replace(spec, elementwise=False)
    hp_rows = {name: per_row(value, starts.shape[0], name) for name, value in hp.items()}
    plan = step_plan(steps, schedule=schedule, noise=noise, seed=seed, batch_size=batch_size, batch=starts.shape[0])
    if plan is not None:
        plan.check(spec, hp, surface)
    bound = None if plan is None else plan.on(spec, surface, dim)
    # Small batches of elementwise rules step on Python floats, a coordinate at a time: not a
    # surface of whole points (a network's thousands of weights step as one array).
    small = starts.shape[0] <= loop.SCALAR_BATCH and spec.elementwise and not takes_points(surface)
    small = small and not (bound is not None and bound.per_trajectory)
    states = companion = counts = probes = None
    if record == "final" and not small:
        with np.errstate(all="ignore"):
            check_finite_start(surface, starts)
            points, losses, grads, diverged_at, reached_at, settled_at, grad_evals, counts = run_final(
                spec, surface, starts, hp_rows, steps=steps, tolerance=tolerance, plan=bound, every=every
            )
    else:  # small batches of record="final" take the path and keep its first and last rows
        recorder = (recorders.States if record == "state" else recorders.Path)(starts, steps)
        with np.errstate(all="ignore"):
            check_finite_start(surface, starts)
            recorder.record(spec, surface, hp_rows, bound)
        points, losses, grads = recorder.points.transpose(0, 2, 1), recorder.losses, recorder.grads.transpose(0, 2, 1)
        diverged_at, grad_evals = recorder.diverged_at, recorder.grad_evals
        reached_at = settled_at = None
        if tolerance is not None:
            reached_at, settled_at = arrivals(surface, points, losses, diverged_at, tolerance)
        if record == "final":
            rows = list(kept_steps(steps, every))
            points, losses, grads = (np.ascontiguousarray(a[rows]) for a in (points, losses, grads))
        if record == "state":
            states = _lay_out(recorder.states, batched)
        if record != "final" and recorder.companion is not None:
            companion = recorder.companion.transpose(0, 2, 1)
        counts = recorder.counts
        if record != "final":
            probes = recorder.probes
    if not isinstance(grad_evals, int):  # a rule that looks again: each trajectory's own
        grad_evals = tuple(int(n) for n in np.broadcast_to(grad_evals, starts.shape[:1]))
    made = {
        "points": points,
        "losses": losses,
        "grads": grads,
        "diverged_at": diverged_at,
        "reached_at": reached_at,
        "settled_at": settled_at,
        "grad_evals": grad_evals,
        "companion": companion,
        "counts": counts,
        "probes": probes,
    }
    return Trajectory(
        optimizer=spec.name,
        hyperparameters=hp,
        surface=surface,
        states=states,
        steps_run=steps,
        kept=kept_steps(steps, every) if record == "final" else None,
        **(made if batched else _one_start(made)),
    )


# What a batch holds one entry of per trajectory (a tuple), where its arrays have a trajectory axis.
_PER_TRAJECTORY = ("diverged_at", "reached_at", "settled_at", "grad_evals", "probes")


def _one_start(made: dict[str, Any]) -> dict[str, Any]:
    """A batch of one start as that start's own: its arrays without the trajectory axis, its
    entries per trajectory (where it diverged, its evaluations, ...) its one."""
    one = {}
    for name, value in made.items():
        if value is None or isinstance(value, int):  # evaluations the same for every trajectory
            one[name] = value
        elif name in _PER_TRAJECTORY:
            one[name] = value[0]
        else:
            one[name] = np.ascontiguousarray(value[:, 0])
    return one


def _lay_out(states: Any, batched: bool) -> Any:
    """The states laid out like ``points``: (steps + 1, B, d), or (steps + 1, d) for one start."""
    fields = []
    for field in states:
        if field is None:
            fields.append(None)
            continue
        laid_out = field.transpose(0, 2, 1)
        fields.append(laid_out if batched else np.ascontiguousarray(laid_out[:, 0]))
    return type(states)._make(fields)
