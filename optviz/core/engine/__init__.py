"""The engine: run an optimizer over a surface, for one start or a batch of starts, over points
of any number of coordinates.

It may import the rest of optviz.core and NumPy, nothing else: it takes a surface as an object
(:class:`~optviz.core.engine.surface.Surface`); :func:`optviz.run` finds one by name.

- ``runs``: :func:`run`, one call of the engine: checks, the path chosen, the Trajectory laid out.
- ``checks``: the checks of its arguments.
- ``plan``: the step plan, step k's schedule, noise and minibatch.
- ``loop``: the one stepping loop and its backends (Python floats, arrays, in-place kernels).
- ``recorders``: what record="path" and record="state" keep of every step.
- ``final``: record="final", stepped in chunks without a history.
- ``divergence``: the divergence limit and freezing, the arrivals within a tolerance.
- ``trajectory``: the Trajectory record.
- ``surface``: what the engine asks of a surface.
"""

from optviz.core.engine.checks import MAX_STEPS, RECORDS
from optviz.core.engine.divergence import DIVERGENCE, arrivals, divergence_limits
from optviz.core.engine.final import FINAL_BLOCK
from optviz.core.engine.loop import columns, row
from optviz.core.engine.runs import run
from optviz.core.engine.surface import Surface
from optviz.core.engine.trajectory import Trajectory

__all__ = [
    "DIVERGENCE",
    "FINAL_BLOCK",
    "MAX_STEPS",
    "RECORDS",
    "Surface",
    "Trajectory",
    "arrivals",
    "columns",
    "divergence_limits",
    "row",
    "run",
]
