"""The step plan: what changes from one step to the next (a learning-rate schedule, gradient
noise, minibatches), as functions of the step number k.

The loop (:mod:`optviz.core.engine.loop`) tells the plan which step it is on: step k's
gradient is :meth:`Steps.gradient` ``(k)`` and its settings :meth:`Steps.settings` ``(k, hp)``:

* the gradient is the surface's (or, with minibatches, the mean over step k's batch of a
  data surface's rows), plus ``noise`` times step k's Gaussian draw;
* the update rule runs with step k's learning rate (and, for OneCycleLR, momentum or beta1)
  from the schedule, torch's values (:mod:`optviz.core.schedules`).

Nothing here counts calls: a rule that evaluates the gradient twice in a step (a look-ahead)
would still see step k's batch, noise and rate, because k is passed, never inferred.

Common random numbers: step k's noise and batch depend only on the seed and k, never on the
trajectory, so every run of an experiment and every trajectory of a batch sees the same
draws (a comparison between optimizers is fair, and a batch equals its single runs). The
draws come from NumPy's PCG64 generator, whose integers are the same on every machine, and
its ziggurat normal sampler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import add
from typing import Any

import numpy as np

from optviz.core.engine.surface import Surface, takes_points
from optviz.core.optimizers import Optimizer
from optviz.core.rules import MOMENTUM_NAMES, Setup, check_run, cycles_momentum
from optviz.core.schedules import Schedule

Gradient = Callable[..., tuple[Any, ...]]  # gradient(*coordinates) -> one value per coordinate


def noise_draws(seed: int, steps: int, dim: int = 2) -> np.ndarray:
    """Step k's standard normal draw for each of ``dim`` coordinates, (steps, dim): the same for
    every trajectory."""
    generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), 1])))
    return generator.standard_normal((steps, dim))


def batch_rows(seed: int, steps: int, size: int, count: int) -> list[np.ndarray]:
    """Step k's minibatch of ``size`` rows out of ``count``: drawn without replacement epoch by
    epoch (a new permutation each epoch, the last batch of an epoch smaller when ``size`` does
    not divide ``count``), each batch's rows in increasing order (so that a batch of every row
    is the full data in its own order)."""
    generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), 2])))
    batches: list[np.ndarray] = []
    while len(batches) < steps:
        order = generator.permutation(count)
        for first in range(0, count, size):
            batches.append(np.sort(order[first : first + size]))
            if len(batches) == steps:
                break
    return batches


@dataclass(frozen=True)
class StepPlan:
    """The schedule, noise and minibatches of one run: how step k's gradient and settings differ."""

    steps: int
    schedule: Schedule | None = None
    noise: float = 0.0
    seed: int | tuple[int, ...] = 0  # a tuple: one seed per trajectory
    batch_size: int | None = None

    def check(self, optimizer: Optimizer, hp: dict[str, Any], surf: Surface) -> None:
        """Raise ValueError where this plan cannot run (:mod:`optviz.core.rules`: minibatches off a data
        surface, a momentum cycle for an optimizer without one, ...)."""
        check_run(Setup(optimizer, hp, self.schedule, self.batch_size, surf.name, surf.data_rows, self.steps))

    def on(self, optimizer: Optimizer, surf: Surface, dim: int) -> Steps:
        """This plan for ``optimizer`` on ``surf`` (points of ``dim`` coordinates): its draws made.
        With one seed per trajectory, step k's draws are (dim, B) and its rows (B, batch_size)."""
        seeds = self.seed if isinstance(self.seed, tuple) else (self.seed,)
        per_trajectory = isinstance(self.seed, tuple)
        draws = None
        if self.noise:
            made = [noise_draws(seed, self.steps, dim) * self.noise for seed in seeds]
            draws = np.stack(made, axis=-1) if per_trajectory else made[0]
        batches = None
        if self.batch_size is not None and surf.data_rows is not None:
            own = getattr(surf, "batches", None)  # a surface that draws its own (a network: drop_last)
            if own is None and per_trajectory:
                msg = "one seed per start with batch_size needs a surface that takes whole points (a network)"
                raise ValueError(msg)
            if own is None:
                batches = batch_rows(self.seed, self.steps, self.batch_size, surf.data_rows)
            elif per_trajectory:
                batches = list(np.stack([own(seed, self.batch_size, self.steps) for seed in seeds], axis=1))
            else:
                batches = list(own(self.seed, self.batch_size, self.steps))
        return Steps(surf, draws, batches, self._settings(optimizer), per_trajectory)

    def _settings(self, optimizer: Optimizer) -> Callable[[int, dict[str, Any]], dict[str, Any]]:
        """Step k's hyperparameters: the run's, with the schedule's learning rate (and momentum)."""
        if self.schedule is None:
            return lambda _, hp: hp
        schedule, steps = self.schedule, self.steps
        cycles = cycles_momentum(self.schedule)
        names = {hp.name for hp in optimizer.hyperparameters}
        momentum_name = next((name for name in MOMENTUM_NAMES if name in names), None)
        cache: dict[int, tuple[Any, list[Any], list[Any] | None]] = {}

        def settings(k: int, hp: dict[str, Any]) -> dict[str, Any]:
            # The series is made once per set of hyperparameters (a loop's, a block's), from its own lr.
            found = cache.get(id(hp))
            if found is None or found[0] is not hp:
                base_momentum = _momentum_of(hp, momentum_name)
                lrs, momenta = schedule.series(hp["lr"], base_momentum, steps)
                found = cache[id(hp)] = (hp, lrs, momenta if cycles else None)
            _, lrs, momenta = found
            changed = {**hp, "lr": lrs[k], "initial_lr": hp["lr"]}  # torch's group["initial_lr"]
            if momenta is not None and momentum_name == "momentum":
                changed["momentum"] = momenta[k]
            elif momenta is not None and momentum_name == "betas":
                changed["betas"] = (momenta[k], *hp["betas"][1:])  # AdEMAMix has a third
            return changed

        return settings


