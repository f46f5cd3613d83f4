"""Running an Experiment and summarising its runs for the results table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import surfaces
from optviz.core.engine import Trajectory, arrivals, run
from optviz.settings import Experiment


def run_experiment(experiment: Experiment) -> list[Trajectory]:
    """One Trajectory per run of ``experiment``, in order."""
    surf = experiment.build_surface()
    return [
        run(r.optimizer, surf, start=experiment.start, steps=experiment.steps, **experiment.run_settings(r))
        for r in experiment.runs
    ]


def of_f_star(
    surf: surfaces.Surface, final_points: np.ndarray, steps: tuple[int | None, ...]
) -> tuple[int | None, ...]:
    """``steps`` (the engine's, measured from the basin minimum each run ends nearest to) where
    that minimum is a lowest one (f*), None where it is a higher one: a run is within the
    tolerance of f* only there. One rule for the results, the sweeps and the lessons."""
    nearest, _ = surf.nearest_minimum(final_points, surf.basin_minima)
    lowest = [m.value == surf.f_star for m in surf.basin_minima]
    return tuple(k if lowest[i] else None for k, i in zip(steps, np.ravel(nearest).tolist(), strict=True))


@dataclass(frozen=True)
class Summary:
    """One row of the results table."""

    label: str
    final_loss: float
    gap: float  # final loss minus f*
    nearest_minimum: tuple[float, float]
    distance: float  # from the final point to the nearest listed minimum
    steps_to_tolerance: int | None  # the step from which f - f* stays within the tolerance to the end
    first_within: int | None  # the first step with f - f* <= tolerance (it may have left again)
    diverged_at: int | None
    # The gradient evaluations the steps to the tolerance made (the fair count for a rule that
    # evaluates more than once a step: LBFGS), and all the run's steps made.
    evaluations_to_tolerance: int | None = None
    grad_evals: int = 0


def summarise(experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory]) -> list[Summary]:
    f_star = surf.f_star
    rows = []
    for label, t in zip(experiment.labels(), trajectories, strict=True):
        index, distance = surf.nearest_minimum(t.points[-1])
        minimum = surf.minima[int(index)]
        reached, settled = arrivals(surf, t.points[:, None], t.losses[:, None], (t.diverged_at,), experiment.tolerance)
        ends = t.points[-1:]
        rows.append(
            Summary(
                label=label,
                final_loss=float(t.losses[-1]),
                gap=float(t.losses[-1] - f_star),
                nearest_minimum=(minimum.x, minimum.y),
                distance=float(distance),
                steps_to_tolerance=(settled_step := of_f_star(surf, ends, settled)[0]),
                first_within=of_f_star(surf, ends, reached)[0],
                diverged_at=t.diverged_at,
                evaluations_to_tolerance=t.evaluations_by(settled_step),
                grad_evals=int(t.grad_evals),
            )
        )
    return rows
