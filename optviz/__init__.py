"""optviz: watch optimizers move over loss surfaces.

NumPy only, in layers that import one way (docs/architecture.md): :mod:`optviz.text` (the
words), :mod:`optviz.core` (update rules, schedules, the engine, the budget), :mod:`surfaces`,
:mod:`optviz.settings` (the Experiment and its link), :mod:`optviz.study` (running it),
:mod:`optviz.teach` and :mod:`optviz.draw` (the pictures); the page is ``ui/``.
This module is the Python API over the core: :func:`run` takes a surface by name or as an object.

May import: optviz.core, surfaces, optviz.text.

>>> import optviz
>>> t = optviz.run("adam", "rosenbrock", start=(-1.5, 2.0), steps=300, lr=0.05)
>>> t.points.shape
(301, 2)
"""

from __future__ import annotations

from typing import Any

import surfaces
from optviz.core import engine
from optviz.core.engine import MAX_STEPS, Surface, Trajectory
from optviz.core.hyperparameters import Hyperparameter
from optviz.core.optimizers import OPTIMIZERS, Optimizer, register
from optviz.core.optimizers import get as get_optimizer
from optviz.core.schedules import Schedule, schedule

__all__ = [
    "MAX_STEPS",
    "OPTIMIZERS",
    "Hyperparameter",
    "Optimizer",
    "Schedule",
    "Trajectory",
    "register",
    "run",
    "schedule",
]


def run(optimizer: str | Optimizer, surface: str | Surface, *args: Any, **kwargs: Any) -> Trajectory:
    """:func:`optviz.core.engine.run`, with ``surface`` a Surface or a registered surface's name
    (built with its default parameters; an unknown name raises KeyError listing the valid ones).

    >>> t = run("adam", "rosenbrock", start=(-1.5, 2.0), steps=500, lr=0.05)
    >>> t.points.shape, t.diverged_at
    ((501, 2), None)
    >>> sweep = run("sgd", "valley", start=[(-2.5, 1.0)] * 3, steps=300, lr=[0.01, 0.1, 1.0])
    >>> sweep.points.shape, sweep.diverged_at
    ((301, 3, 2), (None, None, 3))
    """
    spec = optimizer if isinstance(optimizer, Optimizer) else get_optimizer(optimizer)
    surf = surfaces.get(surface) if isinstance(surface, str) else surface
    return engine.run(spec, surf, *args, **kwargs)
