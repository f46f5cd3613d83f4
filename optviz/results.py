"""Running an Experiment and summarising its runs for the results table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import surfaces
from optviz.engine import Trajectory, run
from optviz.experiment import Experiment


def run_experiment(experiment: Experiment) -> list[Trajectory]:
    """One Trajectory per run of ``experiment``, in order."""
    surf = experiment.build_surface()
    return [
        run(r.optimizer, surf, start=experiment.start, steps=experiment.steps, **experiment.run_settings(r))
        for r in experiment.runs
    ]


def optimum(surf: surfaces.Surface) -> float:
    """f*: the lowest value among the surface's listed minima."""
    return min(m.value for m in surf.minima)


@dataclass(frozen=True)
class Summary:
    """One row of the results table."""

    label: str
    final_loss: float
    gap: float  # final loss minus f*
    nearest_minimum: tuple[float, float]
    distance: float  # from the final point to the nearest listed minimum
    steps_to_tolerance: int | None  # first step with f - f* <= tolerance
    diverged_at: int | None


def summarise(experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory]) -> list[Summary]:
    f_star = optimum(surf)
    rows = []
    for label, t in zip(experiment.labels(), trajectories, strict=True):
        index, distance = surf.nearest_minimum(t.points[-1])
        minimum = surf.minima[int(index)]
        reached = np.flatnonzero(t.losses - f_star <= experiment.tolerance)
        rows.append(
            Summary(
                label=label,
                final_loss=float(t.losses[-1]),
                gap=float(t.losses[-1] - f_star),
                nearest_minimum=(minimum.x, minimum.y),
                distance=float(distance),
                steps_to_tolerance=int(reached[0]) if reached.size else None,
                diverged_at=t.diverged_at,
            )
        )
    return rows
