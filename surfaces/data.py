"""Surfaces that are the loss of a two-parameter model on a real small data set.

The data sets ship inside the plotly package (``plotly/package_data/datasets``), so nothing
is downloaded. A surface's x and y are the model's two parameters; its value is the mean
loss over the data set's rows, and ``batch_grad_fn(x, y, rows)`` the gradient of the mean
over some of them, which the engine uses for minibatches (``optviz.run(..., batch_size=)``).
``grad_fn`` is ``batch_grad_fn`` over every row, by the same operations, so a batch of the
whole data set is the full-batch run, bit for bit.

Sums over rows are taken in a fixed order (:func:`tree_sum`: halves added elementwise), the
same for one point and for a batch of points: the engine's float path and array path agree,
and so does every CPU. Many points at once (a plot's grid, a basin map's starts) are taken a
block at a time (:func:`by_blocks`), so that no intermediate array of points x rows grows
beyond a few MB; each point's value is its own column's, so the blocks change no bit.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import plotly

from optviz.core import portable
from surfaces.base import DataView, Param, Point, Surface, register, runs

DATASETS = Path(plotly.__file__).parent / "package_data" / "datasets"


@cache
def columns(name: str, *fields: str) -> tuple[tuple[str, ...], ...]:
    """The named columns of plotly's data set ``name`` (tips, iris, ...), as text, in file order."""
    with gzip.open(DATASETS / f"{name}.csv.gz", "rt", newline="") as file:
        rows = list(csv.reader(file))
    header = rows[0]
    return tuple(tuple(row[header.index(field)] for row in rows[1:]) for field in fields)


def tree_sum(values: np.ndarray) -> np.ndarray:
    """The sum over axis 0 in a fixed order: the halves added elementwise until one row is left.

    For a (m,) array and for each column of a (m, ...) array the additions are the same, so a
    single point and a batch of points get the same bits (NumPy's own sum orders its
    additions differently for the two).
    """
    values = np.asarray(values, dtype=np.float64)
    size = 1
    while size < values.shape[0]:
        size *= 2
    if size != values.shape[0]:
        padding = np.zeros((size - values.shape[0], *values.shape[1:]))
        values = np.concatenate([values, padding])
    while values.shape[0] > 1:
        half = values.shape[0] // 2
        values = values[:half] + values[half:]
    return values[0]


# The most point-row pairs (elements of one intermediate array) a model works on at once: 2 MB
# of float64 each. The logistic loss's exp and log hold a few dozen such arrays at a time.
BLOCK_ELEMENTS = 1 << 18


