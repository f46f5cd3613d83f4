"""What the engine and the budget ask of a surface: a :class:`Surface` protocol.

The core knows no surface by name: it takes any object with these attributes (the records of
the ``surfaces`` package have them, and so may a test's own). A point has ``dim`` coordinates;
the engine steps points of shape ``(dim, B)`` and calls the surface's functions on their
coordinates: ``grad_fn(*coordinates)`` returns one value per coordinate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np


class Minimum(Protocol):
    """A minimum of a surface: the engine reads only its value (and hands it back to the surface)."""

    @property
    def value(self) -> float: ...


class Surface(Protocol):
    """A loss surface as the core uses it.

    ``dim``: the coordinates of a point (an object without it takes its start's length).
    ``value_fn(*coordinates)`` and ``grad_fn(*coordinates)``: f and its gradient (one value per
    coordinate) at points given coordinate by coordinate, as Python floats or as arrays of the
    same shape. ``batch_grad_fn(*coordinates, rows)``: a data surface's gradient of the mean
    loss over some of its ``data_rows`` (None elsewhere). ``grad_kernel(width)`` and
    ``value_kernel(width)``: in-place versions (``grad_into(*coordinates, *gradient)``,
    ``value_into(*coordinates, out)``) for the record="final" loop, or None.
    ``value(points)``, ``grad(points)``: the same on points of shape ``(..., dim)``.
    ``f_star``, ``plot_gap``: the lowest minimum's value and the highest f - f* over the plot
    (the divergence limit's scale); ``basin_minima`` and ``nearest_minimum(points, minima)``: the
    minima a run can end in and which one each point is nearest to (for the tolerance).
    ``name``, ``operations``: what the budget prices a step by (the catalog's name, a typed
    formula's size in operations).
    """

    name: str
    dim: int
    default_start: Sequence[float]
    data_rows: int | None
    operations: int
    value_fn: Callable[..., Any]
    grad_fn: Callable[..., tuple[Any, ...]]
    batch_grad_fn: Callable[..., tuple[Any, ...]] | None
    grad_kernel: Callable[[int], Callable[..., None]] | None
    value_kernel: Callable[[int], Callable[..., None]] | None

    @property
    def f_star(self) -> float: ...

    @property
    def plot_gap(self) -> float: ...

    @property
    def basin_minima(self) -> tuple[Minimum, ...]: ...

    def value(self, points: np.ndarray) -> np.ndarray: ...

    def grad(self, points: np.ndarray) -> np.ndarray: ...

    def nearest_minimum(
        self, points: np.ndarray, minima: tuple[Minimum, ...] | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...


def takes_points(surf: Surface) -> bool:
    """Whether ``surf`` takes whole points, (d, w) arrays, rather than coordinate by coordinate:
    a surface of many coordinates (a network's weights) offers ``loss_at(points)``, (w,), and
    ``grad_at(points, rows=None)``, (d, w), and the engine calls those instead of ``value_fn``
    and ``grad_fn`` (d arguments a call would cost more than the network)."""
    return getattr(surf, "grad_at", None) is not None


def loss_of(surf: Surface, points: np.ndarray) -> np.ndarray:
    """The surface's value at points (d, w), or at rows of points (n, d, w): (w,) or (n, w)."""
    if not takes_points(surf):
        return surf.value_fn(*np.moveaxis(points, -2, 0))
    if points.ndim == 2:
        return surf.loss_at(points)
    return np.stack([surf.loss_at(row) for row in points])


def gradient_of(surf: Surface, points: np.ndarray) -> Any:
    """The surface's gradient at points (d, w): a (d, w) array, or one value a coordinate."""
    if takes_points(surf):
        return surf.grad_at(points)
    return surf.grad_fn(*points)
