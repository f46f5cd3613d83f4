"""Convergence by direction, as a Plotly figure dict: each run's error along the steep and the
flat eigen-direction of a quadratic at every step, with theory's rate as a dashed envelope.

Two panels one above the other, sharing the step axis (0 … steps, like the player), so that a
mark at the player's step spans both. Signed errors (the default) show the zig-zag as a sign
flip at every step and theory's line as ±|e(0)|·ρᵏ; on a log scale, |e| and |e(0)|·ρᵏ, where a
rate is a straight line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import surfaces
from optviz.core.engine import Trajectory
from optviz.draw.figures import AXIS_GREY, GRID_GREY, Figure, colour, figure_text, typed_array
from optviz.draw.figures import _run_name as run_name  # a run's legend name, as the loss figure writes it
from optviz.settings import Experiment
from optviz.teach.directions import RunErrors, convergence, eigen_directions, theory
from optviz.text import Words

DIRECTIONS_HEIGHT = 540
PANEL_GAP = 0.14  # of the plot's height, between the panels (room for the lower one's title)
LOG_FLOOR = 1e-16  # the lowest |e| on a log axis, relative to the highest
PANELS = ("steep", "flat")
SUBSCRIPTS = ("₁", "₂")  # e₁, e₂: each panel's error, as the caption writes it
THEORY_EVERY_UNTIL = 100  # theory's line has a point at every step up to this one
THEORY_POINTS = 300  # and about this many after it


def directions_figure(
    experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory], *, log: bool = False
) -> Figure | None:
    """The errors by direction of every run, or None where ``surf`` is not a quadratic.

    One solid line per run per panel in the run's colour, and where theory gives the run a rate
    (torch's SGD, plain, heavy ball or Nesterov, constant learning rate, no noise), one dashed
    line of the same colour. A diverged run is drawn up to its divergence, off the axis after.
    """
    found = convergence(experiment, surf, trajectories)
    if found is None:
        return None
    eigen, runs = found
    words = Words(experiment.lang)
    colours = [colour(slot) for slot in experiment.slots()]
    names = [run_name(label, t, words) for label, t in zip(experiment.labels(), trajectories, strict=True)]
    steps = experiment.steps
    data: list[dict[str, Any]] = []
    layout: dict[str, Any] = {
        "height": DIRECTIONS_HEIGHT,
        "margin": {"l": 64, "r": 16, "t": 28, "b": 48},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.16, "yanchor": "top"},
        "hovermode": "closest",
        "uirevision": f"{experiment.surface}{experiment.surface_params}{log}",
        "annotations": [],
    }
    top = (1.0 + PANEL_GAP) / 2
    domains = ((top, 1.0), (0.0, 1.0 - top))
    for panel, (key, direction) in enumerate(zip(PANELS, eigen.directions, strict=True)):
        suffix = "" if panel == 0 else str(panel + 1)
        index = SUBSCRIPTS[panel]
        for i, run in enumerate(runs):
            data += _traces(run, panel, (names[i], colours[i], f"run {i}"), log=log, words=words)
        layout[f"xaxis{suffix}"] = {
            "anchor": f"y{suffix}",
            "range": [0, steps],
            "gridcolor": GRID_GREY,
            "linecolor": AXIS_GREY,
            "zeroline": False,
            **({"matches": "x", "title": {"text": words("figure.step")}} if panel else {"showticklabels": False}),
        }
        layout[f"yaxis{suffix}"] = {
            "anchor": f"x{suffix}",
            "domain": list(domains[panel]),
            "title": {"text": words(f"directions.{'size' if log else 'error'}", index=index)},
            "gridcolor": GRID_GREY,
            "linecolor": AXIS_GREY,
            **_y_range(runs, trajectories, panel, log),
        }
        layout["annotations"].append(
            {
                "text": words(f"directions.{key}", index=index, curvature=f"{direction.curvature:.4g}"),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "xanchor": "left",
                "y": domains[panel][1],
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 14},
            }
        )
    return {"data": data, "layout": layout}


def _traces(run: RunErrors, panel: int, who: tuple[str, str, str], *, log: bool, words: Words) -> list[dict[str, Any]]:
    """One run's line in one panel, and theory's dashed line where there is one, as far as the run
    goes (a diverged run's ends where the run does)."""
    name, colour_, group = who
    errors = run.errors[:, panel]
    shown = np.abs(errors) if log else errors
    suffix = "" if panel == 0 else str(panel + 1)
    axes = {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            "x0": 0,  # steps 0, 1, 2 …: no array of them to send
            "dx": 1,
            "y": typed_array(shown),
            "name": name,
            "legendgroup": group,
            "showlegend": panel == 0,
            "line": {"color": colour_, "width": 2},
            "hovertemplate": words("directions.hover", index=SUBSCRIPTS[panel]) + "<extra>%{fullData.name}</extra>",
            "meta": {"kind": "error", "panel": panel},
            **axes,
        }
    ]
    steps = run.errors.shape[0] - 1
    bound = run.envelope(panel, steps)
    if bound is None:
        return traces
    k = theory_steps(steps)
    bound = bound[k]
    k = k.astype(np.float64)
    if log:
        x, y = k, bound
    else:  # ±|e(0)|·ρᵏ, the two halves one line with a gap
        x, y = np.concatenate([k, [np.nan], k]), np.concatenate([bound, [np.nan], -bound])
    rate = run.theory.rates[panel] if run.theory.rates else 0.0
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": typed_array(x),
            "y": typed_array(y),
            "name": name,
            "legendgroup": group,
            "showlegend": False,
            "connectgaps": False,
            "line": {"color": colour_, "width": 1.5, "dash": "dash"},
            "hovertemplate": words("directions.theory_hover", rate=f"{rate:.4g}") + "<extra>%{fullData.name}</extra>",
            "meta": {"kind": "theory", "panel": panel},
            **axes,
        }
    )
    return traces


