"""The minima of a formula, searched for, and a default start away from them.

A 64 x 64 grid over the plot gives the candidates (points no higher than their neighbours);
damped Newton steps on the symbolic gradient and Hessian refine them, within a budget of work
so that a large formula cannot keep the server busy; a point is a minimum where the gradient
vanishes and no direction descends. The grid also tells whether the plot's levels should be
log-spaced, and the lowest point where no minimum is found.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from surfaces.base import Domain, Point

GRID = 64  # points a side of the search grid
MAX_CANDIDATES = 256  # grid minima refined, lowest first
MAX_LISTED = 8  # minima listed (the rest, up to MAX_LOCAL, as local minima)
MAX_LOCAL = 200
NEWTON_STEPS = 40
# The search's work, counted in operations run on arrays (a function call counts 10): large
# formulas take fewer Newton steps, so that no formula keeps the server busy for long.
WORK = 60_000
INSET = 0.15  # of the domain's sides: the default start's distance from the edges
LOG_SPAN = 30.0  # log-spaced levels when f - f* over the grid spans more than this many times its lowest tenth


def _eigen(hxx: np.ndarray, hxy: np.ndarray, hyy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean and the half-spread of a symmetric 2 x 2 matrix's eigenvalues."""
    half = 0.5 * (hxx - hyy)
    return 0.5 * (hxx + hyy), np.sqrt(half * half + hxy * hxy)


def _distance(dx: float, dy: float) -> float:
    return math.sqrt(dx * dx + dy * dy)


