"""Every step of every run as rows of :data:`COLUMNS`: what the CSV and the JSON exports hold."""

from __future__ import annotations

import math
from collections.abc import Sequence

from optviz.core.budget import checkpoint
from optviz.core.engine import Trajectory
from optviz.settings import Experiment

# Every step of every run: where it is, f and f − f* there, the learning rate of the step that
# arrived there (none at the start; a schedule's own rate at each step), and the gradient there.
COLUMNS = ("run", "label", "step", "x", "y", "loss", "gap", "lr", "grad_x", "grad_y")


def check_trajectories(experiment: Experiment, trajectories: Sequence[Trajectory]) -> None:
    """Raises ValueError unless there is one trajectory, not batched, per run of ``experiment``."""
    if len(trajectories) != len(experiment.runs):
        msg = f"expected {len(experiment.runs)} trajectories (one per run), got {len(trajectories)}"
        raise ValueError(msg)
    for t in trajectories:
        if t.batched:
            msg = "a batched trajectory cannot be exported: one trajectory per run"
            raise ValueError(msg)


def step_rows(experiment: Experiment, trajectories: Sequence[Trajectory]):
    """The :data:`COLUMNS` of every step of every run; run counts from 1, lr is NaN at step 0."""
    check_trajectories(experiment, trajectories)
    f_star = experiment.build_surface().f_star
    for number, (run, label, t) in enumerate(
        zip(experiment.runs, experiment.labels(), trajectories, strict=True), start=1
    ):
        lr = float(run.values()["lr"])
        rates = [lr] * experiment.steps if run.schedule is None else run.schedule.lrs(lr, experiment.steps)
        for step in range(t.points.shape[0]):
            if not step & 1023:
                checkpoint()
            yield (
                number,
                label,
                step,
                float(t.points[step, 0]),
                float(t.points[step, 1]),
                float(t.losses[step]),
                float(t.losses[step]) - f_star,
                float(rates[step - 1]) if step else math.nan,
                float(t.grads[step, 0]),
                float(t.grads[step, 1]),
            )
