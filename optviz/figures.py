"""Plotly figure builders: pure functions of (experiment, surface, trajectories) -> figure dict.

The figures are plain dicts in Plotly's JSON schema ("data", "layout", "frames"), built
directly rather than through validated ``plotly.graph_objects``: an animation has hundreds
of frame traces and validating them costs far more than building them (the tests validate
every figure with ``plotly.graph_objects.Figure`` once). Large arrays are written as
float32 base64 typed arrays, which plotly.js reads natively.

The animated figure draws the surface as a background image, not as a contour trace: with
frames that only replace the trajectory traces (``redraw: false``) a contour trace vanishes
while playing in Streamlit (plotly/plotly.js#4491), and ``redraw: true`` makes it flicker.
"""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import numpy as np

import surfaces
from optviz.engine import Trajectory
from optviz.experiment import SPEEDS, Experiment
from optviz.results import optimum

# Paul Tol's "muted" scheme plus its pale grey: distinguishable with colour-blindness.
PALETTE = (
    "#CC6677",
    "#332288",
    "#DDCC77",
    "#117733",
    "#88CCEE",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#555555",
)
MAX_FRAMES = 50
MAX_PATH_POINTS = 300
BANDS = 24  # colour bands of the background, like filled contour levels
PICK_GRID = 61  # the invisible grid of clickable points that sets the start
Figure = dict[str, Any]


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


FLOAT32_LIMIT = 1e37  # values beyond float32's range are far off any plot: clip, don't overflow


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


# ------------------------------------------------------------------------------ the main figure


def frame_steps(steps: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """The steps shown as animation frames: all of them for short runs, else evenly spaced."""
    return np.unique(np.round(np.linspace(0, steps, min(steps, max_frames) + 1)).astype(int))


def path_steps(steps: int, max_points: int = MAX_PATH_POINTS) -> np.ndarray:
    """The steps drawn along a path: every step up to ``max_points``, else evenly spaced."""
    return np.unique(np.round(np.linspace(0, steps, min(steps + 1, max_points))).astype(int))


def _name(label: str, trajectory: Trajectory) -> str:
    return label if trajectory.diverged_at is None else f"{label} — diverged at step {trajectory.diverged_at}"


def main_figure(
    experiment: Experiment,
    surf: surfaces.Surface,
    trajectories: list[Trajectory],
    background_uri: str,
) -> Figure:
    """The race: trajectories animated over the shaded surface, with Play/Pause and a step slider."""
    labels = [r.label() for r in experiment.runs]
    k = len(trajectories)
    (x0, x1), (y0, y1) = surf.domain
    data: list[dict[str, Any]] = [_pick_grid(surf)]
    drawn = path_steps(experiment.steps)
    for i, t in enumerate(trajectories):  # faint full paths: the whole story before playing
        data.append(_line(t.points[drawn], colour(i), name=labels[i], opacity=0.3, showlegend=False, hover=False))
    for i, t in enumerate(trajectories):  # the growing paths
        data.append(_line(t.points[:1], colour(i), name=_name(labels[i], t), opacity=1.0, showlegend=True, hover=True))
    for i, t in enumerate(trajectories):  # the current positions
        data.append(_head(t.points[0], colour(i), labels[i]))
    data += _landmarks(experiment, surf, trajectories)

    frames = []
    animated = list(range(1 + k, 1 + 3 * k))
    for s in frame_steps(experiment.steps):
        shown = np.append(drawn[drawn < s], s)
        traces = [
            {"type": "scatter", "x": typed_array(t.points[shown, 0]), "y": typed_array(t.points[shown, 1])}
            for t in trajectories
        ]
        traces += [
            {"type": "scatter", "x": [float(t.points[s, 0])], "y": [float(t.points[s, 1])]} for t in trajectories
        ]
        frames.append({"name": str(s), "traces": animated, "data": traces})

    play = {
        "label": "▶ Play",
        "method": "animate",
        "args": [None, _animate(SPEEDS[experiment.speed], fromcurrent=True)],
    }
    pause = {"label": "❚❚ Pause", "method": "animate", "args": [[None], _animate(0)]}
    slider_steps = [{"label": f["name"], "method": "animate", "args": [[f["name"]], _animate(0)]} for f in frames]
    layout = {
        "xaxis": _plane_axis("x", x0, x1),
        "yaxis": {**_plane_axis("y", y0, y1), "scaleanchor": "x"},  # equal scales: true geometry
        "images": [
            {
                "source": background_uri,
                "xref": "x",
                "yref": "y",
                "x": x0,
                "y": y1,
                "sizex": x1 - x0,
                "sizey": y1 - y0,
                "sizing": "stretch",
                "layer": "below",
            }
        ],
        "plot_bgcolor": "#ffffff",
        "height": 640,
        "margin": {"l": 50, "r": 20, "t": 30, "b": 40},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0},
        "hovermode": "closest",
        "clickmode": "event+select",
        "uirevision": f"{experiment.surface}{experiment.surface_params}",
        "updatemenus": [
            {
                "type": "buttons",
                "showactive": False,
                "direction": "left",
                "x": 0,
                "xanchor": "left",
                "y": -0.08,
                "yanchor": "top",
                "pad": {"t": 0, "r": 10},
                "buttons": [play, pause],
            }
        ],
        "sliders": [
            {
                "active": 0,
                "steps": slider_steps,
                "x": 0.16,
                "len": 0.84,
                "y": -0.06,
                "yanchor": "top",
                "currentvalue": {"prefix": "step ", "visible": True, "xanchor": "right", "font": {"color": "#333333"}},
                "font": {"color": "rgba(0,0,0,0)"},
                "ticklen": 0,
                "pad": {"t": 0, "b": 0},
            }
        ],
    }
    return {"data": data, "layout": layout, "frames": frames}


