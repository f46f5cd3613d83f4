"""Two-dimensional loss surfaces with analytic gradients, registered by name.

What it holds: the Surface record and its registry (:mod:`surfaces.base`), the classic test
functions (:mod:`surfaces.catalog`), losses of models on real data (:mod:`surfaces.data`) and
the surface of a formula a person types (:mod:`surfaces.formula`), and a small network's training
loss, of any dimension (:func:`surfaces.network`, from :mod:`surfaces.network`). A surface is registered
once, with its words in the catalogs (``surface.<name>.title``, ``.description``, its
parameters'), and everything else (the page, links, sweeps, lessons) finds it by name.

Its place in the layers: above the numerical core, below the settings; never streamlit.

May import: optviz.core, optviz.text.

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
from surfaces.network import network  # a network's loss, a surface of any dimension (the function, not the module)

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
    "network",
    "register",
    "runs",
]
