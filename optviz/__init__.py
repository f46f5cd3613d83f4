"""optviz: watch optimizers move over 2-D loss surfaces.

The core is NumPy only: the optimizers (torch.optim's update rules as pure functions), the
stepping engine, the experiment record and its link format, and the figure builders.

>>> import optviz
>>> t = optviz.run("adam", "rosenbrock", start=(-1.5, 2.0), steps=300, lr=0.05)
>>> t.points.shape
(301, 2)
"""

from optviz.core.engine import MAX_STEPS, Trajectory, run
from optviz.core.hyperparameters import Hyperparameter
from optviz.core.optimizers import OPTIMIZERS, Optimizer, register
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