def _animate(duration: int, *, fromcurrent: bool = False) -> dict[str, Any]:
    """Animation options: scatter-only frames, so no redraw (which would hide the background)."""
    options = {"frame": {"duration": duration, "redraw": False}, "transition": {"duration": 0}, "mode": "immediate"}
    return {**options, "fromcurrent": True} if fromcurrent else options


def _plane_axis(title: str, low: float, high: float) -> dict[str, Any]:
    return {"range": [low, high], "showgrid": False, "zeroline": False, "title": {"text": title}, "constrain": "domain"}


def _line(
    points: np.ndarray, colour_: str, *, name: str, opacity: float, showlegend: bool, hover: bool
) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "lines",
        "x": typed_array(points[:, 0]),
        "y": typed_array(points[:, 1]),
        "name": name,
        "legendgroup": name,
        "line": {"color": colour_, "width": 2.5},
        "opacity": opacity,
        "showlegend": showlegend,
        "hoverinfo": "x+y+name" if hover else "skip",
    }


def _head(point: np.ndarray, colour_: str, label: str) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "markers",
        "x": [float(point[0])],
        "y": [float(point[1])],
        "name": label,
        "showlegend": False,
        "marker": {"color": colour_, "size": 12, "line": {"color": "#ffffff", "width": 1.5}},
        "hovertemplate": f"{label}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
    }


def _pick_grid(surf: surfaces.Surface) -> dict[str, Any]:
    """Invisible clickable points: a click selects the nearest one and sets the start there.

    Plotly contour and image layers send no click events; scatter markers do, even when
    fully transparent.
    """
    x, y, z = grid(surf, PICK_GRID)
    xx, yy = np.meshgrid(x, y)
    return {
        "type": "scatter",
        "mode": "markers",
        "x": typed_array(xx.ravel()),
        "y": typed_array(yy.ravel()),
        "customdata": typed_array(z.ravel()),
        "marker": {"size": 11, "opacity": 0, "color": "#000000"},
        "showlegend": False,
        "name": "start here",
        "hovertemplate": "(%{x:.3g}, %{y:.3g})<br>f = %{customdata:.4g}<br>click to start here<extra></extra>",
    }


def _landmarks(experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory]) -> list[dict[str, Any]]:
    marks = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": [experiment.start[0]],
            "y": [experiment.start[1]],
            "name": "start",
            "marker": {"symbol": "star", "size": 16, "color": "#000000", "line": {"color": "#ffffff", "width": 1}},
            "hovertemplate": "start (%{x:.4g}, %{y:.4g})<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "x": [m.x for m in surf.minima],
            "y": [m.y for m in surf.minima],
            "customdata": [m.value for m in surf.minima],
            "name": "minimum",
            "marker": {"symbol": "x-thin", "size": 14, "line": {"color": "#000000", "width": 3}},
            "hovertemplate": "minimum (%{x:.4g}, %{y:.4g})<br>f = %{customdata:.6g}<extra></extra>",
        },
    ]
    if surf.saddles:
        marks.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [p.x for p in surf.saddles],
                "y": [p.y for p in surf.saddles],
                "name": "saddle point",
                "marker": {
                    "symbol": "diamond-open",
                    "size": 12,
                    "color": "#000000",
                    "line": {"color": "#000000", "width": 2},
                },
                "hovertemplate": "saddle (%{x:.4g}, %{y:.4g})<extra></extra>",
            }
        )
    diverged = [(i, t) for i, t in enumerate(trajectories) if t.diverged_at is not None]
    if diverged:
        marks.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [float(t.points[-1, 0]) for _, t in diverged],
                "y": [float(t.points[-1, 1]) for _, t in diverged],
                "name": "diverged",
                "marker": {
                    "symbol": "x",
                    "size": 14,
                    "color": [colour(i) for i, _ in diverged],
                    "line": {"color": "#000000", "width": 1},
                },
                "text": [f"diverged at step {t.diverged_at}" for _, t in diverged],
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
    return marks


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
