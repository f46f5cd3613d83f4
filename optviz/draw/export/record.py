"""The trajectories as a JSON document: the experiment's link, its runs, and every step of every run.

Named so as not to shadow the standard library's :mod:`json`, which it writes with."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from optviz.core.engine import Trajectory
from optviz.draw import race as race_data
from optviz.draw.export.rows import COLUMNS, step_rows
from optviz.settings import Experiment, query_string


def _json_float(value: float) -> float | None:
    return value if math.isfinite(value) else None  # JSON has no NaN or infinity


def trajectories_json(experiment: Experiment, trajectories: Sequence[Trajectory]) -> str:
    """The experiment's link, its runs, and every step of every run (rows in :data:`COLUMNS` order).

    Floats are written as Python's ``repr`` writes them (exact); a non-finite value is null.
    """
    runs = [
        {
            "run": number,
            "label": label,
            "optimizer": run.optimizer,
            "hyperparameters": dict(run.values()),
            "colour": race_data.colour(slot),
            "diverged_at": t.diverged_at,
        }
        for number, (run, label, slot, t) in enumerate(
            zip(experiment.runs, experiment.labels(), experiment.slots(), trajectories, strict=True), start=1
        )
    ]
    document = {
        "format": "optviz-trajectories",
        "version": 2,  # 2: f − f* and the learning rate of each step
        "link": "?" + query_string(experiment.public()),  # never a teacher link
        "surface": experiment.surface,
        "surface_params": dict(experiment.surface_params),
        "start": list(experiment.start),
        "steps": experiment.steps,
        "f_star": experiment.build_surface().f_star,
        "runs": runs,
        "columns": list(COLUMNS),
        "rows": [[*row[:3], *(_json_float(v) for v in row[3:])] for row in step_rows(experiment, trajectories)],
    }
    return json.dumps(document, ensure_ascii=False, allow_nan=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return str(value)
