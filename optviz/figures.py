"""Figure builders: the surface's shading, and pure functions of (experiment, surface,
trajectories) -> Plotly figure dict for the loss per step and the 3-D view.

The figures are plain dicts in Plotly's JSON schema, built directly rather than through
validated ``plotly.graph_objects`` (the tests validate every figure with
``plotly.graph_objects.Figure``). Large arrays are written as float32 base64 typed arrays,
which plotly.js reads natively. The race itself is the player (optviz/race.py and
optviz/assets/player.js), which draws the surface as the background image made here.
"""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import numpy as np

import surfaces
from optviz.engine import Trajectory
from optviz.experiment import Experiment
from optviz.race import FLOAT32_LIMIT, PALETTE, colour
from optviz.results import optimum

__all__ = ["PALETTE", "background", "colour", "loss_figure", "surface_3d_figure"]

MAX_PATH_POINTS = 300
BANDS = 24  # colour bands of the background, like filled contour levels
Figure = dict[str, Any]


def typed_array(values: np.ndarray) -> dict[str, str]:
    """A float32 base64 typed array, as plotly.js reads it."""
    data = np.ascontiguousarray(np.clip(values, -FLOAT32_LIMIT, FLOAT32_LIMIT), dtype="<f4")
    return {"dtype": "f4", "bdata": base64.b64encode(data.tobytes()).decode("ascii")}


# ------------------------------------------------------------------------ the surface shading


def grid(surf: surfaces.Surface, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (n,), y (n,) and the values z (n, n) on a regular grid over the domain."""
    (x0, x1), (y0, y1) = surf.domain
    x, y = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    xx, yy = np.meshgrid(x, y)
    return x, y, surf.value_fn(xx, yy)


def shade(surf: surfaces.Surface, values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """What the colours show: log10(f - f* + delta) for surfaces that span orders of magnitude.

    ``reference`` (the grid values) fixes delta, so points and grid are shaded alike.
    """
    if not surf.log_scale:
        return values
    f_star = optimum(surf)
    delta = 1e-6 * float(np.max(reference) - f_star)
    return np.log10(np.maximum(values - f_star, 0.0) + delta)


def shade_label(surf: surfaces.Surface) -> str:
    return "log₁₀(f − f*)" if surf.log_scale else "f"


def png(rgb: np.ndarray) -> bytes:
    """Encode an (h, w, 3) uint8 image as PNG (no imaging library needed)."""
    height, width, _ = rgb.shape
    rows = np.hstack([np.zeros((height, 1), np.uint8), rgb.reshape(height, width * 3)])  # filter 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def background(surf: surfaces.Surface, n: int = 240) -> str:
    """The surface as banded greys (light = low), as a PNG data URI; north is up."""
    _, _, z = grid(surf, n)
    shaded = shade(surf, z, z)
    low, high = float(shaded.min()), float(shaded.max())
    band = np.clip(((shaded - low) / (high - low + 1e-300) * BANDS).astype(int), 0, BANDS - 1)
    level = np.linspace(253, 185, BANDS)[band]  # lightness per band
    rgb = np.stack([level, level + 2, level + 6], axis=-1).clip(0, 255).astype(np.uint8)
    return "data:image/png;base64," + base64.b64encode(png(rgb[::-1])).decode("ascii")


# ------------------------------------------------------------------------------ paths


def path_steps(steps: int, max_points: int = MAX_PATH_POINTS) -> np.ndarray:
    """The steps drawn along a path: every step up to ``max_points``, else evenly spaced."""
    return np.unique(np.round(np.linspace(0, steps, min(steps + 1, max_points))).astype(int))


def _name(label: str, trajectory: Trajectory) -> str:
    return label if trajectory.diverged_at is None else f"{label} — diverged at step {trajectory.diverged_at}"


# ------------------------------------------------------------------------------ other figures


def loss_figure(experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory]) -> Figure:
    """f − f* per step on a log scale, every run, divergence marked."""
    f_star = optimum(surf)
    drawn = path_steps(experiment.steps, 2000)
    data = []
    for i, (r, t) in enumerate(zip(experiment.runs, trajectories, strict=True)):
        steps = drawn if t.diverged_at is None else drawn[drawn < t.diverged_at]
        gap = np.maximum(t.losses[steps] - f_star, 1e-16)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": steps.astype(float).tolist(),
                "y": typed_array(gap),
                "name": _name(r.label(), t),
                "line": {"color": colour(i), "width": 2},
                "hovertemplate": "step %{x}<br>f − f* = %{y:.3e}<extra>%{fullData.name}</extra>",
            }
        )
        if t.diverged_at is not None:
            k = t.diverged_at
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers+text",
                    "x": [k - 1],
                    "y": [max(float(t.losses[k - 1] - f_star), 1e-16)],
                    "text": [f"diverged at {k}"],
                    "textposition": "top center",
                    "marker": {"symbol": "x", "size": 12, "color": colour(i)},
                    "showlegend": False,
                    "hovertemplate": f"diverged at step {k}<extra></extra>",
                }
            )
    layout = {
        "xaxis": {"title": {"text": "step"}, "range": [0, experiment.steps]},
        "yaxis": {"title": {"text": "f(θ) − f*"}, "type": "log", "exponentformat": "power"},
        "height": 460,
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "legend": {"orientation": "h", "y": -0.2},
    }
    return {"data": data, "layout": layout}


def surface_3d_figure(
    experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory], n: int = 90
) -> Figure:
    """The surface in 3-D (shaded as in the main figure) with the trajectories on it."""
    x, y, z = grid(surf, n)
    shaded = shade(surf, z, z)
    drawn = path_steps(experiment.steps)
    data: list[dict[str, Any]] = [
        {
            "type": "surface",
            "x": typed_array(x),
            "y": typed_array(y),
            "z": {**typed_array(shaded), "shape": f"{n}, {n}"},
            "colorscale": "Greys",
            "reversescale": True,
            "showscale": False,
            "opacity": 0.85,
            "hoverinfo": "skip",
        }
    ]
    for i, (r, t) in enumerate(zip(experiment.runs, trajectories, strict=True)):
        points = t.points[drawn]
        data.append(
            {
                "type": "scatter3d",
                "mode": "lines",
                "x": typed_array(points[:, 0]),
                "y": typed_array(points[:, 1]),
                "z": typed_array(shade(surf, t.losses[drawn], z)),
                "name": _name(r.label(), t),
                "line": {"color": colour(i), "width": 6},
            }
        )
    (x0, x1), (y0, y1) = surf.domain
    layout = {
        "height": 560,
        "margin": {"l": 0, "r": 0, "t": 10, "b": 0},
        "scene": {
            "xaxis": {"title": {"text": "x"}, "range": [x0, x1]},
            "yaxis": {"title": {"text": "y"}, "range": [y0, y1]},
            "zaxis": {"title": {"text": shade_label(surf)}},
            "aspectmode": "cube",
        },
        "legend": {"orientation": "h", "y": 0},
    }
    return {"data": data, "layout": layout}
