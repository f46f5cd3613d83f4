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

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optviz.core.engine import Surface, Trajectory
    from optviz.core.optimizers import Optimizer

# Python runs this file before any module of optviz, whichever layer it is in; so it imports
# nothing when it runs, and loads what the API needs when the API is used: importing
# optviz.text loads no optimizer and no surface (tests/test_layers.py checks it).
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
    import surfaces  # noqa: PLC0415  (loaded when used: see the note above)
    from optviz.core import engine, optimizers  # noqa: PLC0415

    spec = optimizer if isinstance(optimizer, optimizers.Optimizer) else optimizers.get(optimizer)
    surf = surfaces.get(surface) if isinstance(surface, str) else surface
    return engine.run(spec, surf, *args, **kwargs)


def __getattr__(name: str) -> Any:
    """The API's other names, each from its module, loaded when first asked for."""
    if name in ("OPTIMIZERS", "Optimizer", "register"):
        from optviz.core import optimizers as module  # noqa: PLC0415
    elif name in ("MAX_STEPS", "Trajectory"):
        from optviz.core import engine as module  # noqa: PLC0415
    elif name == "Hyperparameter":
        from optviz.core import hyperparameters as module  # noqa: PLC0415
    elif name in ("Schedule", "schedule"):
        from optviz.core import schedules as module  # noqa: PLC0415
    else:
        msg = f"module 'optviz' has no attribute {name!r}"
        raise AttributeError(msg)
    return getattr(module, name)
