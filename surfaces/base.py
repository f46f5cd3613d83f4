"""The Surface record, its parameters, and the registry that builds surfaces by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, NamedTuple

import numpy as np

from optviz.core.specs import Spec
from optviz.text import LANGUAGES, catalog, say

# A scalar field and its gradient, written on the two coordinate arrays so that the
# same code serves a (B,) batch of points and a (ny, nx) plotting grid.
ValueFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
GradFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
# An in-place fast path of a gradient: ``grad_kernel(width)`` returns ``grad_into(x, y, gx, gy)``,
# which writes grad_fn's two results for (width,) rows x and y into gx and gy (rows apart from
# x and y), with scratch buffers of its own.
GradKernel = Callable[[int], Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]]
# The same for the value: ``value_kernel(width)`` returns ``value_into(x, y, out)``.
ValueKernel = Callable[[int], Callable[[np.ndarray, np.ndarray, np.ndarray], None]]


class Point(NamedTuple):
    """A critical point of a surface and the surface's value there."""

    x: float
    y: float
    value: float


Param = Spec  # a surface parameter is a setting like any other


Domain = tuple[tuple[float, float], tuple[float, float]]

# Points times minima measured at once by Surface.nearest_minimum (2 MB of float64 an array).
NEAREST_BLOCK = 1 << 18

# A run as plain data: an optimizer's name (torch.optim's class name in lower case) and the
# hyperparameters that differ from torch's defaults, by torch's keyword names:
# ("sgd", (("lr", 0.02), ("momentum", 0.9))). Plain data keeps surfaces independent of the
# optimizers and of the experiment record, which turn it into a run.
RunSpec = tuple[str, tuple[tuple[str, Any], ...]]


def runs(*specs: tuple[str, Mapping[str, Any]]) -> tuple[RunSpec, ...]:
    """Default runs written as ``runs(("sgd", {"lr": 0.19}), ("adadelta", {}))``."""
    return tuple((optimizer, tuple(hyperparameters.items())) for optimizer, hyperparameters in specs)


