"""When a run has diverged, and when it arrived: the divergence limit, the freezing of a
diverged trajectory's history, and the steps at which a trajectory reached and settled within a
tolerance of a minimum (read from a whole history; record="final" tracks them chunk by chunk in
:mod:`optviz.core.engine.final`)."""

from __future__ import annotations

import math

import numpy as np

from optviz.core.engine.loop import blocks
from optviz.core.engine.surface import Surface

# A run has diverged at the first step where its loss is not finite, or where f - f* is more
# than DIVERGENCE times the larger of its value at the start and the highest f - f* over the
# plot (Surface.plot_gap; the plot's scale keeps a start at the minimum from counting every
# wobble): such a point is far off the picture, and the run is frozen before it. One
# definition for the race, the results, the sweeps, the maps and the lessons.
DIVERGENCE = 1e4


def divergence_limits(surf: Surface, start_losses: np.ndarray) -> np.ndarray:
    """The loss above which each trajectory has diverged (see :data:`DIVERGENCE`), from its
    loss at the start: f* + DIVERGENCE * max(f_0 - f*, the plot's highest f - f*)."""
    f_star = surf.f_star
    return f_star + DIVERGENCE * np.maximum(start_losses - f_star, surf.plot_gap)


def freeze_diverged(
    points: np.ndarray, losses: np.ndarray, grads: np.ndarray, limits: np.ndarray
) -> tuple[int | None, ...]:
    """Freeze every trajectory before the step it diverged at (see :data:`DIVERGENCE`: a point,
    loss or gradient not finite, or a loss above its limit); return that step.

    Takes coordinate-major histories, (steps + 1, d, B), and each trajectory's loss limit.
    Trajectories evolve independently (no update rule couples two of them), so cutting one off
    after the loop gives exactly what stopping it inside the loop would have given.
    """
    # A cheap pass first: a trajectory whose sums are finite has only finite entries (an
    # overflowing sum only sends it to the exact check below), and one whose highest loss is
    # below its limit never went above it.
    suspects = np.empty(points.shape[2], dtype=bool)
    for block in blocks(points.shape[2]):
        sums = points[:, :, block].sum(axis=(0, 1)) + grads[:, :, block].sum(axis=(0, 1))
        high = np.fmax.reduce(losses[:, block], axis=0) > limits[block]
        suspects[block] = ~np.isfinite(sums + losses[:, block].sum(axis=0)) | high
    diverged_at: dict[int, int] = {}
    for row in np.flatnonzero(suspects):
        finite = np.isfinite(losses[:, row]) & (losses[:, row] <= limits[row])
        finite &= np.isfinite(points[:, :, row]).all(axis=1)
        finite &= np.isfinite(grads[:, :, row]).all(axis=1)
        if finite.all():
            continue
        k = int(np.argmin(finite))  # >= 1: the start was checked to be finite, and is below its limit
        points[k:, :, row] = points[k - 1, :, row]
        losses[k:, row] = losses[k - 1, row]
        grads[k:, :, row] = grads[k - 1, :, row]
        diverged_at[int(row)] = k
    return tuple(map(diverged_at.get, range(points.shape[2])))  # no list of B entries first


def arrivals(
    surf: Surface,
    points: np.ndarray,
    losses: np.ndarray,
    diverged_at: tuple[int | None, ...],
    tolerance: float,
) -> tuple[tuple[int | None, ...], tuple[int | None, ...]]:
    """For each trajectory, the first step with f - f_i <= tolerance, and the step from which it
    stays so to the last step, where i is the basin minimum its last point is nearest to; None
    where there is none (a diverged trajectory has neither).

    Takes the whole history, (steps + 1, B, d) points and (steps + 1, B) losses.
    """
    minima = surf.basin_minima
    nearest, _ = surf.nearest_minimum(points[-1], minima)
    values = np.array([m.value for m in minima])[nearest]  # (B,)
    within = losses - values <= tolerance  # (steps + 1, B)
    columns = np.arange(within.shape[1])
    first = np.argmax(within, axis=0)
    hit = within[first, columns]
    last_out = within.shape[0] - 1 - np.argmax(~within[::-1], axis=0)  # the last step outside
    left = ~within[last_out, columns]  # False: never outside
    settled = np.where(left, last_out + 1, 0)
    stays = within[-1]
    reached = tuple(
        int(k) if ok and d is None else None for k, ok, d in zip(first.tolist(), hit.tolist(), diverged_at, strict=True)
    )
    return reached, tuple(
        int(k) if ok and d is None else None
        for k, ok, d in zip(settled.tolist(), stays.tolist(), diverged_at, strict=True)
    )


def threshold(value: float, tolerance: float) -> float:
    """The largest float f with fl(f - value) <= tolerance."""
    f = value + tolerance
    while f - value > tolerance:
        f = math.nextafter(f, -math.inf)
    while math.nextafter(f, math.inf) - value <= tolerance:
        f = math.nextafter(f, math.inf)
    return f
