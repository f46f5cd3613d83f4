"""The registered surfaces. Each builder returns a Surface; registering it is all a new one needs.

Minima and saddle points are the published ones, refined to full float64 precision with
Newton's method on the analytic gradient (the tests check every one of them).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from optviz.core.primitives import cos_2pi, sin_2pi
from surfaces.base import Param, Point, Surface, register, runs

# --------------------------------------------------------------------------------------------
# valley: an ill-conditioned quadratic bowl


@register(
    "valley",
    params=(
        Param(
            "kappa",
            10.0,
            symbol=r"\kappa",
            low=1.0,
            high=1000.0,
            log=True,
        ),
        Param(
            "angle",
            0.0,
            symbol=r"\theta",
            low=-90.0,
            high=90.0,
        ),
    ),
)
def valley(kappa: float, angle: float) -> Surface:
    turns = angle / 360.0
    c, s = cos_2pi(turns), sin_2pi(turns)

    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        u, v = c * x + s * y, -s * x + c * y
        return 0.5 * (u * u + kappa * v * v)

    def grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u, v = c * x + s * y, -s * x + c * y
        gu, gv = u, kappa * v
        return c * gu - s * gv, s * gu + c * gv

    return Surface(
        name="valley",
        formula=(  # two lines: one is wider than a lesson's column
            r"\begin{gathered}f(x, y) = \tfrac12\left(u^2 + \kappa v^2\right), \\ "
            r"u = x\cos\theta + y\sin\theta,\; v = -x\sin\theta + y\cos\theta\end{gathered}"
        ),
        value_fn=value,
        grad_fn=grad,
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        minima=(Point(0.0, 0.0, 0.0),),
        saddles=(),
        default_start=(-2.5, 1.0),
        log_scale=True,
        # kappa 10: 2/kappa = 0.2. A hundred steps leave the crawl of SGD at lr 0.02 visible.
        default_runs=runs(
            ("sgd", {"lr": 0.19}),  # just below 2/kappa: reverses across the valley at every step
            ("sgd", {"lr": 0.02}),  # below 1/kappa: no zig-zag, and a crawl along the floor
            ("sgd", {"lr": 0.02, "momentum": 0.9}),  # the same learning rate, ten times the speed
            ("sgd", {"lr": 0.02, "momentum": 0.9, "nesterov": True}),  # the swing damped sooner
            ("adam", {"lr": 0.1}),  # per-coordinate steps undo the axis-aligned conditioning
        ),
        default_steps=100,
        curvature=(1.0, kappa),  # the Hessian's eigenvalues: 1 along the floor, kappa across
    )


# --------------------------------------------------------------------------------------------
# saddle: a strict saddle between two minima


@register("saddle")
def saddle() -> Surface:
    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        y2 = y * y
        return x * x + 0.25 * (y2 * y2) - 0.5 * y2

    def grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return 2.0 * x, y * y * y - y

    return Surface(
        name="saddle",
        formula=r"f(x, y) = x^2 + \tfrac14 y^4 - \tfrac12 y^2",
        value_fn=value,
        grad_fn=grad,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(Point(0.0, -1.0, -0.25), Point(0.0, 1.0, -0.25)),
        saddles=(Point(0.0, 0.0, 0.0),),
        default_start=(-1.8, 0.02),
        default_runs=runs(
            ("sgd", {"lr": 0.01}),  # drawn to the saddle and still there after 200 steps
            ("sgd", {"lr": 0.05}),  # lingers at the saddle for dozens of steps, then escapes
            ("sgd", {"lr": 0.01, "momentum": 0.9}),  # overshoots the saddle and gets away
            ("rmsprop", {"lr": 0.01}),  # rescaled steps: leaves y = 0 at once
            ("adam", {"lr": 0.05}),
        ),
        default_steps=200,
    )


# --------------------------------------------------------------------------------------------
# rosenbrock: the banana valley


@register(
    "rosenbrock",
    params=(
        Param("a", 1.0, symbol="a", low=-1.5, high=1.5),
        Param("b", 100.0, symbol="b", low=1.0, high=1000.0, log=True),
    ),
)
def rosenbrock(a: float, b: float) -> Surface:
    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r = y - x * x
        d = a - x
        return d * d + b * r * r

    def grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r = y - x * x
        return -2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r

    def grad_kernel(width: int) -> Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]:
        r, t = np.empty(width), np.empty(width)
        four_b, two_b = 4.0 * b, 2.0 * b

        def grad_into(x: np.ndarray, y: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> None:
            np.multiply(x, x, out=r)  # r = y - x * x
            np.subtract(y, r, out=r)
            np.subtract(a, x, out=gx)  # -2.0 * (a - x) - 4.0 * b * x * r
            np.multiply(gx, -2.0, out=gx)
            np.multiply(x, four_b, out=t)
            np.multiply(t, r, out=t)
            np.subtract(gx, t, out=gx)
            np.multiply(r, two_b, out=gy)  # 2.0 * b * r

        return grad_into

    def value_kernel(width: int) -> Callable[[np.ndarray, np.ndarray, np.ndarray], None]:
        r, d, t = np.empty(width), np.empty(width), np.empty(width)

        def value_into(x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
            np.multiply(x, x, out=r)  # r = y - x * x
            np.subtract(y, r, out=r)
            np.subtract(a, x, out=d)  # d * d + b * r * r
            np.multiply(d, d, out=d)
            np.multiply(r, b, out=t)
            np.multiply(t, r, out=t)
            np.add(d, t, out=out)

        return value_into

    return Surface(
        name="rosenbrock",
        formula=r"f(x, y) = (a - x)^2 + b\,(y - x^2)^2",
        value_fn=value,
        grad_fn=grad,
        grad_kernel=grad_kernel,
        value_kernel=value_kernel,
        domain=((-2.0, 2.0), (-1.0, 3.0)),
        minima=(Point(a, a * a, 0.0),),
        saddles=(),
        default_start=(-1.5, 2.0),
        log_scale=True,
        # The default page of optviz since version 1: old links without runs open these eight.
        default_runs=runs(
            ("sgd", {"lr": 1e-3}),
            ("sgd", {"lr": 1e-3, "momentum": 0.9}),
            ("sgd", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
            ("adagrad", {"lr": 0.5}),
            ("rmsprop", {"lr": 0.01}),
            ("adam", {"lr": 0.05}),
            ("adadelta", {}),
            ("nadam", {"lr": 0.05}),
        ),
        # RAdam's first steps are plain SGD steps: at 0.05 it diverges, and from about 0.013 it is
        # thrown off the plot.
        preset_lr=(("RAdam", 0.005),),
    )


# --------------------------------------------------------------------------------------------
# himmelblau: four minima of equal depth


@register("himmelblau")
def himmelblau() -> Surface:
    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        p, q = x * x + y - 11.0, x + y * y - 7.0
        return p * p + q * q

    def grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, q = x * x + y - 11.0, x + y * y - 7.0
        return 4.0 * x * p + 2.0 * q, 2.0 * p + 4.0 * y * q

    def _terms_into(x: np.ndarray, y: np.ndarray, p: np.ndarray, q: np.ndarray) -> None:
        """p = x * x + y - 11.0 and q = x + y * y - 7.0, in place, in value's and grad's order."""
        np.multiply(x, x, out=p)
        np.add(p, y, out=p)
        np.subtract(p, 11.0, out=p)
        np.multiply(y, y, out=q)
        np.add(x, q, out=q)
        np.subtract(q, 7.0, out=q)

    def grad_kernel(width: int) -> Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]:
        p, q, t = np.empty(width), np.empty(width), np.empty(width)

        def grad_into(x: np.ndarray, y: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> None:
            _terms_into(x, y, p, q)
            np.multiply(x, 4.0, out=gx)  # 4.0 * x * p + 2.0 * q
            np.multiply(gx, p, out=gx)
            np.multiply(q, 2.0, out=t)
            np.add(gx, t, out=gx)
            np.multiply(p, 2.0, out=gy)  # 2.0 * p + 4.0 * y * q
            np.multiply(y, 4.0, out=t)
            np.multiply(t, q, out=t)
            np.add(gy, t, out=gy)

        return grad_into

    def value_kernel(width: int) -> Callable[[np.ndarray, np.ndarray, np.ndarray], None]:
        p, q = np.empty(width), np.empty(width)

        def value_into(x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
            _terms_into(x, y, p, q)
            np.multiply(p, p, out=p)  # p * p + q * q
            np.multiply(q, q, out=q)
            np.add(p, q, out=out)

        return value_into

    return Surface(
        name="himmelblau",
        formula=r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        value_fn=value,
        grad_fn=grad,
        grad_kernel=grad_kernel,
        value_kernel=value_kernel,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        minima=(
            Point(3.0, 2.0, 0.0),
            Point(-2.805118086952745, 3.131312518250573, 0.0),
            Point(-3.779310253377747, -3.2831859912861696, 0.0),
            Point(3.5844283403304917, -1.8481265269644034, 0.0),
        ),
        saddles=(
            Point(0.08667750455539634, 2.884254701174776, 67.71915008752613),
            Point(-3.0730257507643897, -0.08135304428796751, 104.01516291755811),
            Point(3.385154183607021, 0.07385187983774928, 13.311926270405587),
            Point(-0.12796134673068005, -1.9537149802445766, 178.33723920192745),
        ),
        # On the left edge, on the ridge between the two western basins: each run below ends in
        # another of the four minima.
        default_start=(-4.75, 0.5),
        log_scale=True,
        default_runs=runs(
            ("sgd", {"lr": 1e-3}),  # straight down the slope: north-west
            ("adam", {"lr": 0.05}),  # sign-like first steps tip it the other way: south-west
            ("sgd", {"lr": 2e-3, "momentum": 0.9}),  # carried over the northern saddle: north-east
            ("sgd", {"lr": 1e-3, "momentum": 0.95}),  # carried further still: south-east
        ),
        preset_lr=(("RAdam", 0.01),),  # at 0.05 RAdam's first, unscaled steps throw it off the plot
        v1_start=(-0.3, -0.8),
    )


# --------------------------------------------------------------------------------------------
# beale: sharp ridges and a flat plateau


@register("beale")
def beale() -> Surface:
    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y * y
        t3 = 2.625 - x + x * (y * y * y)
        return t1 * t1 + t2 * t2 + t3 * t3

    def grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y2 = y * y
        y3 = y2 * y
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y2
        t3 = 2.625 - x + x * y3
        gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
        gy = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y2 * t3)
        return gx, gy

    return Surface(
        name="beale",
        formula=(  # two lines: one is wider than a laptop's column
            r"\begin{gathered}f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 \\ "
            r"+ \, (2.625 - x + xy^3)^2\end{gathered}"
        ),
        value_fn=value,
        grad_fn=grad,
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        minima=(Point(3.0, 0.5, 0.0),),
        saddles=(),
        default_start=(1.0, 1.5),
        log_scale=True,
        default_runs=runs(
            ("sgd", {"lr": 1e-3}),  # fast down the slope, then a crawl along the flat valley
            ("sgd", {"lr": 1e-3, "momentum": 0.9}),  # swings wide, keeps its speed in the valley
            ("rmsprop", {"lr": 0.01}),
            ("adam", {"lr": 0.05}),  # normalised steps: the same pace on the slope and in the valley
            ("adadelta", {}),  # normalised too, but its steps grow slowly from almost nothing
        ),
        preset_lr=(("RAdam", 0.01),),  # RAdam's first steps are plain SGD steps: 0.05 diverges
    )


# --------------------------------------------------------------------------------------------
# rastrigin: a regular lattice of local minima


@register("rastrigin")
def rastrigin() -> Surface:
    # cos_2pi and sin_2pi give the same bits on every machine, for floats and arrays alike
    # (NumPy's np.cos and np.sin do not: optviz/core/primitives.py says why).
    slope = 10.0 * (2.0 * math.pi)

    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 20.0 + x * x - 10.0 * cos_2pi(x) + y * y - 10.0 * cos_2pi(y)

    def grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return 2.0 * x + slope * sin_2pi(x), 2.0 * y + slope * sin_2pi(y)

    # The function is a sum of one well per coordinate, t^2 - 10 cos 2 pi t + 10, whose minima
    # sit just inside each whole number: found by Newton's method from each one in the plot.
    def well_minimum(n: int) -> float:
        t = float(n)
        for _ in range(50):
            step = (2.0 * t + slope * sin_2pi(t)) / (2.0 + slope * 2.0 * math.pi * cos_2pi(t))
            t -= step
            if abs(step) < 1e-15:
                break
        return t

    wells = [well_minimum(n) for n in range(-5, 6)]
    lattice = tuple(
        Point(x, y, float(value(x, y))) for x in wells for y in wells if (x, y) != (0.0, 0.0)
    )  # every dimple but the global one

    return Surface(
        name="rastrigin",
        formula=r"f(x, y) = 20 + x^2 - 10\cos 2\pi x + y^2 - 10\cos 2\pi y",
        value_fn=value,
        grad_fn=grad,
        domain=((-5.12, 5.12), (-5.12, 5.12)),
        minima=(Point(0.0, 0.0, 0.0),),
        saddles=(),
        local_minima=lattice,
        # Just inside the dimple at (-4, 3), near the ridges: a run that starts rolling can hop.
        default_start=(-4.45, 3.45),
        default_runs=runs(
            ("sgd", {"lr": 1e-3}),  # stops in the nearest dimple
            ("sgd", {"lr": 1e-3, "momentum": 0.9}),  # too little momentum: the same dimple
            ("sgd", {"lr": 1e-3, "momentum": 0.95}),  # hops two dimples
            ("sgd", {"lr": 1e-3, "momentum": 0.98}),  # rolls to the dimple next to the global one
            # Steps as long as the lattice spacing hop the ridges too; Adamax's steps shrink after
            # the large gradients, so it settles (Adam at lr 1 keeps hopping, off the plot at 1.05).
            ("adamax", {"lr": 1.0}),
        ),
        v1_start=(-4.2, 3.8),
        # Prodigy's d, estimated across the ridges at lr 1, throws it off the plot.
        preset_lr=(("Prodigy", 0.3),),
    )


# --------------------------------------------------------------------------------------------
# booth: a rotated quadratic


@register("booth")
def booth() -> Surface:
    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        p, q = x + 2.0 * y - 7.0, 2.0 * x + y - 5.0
        return p * p + q * q

    def grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, q = x + 2.0 * y - 7.0, 2.0 * x + y - 5.0
        return 2.0 * p + 4.0 * q, 4.0 * p + 2.0 * q

    return Surface(
        name="booth",
        formula=r"f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
        value_fn=value,
        grad_fn=grad,
        domain=((-10.0, 10.0), (-10.0, 10.0)),
        minima=(Point(1.0, 3.0, 0.0),),
        saddles=(),
        # Off both axes of the valley (the old start, (-8, -6), lay on its steep axis, so every
        # run went straight).
        default_start=(-7.0, 5.0),
        log_scale=True,
        # Curvatures 2 and 18: 2/18 = 0.11. After 200 steps SGD at lr 0.005 is still crawling.
        default_runs=runs(
            ("sgd", {"lr": 0.1}),  # just below 2/18: zig-zags across the diagonal valley
            ("sgd", {"lr": 0.005}),  # stable, and a crawl along the floor
            ("sgd", {"lr": 0.005, "momentum": 0.9}),  # the same learning rate, ten times the speed
            ("adam", {"lr": 0.5}),  # first steps diagonal, up the steep direction; a curved path
            ("rmsprop", {"lr": 0.1}),
        ),
        default_steps=200,
        preset_lr=(("Adadelta", 10.0),),  # at lr 1 Adadelta moves one unit in 200 steps, on a 20-wide plot
        v1_start=(-8.0, -6.0),
    )


# --------------------------------------------------------------------------------------------
# six-hump camel: two global and four local minima


@register("six_hump_camel")
def six_hump_camel() -> Surface:
    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x2, y2 = x * x, y * y
        return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2

    def grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x2 = x * x
        return 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * (y * y * y)

    return Surface(
        name="six_hump_camel",
        formula=r"f(x, y) = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (4y^2 - 4)\,y^2",
        value_fn=value,
        grad_fn=grad,
        domain=((-2.2, 2.2), (-1.2, 1.2)),
        minima=(
            Point(0.08984201310031807, -0.7126564030207396, -1.0316284534898774),
            Point(-0.08984201310031807, 0.7126564030207396, -1.0316284534898774),
            Point(-1.703606714969981, 0.7960835686726251, -0.21546382438371703),
            Point(1.703606714969981, -0.7960835686726251, -0.21546382438371703),
            Point(-1.607104752920197, -0.5686514548841314, 2.1042503103112584),
            Point(1.607104752920197, 0.5686514548841314, 2.1042503103112584),
        ),
        saddles=(),
        # Next to the shallow local minimum at (-1.61, -0.57): five runs, five different minima.
        default_start=(-2.0, -0.6),
        default_runs=runs(
            ("sgd", {"lr": 0.05}),  # settles in the shallow minimum next to the start
            ("sgd", {"lr": 0.1}),  # twice the learning rate: over the ridge to a global minimum
            ("sgd", {"lr": 0.03, "momentum": 0.9}),  # carried right across, to the far local minimum
            ("adagrad", {"lr": 0.5}),  # north-west local minimum
            ("adam", {"lr": 0.3}),  # the other global minimum
        ),
        v1_start=(-1.9, 1.0),
    )


# --------------------------------------------------------------------------------------------
# styblinski_tang: a separable function with four minima


@register("styblinski_tang")
def styblinski_tang() -> Surface:
    def well(t: np.ndarray) -> np.ndarray:  # t^4 - 16 t^2 + 5 t
        t2 = t * t
        return t2 * t2 - 16.0 * t2 + 5.0 * t

    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 0.5 * (well(x) + well(y))

    def grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return 2.0 * (x * x * x) - 16.0 * x + 2.5, 2.0 * (y * y * y) - 16.0 * y + 2.5

    lo, hi, top = -2.903534027771177, 2.746802770990837, 0.1567312567803401
    g_lo, g_hi, g_top = (0.5 * well(t) for t in (lo, hi, top))
    return Surface(
        name="styblinski_tang",
        formula=r"f(x, y) = \tfrac12\left(x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y\right)",
        value_fn=value,
        grad_fn=grad,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        minima=(
            Point(lo, lo, g_lo + g_lo),
            Point(lo, hi, g_lo + g_hi),
            Point(hi, lo, g_hi + g_lo),
            Point(hi, hi, g_hi + g_hi),
        ),
        saddles=(
            Point(top, lo, g_top + g_lo),
            Point(top, hi, g_top + g_hi),
            Point(lo, top, g_lo + g_top),
            Point(hi, top, g_hi + g_top),
        ),
        default_start=(4.5, 4.2),
        default_runs=runs(
            ("sgd", {"lr": 0.01}),  # settles in the nearest, shallowest minimum
            ("sgd", {"lr": 1e-3, "momentum": 0.9}),  # too little momentum: the same minimum
            ("sgd", {"lr": 1e-3, "momentum": 0.95}),  # carried across one ridge
            ("sgd", {"lr": 0.01, "momentum": 0.9}),  # carried across both, to the global minimum
            ("adam", {"lr": 0.1}),  # normalised steps do not carry it across
        ),
        preset_lr=(("Prodigy", 0.3),),  # at lr 1 its estimate of d throws it off the plot
    )


# --------------------------------------------------------------------------------------------
# goldstein_price: values over six orders of magnitude


@register("goldstein_price")
def goldstein_price() -> Surface:
    def parts(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        a, b = x + y + 1.0, 2.0 * x - 3.0 * y
        p = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
        q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
        return a, b, p, q, 1.0 + a * a * p, 30.0 + b * b * q

    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        *_, first, second = parts(x, y)
        return first * second

    def grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b, p, q, first, second = parts(x, y)
        dp = -14.0 + 6.0 * x + 6.0 * y  # dp/dx and dp/dy coincide
        first_d = 2.0 * a * p + a * a * dp  # the same in x and y
        second_dx = 4.0 * b * q + b * b * (-32.0 + 24.0 * x - 36.0 * y)
        second_dy = -6.0 * b * q + b * b * (48.0 - 36.0 * x + 54.0 * y)
        return first_d * second + first * second_dx, first_d * second + first * second_dy

    return Surface(
        name="goldstein_price",
        formula=(  # three lines: one is wider than a laptop's column
            r"\begin{gathered}f(x, y) = \left[1 + (x + y + 1)^2\, p\right] \left[30 + (2x - 3y)^2\, q\right], \\ "
            r"\small p = 19 - 14x + 3x^2 - 14y + 6xy + 3y^2, \\ "
            r"\small q = 18 - 32x + 12x^2 + 48y - 36xy + 27y^2\end{gathered}"
        ),
        value_fn=value,
        grad_fn=grad,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(
            Point(0.0, -1.0, 3.0),
            Point(-0.6, -0.4, 30.0),
            Point(1.8, 0.2, 84.0),
            Point(1.2, 0.8, 840.0),
        ),
        saddles=(),
        # f ≈ 3,000. The old start, (-1.5, 1.5), sat where f ≈ 350,000: from there SGD diverges at
        # every learning rate the app offers (1e-5 and up).
        default_start=(-1.5, 0.5),
        log_scale=True,
        default_runs=runs(
            ("sgd", {"lr": 1e-5}),  # small enough for the steep start, and slow near the minimum
            ("sgd", {"lr": 1e-4}),  # a first step of a fifth of the plot, then fast near the minimum
            ("sgd", {"lr": 1e-5, "momentum": 0.9}),  # carried past f = 30 to the global minimum
            ("rmsprop", {"lr": 0.01}),  # normalised steps, stops at f = 30
            ("adam", {"lr": 0.1}),  # normalised steps, on to the global minimum
        ),
        # Gradients of 10^4 near the start: the SGD presets' 1e-3 diverges, and so do RAdam's first
        # (plain SGD) steps from about 2.5e-4 up.
        preset_lr=(
            ("SGD", 1e-5),
            ("SGD with momentum", 1e-5),
            ("Nesterov", 1e-5),
            ("RAdam", 1e-4),
            ("ASGD", 1e-5),
            ("SGD (schedule-free)", 1e-4),
        ),
        v1_start=(-1.5, 1.5),
    )


# --------------------------------------------------------------------------------------------
# sharp_flat: a wide bowl with a narrow, deeper dimple on its wall

# The dimple: its depth, its width squared and its centre. A rational bump (no exp: these are
# the same bits on every machine), 89 times as curved at its minimum as the bowl is at its own.
DIMPLE_DEPTH, DIMPLE_WIDTH2, DIMPLE_X, DIMPLE_Y = 2.0, 0.09, -1.2, 0.9


@register("sharp_flat")
def sharp_flat() -> Surface:
    def parts(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        u, v = x - DIMPLE_X, y - DIMPLE_Y
        return u, v, 1.0 / (1.0 + (u * u + v * v) / DIMPLE_WIDTH2)

    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        *_, q = parts(x, y)
        return 0.5 * (x * x + y * y) - DIMPLE_DEPTH * (q * q)

    def grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u, v, q = parts(x, y)
        pull = (4.0 * DIMPLE_DEPTH / DIMPLE_WIDTH2) * (q * q * q)
        return x + pull * u, y + pull * v

    return Surface(
        name="sharp_flat",
        formula=(
            r"\begin{gathered}f(x, y) = \tfrac12\left(x^2 + y^2\right) - \frac{2}{\left(1 + r^2 / 0.3^2\right)^2}, \\ "
            r"r^2 = (x + 1.2)^2 + (y - 0.9)^2\end{gathered}"
        ),
        value_fn=value,
        grad_fn=grad,
        domain=((-2.75, 1.25), (-1.0, 2.25)),  # the dimple, the pass and the bowl's bottom, large
        # The dimple's minimum (the global one: Hessian eigenvalues 87.4 and 89.1) and the bowl's
        # (0.98 and 1.01), moved a little towards the dimple by its tail; the pass between them.
        minima=(
            Point(-1.1865249583470339, 0.8898937187602755, -0.8875737250531224),
            Point(-0.006221168995798908, 0.004665876746849182, -0.0029880727582911127),
        ),
        saddles=(Point(-0.8261651569484328, 0.6196238677113247, 0.36287262828833045),),
        # Up the bowl's wall beyond the dimple: straight down the wall runs past it.
        default_start=(-2.4, 1.8),
        default_runs=runs(
            ("sgd", {"lr": 0.01}),
            ("sgd", {"lr": 0.01, "momentum": 0.9}),
            ("adam", {"lr": 0.05}),
            ("sam", {"lr": 0.01, "base": "sgd", "rho": 0.5}),
        ),
        default_steps=300,
    )