def theory_steps(steps: int) -> np.ndarray:
    """The steps at which a theory line is drawn: every one of the first THEORY_EVERY_UNTIL (where
    a fast rate bends it most), then about THEORY_POINTS more, evenly, and the last. The line is
    smooth; every step of a long race would only make the page heavier."""
    head = np.arange(min(steps, THEORY_EVERY_UNTIL) + 1)
    if steps <= THEORY_EVERY_UNTIL:
        return head
    every = -(-(steps - THEORY_EVERY_UNTIL) // THEORY_POINTS)
    tail = np.arange(THEORY_EVERY_UNTIL + every, steps, every)
    return np.concatenate([head, tail, [steps]])


def _y_range(runs: list[RunErrors], trajectories: list[Trajectory], panel: int, log: bool) -> dict[str, Any]:
    """The axis fits every step of the runs that did not diverge (all runs where every one did);
    signed errors are centred on zero, sizes span down to LOG_FLOOR of the largest."""
    kept = [r for r, t in zip(runs, trajectories, strict=True) if t.diverged_at is None] or runs
    sizes = np.concatenate([np.abs(r.errors[:, panel]) for r in kept]) if kept else np.zeros(1)
    sizes = sizes[np.isfinite(sizes)]
    top = float(sizes.max()) if sizes.size else 0.0
    if not top > 0.0:
        top = 1.0
    if not log:
        return {"range": [-1.08 * top, 1.08 * top], "zeroline": True, "zerolinecolor": AXIS_GREY}
    positive = sizes[sizes > 0.0]
    bottom = max(float(positive.min()) if positive.size else top * LOG_FLOOR, top * LOG_FLOOR)
    low, high = float(np.log10(bottom)), float(np.log10(top))
    margin = max(0.04 * (high - low), 0.1)
    return {"type": "log", "range": [low - margin, high + margin], "exponentformat": "power"}


def caption(experiment: Experiment, surf: surfaces.Surface, inert: Callable[[str], str] = figure_text) -> list[str]:
    """What the figure shows, then one line per reason some runs have no theory line (which runs,
    their labels made ``inert`` for the medium they are shown in), in the page's language; on a
    surface that is not a quadratic, one line saying so."""
    words = Words(experiment.lang)
    eigen = eigen_directions(surf)
    if eigen is None:
        return [words("directions.not_quadratic")]
    missing: dict[str, list[str]] = {}
    for label, run in zip(experiment.labels(), experiment.runs, strict=True):
        why = theory(experiment, run, eigen).why
        if why is not None:
            missing.setdefault(why, []).append(inert(label))
    separator = words("problem.list_separator")
    return [words("directions.caption")] + [
        words("directions.no_theory", runs=separator.join(who), why=words(f"directions.why.{why}"))
        for why, who in missing.items()
    ]