@dataclass(frozen=True)
class Steps:
    """A plan bound to one run: step k's gradient function and step k's settings."""

    surface: Surface
    draws: np.ndarray | None  # (steps, dim), or (steps, dim, B) per trajectory: step k's noise, scaled
    batches: list[np.ndarray] | None  # step k's rows of a data surface ((B, size) per trajectory); None: every row
    settings: Callable[[int, dict[str, Any]], dict[str, Any]]  # settings(k, hp): step k's hyperparameters
    per_trajectory: bool = False  # each trajectory its own seed: draws and rows have a trajectory axis

    def columns(self, block: slice) -> Steps:
        """The plan of the trajectories in ``block`` (each stepped with its own draws, if it has them)."""
        if not self.per_trajectory:
            return self
        draws = None if self.draws is None else self.draws[:, :, block]
        batches = None if self.batches is None else [rows[block] for rows in self.batches]
        return Steps(self.surface, draws, batches, self.settings, per_trajectory=True)

    def gradient(self, k: int) -> Gradient:
        """Step k's gradient, a function of the point's coordinates (floats or rows of arrays), or
        of whole points (d, w) on a surface that takes them (a network)."""
        rows = None if self.batches is None else self.batches[k]
        noise = None if self.draws is None else self.draws[k]
        if takes_points(self.surface):  # a function of whole points, (d, w)
            grad_at = self.surface.grad_at
            if noise is None:
                return lambda points: grad_at(points, rows)
            shaped = noise if noise.ndim == 2 else noise[:, None]
            whole = lambda points: grad_at(points, rows) + shaped
            whole.noise = noise  # type: ignore[attr-defined]  # for a rule that looks again (engine.look)
            return whole
        grad_fn, batch_grad_fn = self.surface.grad_fn, self.surface.batch_grad_fn
        if rows is None and noise is None:  # only the settings vary
            return grad_fn

        def gradient(*coordinates: Any) -> tuple[Any, ...]:
            values = grad_fn(*coordinates) if rows is None else batch_grad_fn(*coordinates, rows)
            if noise is None:
                return values
            return tuple(map(add, values, noise))  # one draw a coordinate

        gradient.noise = noise  # type: ignore[attr-defined]  # step k's draw, for engine.look
        return gradient


def _momentum_of(hp: dict[str, Any], name: str | None) -> Any:
    if name == "momentum":
        return hp["momentum"]
    if name == "betas":
        return hp["betas"][0]
    return 0.0
