"""What changes from one step to the next: a learning-rate schedule, gradient noise, minibatches.

The engine's loops call the surface's gradient once per step and then the update rule; a
:class:`StepPlan` hands them a surface and an optimizer whose functions know the step:

* the gradient is the surface's (or, with minibatches, the mean over step k's batch of a
  data surface's rows), plus ``noise`` times step k's Gaussian draw;
* the update rule runs with step k's learning rate (and, for OneCycleLR, momentum or beta1)
  from the schedule, torch's values (:mod:`optviz.core.schedules`).

Common random numbers: step k's noise and batch depend only on the seed and k, never on the
trajectory, so every run of an experiment and every trajectory of a batch sees the same
draws (a comparison between optimizers is fair, and a batch equals its single runs). The
draws come from NumPy's PCG64 generator, whose integers are the same on every machine, and
its ziggurat normal sampler.
A plan's functions count the steps themselves: every loop starts with ``init``, which starts
the count again, and calls the gradient once per step before the update.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

import surfaces
from optviz.core.optimizers import Optimizer
from optviz.core.rules import MOMENTUM_NAMES, Setup, check_run, cycles_momentum
from optviz.core.schedules import Schedule


def noise_draws(seed: int, steps: int) -> np.ndarray:
    """Step k's standard normal draw for x and y, (steps, 2): the same for every trajectory."""
    generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), 1])))
    return generator.standard_normal((steps, 2))


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


@dataclass
class _Count:
    step: int = -1


@dataclass(frozen=True)
class StepPlan:
    """The schedule, noise and minibatches of one run: how step k's gradient and settings differ."""

    steps: int
    schedule: Schedule | None = None
    noise: float = 0.0
    seed: int = 0
    batch_size: int | None = None

    def check(self, optimizer: Optimizer, hp: dict[str, Any], surf: surfaces.Surface) -> None:
        """Raise ValueError where this plan cannot run (:mod:`optviz.core.rules`: minibatches off a data
        surface, a momentum cycle for an optimizer without one, ...)."""
        check_run(Setup(optimizer, hp, self.schedule, self.batch_size, surf.name, surf.data_rows, self.steps))

    def wrap(self, optimizer: Optimizer, surf: surfaces.Surface) -> tuple[Optimizer, surfaces.Surface]:
        """The optimizer and surface whose functions know the step (see the module's docstring)."""
        count = _Count()
        draws = noise_draws(self.seed, self.steps) * self.noise if self.noise else None
        batches = None
        if self.batch_size is not None and surf.data_rows is not None:
            batches = batch_rows(self.seed, self.steps, self.batch_size, surf.data_rows)
        gradient = surf.grad_fn if batches is None else surf.batch_grad_fn

        def grad_fn(x: Any, y: Any) -> tuple[Any, Any]:
            count.step += 1
            k = count.step
            gx, gy = gradient(x, y) if batches is None else gradient(x, y, batches[k])
            if draws is not None:
                gx, gy = gx + draws[k, 0], gy + draws[k, 1]
            return gx, gy

        settings = self._settings(optimizer)

        def init(params: Any, hp: Any) -> Any:
            count.step = -1  # a loop begins
            return optimizer.init(params, settings(0, hp))

        def update(params: Any, grad: Any, state: Any, hp: Any) -> tuple[Any, Any]:
            return optimizer.update(params, grad, state, settings(count.step, hp))

        stepping = replace(optimizer, init=init, update=update, kernel=None)
        return stepping, replace(surf, grad_fn=grad_fn, grad_kernel=None)  # its in-place gradient is another

    def _settings(self, optimizer: Optimizer) -> Callable[[int, dict[str, Any]], dict[str, Any]]:
        """Step k's hyperparameters: the run's, with the schedule's learning rate (and momentum)."""
        if self.schedule is None:
            return lambda _, hp: hp
        schedule, steps = self.schedule, self.steps
        cycles = cycles_momentum(self.schedule)
        names = {hp.name for hp in optimizer.hyperparameters}
        momentum_name = next((name for name in MOMENTUM_NAMES if name in names), None)
        cache: dict[int, tuple[Any, list[Any], list[Any] | None]] = {}
        last: list[Any] = [None, -1, None]  # (hp, k, its settings): the float path asks twice a step

        def settings(k: int, hp: dict[str, Any]) -> dict[str, Any]:
            if last[0] is hp and last[1] == k:
                return last[2]
            # The series is made once per set of hyperparameters (a loop's, a block's), from its own lr.
            found = cache.get(id(hp))
            if found is None or found[0] is not hp:
                base_momentum = _momentum_of(hp, momentum_name)
                lrs, momenta = schedule.series(hp["lr"], base_momentum, steps)
                found = cache[id(hp)] = (hp, lrs, momenta if cycles else None)
            _, lrs, momenta = found
            changed = {**hp, "lr": lrs[k]}
            if momenta is not None and momentum_name == "momentum":
                changed["momentum"] = momenta[k]
            elif momenta is not None and momentum_name == "betas":
                changed["betas"] = (momenta[k], hp["betas"][1])
            last[:] = [hp, k, changed]
            return changed

        return settings


def _momentum_of(hp: dict[str, Any], name: str | None) -> Any:
    if name == "momentum":
        return hp["momentum"]
    if name == "betas":
        return hp["betas"][0]
    return 0.0
