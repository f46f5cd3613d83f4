"""For which settings, and from where: learning-rate sweeps, hyperparameter maps, basin maps.

Each answer is one batched :func:`optviz.run` per run with ``record="final"`` (only the start
and the last step are kept) and the experiment's tolerance: a sweep gives a run one learning
rate per trajectory, a map one pair of hyperparameters per trajectory, a basin map one start
per trajectory. Every value here is what a single ``optviz.run`` of that setting gives (the
tests check sampled points against single runs).

A sweep or a map counts a run as converged when it ends within the tolerance of a lowest
minimum (f*), and counts its steps to the tolerance from the step it stays within it (the
results table's rule, :func:`optviz.study.results.of_f_star`); a basin map asks which minimum a
start leads to, and counts a run as arrived when it ends within the tolerance of the minimum
it ends in, local ones included (Rastrigin's dimples), from the step it stays there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from optviz.core.engine import columns, row, run
from optviz.core.optimizers import OPTIMIZERS, Optimizer
from optviz.core.specs import Spec
from optviz.settings import Experiment, Run
from optviz.study.results import of_f_star

Progress = Callable[[float], None]

# Basin map labels besides a minimum's index.
NOT_CONVERGED = -1
DIVERGED = -2


def _quiet(_: float) -> None:
    """No progress to show."""


def log_grid(low: float, high: float, count: int) -> np.ndarray:
    """``count`` values from ``low`` to ``high``, evenly spaced on a log scale, each rounded to
    three significant digits: short enough to read and to type, and the same on every machine
    (a last-bit difference of the C library's power cannot survive the rounding)."""
    low, high = sorted((float(low), float(high)))
    if not (math.isfinite(low) and math.isfinite(high) and low > 0):
        msg = f"Invalid range: {low!r} to {high!r} (expected positive numbers)"
        raise ValueError(msg)
    if count < 2:
        msg = f"Invalid count: {count!r} (at least 2)"
        raise ValueError(msg)
    a, b = math.log10(low), math.log10(high)
    values = [_within(float(f"{10.0 ** (a + (b - a) * i / (count - 1)):.3g}"), low, high) for i in range(count)]
    return np.array(sorted(set(values)))  # a narrow range may round two values together


def linear_grid(low: float, high: float, count: int) -> np.ndarray:
    """``count`` values from ``low`` to ``high``, evenly spaced, rounded to four significant digits."""
    low, high = sorted((float(low), float(high)))
    values = [_within(float(f"{low + (high - low) * i / (count - 1):.4g}"), low, high) for i in range(count)]
    return np.array(sorted(set(values)))


def _within(value: float, low: float, high: float) -> float:
    """A rounded grid value kept in its range: beta2's 0.99999 rounds to 1, which Adam refuses."""
    return min(max(value, low), high)


# ------------------------------------------------------------------------------ sweeps


@dataclass(frozen=True)
class Sweep:
    """One run's learning-rate sweep: at each learning rate, the final f − f* and the steps to the tolerance."""

    lrs: np.ndarray  # (n,)
    gap: np.ndarray  # (n,) final f − f*, NaN where the run diverged (the mean over the seeds)
    # (n,) the step from which f − f* stays within the tolerance, NaN where it does not end within
    # it (the median over the seeds)
    steps: np.ndarray
    diverged: np.ndarray  # (n,) bool (with any seed)
    # Over several seeds (noise or minibatches): the lowest and highest final f − f*; else None.
    gap_low: np.ndarray | None = None
    gap_high: np.ndarray | None = None
    seeds: int = 1
    # (n,) the gradient evaluations those steps made, for a rule that makes more than one a step
    # (LBFGS); None: one a step, the steps themselves.
    evaluations: np.ndarray | None = None

    @property
    def converged(self) -> np.ndarray:
        return np.isfinite(self.steps)

    @property
    def to_tolerance(self) -> np.ndarray:
        """What reaching the tolerance cost at each rate, in gradient evaluations: the fair count
        between rules that make one a step and rules that make more (the steps, for the former)."""
        return self.steps if self.evaluations is None else self.evaluations

    def best(self) -> int | None:
        """The index of the best learning rate: fewest gradient evaluations to the tolerance (its
        steps, for a rule that makes one a step), ties by the lower final loss; where none
        converges, the lowest final loss; None if every one diverged."""
        if self.converged.any():
            order = np.lexsort((self.gap, np.where(self.converged, self.to_tolerance, np.inf)))
            return int(order[0])
        finite = np.flatnonzero(~self.diverged)
        return int(finite[np.argmin(self.gap[finite])]) if finite.size else None

    def converging_ranges(self) -> list[tuple[float, float]]:
        """The learning rates where the run converges, as (first, last) of each unbroken stretch."""
        ranges, start = [], None
        for i, ok in enumerate(self.converged.tolist()):
            if ok and start is None:
                start = i
            if start is not None and (not ok or i == len(self.lrs) - 1):
                end = i if ok else i - 1
                ranges.append((float(self.lrs[start]), float(self.lrs[end])))
                start = None
        return ranges


# Where gradients are random (noise, minibatches), a sweep runs this many seeds, from the
# experiment's own, and shows their mean and spread.
SEEDS = 3


def stochastic(experiment: Experiment, run_: Run) -> bool:
    """Whether ``run_``'s gradients are random here: gradient noise, or minibatches."""
    return experiment.noise > 0 or run_.batch is not None


def sweep_run(experiment: Experiment, run_: Run, lrs: np.ndarray) -> Sweep:
    """``run_`` from the experiment's start with each of ``lrs``, its other settings kept; over
    :data:`SEEDS` seeds where its gradients are random."""
    values = {**run_.values(), "lr": np.asarray(lrs, dtype=np.float64)}
    starts = np.tile(np.asarray(experiment.start, dtype=np.float64), (len(lrs), 1))
    lrs = np.asarray(lrs, dtype=np.float64)
    looks = OPTIMIZERS[run_.optimizer].looks  # its evaluations are not its steps
    if not stochastic(experiment, run_):
        gap, steps, evaluations, diverged = _outcomes(experiment, run_, values, starts)
        return Sweep(lrs=lrs, gap=gap, steps=steps, diverged=diverged, evaluations=evaluations if looks else None)
    seeds = [replace(experiment, seed=(experiment.seed + i) % 100_000) for i in range(SEEDS)]
    gaps, steps, evaluations, diverged = zip(*(_outcomes(e, run_, values, starts) for e in seeds), strict=True)
    gaps = np.array(gaps)
    diverged = np.any(diverged, axis=0)
    with np.errstate(all="ignore"):
        mean = np.where(diverged, np.nan, np.mean(gaps, axis=0))
    low = np.where(diverged, np.nan, np.min(gaps, axis=0))
    high = np.where(diverged, np.nan, np.max(gaps, axis=0))
    return Sweep(
        lrs=lrs,
        gap=mean,
        steps=_median_arrival(np.array(steps)),
        diverged=diverged,
        gap_low=low,
        gap_high=high,
        seeds=SEEDS,
        evaluations=_median_arrival(np.array(evaluations)) if looks else None,
    )


def _median_arrival(counts: np.ndarray) -> np.ndarray:
    """Over the seeds (rows), where most arrived, the median of their steps or evaluations to
    the tolerance (a seed that never did counts as last); NaN where most did not."""
    arrived = np.isfinite(counts).sum(axis=0) * 2 > SEEDS
    return np.where(arrived, np.median(np.where(np.isfinite(counts), counts, np.inf), axis=0), np.nan)


def _final_run(experiment: Experiment, run_: Run, starts: np.ndarray, values: dict[str, Any] | None = None) -> Any:
    """``run_`` from each of ``starts`` with the experiment's settings (``values`` changed), only
    its last step kept, and the steps within the tolerance of the minimum each ends in."""
    return run(
        run_.optimizer,
        experiment.build_surface(),
        start=starts,
        steps=experiment.steps,
        record="final",
        tolerance=experiment.tolerance,
        **{**experiment.run_settings(run_), **(values or {})},
    )


def _outcomes(
    experiment: Experiment, run_: Run, values: dict[str, Any], starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One batched final run: each trajectory's final f − f* (NaN if it diverged), the step from
    which it stays within the tolerance of f* (NaN if it does not end within it), the gradient
    evaluations made by then, and whether it diverged: the results table's "steps to tolerance"
    (optviz.study.results.of_f_star) and "gradient evaluations to tolerance".
    """
    surf = experiment.build_surface()
    t = _final_run(experiment, run_, starts, values)
    diverged = np.array([k is not None for k in t.diverged_at])
    settled = of_f_star(surf, t.points[1], t.settled_at)
    steps = np.array([np.nan if k is None else k for k in settled], dtype=np.float64)
    evaluations = np.array([np.nan if n is None else n for n in t.evaluations_by(settled)], dtype=np.float64)
    return np.where(diverged, np.nan, t.losses[1] - surf.f_star), steps, evaluations, diverged


def sweep(experiment: Experiment, lrs: np.ndarray, progress: Progress = _quiet) -> list[Sweep]:
    """Every run's sweep over ``lrs``."""
    found = []
    for index, run_ in enumerate(experiment.runs):
        found.append(sweep_run(experiment, run_, lrs))
        progress((index + 1) / len(experiment.runs))
    return found


def with_best_rates(experiment: Experiment, sweeps: list[Sweep]) -> Experiment:
    """The experiment with every run given its best learning rate from its sweep: a fair race."""
    runs = []
    for run_, found in zip(experiment.runs, sweeps, strict=True):
        best = found.best()
        lr = run_.values()["lr"] if best is None else float(found.lrs[best])
        runs.append(run_.with_values(lr=lr))
    return replace(experiment, runs=tuple(runs))


# ------------------------------------------------------------------------------ hyperparameter maps


def _record(optimizer: str | Optimizer) -> Optimizer:
    """An optimizer's record from its name, or the record itself (a rule around another: the one
    for its base, ``Run.spec``)."""
    return OPTIMIZERS[optimizer] if isinstance(optimizer, str) else optimizer


def axis_spec(optimizer: str | Optimizer, name: str) -> Spec | None:
    """The spec of the numeric hyperparameter (or pair part) ``name`` of ``optimizer``; None if it has none."""
    for hp in _record(optimizer).hyperparameters:
        for part in hp.parts or (hp,):
            if part.name == name and part.kind == "float":
                return part
    return None


def axes(optimizer: str | Optimizer) -> list[str]:
    """The hyperparameters a map of ``optimizer`` can have on its axes, in its order."""
    return [
        part.name for hp in _record(optimizer).hyperparameters for part in hp.parts or (hp,) if part.kind == "float"
    ]


def axis_values(optimizer: str | Optimizer, name: str, count: int, lr_range: tuple[float, float]) -> np.ndarray:
    """The values along one axis of a map: the learning rate over the sweep's range (log scale),
    another hyperparameter over the range the app offers (log scale where the app offers one)."""
    spec = axis_spec(optimizer, name)
    if spec is None:
        msg = f"{optimizer} has no numeric hyperparameter {name!r}"
        raise ValueError(msg)
    if name == "lr":
        return log_grid(*lr_range, count)
    if spec.log:
        return log_grid(spec.app_low, spec.app_high, count)
    return linear_grid(spec.app_low, spec.app_high, count)


@dataclass(frozen=True)
class HyperMap:
    """Final f − f* and steps to the tolerance over a grid of two hyperparameters of one run."""

    x_name: str
    y_name: str
    xs: np.ndarray  # (nx,)
    ys: np.ndarray  # (ny,)
    gap: np.ndarray  # (ny, nx), NaN where diverged
    # (ny, nx) the step from which f − f* stays within the tolerance, NaN where it does not end within it
    steps: np.ndarray
    invalid: np.ndarray  # (ny, nx) bool: settings the optimizer refuses (Nesterov without momentum)
    optimizer: str = ""  # the run's, whose words name the axes


def assign(optimizer: str | Optimizer, values: dict[str, Any], changes: dict[str, float]) -> dict[str, Any]:
    """``values`` with each of ``changes`` applied: a hyperparameter, or a part of a pair (beta1)."""
    for name, value in changes.items():
        for hp in _record(optimizer).hyperparameters:
            if hp.name == name:
                values = {**values, name: value}
            elif name in hp.names() and hp.parts:
                pair = list(values[hp.name])
                pair[hp.names().index(name)] = value
                values = {**values, hp.name: tuple(pair)}
    return values


def _with(values: dict[str, Any], optimizer: str | Optimizer, name: str, column: np.ndarray) -> dict[str, Any]:
    """``values`` with hyperparameter (or pair part) ``name`` set to ``column``."""
    for hp in _record(optimizer).hyperparameters:
        if hp.name == name:
            return {**values, name: column}
        for index, part in enumerate(hp.parts):
            if part.name == name:
                pair = [np.full(len(column), float(v)) for v in values[hp.name]]
                pair[index] = column
                return {**values, hp.name: tuple(pair)}
    msg = f"{optimizer} has no hyperparameter {name!r}"
    raise ValueError(msg)


def hyper_map(
    experiment: Experiment, run_: Run, axes_: tuple[str, str], count: int, lr_range: tuple[float, float]
) -> HyperMap:
    """``run_`` over a ``count`` x ``count`` grid of the two hyperparameters ``axes_`` (x, y), its other
    settings kept."""
    x_name, y_name = axes_
    if x_name == y_name:
        msg = "a map needs two different hyperparameters"
        raise ValueError(msg)
    xs = axis_values(run_.spec, x_name, count, lr_range)
    ys = axis_values(run_.spec, y_name, count, lr_range)
    grid_x, grid_y = np.meshgrid(xs, ys)  # (ny, nx): row j is ys[j]
    values = _with(run_.values(), run_.spec, x_name, grid_x.ravel())
    values = _with(values, run_.spec, y_name, grid_y.ravel())
    spec = run_.spec
    defaults = spec.defaults()
    invalid = np.zeros(grid_x.size, dtype=bool)
    for constraint in spec.constraints:  # e.g. Nesterov at momentum 0: a setting torch refuses
        for i in range(grid_x.size):
            invalid[i] |= not constraint.holds(row({**defaults, **values}, i))
    valid = np.flatnonzero(~invalid)
    gap = np.full(grid_x.size, np.nan)
    steps = np.full(grid_x.size, np.nan)
    if valid.size:
        chosen = columns(values, valid)
        starts = np.tile(np.asarray(experiment.start, dtype=np.float64), (valid.size, 1))
        gap[valid], steps[valid], _, _ = _outcomes(experiment, run_, chosen, starts)
    shape = grid_x.shape
    return HyperMap(
        x_name, y_name, xs, ys, gap.reshape(shape), steps.reshape(shape), invalid.reshape(shape), run_.optimizer
    )


# ------------------------------------------------------------------------------ basin maps


@dataclass(frozen=True)
class BasinMap:
    """Where each start of a grid leads one run: the basin minimum it ends in, and how soon."""

    xs: np.ndarray  # (n,) the cells' centres
    ys: np.ndarray  # (n,)
    label: np.ndarray  # (n, n) int: index into surf.basin_minima, NOT_CONVERGED or DIVERGED
    steps: np.ndarray  # (n, n) the step from which it stays within the tolerance of its minimum, NaN where none


def cell_centres(domain: tuple[float, float], count: int) -> np.ndarray:
    """The centres of ``count`` equal cells across ``domain``."""
    low, high = domain
    width = (high - low) / count
    return np.array([low + width * (i + 0.5) for i in range(count)])


def basin_map(experiment: Experiment, run_: Run, count: int) -> BasinMap:
    """``run_`` from every cell of a ``count`` x ``count`` grid of starts over the plot."""
    surf = experiment.build_surface()
    xs, ys = (cell_centres(d, count) for d in surf.domain)
    grid_x, grid_y = np.meshgrid(xs, ys)
    starts = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    t = _final_run(experiment, run_, starts)
    nearest, _ = surf.nearest_minimum(t.points[1], surf.basin_minima)
    settled = np.array([np.nan if k is None else k for k in t.settled_at], dtype=np.float64)
    diverged = np.array([k is not None for k in t.diverged_at])
    label = np.where(diverged, DIVERGED, np.where(np.isfinite(settled), nearest, NOT_CONVERGED))
    return BasinMap(xs, ys, label.reshape(grid_x.shape), settled.reshape(grid_x.shape))


def basin_maps(experiment: Experiment, count: int, progress: Progress = _quiet) -> list[BasinMap]:
    found = []
    for index, run_ in enumerate(experiment.runs):
        found.append(basin_map(experiment, run_, count))
        progress((index + 1) / len(experiment.runs))
    return found
