r"""Convergence by direction: a run's error along each eigen-direction of a quadratic's Hessian.

On a quadratic f(θ) = ½ (θ − θ*)ᵀ H (θ − θ*) the gradient is H (θ − θ*), so along each
eigenvector q_i of H (curvature λ_i) the error e_i = q_iᵀ(θ − θ*) evolves on its own, whatever
the other direction does. Gradient descent multiplies it by 1 − γλ_i every step: in the steep
direction γλ close to 2 makes the factor close to −1 (the sign flips at every step: the zig-zag),
in the flat one γλ close to 0 makes it close to 1 (the crawl). Polyak's heavy ball in torch's
form (b ← μb + g, θ ← θ − γb) turns each direction into the two-term recurrence
e_{k+1} = (1 + μ − γλ) e_k − μ e_{k−1}, which shrinks at the largest root's modulus of
z² − (1 + μ − γλ) z + μ; torch's Nesterov form (θ ← θ − γ(g + μb)) gives
z² − (1 + μ − γλ(1 + μ)) z + μ(1 − γλ). (Distill's "Why Momentum Really Works" draws the same.)

The adaptive optimizers, a schedule, gradient noise, minibatches and weight decay leave no
single rate per step: :func:`theory` says why for each.

A surface opts in by declaring its curvature (``Surface.curvature``, as for
optviz.teach.theory); the Hessian itself is read off its gradient, which is affine on a
quadratic, and checked against that declaration.

>>> import surfaces
>>> eigen = eigen_directions(surfaces.get("valley", kappa=100.0))
>>> [d.curvature for d in eigen.directions], [d.vector for d in eigen.directions]
([100.0, 1.0], [(0.0, 1.0), (1.0, 0.0)])
>>> eigen_directions(surfaces.get("rosenbrock")) is None
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optviz.core.engine import Trajectory
from optviz.settings import Experiment, Run
from optviz.teach.theory import learning_rates
from surfaces import Surface

# How far the Hessian read off the gradient may lie from the curvature the surface declares,
# relative to the largest curvature: beyond it the surface is not the quadratic it says it is.
AGREEMENT = 1e-6


@dataclass(frozen=True)
class Direction:
    """One eigen-direction of the Hessian: its curvature λ and its unit vector q."""

    curvature: float
    vector: tuple[float, float]


@dataclass(frozen=True)
class Eigen:
    """A quadratic's minimum and its Hessian's eigen-directions, the steepest first."""

    minimum: tuple[float, float]
    directions: tuple[Direction, Direction]

    def errors(self, points: np.ndarray) -> np.ndarray:
        """e_i = q_iᵀ(θ − θ*) for each point of ``points`` (shape (n, 2)): shape (n, 2), column i
        the error along direction i. Written out elementwise (no BLAS), so the same bits everywhere."""
        dx, dy = points[..., 0] - self.minimum[0], points[..., 1] - self.minimum[1]
        return np.stack([q0 * dx + q1 * dy for q0, q1 in (d.vector for d in self.directions)], axis=-1)


def eigen_directions(surface: Surface) -> Eigen | None:
    """The Hessian's eigen-directions of a quadratic surface, or None for any other surface.

    The Hessian's columns are the gradient's change over a unit step along x and along y from
    the minimum (exact on a quadratic, up to rounding); its eigenvalues must agree with the
    curvature the surface declares (:func:`optviz.teach.theory.learning_rates`).
    """
    rates = learning_rates(surface)
    if rates is None or not surface.minima:
        return None
    x, y = surface.minima[0].x, surface.minima[0].y
    gx, gy = (
        np.asarray(g, dtype=np.float64) for g in surface.grad_fn(np.array([x, x + 1.0, x]), np.array([y, y, y + 1.0]))
    )
    a, d = float(gx[1] - gx[0]), float(gy[2] - gy[0])
    b = 0.5 * (float(gy[1] - gy[0]) + float(gx[2] - gx[0]))  # symmetric up to rounding
    steep, flat = _symmetric_eigen(a, b, d)
    if not (
        abs(steep.curvature - rates.L) <= AGREEMENT * rates.L and abs(flat.curvature - rates.m) <= AGREEMENT * rates.L
    ):
        return None
    return Eigen((float(x), float(y)), (steep, flat))


def _symmetric_eigen(a: float, b: float, d: float) -> tuple[Direction, Direction]:
    """The eigen-directions of [[a, b], [b, d]], the larger eigenvalue first, as unit vectors
    that are exactly the axes when b is 0 (and each one's larger component positive)."""
    if b == 0.0:
        x_axis, y_axis = Direction(a, (1.0, 0.0)), Direction(d, (0.0, 1.0))
        return (x_axis, y_axis) if a >= d else (y_axis, x_axis)
    mean, gap = 0.5 * (a + d), math.hypot(0.5 * (a - d), b)
    large = mean + gap
    # (b, large − a) and (large − d, b) both point along the eigenvector: take the longer one
    u, v = (b, large - a) if abs(large - a) >= abs(large - d) else (large - d, b)
    norm = math.hypot(u, v)
    u, v = u / norm, v / norm
    if (u if abs(u) >= abs(v) else v) < 0:
        u, v = -u, -v
    flat = (-v, u) if abs(u) >= abs(v) else (v, -u)  # a quarter turn, larger component positive
    return Direction(large, (u, v)), Direction(mean - gap, flat)


@dataclass(frozen=True)
class Theory:
    """What theory says about one run on a quadratic: the factor per step along each direction
    (steepest first), or why it says nothing (``why``, a key of the catalogs' [directions] section)."""

    rates: tuple[float, float] | None
    why: str | None = None


def rate(curvature: float, lr: float, momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False) -> float:
    """The factor by which torch's SGD shrinks the error along a direction of curvature λ, per
    step in the long run: the largest |z| of its recurrence's characteristic polynomial
    z² − (1 + μ − γλ') z + μ (heavy ball, λ' = (1 − τ)λ; plain gradient descent is μ = 0:
    |1 − γλ|), or z² − (1 + μ − γλ(1 + μ)) z + μ(1 − γλ) (Nesterov).

    >>> rate(10.0, 0.19), rate(1.0, 0.02)
    (0.8999999999999999, 0.98)
    >>> round(rate(1.0, 0.02, momentum=0.9), 6)  # complex roots: √μ
    0.948683
    """
    step = lr * curvature
    if nesterov:
        trace, det = 1.0 + momentum - step * (1.0 + momentum), momentum * (1.0 - step)
    else:
        damped = step * (1.0 - dampening) if momentum else step  # torch's plain branch ignores dampening
        trace, det = 1.0 + momentum - damped, momentum
    if det == 0.0:  # gradient descent: the one root 1 − γλ
        return abs(trace)
    discriminant = trace * trace - 4.0 * det
    if discriminant < 0.0:  # complex roots, of modulus √det
        return math.sqrt(det)
    return 0.5 * (abs(trace) + math.sqrt(discriminant))


def theory(experiment: Experiment, run: Run, eigen: Eigen) -> Theory:
    """Theory's rate per step of ``run`` along each of ``eigen``'s directions, or why there is none."""
    if run.optimizer != "sgd":
        return Theory(None, "adaptive")
    if run.schedule is not None:
        return Theory(None, "schedule")
    if experiment.noise > 0.0:
        return Theory(None, "noise")
    if run.batch is not None:
        return Theory(None, "batch")
    values = run.values()
    if values["weight_decay"] != 0.0:
        return Theory(None, "weight_decay")
    steep, flat = (
        rate(d.curvature, values["lr"], values["momentum"], values["dampening"], bool(values["nesterov"]))
        for d in eigen.directions
    )
    return Theory((steep, flat))


def envelope(start: float, factor: float, steps: int) -> np.ndarray:
    """|start| · factorᵏ for k = 0 … steps, by repeated multiplication (the same bits on every CPU)."""
    out = np.empty(steps + 1)
    out[0] = abs(start)
    if steps:
        out[1:] = factor
        np.multiply.accumulate(out, out=out)
    return out


@dataclass(frozen=True)
class RunErrors:
    """One run's errors along each direction at every step it drew (up to its divergence), and theory's word."""

    errors: np.ndarray  # (n, 2): e_i(k) for k = 0 … n − 1, steepest direction first
    theory: Theory

    def envelope(self, direction: int, steps: int) -> np.ndarray | None:
        """Theory's line for ``direction``: |e_i(0)| · ρ_iᵏ for k = 0 … steps, or None."""
        if self.theory.rates is None:
            return None
        return envelope(float(self.errors[0, direction]), self.theory.rates[direction], steps)


def convergence(
    experiment: Experiment, surface: Surface, trajectories: list[Trajectory]
) -> tuple[Eigen, list[RunErrors]] | None:
    """Every run's errors by direction and theory's rates, or None where the surface is no quadratic.

    A diverged run is kept up to the step before it diverged (the engine freezes it after)."""
    eigen = eigen_directions(surface)
    if eigen is None:
        return None
    found = []
    for run, trajectory in zip(experiment.runs, trajectories, strict=True):
        points = np.asarray(trajectory.points, dtype=np.float64)
        if trajectory.diverged_at is not None:
            points = points[: max(int(trajectory.diverged_at), 1)]
        found.append(RunErrors(eigen.errors(points), theory(experiment, run, eigen)))
    return eigen, found
