"""The checks of a call of the engine: its steps, record, tolerance, starts, per-trajectory
hyperparameters and step plan, each refused with a ValueError that says what was expected."""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from optviz.core.engine.loop import blocks
from optviz.core.engine.plan import StepPlan
from optviz.core.engine.surface import Surface, gradient_of, loss_of, takes_points
from optviz.core.schedules import Schedule

MAX_STEPS = 100_000
RECORDS = ("path", "state", "final")
SEEDS = 1 << 32  # seeds from 0 to 2^32 - 1


def check_steps(steps: object) -> int:
    if isinstance(steps, (bool, np.bool_)) or not isinstance(steps, (int, np.integer)):
        msg = f"Invalid steps value: {steps!r} (expected a whole number from 1 to {MAX_STEPS:,})"
        raise ValueError(msg)
    if not 1 <= steps <= MAX_STEPS:
        msg = f"Invalid steps value: {steps} (expected 1 to {MAX_STEPS:,})"
        raise ValueError(msg)
    return int(steps)


def check_record(record: object) -> str:
    if not isinstance(record, str) or record not in RECORDS:
        msg = f"Invalid record value: {record!r} (expected one of: {', '.join(RECORDS)})"
        raise ValueError(msg)
    return record


def check_every(every: object, record: str) -> int | None:
    if every is None:
        return None
    if record != "final":
        msg = f"every= keeps rows of record='final' (record={record!r} keeps every row)"
        raise ValueError(msg)
    if isinstance(every, (bool, np.bool_)) or not isinstance(every, (int, np.integer)) or not 1 <= every <= MAX_STEPS:
        msg = f"Invalid every value: {every!r} (expected a whole number from 1 to {MAX_STEPS:,})"
        raise ValueError(msg)
    return int(every)


def check_tolerance(tolerance: object) -> float | None:
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


def dimension(surf: Surface, start: object) -> int:
    """The coordinates of a point: the surface's ``dim``, or for a surface that does not say,
    the length of a start's last axis (1 for something without one: the start check refuses it)."""
    dim = getattr(surf, "dim", None)
    if dim is not None:
        return int(dim)
    try:
        shape = np.shape(start)
    except (TypeError, ValueError):
        return 1
    return int(shape[-1]) if shape else 1


def _expected(dim: int) -> str:
    return "(x, y) or an array of shape (B, 2)" if dim == 2 else f"{dim} coordinates or an array of shape (B, {dim})"


def count_starts(start: object, dim: int) -> int:
    """How many starts ``start`` holds, read from its shape or its length without copying it.

    A point of ``dim`` coordinates given as a sequence counts as ``dim`` here (the exact count
    follows validation); an array of the wrong shape is refused here, before it is copied.
    """
    shape = getattr(start, "shape", None)
    if isinstance(shape, tuple):
        if shape == (dim,):
            return 1
        if len(shape) == 2 and shape[1] == dim and shape[0] >= 1:
            return int(shape[0])
        msg = f"Invalid start: expected {_expected(dim)}, got shape {shape}"
        raise ValueError(msg)
    try:
        return len(start)  # type: ignore[arg-type]
    except TypeError:  # not a sequence: check_start says what is wrong with it
        return 1
    except OverflowError:  # a length beyond sys.maxsize
        return sys.maxsize


def check_start(start: object, dim: int) -> tuple[np.ndarray, bool]:
    """The starts as a (B, dim) array, and whether they were a batch (not a single point)."""
    try:
        array = np.asarray(start, dtype=np.float64)  # read only: the recorders copy it
    except (TypeError, ValueError):
        msg = f"Invalid start: {start!r} (expected {_expected(dim)})"
        raise ValueError(msg) from None
    if array.shape == (dim,):
        array, batched = array[None, :], False
    elif array.ndim == 2 and array.shape[1] == dim and array.shape[0] >= 1:
        batched = True
    else:
        msg = f"Invalid start: expected {_expected(dim)}, got shape {array.shape}"
        raise ValueError(msg)
    if not np.isfinite(array).all():
        msg = f"Invalid start: {start!r} (coordinates must be finite)"
        raise ValueError(msg)
    return array, batched


def check_finite_start(surf: Surface, starts: np.ndarray) -> None:
    """Refuse starts, (B, d), where the surface's value or gradient is not finite (on a surface of
    whole points, a network, its value: a gradient over every training row costs three times as
    much, and a step whose gradient is not finite is frozen as a divergence)."""
    for block in blocks(len(starts)):
        part = np.ascontiguousarray(starts[block].T)
        if takes_points(surf):
            if not np.isfinite(loss_of(surf, part)).all():
                msg = "Invalid start: the surface's value is not finite there"
                raise ValueError(msg)
            continue
        gradient = gradient_of(surf, part)
        if not (np.isfinite(loss_of(surf, part)).all() and all(np.isfinite(g).all() for g in gradient)):
            msg = "Invalid start: the surface's value or gradient is not finite there"
            raise ValueError(msg)


def per_row(value: Any, batch: int, name: str) -> Any:
    """Check that a per-trajectory hyperparameter has one value per start."""
    if isinstance(value, tuple):
        return tuple(per_row(v, batch, name) for v in value)
    if isinstance(value, np.ndarray) and value.shape != (batch,):
        msg = f"Invalid {name} value: an array of {value.shape[0]} values for {batch} starts"
        raise ValueError(msg)
    return value


def check_seed(seed: object, batch: int) -> int | tuple[int, ...]:
    """A seed, or one seed per trajectory: a sequence of ``batch`` of them."""
    if isinstance(seed, (list, tuple, np.ndarray)):
        if len(seed) != batch or any(isinstance(s, (list, tuple, np.ndarray)) for s in seed):
            msg = f"Invalid seed value: expected one seed, or a sequence of {batch} (one per start)"
            raise ValueError(msg)
        return tuple(_one_seed(s) for s in seed)
    return _one_seed(seed)


def _one_seed(seed: object) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < SEEDS:
        msg = f"Invalid seed value: {seed!r} (expected a whole number from 0 to 4294967295)"
        raise ValueError(msg)
    return int(seed)


def step_plan(
    steps: int, *, schedule: object, noise: object, seed: object, batch_size: object, batch: int = 1
) -> StepPlan | None:
    """What varies from step to step, validated; None when nothing does (the loop runs without a plan)."""
    if schedule is not None and not isinstance(schedule, Schedule):
        msg = f"Invalid schedule: {schedule!r} (make one with optviz.schedule(name, ...))"
        raise ValueError(msg)
    if isinstance(noise, (bool, np.bool_)) or not isinstance(noise, (int, float, np.integer, np.floating)):
        msg = f"Invalid noise value: {noise!r} (expected a number >= 0)"
        raise ValueError(msg)
    if not (math.isfinite(float(noise)) and 0.0 <= float(noise) <= 1e6):
        msg = f"Invalid noise value: {noise!r} (expected a number from 0 to 1e6)"
        raise ValueError(msg)
    seed = check_seed(seed, batch)
    if batch_size is not None and (
        isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1
    ):
        msg = f"Invalid batch_size value: {batch_size!r} (expected a whole number from 1)"
        raise ValueError(msg)
    if schedule is None and float(noise) == 0.0 and batch_size is None:
        return None
    return StepPlan(steps, schedule, float(noise), seed, None if batch_size is None else int(batch_size))