def by_blocks(function: Callable[..., tuple[Any, ...]], x: Any, y: Any, rows: int, *args: Any) -> tuple[Any, ...]:
    """``function(x, y, *args)``, a tuple of arrays shaped like the points, computed a block of
    points at a time where the points times the ``rows`` read would make large intermediates.

    Floats and small arrays go straight to ``function``. Every value depends only on its own
    point (elementwise operations and :func:`tree_sum` down each column), so the blocks give
    the bits the whole array would.
    """
    if isinstance(x, float) and isinstance(y, float):
        return function(x, y, *args)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    shape = np.broadcast_shapes(x.shape, y.shape)
    count = math.prod(shape)
    block = max(1, BLOCK_ELEMENTS // max(rows, 1))
    if count <= block:
        return function(x, y, *args)
    xs, ys = np.broadcast_to(x, shape).reshape(-1), np.broadcast_to(y, shape).reshape(-1)
    parts = [function(xs[i : i + block], ys[i : i + block], *args) for i in range(0, count, block)]
    return tuple(np.concatenate([part[k] for part in parts]).reshape(shape) for k in range(len(parts[0])))


def standardised(feature: np.ndarray) -> np.ndarray:
    """``feature`` minus its mean, over its standard deviation (the population one)."""
    n = float(feature.shape[0])
    mean = tree_sum(feature) / n
    centred = feature - mean
    return centred / np.sqrt(tree_sum(centred * centred) / n)


def _data_view(model: str, name: str, feature: str, target: str, standardise: bool) -> DataView:
    """The rows as the page draws them: a feature in its own units, a target (iris' virginica
    1, versicolor 0), and how the model reads the feature (standardised or as it is)."""
    u, v = columns(name, feature, target)
    if model == "logistic":
        kept = [i for i, species in enumerate(v) if species != "setosa"]
        u, v = [u[i] for i in kept], [1.0 if v[i] == "virginica" else 0.0 for i in kept]
    values = np.array([float(f) for f in u])
    centre, scale = 0.0, 1.0
    if standardise:
        n = float(values.shape[0])
        centre = float(tree_sum(values) / n)
        scale = float(np.sqrt(tree_sum((values - centre) * (values - centre)) / n))
    return DataView(model, tuple(values.tolist()), tuple(float(t) for t in v), centre, scale)


def _scalar(value: np.ndarray, like: object) -> object:
    """A float where the engine passed floats (its fast path), else the array."""
    return float(value) if isinstance(like, float) else value


# ------------------------------------------------------------------------------ least squares


class LeastSquares:
    """Half the mean squared error of the line ``t -> x * t + y`` on the rows (t_i, p_i).

    The gradient of the mean over rows R is (S_tt x + S_t y − S_tp, S_t x + m y − S_p) / m,
    with the moments S of R: a batch costs the same whatever its size, and the moments of
    every row give the full gradient by the same operations.
    """

    def __init__(self, t: np.ndarray, p: np.ndarray) -> None:
        self.t, self.p = t, p
        self.rows = t.shape[0]
        self.full = np.arange(self.rows)
        self._moments: dict[bytes, tuple[float, ...]] = {}

    def moments(self, rows: np.ndarray) -> tuple[float, ...]:
        key = rows.tobytes()
        found = self._moments.get(key)
        if found is None:
            t, p = self.t[rows], self.p[rows]
            found = (*tuple(float(tree_sum(v)) for v in (t * t, t, t * p, p)), float(rows.shape[0]))
            if len(self._moments) < 4096:
                self._moments[key] = found
        return found

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return by_blocks(self._value, x, y, self.rows)[0]

    def _value(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray]:
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        shape = np.broadcast_shapes(x.shape, y.shape)
        t = self.t.reshape(-1, *([1] * len(shape)))
        p = self.p.reshape(-1, *([1] * len(shape)))
        residual = x * t + y - p
        return (0.5 * tree_sum(residual * residual) / float(self.rows),)

    def batch_grad(self, x: object, y: object, rows: np.ndarray) -> tuple[object, object]:
        s_tt, s_t, s_tp, s_p, m = self.moments(rows)
        gx = (s_tt * x + s_t * y - s_tp) / m
        gy = (s_t * x + m * y - s_p) / m
        return gx, gy

    def grad(self, x: object, y: object) -> tuple[object, object]:
        return self.batch_grad(x, y, self.full)

    def minimum(self) -> tuple[float, float]:
        """The normal equations' solution, exactly as written: the least-squares line."""
        s_tt, s_t, s_tp, s_p, m = self.moments(self.full)
        slope = (m * s_tp - s_t * s_p) / (m * s_tt - s_t * s_t)
        return slope, (s_p - slope * s_t) / m

    def curvature(self) -> tuple[float, float]:
        """The Hessian's eigenvalues (smallest, largest): the moments' 2 x 2 matrix over m."""
        s_tt, s_t, _, _, m = self.moments(self.full)
        a, b, d = s_tt / m, s_t / m, 1.0
        mean, gap = (a + d) / 2, np.sqrt(((a - d) / 2) * ((a - d) / 2) + b * b)
        return float(mean - gap), float(mean + gap)


@cache
def tips(standardise: bool) -> LeastSquares:
    """The tip against the total bill (the restaurant's 244 bills)."""
    bill, tip = (np.array([float(v) for v in column]) for column in columns("tips", "total_bill", "tip"))
    return LeastSquares(standardised(bill) if standardise else bill, tip)


# ------------------------------------------------------------------------------ registered surfaces


@register("tips", params=(Param("standardise", False, kind="bool"),))
def tips_line(standardise: bool) -> Surface:
    model = tips(bool(standardise))
    slope, intercept = model.minimum()
    m, L = model.curvature()
    if standardise:  # a round bowl around the minimum
        domain = ((slope - 3.0, slope + 3.0), (intercept - 3.0, intercept + 3.0))
        start = (slope - 2.5, intercept + 2.0)
    else:  # a valley 2,800 times steeper across than along: the slope's axis is short
        domain = ((-0.2, 0.4), (-2.0, 4.0))
        start = (-0.15, 3.5)
    feature = r"\tilde t_i" if standardise else "t_i"
    return Surface(
        name="tips",
        formula=rf"f(x, y) = \frac{{1}}{{2n}} \sum_{{i=1}}^{{n}} \left(x\,{feature} + y - p_i\right)^2",
        value_fn=model.value,
        grad_fn=model.grad,
        domain=domain,
        minima=(Point(slope, intercept, float(model.value(slope, intercept))),),
        saddles=(),
        default_start=start,
        log_scale=True,
        default_runs=runs(
            ("sgd", {"lr": 0.004} if not standardise else {"lr": 0.1}),
            ("sgd", {"lr": 0.004, "momentum": 0.9} if not standardise else {"lr": 0.1, "batch": 16}),
            ("adam", {"lr": 0.05} if not standardise else {"lr": 0.1, "batch": 1}),
        ),
        default_steps=500 if not standardise else 300,
        # RAdam's first steps are plain momentum steps: at the general 0.05 they fly off the
        # raw valley, whose steep side allows no more than 2/L = 0.004; so do schedule-free
        # SGD's at its general 0.01.
        preset_lr=(("RAdam", 0.002), ("SGD (schedule-free)", 0.003)) if not standardise else (),
        curvature=(m, L),
        data_rows=model.rows,
        data_view=_data_view("line", "tips", "total_bill", "tip", bool(standardise)),
        batch_grad_fn=model.batch_grad,
    )


# ------------------------------------------------------------------------------ logistic regression


class Logistic:
    """The mean logistic loss of the classifier ``t -> x * t + y`` on rows (t_i, s_i), s_i = ±1:
    mean of log(1 + exp(−s_i (x t_i + y))), computed with optviz.core.portable's exp and log."""

    def __init__(self, t: np.ndarray, s: np.ndarray) -> None:
        self.t, self.s = t, s
        self.rows = t.shape[0]
        self.full = np.arange(self.rows)

    def _margins(self, x: object, y: object, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        shape = np.broadcast_shapes(x.shape, y.shape)
        t = self.t[rows].reshape(-1, *([1] * len(shape)))
        s = self.s[rows].reshape(-1, *([1] * len(shape)))
        return s * (x * t + y), t, s

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return by_blocks(self._value, x, y, self.rows)[0]

    def _value(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray]:
        u, _, _ = self._margins(x, y, self.full)
        # log(1 + exp(-u)) = max(-u, 0) + log(1 + exp(-|u|)): no overflow for any margin
        loss = np.maximum(-u, 0.0) + portable.log(1.0 + portable.exp(-np.abs(u)))
        return (tree_sum(loss) / float(self.rows),)

    def batch_grad(self, x: object, y: object, rows: np.ndarray) -> tuple[object, object]:
        gx, gy = by_blocks(self._batch_grad, x, y, rows.shape[0], rows)
        return _scalar(gx, x), _scalar(gy, x)

    def _batch_grad(self, x: object, y: object, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u, t, s = self._margins(x, y, rows)
        weight = -s / (1.0 + portable.exp(u))  # d/dz of log(1 + exp(-s z)): -s sigma(-s z)
        m = float(rows.shape[0])
        return tree_sum(weight * t) / m, tree_sum(weight) / m

    def grad(self, x: object, y: object) -> tuple[object, object]:
        return self.batch_grad(x, y, self.full)

    def hessian(self, x: float, y: float) -> np.ndarray:
        u, t, _ = self._margins(x, y, self.full)
        p = 1.0 / (1.0 + portable.exp(u))  # sigma(-u)
        w = p * (1.0 - p)
        n = float(self.rows)
        a, b, d = tree_sum(w * t * t) / n, tree_sum(w * t) / n, tree_sum(w) / n
        return np.array([[float(a), float(b)], [float(b), float(d)]])

    def minimum(self) -> tuple[float, float]:
        """Newton's method from the origin, to the last bit it can move."""
        point = np.zeros(2)
        for _ in range(100):
            gx, gy = self.grad(float(point[0]), float(point[1]))
            h = self.hessian(float(point[0]), float(point[1]))
            det = h[0, 0] * h[1, 1] - h[0, 1] * h[1, 0]
            step = np.array([(h[1, 1] * gx - h[0, 1] * gy) / det, (h[0, 0] * gy - h[1, 0] * gx) / det])
            point = point - step
            if np.all(np.abs(step) <= 1e-15 * (1.0 + np.abs(point))):
                break
        return float(point[0]), float(point[1])


@cache
def iris(standardise: bool) -> Logistic:
    """Virginica (+1) against versicolor (−1) by petal width: 100 flowers whose classes overlap."""
    width, species = columns("iris", "petal_width", "species")
    kept = [i for i, name in enumerate(species) if name != "setosa"]
    t = np.array([float(width[i]) for i in kept])
    s = np.array([1.0 if species[i] == "virginica" else -1.0 for i in kept])
    return Logistic(standardised(t) if standardise else t, s)


@register("iris", params=(Param("standardise", False, kind="bool"),))
def iris_logistic(standardise: bool) -> Surface:
    model = iris(bool(standardise))
    weight, bias = model.minimum()
    if standardise:  # a bowl, stretched a little
        domain, start = ((-3.0, 12.0), (-6.0, 7.0)), (-2.0, 5.0)
        default_runs = runs(("sgd", {"lr": 10.0}), ("sgd", {"lr": 2.0, "momentum": 0.9}), ("adam", {"lr": 0.5}))
    else:  # a long valley along the decision boundary, petal width = -bias / weight
        domain, start = ((-5.0, 30.0), (-45.0, 10.0)), (-2.0, 5.0)
        default_runs = runs(("sgd", {"lr": 10.0}), ("sgd", {"lr": 1.0, "momentum": 0.9}), ("adam", {"lr": 0.5}))
    feature = r"\tilde w_i" if standardise else "w_i"
    return Surface(
        name="iris",
        formula=rf"f(x, y) = \frac{{1}}{{n}} \sum_{{i=1}}^{{n}} \log\left(1 + e^{{-s_i (x\,{feature} + y)}}\right)",
        value_fn=model.value,
        grad_fn=model.grad,
        domain=domain,
        minima=(Point(weight, bias, float(model.value(weight, bias))),),
        saddles=(),
        default_start=start,
        log_scale=True,
        default_runs=default_runs,
        default_steps=500,
        # The logistic loss is flat (curvature at most 0.17): gradient descent takes rates of
        # about 1 to 10 here, where the general 0.001 would not move.
        preset_lr=(
            ("SGD", 5.0),
            ("SGD with momentum", 0.5),
            ("Nesterov", 0.5),
            ("ASGD", 5.0),
            ("SGD (schedule-free)", 5.0),
        ),
        data_rows=model.rows,
        data_view=_data_view("logistic", "iris", "petal_width", "species", bool(standardise)),
        batch_grad_fn=model.batch_grad,
    )
