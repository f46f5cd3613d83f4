"""Two-dimensional loss surfaces with analytic gradients, registered by name.

>>> import surfaces
>>> s = surfaces.get("rosenbrock")
>>> float(s.value([1.0, 1.0]))
0.0
>>> s.grad([[1.0, 1.0], [0.0, 0.0]]).tolist()
[[0.0, 0.0], [-2.0, 0.0]]
"""

from surfaces import catalog as _catalog  # noqa: F401  (registers the surfaces)
from surfaces import data as _data  # noqa: F401  (registers the surfaces of real data)
from surfaces.base import Domain, Entry, Param, Point, RunSpec, Surface, entry, get, names, register, runs
from surfaces.formula import from_expression  # and registers the surface of a typed formula

__all__ = [
    "Domain",
    "Entry",
    "Param",
    "Point",
    "RunSpec",
    "Surface",
    "entry",
    "from_expression",
    "get",
    "names",
    "register",
    "runs",
]