class MinimaSearch:
    """The grid, its local minima refined by Newton's method, and what they tell."""

    def __init__(
        self, value: Callable, grad: Callable, hessian: Callable, domain: Domain, costs: tuple[int, int, int]
    ) -> None:
        self.value, self.grad, self.hessian = value, grad, hessian
        self.costs = costs  # of value, grad and hessian
        (x0, x1), (y0, y1) = domain
        self.domain = domain
        self.size = max(x1 - x0, y1 - y0)
        xs, ys = np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID)
        self.xx, self.yy = np.meshgrid(xs, ys)
        self.z = np.asarray(value(self.xx, self.yy), dtype=np.float64)

    def grid_minima(self) -> np.ndarray:
        """Grid points no higher than any of their eight neighbours, lowest first, (K, 2)."""
        z = np.where(np.isfinite(self.z), self.z, np.inf)
        padded = np.pad(z, 1, constant_values=np.inf)
        lowest = np.isfinite(z)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dx or dy:
                    lowest &= z <= padded[1 + dy : 1 + dy + GRID, 1 + dx : 1 + dx + GRID]
        rows, cols = np.nonzero(lowest)
        order = np.argsort(z[rows, cols], kind="stable")[:MAX_CANDIDATES]
        return np.stack([self.xx[rows, cols][order], self.yy[rows, cols][order]], axis=-1)

    def newton(self, points: np.ndarray) -> np.ndarray:
        """Damped Newton steps (the Hessian shifted to be positive definite, the step halved
        until f does not increase): every point moves downhill to a minimum nearby. A point
        stops when its step is below 1e-14 of the domain or it cannot go down."""
        p = points.copy()
        f = np.asarray(self.value(p[:, 0], p[:, 1]))
        active = np.flatnonzero(np.isfinite(f))
        work = 0
        value_cost, grad_cost, hessian_cost = self.costs
        for _ in range(NEWTON_STEPS):
            if not len(active) or work > WORK:
                break
            work += grad_cost + hessian_cost
            q, fq = p[active], f[active]
            gx, gy = self.grad(q[:, 0], q[:, 1])
            hxx, hxy, hyy = self.hessian(q[:, 0], q[:, 1])
            mean, radius = _eigen(hxx, hxy, hyy)
            smallest = mean - radius
            shift = np.where(smallest > 0, 0.0, -smallest + 1e-3 * (np.abs(mean) + radius) + 1e-12)
            a, d = hxx + shift, hyy + shift
            det = a * d - hxy * hxy
            step = -np.stack([(d * gx - hxy * gy) / det, (a * gy - hxy * gx) / det], axis=-1)
            step = np.where(np.isfinite(step), step, 0.0)
            scale = np.ones(len(q))
            moved = np.zeros(len(q), dtype=bool)
            pending = np.arange(len(q))
            for _ in range(30):
                trial = q[pending] + scale[pending, None] * step[pending]
                ft = np.asarray(self.value(trial[:, 0], trial[:, 1]))
                work += value_cost
                better = ft <= fq[pending]
                done = pending[better]
                q[done], fq[done], moved[done] = trial[better], ft[better], True
                pending = pending[~better]
                if not len(pending):
                    break
                scale[pending] *= 0.5
            p[active], f[active] = q, fq
            still = moved & (np.abs(step).max(axis=1) * scale > 1e-14 * self.size)
            active = active[still]
        return p

    def minima(self) -> list[Point]:
        candidates = self.grid_minima()
        if not len(candidates):
            return []
        points = self.newton(candidates)
        gx, gy = self.grad(points[:, 0], points[:, 1])
        hxx, hxy, hyy = self.hessian(points[:, 0], points[:, 1])
        f = np.asarray(self.value(points[:, 0], points[:, 1]))
        slopes = np.abs(np.stack(self.grad(self.xx, self.yy)))
        slope = 1.0 if np.isnan(slopes).all() else float(np.nanmedian(slopes))  # (x - x)**y: 0 for y > 0, with no slope
        tolerance = 1e-8 * max(1.0, slope if math.isfinite(slope) else 1.0)
        mean, radius = _eigen(hxx, hxy, hyy)
        (x0, x1), (y0, y1) = self.domain
        good = (
            np.isfinite(f)
            & (np.abs(gx) <= tolerance)
            & (np.abs(gy) <= tolerance)
            & (mean - radius >= -1e-9 * (np.abs(mean) + radius))  # no direction of descent
            & (points[:, 0] >= x0)
            & (points[:, 0] <= x1)
            & (points[:, 1] >= y0)
            & (points[:, 1] <= y1)
        )
        found: list[Point] = []
        for i in np.flatnonzero(good)[np.argsort(f[good], kind="stable")]:
            x, y = float(points[i, 0]), float(points[i, 1])
            if all(_distance(x - m.x, y - m.y) > 1e-6 * self.size for m in found):
                found.append(Point(x, y, float(f[i])))
        return found

    def lowest(self) -> Point:
        z = np.where(np.isfinite(self.z), self.z, np.inf)
        k = int(np.argmin(z))
        return Point(float(self.xx.flat[k]), float(self.yy.flat[k]), float(z.flat[k]))

    def log_scale(self, f_star: float) -> bool:
        finite = self.z[np.isfinite(self.z)]
        gap = finite - f_star
        if gap.min() < -1e-9 * (abs(f_star) + 1.0):  # somewhere lower than f*: levels below it
            return False
        low = float(np.quantile(gap, 0.1))
        return low > 0 and float(gap.max()) / low > LOG_SPAN


def default_start(search: MinimaSearch, minima: Sequence[Point]) -> tuple[float, float]:
    """Of the points 15 % in from the corners and the edges' middles (the north-west corner
    first), the one farthest from every minimum where f and its gradient are finite."""
    (x0, x1), (y0, y1) = search.domain
    dx, dy = INSET * (x1 - x0), INSET * (y1 - y0)
    left, right, bottom, top = x0 + dx, x1 - dx, y0 + dy, y1 - dy
    mx, my = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    candidates = [
        (left, top),
        (right, top),
        (left, bottom),
        (right, bottom),
        (left, my),
        (mx, top),
        (right, my),
        (mx, bottom),
    ]
    best, distance = None, -1.0
    for x, y in candidates:
        gx, gy = search.grad(x, y)
        if not all(math.isfinite(v) for v in (search.value(x, y), gx, gy)):
            continue
        d = min(_distance(x - m.x, y - m.y) for m in minima)
        if d > distance:
            best, distance = (x, y), d
    if best is None:  # the grid point farthest from the minima where the formula is finite
        finite = np.isfinite(search.z)
        xs, ys = search.xx[finite], search.yy[finite]
        d = np.min([np.sqrt((xs - m.x) * (xs - m.x) + (ys - m.y) * (ys - m.y)) for m in minima], axis=0)
        k = int(np.argmax(d))
        best = (float(xs[k]), float(ys[k]))
    return best