@dataclass(frozen=True)
class DataView:
    """A data surface's rows and model, as the page draws them (see ``Surface.data_view``)."""

    model: str  # "line" or "logistic"
    feature: tuple[float, ...]
    target: tuple[float, ...]
    centre: float = 0.0
    scale: float = 1.0


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface with its analytic gradient and its landmarks.

    ``value`` and ``grad`` take points as an array of shape ``(..., 2)`` (x in ``[..., 0]``,
    y in ``[..., 1]``) and broadcast over the leading axes, in float64.
    """

    dim: ClassVar[int] = 2  # the coordinates of a point, x and y (what the engine steps)
    name: str
    formula: str  # LaTeX for f(x, y), with the parameters as symbols
    value_fn: ValueFn = field(repr=False, compare=False)
    grad_fn: GradFn = field(repr=False, compare=False)
    domain: Domain  # ((x_min, x_max), (y_min, y_max)) for plotting
    minima: tuple[Point, ...]
    saddles: tuple[Point, ...]
    default_start: tuple[float, float]
    param_values: tuple[tuple[str, float], ...] = ()
    param_specs: tuple[Param, ...] = ()
    log_scale: bool = False  # the values span orders of magnitude: plot log-spaced levels
    # The surface's default page: the runs that race from ``default_start`` for ``default_steps``
    # steps, chosen to show what its description teaches.
    default_runs: tuple[RunSpec, ...] = ()
    default_steps: int = 500
    # Learning rates for the app's presets ("Add a run") on this surface, by preset label,
    # where the preset's general learning rate would diverge or show nothing here.
    preset_lr: tuple[tuple[str, float], ...] = ()
    # The start that a link of format version 1 without ``start=`` opened, where
    # ``default_start`` has moved since (None: it has not). Only the link reader needs it.
    v1_start: tuple[float, float] | None = None
    # A quadratic surface's Hessian eigenvalues (smallest, largest), for optviz.teach.theory; None otherwise.
    curvature: tuple[float, float] | None = None
    # Local minima too many to mark on the map (Rastrigin's lattice), which runs can still end
    # in: a basin map colours them, and a run's tolerance is measured from the one it ends at.
    local_minima: tuple[Point, ...] = ()
    # A data surface (a model's loss over a data set's rows): how many rows, and the gradient of
    # the mean loss over some of them, batch_grad_fn(x, y, rows) with rows in increasing order;
    # grad_fn is that over every row. None for the other surfaces.
    data_rows: int | None = None
    batch_grad_fn: Callable[..., tuple[np.ndarray, np.ndarray]] | None = field(default=None, repr=False, compare=False)
    # grad_fn in place, for the engine's record="final" loop: the same operations in the same
    # order, so the same bits (tests/core/test_kernels.py checks it); grad_fn stays the reference.
    grad_kernel: GradKernel | None = field(default=None, repr=False, compare=False)
    value_kernel: ValueKernel | None = field(default=None, repr=False, compare=False)
    # Where ``minima`` come from: "listed" (published, or given by the caller), "found" (a
    # numerical search: zero gradient, no descent direction) or "lowest" (no minimum found:
    # ``minima`` holds the lowest point of the search grid, to measure runs against; the page
    # says "lowest point found").
    minima_origin: str = "listed"
    # A data surface's data, for a view of the data and the model at (x, y) beside the race:
    # the model ("line": target = x * u + y; "logistic": P(+1) = 1 / (1 + exp(-(x * u + y))))
    # of u = (feature - centre) / scale, and each row's feature and target (a class is 0 or 1).
    data_view: DataView | None = field(default=None, repr=False, compare=False)
    # A typed formula's size: the work of one gradient, in operations (a function counts 10).
    # The budget (optviz.core.budget) prices a formula's steps by it, a data surface's by the rows
    # each step reads, and a catalog surface's by its name.
    operations: int = 0

    @property
    def title(self) -> str:
        """Its name, in English (the catalogs hold every language: ``surface.<name>.title``)."""
        return say(f"surface.{self.name}.title")

    @property
    def description(self) -> str:
        """One paragraph, in English: what the surface teaches (``surface.<name>.description``)."""
        return say(f"surface.{self.name}.description")

    @property
    def params(self) -> dict[str, float]:
        """The parameter values this surface was built with."""
        return dict(self.param_values)

    def learning_rate(self, preset: str, general: float) -> float:
        """The learning rate of the preset labelled ``preset`` on this surface."""
        return dict(self.preset_lr).get(preset, general)

    def value(self, xy: np.ndarray) -> np.ndarray:
        """f at points ``xy`` of shape ``(..., 2)``; returns shape ``(...)``."""
        xy = _as_points(xy)
        return self.value_fn(xy[..., 0], xy[..., 1])

    def grad(self, xy: np.ndarray) -> np.ndarray:
        """The analytic gradient at points ``xy`` of shape ``(..., 2)``; same shape back."""
        xy = _as_points(xy)
        gx, gy = self.grad_fn(xy[..., 0], xy[..., 1])
        out = np.empty((*np.broadcast_shapes(np.shape(gx), np.shape(gy)), 2))
        out[..., 0] = gx
        out[..., 1] = gy
        return out

    @property
    def f_star(self) -> float:
        """The lowest value among the listed minima: what runs are measured against."""
        return min(m.value for m in self.minima)

    @property
    def plot_gap(self) -> float:
        """The highest f − f* over the plot (a 9 x 9 grid of it, where f is defined): how high a
        run can climb and still be in the picture. The engine's divergence is measured by it
        (computed again each time: 81 values cost next to nothing, and nothing stale survives a
        change of the functions underneath, as the tests' one-ulp portability check makes)."""
        (x0, x1), (y0, y1) = self.domain
        xs, ys = np.meshgrid(np.linspace(x0, x1, 9), np.linspace(y0, y1, 9))
        with np.errstate(all="ignore"):
            gaps = self.value_fn(xs, ys) - self.f_star
        finite = gaps[np.isfinite(gaps)]
        return float(finite.max()) if finite.size else 0.0

    @property
    def basin_minima(self) -> tuple[Point, ...]:
        """Every minimum a run can end in: the listed minima, then the local ones (a basin map's colours)."""
        return self.minima + self.local_minima

    def nearest_minimum(self, xy: np.ndarray, minima: tuple[Point, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Index of the nearest of ``minima`` (the listed minima by default) and the distance to
        it, for points ``(..., 2)``."""
        xy = _as_points(xy)
        centres = np.array([(m.x, m.y) for m in (self.minima if minima is None else minima)])  # (M, 2)
        flat = xy.reshape(-1, 2)
        index = np.empty(flat.shape[0], dtype=np.intp)
        distance = np.empty(flat.shape[0])
        block = max(1, NEAREST_BLOCK // len(centres))  # a basin map's 40,000 ends by 200 minima: in blocks
        for lo in range(0, flat.shape[0], block):
            distances = np.linalg.norm(flat[lo : lo + block, None, :] - centres, axis=-1)  # (block, M)
            index[lo : lo + block] = np.argmin(distances, axis=-1)
            distance[lo : lo + block] = np.take_along_axis(distances, index[lo : lo + block, None], axis=-1)[:, 0]
        return index.reshape(xy.shape[:-1])[()], distance.reshape(xy.shape[:-1])

    def contains(self, x: float, y: float) -> bool:
        """Whether (x, y) lies inside the plotting domain."""
        (x0, x1), (y0, y1) = self.domain
        return x0 <= x <= x1 and y0 <= y <= y1


def _as_points(xy: np.ndarray) -> np.ndarray:
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim == 0 or xy.shape[-1] != 2:
        msg = f"points must have shape (..., 2), got {xy.shape}"
        raise ValueError(msg)
    return xy


Builder = Callable[..., Surface]


@dataclass(frozen=True)
class Entry:
    """What the registry keeps for one surface: its parameters and how to build it."""

    name: str
    param_specs: tuple[Param, ...]
    build: Builder

    @property
    def title(self) -> str:
        return say(f"surface.{self.name}.title")


_REGISTRY: dict[str, Entry] = {}


def register(name: str, params: tuple[Param, ...] = ()) -> Callable[[Builder], Builder]:
    """Register ``build(**params) -> Surface`` under ``name``, with its words in the catalogs
    (:func:`catalog_keys`): all a new surface needs. A surface whose words some catalog lacks
    is refused here, naming the keys, rather than shown as English or a key on the page."""

    def decorator(build: Builder) -> Builder:
        if name in _REGISTRY:
            msg = f"surface {name!r} is already registered"
            raise ValueError(msg)
        missing = [
            f"{key} ({lang})" for lang in LANGUAGES for key in catalog_keys(name, params) if key not in catalog(lang)
        ]
        if missing:
            msg = f"surface {name!r} lacks its words in optviz/text/<lang>.toml: {', '.join(missing)}"
            raise ValueError(msg)
        _REGISTRY[name] = Entry(name, params, build)
        return build

    return decorator


def catalog_keys(name: str, params: tuple[Param, ...]) -> list[str]:
    """The catalog keys the page reads for surface ``name``: its title and description, and
    each parameter's help (``surface.<name>.parameter.<param>``) and title (``parameter_title.<param>``)."""
    keys = [f"surface.{name}.title", f"surface.{name}.description"]
    for param in params:
        keys += [f"surface.{name}.parameter.{param.name}", f"parameter_title.{param.name}"]
    return keys


def names() -> list[str]:
    """Every registered surface name, in registration order."""
    return list(_REGISTRY)


def entry(name: str) -> Entry:
    """The registry entry for ``name``; unknown names raise KeyError listing the valid ones."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        msg = f"unknown surface {name!r}; choose one of: {', '.join(_REGISTRY)}"
        raise KeyError(msg) from None


def get(name: str, **params: float) -> Surface:
    """Build the surface ``name`` with ``params`` (defaults for the rest).

    Raises KeyError for an unknown name and ValueError for an unknown parameter or a value
    outside its range.
    """
    spec = entry(name)
    by_name = {p.name: p for p in spec.param_specs}
    unknown = sorted(set(params) - set(by_name))
    if unknown:
        valid = ", ".join(by_name) or "none"
        msg = f"surface {name!r} has no parameter {unknown[0]!r} (its parameters: {valid})"
        raise ValueError(msg)
    values = {p.name: p.check(params[p.name], app=True) if p.name in params else p.default for p in spec.param_specs}
    surface = spec.build(**values)
    return _with_params(surface, spec.param_specs, values)


def _with_params(surface: Surface, specs: tuple[Param, ...], values: dict[str, float]) -> Surface:
    return replace(surface, param_values=tuple(values.items()), param_specs=specs)
