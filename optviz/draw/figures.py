"""Figure builders: the surface's shading, and pure functions of (experiment, surface,
trajectories) -> Plotly figure dict for the loss per step and the 3-D view; how plotly.js draws
every figure (:data:`PLOTLY_CONFIG`), and the one way a person's text goes into a figure
(:func:`figure_text`).

The figures are plain dicts in Plotly's JSON schema, built directly rather than through
validated ``plotly.graph_objects`` (the tests validate every figure with
``plotly.graph_objects.Figure``). Large arrays are written as float32 base64 typed arrays,
which plotly.js reads natively. The race itself is the player (optviz/draw/race.py and
optviz/draw/assets/view.js), which draws the surface as the background image made here.
"""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import numpy as np

import surfaces
from optviz.core.engine import Trajectory
from optviz.draw.race import FAINT, FLOAT32_LIMIT, PALETTE, Shading, colour, run_id
from optviz.draw.race import symbol as race_symbol
from optviz.settings import Experiment
from optviz.text import Words, axis_names

__all__ = [
    "PALETTE",
    "PLOTLY_CONFIG",
    "Shading",
    "background",
    "colour",
    "figure_text",
    "loss_figure",
    "surface_3d_figure",
]

BANDS = 24  # colour bands of the background, like filled contour levels
UNDEFINED_RGB = (150, 120, 120)  # where the surface has no value: a muted red-grey, not a band
CONTOUR_DARKER = 34  # a contour line's lightness below its band's
CONTOUR_EVERY = (1, 2, 3, 4, 6)  # bands per contour line, fewest first (BANDS is a multiple of each)
CONTOUR_SHARE = 0.1  # the most of the picture contour lines may cover
Figure = dict[str, Any]


# plotly.js's config for every figure of the page and of the HTML export: sent with each
# figure's data (ui/component.py, ui/views.py, optviz/draw/export/), the only config view.js draws
# with. Nothing leaves the machine and no text is typeset: no "Share chart" button, which
# uploads the chart to a cloud service (showSendToCloud, on by default in plotly.js 4), and no
# address for it (plotlyServerURL); no Plotly logo, a link to plotly.com (displaylogo); no
# MathJax for "$...$" in a run's name (typesetMath). plotly.js 3 removed the other buttons and
# links that sent data away (showLink, linkText, sendData, showEditInChartStudio): 4.1.1 ignores
# them, so they are not set here.
PLOTLY_CONFIG: dict[str, Any] = {
    "showSendToCloud": False,
    "plotlyServerURL": "",
    "displaylogo": False,
    "typesetMath": False,
    "responsive": True,
}

# What plotly.js would read in figure text: the few HTML tags it draws (<a href>, <b>, <br>,
# <span style>), the entities it decodes, %{...} that a hovertemplate fills (and %{meta} in
# names and titles), and $...$ for MathJax. Each becomes a character reference, which plotly.js
# shows as the character.
_FIGURE_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "%": "&#37;", "$": "&#36;"})


def figure_text(text: str) -> str:
    """``text`` from a link or a person (a run's name) made inert for plotly.js: shown as
    written in a legend, a title or a hover label, never interpreted.

    >>> figure_text('<a href="http://x">%{x}</a> $a$')
    '&lt;a href="http://x"&gt;&#37;{x}&lt;/a&gt; &#36;a&#36;'
    """
    return text.translate(_FIGURE_TEXT)


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
    f_star = surf.f_star
    finite = reference[np.isfinite(reference)]
    delta = 1e-6 * float((finite.max() if finite.size else 1.0) - f_star)
    with np.errstate(invalid="ignore"):  # a formula's undefined points stay NaN
        return np.log10(np.maximum(values - f_star, 0.0) + delta)


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


BACKGROUND = 240  # points a side of the surface's shading (the budget may ask for fewer)


def background(surf: surfaces.Surface, n: int = BACKGROUND, *, contours: bool = True) -> Shading:
    """The surface as banded greys (light = low), as a PNG data URI; north is up. With
    ``contours``, a darker line where one band meets the next, as on a map."""
    with np.errstate(all="ignore"):
        _, _, z = grid(surf, n)
        shaded = shade(surf, z, z)
    defined = np.isfinite(shaded)  # a typed formula may be undefined in places (log of a negative)
    low, high = (float(shaded[defined].min()), float(shaded[defined].max())) if defined.any() else (0.0, 1.0)
    band = np.clip((np.nan_to_num((shaded - low) / (high - low + 1e-300)) * BANDS).astype(int), 0, BANDS - 1)
    levels = np.linspace(253, 185, BANDS)  # lightness per band
    level = levels[band]
    if contours:
        level = np.where(_contour_lines(band) & defined, level - CONTOUR_DARKER, level)
    rgb = np.stack([level, level + 2, level + 6], axis=-1).clip(0, 255).astype(np.uint8)
    rgb[~defined] = UNDEFINED_RGB
    greys = tuple(f"rgb({int(v)},{min(int(v) + 2, 255)},{min(int(v) + 6, 255)})" for v in levels)
    finite = z[np.isfinite(z)]
    delta = 1e-6 * float((finite.max() if finite.size else 1.0) - surf.f_star) if surf.log_scale else 0.0
    uri = "data:image/png;base64," + base64.b64encode(png(rgb[::-1])).decode("ascii")
    return Shading(uri, low, high, bool(surf.log_scale), delta, greys)


def _contour_lines(band: np.ndarray) -> np.ndarray:
    """The pixels on a contour line: those whose right or upper neighbour lies in another group
    of bands. A group is as few bands as keep the lines under CONTOUR_SHARE of the picture (a
    line every band on a bowl, every few on Rosenbrock); none where even the widest groups
    would cover it (Rastrigin's hundred bumps, which its bands already show)."""
    for every in CONTOUR_EVERY:
        group = band // every
        edge = np.zeros(band.shape, dtype=bool)
        edge[:, :-1] |= group[:, 1:] != group[:, :-1]
        edge[:-1, :] |= group[1:, :] != group[:-1, :]
        if edge.mean() <= CONTOUR_SHARE:
            return edge
    return np.zeros(band.shape, dtype=bool)


# ------------------------------------------------------------------------------ other figures


# Both figures are drawn by a component that applies the page's theme (font colour, transparent
# backgrounds): they set no background or font colour, and draw grid lines in greys that read
# on white and on a dark page alike.
GRID_GREY = "rgba(128, 128, 128, 0.28)"
AXIS_GREY = "rgba(128, 128, 128, 0.55)"
LOSS_HEIGHT = 480
SURFACE_HEIGHT = 540
LOSS_FLOOR = 1e-16  # the lowest f − f* on the loss axis, relative to the highest


def loss_figure(
    experiment: Experiment,
    surf: surfaces.Surface,
    trajectories: list[Trajectory],
    colours: list[str] | None = None,
    *,
    per_evaluation: bool = False,
) -> Figure:
    """f − f* at every step of every run, on a log scale; with ``per_evaluation``, over the
    gradient evaluations each run's steps had made (the fair axis for LBFGS, which makes many a step).

    The y axis is scaled to the runs that did not diverge (every one of their steps fits), down
    to a floor of LOSS_FLOOR times its top. A diverged run is drawn until it leaves that range,
    where its line meets the top edge, and "diverged at step k" is marked there in its colour.
    A run that goes below the floor (or reaches f* exactly) is drawn along the bottom edge from
    there, and marked where it first does, so that no line is flat without saying why.
    """
    colours = _run_colours(experiment, trajectories, colours)
    words = Words(experiment.lang)
    f_star = surf.f_star
    gaps = [np.asarray(t.losses, dtype=np.float64) - f_star for t in trajectories]
    bottom, top = _loss_bounds(gaps, trajectories)
    low, high = _log_range(bottom, top)
    as_array = typed_array if bottom >= 1e-37 and top <= FLOAT32_LIMIT else _typed_array64
    data: list[dict[str, Any]] = []
    marks: list[tuple[float, int, Trajectory, str, str]] = []
    floors: list[tuple[int, int, str, str]] = []
    for i, (label, t) in enumerate(zip(experiment.labels(), trajectories, strict=True)):
        name = _run_name(label, t, words)
        steps, values, left_at = _drawn_loss(gaps[i], t.diverged_at, bottom, 10.0**high)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": as_array(steps),
                "y": as_array(values),
                "name": name,
                "legendgroup": f"run {i}",
                "line": {"color": colours[i], "width": 2},
                "hovertemplate": words("figure.hover_loss") + "<extra>%{fullData.name}</extra>",
            }
        )
        if t.diverged_at is not None:
            marks.append((left_at, i, t, name, colours[i]))
        shown = gaps[i][: t.diverged_at]
        below = np.flatnonzero(~(shown >= bottom))  # NaN too: nothing is drawn under the floor unmarked
        if below.size:
            floors.append((int(below[0]), i, name, colours[i]))
    data += _divergence_marks(marks, experiment.steps, low, high, words)
    data += _floor_marks(floors, bottom, low, high, words)
    yaxis = {"title": {"text": words("figure.gap")}, "type": "log", "range": [low, high], "exponentformat": "power"}
    layout = step_layout(words, experiment.steps, yaxis, _ui_revision(experiment))
    if per_evaluation:
        _per_evaluation(data, layout, trajectories, words)
    return {"data": data, "layout": layout}


def _per_evaluation(
    data: list[dict[str, Any]], layout: dict[str, Any], trajectories: list[Trajectory], words: Words
) -> None:
    """The loss chart over gradient evaluations rather than steps: each run's line and marks
    (its legend group) moved to the evaluations its steps had made, in place (a fractional step,
    where a diverged line meets the top edge, in proportion within its step)."""
    for trace in data:
        group = trace.get("legendgroup", "")
        if not group.startswith("run "):
            continue
        t = trajectories[int(group.split()[1])]
        made = np.asarray(t.evaluations, dtype=np.float64)
        steps = _typed_values(trace["x"])
        moved = np.interp(steps, np.arange(made.size, dtype=np.float64), made)
        trace["x"] = typed_array(moved) if isinstance(trace["x"], dict) else moved.tolist()
        if trace.get("mode") == "lines":  # the run's line (its marks say their own steps)
            # Its loss changes only where a step ends: flat over the evaluations within a step.
            trace["line"] = {**trace["line"], "shape": "hv"}
            trace["hovertemplate"] = words("figure.hover_loss_evaluations") + "<extra>%{fullData.name}</extra>"
    most = max((int(np.asarray(t.evaluations)[-1]) for t in trajectories), default=1)
    layout["xaxis"] |= {"title": {"text": words("figure.grad_evals")}, "range": [0, max(most, 1)]}


def _typed_values(x: Any) -> np.ndarray:
    """A trace's x, a typed array (``typed_array``) or a list, as float64."""
    if isinstance(x, dict):
        return np.frombuffer(base64.b64decode(x["bdata"]), dtype=x["dtype"]).astype(np.float64)
    return np.asarray(x, dtype=np.float64)


STATE_HEIGHT = 260  # the inspector's small chart of one state value


def state_figure(words: Words, trajectory: Trajectory, symbol: str, line_colour: str, revision: str) -> Figure:
    """One value of a run's recorded state per step (``Inspection.plotted``: Prodigy's estimate
    d_t), over the race's steps: the step inspector's small chart, on a log scale while every
    value is positive (d grows by orders of magnitude from d0)."""
    field = trajectory.spec.inspection.symbols[symbol]
    values = np.asarray(getattr(trajectory.states, field), dtype=np.float64)
    values = values.reshape(values.shape[0], -1)[:, 0]  # one value per trajectory, on every coordinate alike
    name = symbol.split("_", maxsplit=1)[0].lstrip("\\")
    shown = values[np.isfinite(values)]
    positive = shown.size > 0 and bool(np.all(shown > 0))
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": typed_array(np.arange(values.size, dtype=np.float64)),
            "y": _typed_array64(values),
            "name": name,
            "line": {"color": line_colour, "width": 2},
            "hovertemplate": words("figure.hover_state", symbol=name) + "<extra></extra>",
        }
    ]
    yaxis = {"title": {"text": name}, "type": "log" if positive else "linear", "exponentformat": "power"}
    layout = step_layout(words, trajectory.steps, yaxis, revision)
    layout |= {"height": STATE_HEIGHT, "showlegend": False, "margin": {"l": 64, "r": 16, "t": 8, "b": 44}}
    return {"data": data, "layout": layout}


def step_layout(words: Words, steps: int, yaxis: dict[str, Any], revision: str) -> dict[str, Any]:
    """The layout of a chart over a race's steps, 0 to ``steps`` (the loss chart, the landscape's
    distances off its plane): ``yaxis`` its own, the rest the same for every such chart."""
    return {
        "xaxis": {
            "title": {"text": words("figure.step")},
            "range": [0, steps],
            "gridcolor": GRID_GREY,
            "zeroline": False,
            "linecolor": AXIS_GREY,
        },
        "yaxis": {**yaxis, "gridcolor": GRID_GREY, "linecolor": AXIS_GREY},
        "height": LOSS_HEIGHT,
        "margin": {"l": 64, "r": 16, "t": 16, "b": 48},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.14, "yanchor": "top"},
        "hovermode": "closest",
        "uirevision": revision,
    }


def _run_colours(experiment: Experiment, trajectories: list[Trajectory], colours: list[str] | None) -> list[str]:
    """Each run's colour: the one it keeps in the race, unless given."""
    if colours is None:
        return [colour(slot) for slot in experiment.slots()]
    if len(colours) != len(trajectories):
        msg = f"expected {len(trajectories)} colours, one per run, got {len(colours)}"
        raise ValueError(msg)
    return list(colours)


def _run_name(label: str, trajectory: Trajectory, words: Words) -> str:
    """A run's name in a legend: a person's text, made inert (:func:`figure_text`)."""
    label = figure_text(label)
    if trajectory.diverged_at is None:
        return label
    return words("figure.label_diverged", label=label, step=trajectory.diverged_at)


def _ui_revision(experiment: Experiment) -> str:
    """Same surface, same revision: Plotly then keeps the user's zoom and camera on a rerun."""
    return f"{experiment.surface}{experiment.surface_params}"


def _typed_array64(values: np.ndarray) -> dict[str, str]:
    """A float64 typed array, for values beyond float32's range."""
    data = np.ascontiguousarray(values, dtype="<f8")
    return {"dtype": "f8", "bdata": base64.b64encode(data.tobytes()).decode("ascii")}


def _loss_bounds(gaps: list[np.ndarray], trajectories: list[Trajectory]) -> tuple[float, float]:
    """The lowest and highest f − f* the loss axis must show.

    Every step of every run that did not diverge; if every run diverged, what they went
    through before rising a thousand times above where they started. Values at or below zero
    (a run that reached the minimum exactly) are shown at the floor: the smallest positive
    value, but no lower than LOSS_FLOOR times the highest.
    """
    if not gaps:
        return LOSS_FLOOR, 1.0
    kept = [g for g, t in zip(gaps, trajectories, strict=True) if t.diverged_at is None]
    if not kept:
        start = max(float(g[0]) for g in gaps)
        before = [g[: t.diverged_at] for g, t in zip(gaps, trajectories, strict=True)]
        kept = [g[g <= 1e3 * max(start, 0.0)] for g in before]
    values = np.concatenate([g[np.isfinite(g)] for g in kept])
    positive = values[values > 0]
    if positive.size == 0:  # every run sits exactly on the minimum
        return LOSS_FLOOR, 1.0
    top = float(positive.max())
    return max(float(positive.min()), LOSS_FLOOR * top), top


def _log_range(bottom: float, top: float) -> tuple[float, float]:
    """The log10 axis range around [bottom, top], with a margin of 4 % (at least a tenth of a decade)."""
    low, high = np.log10(bottom), np.log10(top)
    margin = max(0.04 * (high - low), 0.1)
    return float(low - margin), float(high + margin)


def _drawn_loss(
    gap: np.ndarray, diverged_at: int | None, bottom: float, edge: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """The steps and values drawn for one run, and where a diverged run's line ends.

    A run that did not diverge is drawn at every step. A diverged run is drawn up to the
    step before it first rises above ``edge`` (the top of the axis) and then to the point
    where its line, interpolated in log scale, meets the edge; if it never rose above the
    edge it is drawn up to its last finite step and ends at its divergence step.
    """
    values = np.maximum(np.where(np.isfinite(gap), gap, np.inf), bottom)
    if diverged_at is None:
        return np.arange(values.size, dtype=np.float64), values, float(values.size - 1)
    above = np.flatnonzero(values[:diverged_at] > edge)
    if above.size == 0:
        return np.arange(diverged_at, dtype=np.float64), values[:diverged_at], float(diverged_at)
    out = int(above[0])
    steps = np.arange(out, dtype=np.float64)
    if out == 0:  # the start itself lies above the edge: nothing to draw
        return steps, values[:0], 0.0
    before, after = np.log10(values[out - 1]), np.log10(min(values[out], 1e308))
    crossing = out - 1 + (np.log10(edge) - before) / (after - before) if after > before else float(out)
    return np.append(steps, crossing), np.append(values[:out], edge), float(crossing)


def _divergence_marks(
    marks: list[tuple[float, int, Trajectory, str, str]], steps: int, low: float, high: float, words: Words
) -> list[dict[str, Any]]:
    """An x at the top edge at the step each diverged run diverged at, with "diverged at step k";
    where its line left the top of the axis earlier (it climbed beyond every other run long
    before it was far off the picture), an upward triangle on the edge there too.

    Marks closer than a fifth of the width to an earlier one are moved down a row, so that
    their texts do not overlap.
    """
    traces: list[dict[str, Any]] = []
    rows: list[list[float]] = []
    row_height = 0.075 * (high - low)
    edge = 10.0 ** (high - 0.015 * (high - low))
    for left_at, i, t, name, colour_ in marks:
        if t.diverged_at - left_at > 0.02 * steps:
            above = words("figure.above_axis", step=round(left_at))
            traces.append(_edge_mark("triangle-up", left_at, edge, (i, name, colour_), above))
    for x, i, t, name, colour_ in sorted(((min(m[2].diverged_at, steps), *m[1:]) for m in marks), key=lambda m: m[0]):
        row = next((j for j, xs in enumerate(rows) if all(abs(x - other) > 0.2 * steps for other in xs)), len(rows))
        if row == len(rows):
            rows.append([])
        rows[row].append(x)
        if x > 0.75 * steps:
            position = "bottom left"
        elif x < 0.15 * steps:
            position = "bottom right"
        else:
            position = "bottom center"
        text = words("figure.diverged_at", step=t.diverged_at)
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "x": [x],
                "y": [10.0 ** (high - 0.02 * (high - low) - row * row_height)],
                "text": [text],
                "textposition": position,
                "textfont": {"color": colour_, "size": 12},
                "marker": {"symbol": "x", "size": 13, "color": colour_},
                "cliponaxis": False,
                "name": name,
                "legendgroup": f"run {i}",
                "showlegend": False,
                "hovertemplate": f"{text}<extra>%{{fullData.name}}</extra>",
            }
        )
    return traces


def _floor_marks(
    floors: list[tuple[int, int, str, str]], bottom: float, low: float, high: float, words: Words
) -> list[dict[str, Any]]:
    """A downward triangle on the bottom edge where each run's f − f* first goes below the axis'
    floor: from there its line is drawn along the edge, not at its value."""
    floor, edge = f"{bottom:.1e}", 10.0 ** (low + 0.015 * (high - low))
    return [
        _edge_mark("triangle-down", step, edge, (i, name, colour_), words("figure.below_floor", floor=floor, step=step))
        for step, i, name, colour_ in floors
    ]


def _edge_mark(symbol: str, x: float, y: float, run: tuple[int, str, str], hover: str) -> dict[str, Any]:
    """A triangle on an edge of the loss axis where a run's line leaves it (``run``: its index,
    name and colour), saying so when hovered."""
    i, name, colour_ = run
    return {
        "type": "scatter",
        "mode": "markers",
        "x": [x],
        "y": [y],
        "marker": {"symbol": symbol, "size": 13, "color": colour_, "line": {"color": "#ffffff", "width": 1}},
        "cliponaxis": False,
        "name": name,
        "legendgroup": f"run {i}",
        "showlegend": False,
        "hovertemplate": hover + "<extra>%{fullData.name}</extra>",
    }


# ------------------------------------------------------------------------------ the 3-D view

SURFACE_GRID = 90
# The height is f itself unless the surface spans orders of magnitude: unless the range of f
# over the domain is more than LOG_HEIGHT_RATIO times the median of f − min f (see
# _spread_ratio). On the registered surfaces that ratio is 2 to 12 for the valley (any
# condition number up to 1000, any angle), the saddle, Himmelblau, Rastrigin, Booth, the
# six-hump camel and Styblinski-Tang, 17 for Rosenbrock (any b), and 150 to 460 for
# Goldstein-Price and Beale.
LOG_HEIGHT_RATIO = 50.0
DELTA_FRACTION = 0.01  # δ in log10(f − f* + δ), as a fraction of the median of f − f*
LIFT = 0.015  # paths float this fraction of the height range above the surface
PATH_WIDTH = 7
SURFACE_OPACITY = 0.88
LIGHTING = {"ambient": 0.7, "diffuse": 0.6, "specular": 0.05, "roughness": 0.9, "fresnel": 0.1}
LIGHT_POSITION = {"x": 0, "y": -50000, "z": 100000}  # above, a little to the south: slopes facing the viewer are lit
SURFACE_SCALE = [[0.0, "rgb(248, 249, 252)"], [1.0, "rgb(140, 144, 152)"]]  # light = low, as the race
CAMERA_ELEVATION = 40.0  # degrees above the plane, looking north from the south
CAMERA_DISTANCE = 1.7
PATH_TOLERANCE = 1 / 2000  # of the domain's larger side: far below a pixel, even zoomed in
MAX_PIECES = 64  # a long segment is drawn in at most this many pieces, to follow the surface


def surface_3d_figure(
    experiment: Experiment,
    surf: surfaces.Surface,
    trajectories: list[Trajectory],
    colours: list[str] | None = None,
    n: int = SURFACE_GRID,
    *,
    live: bool = False,
) -> Figure:
    """The surface in 3-D, oriented like the map, with every run's path on top of it.

    Height is f, or log10(f − f* + δ) when the surface spans orders of magnitude (see
    _heights). Paths are lifted a little above the drawn surface and cut at the domain's edge;
    the start and each run's end are marked, a diverged run's end with a cross.

    ``live``: the paths follow the race player instead (see _live_paths): each run is a trail
    up to the player's step and a head at it, which the browser fills from the arrays the race
    already brought, so the figure carries the surface and no path.
    """
    colours = _run_colours(experiment, trajectories, colours)
    words = Words(experiment.lang)
    relief = _Relief(surf, n)
    tolerance = PATH_TOLERANCE * max(hi - lo for lo, hi in surf.domain)
    x, y, z, heights = relief.x, relief.y, relief.z, relief.heights
    z_low, z_high = relief.low, relief.high
    data: list[dict[str, Any]] = [
        {
            "type": "surface",
            "x": typed_array(x),
            "y": typed_array(y),
            "z": {**typed_array(z), "shape": f"{n}, {n}"},
            "name": words(f"surface.{surf.name}.title"),
            "colorscale": SURFACE_SCALE,
            "cmin": z_low,
            "cmax": z_high,
            "showscale": False,
            "opacity": SURFACE_OPACITY,
            "lighting": LIGHTING,
            "lightposition": LIGHT_POSITION,
            "contours": {
                "x": {"highlight": False},
                "y": {"highlight": False},
                "z": {
                    "show": True,  # level lines, like the bands of the map
                    "start": z_low,
                    "end": z_high,
                    "size": (z_high - z_low) / BANDS or 1.0,
                    "color": "rgba(60, 64, 72, 0.35)",
                    "width": 2,
                    "highlight": False,
                },
            },
            "hovertemplate": f"(%{{x:.3g}}, %{{y:.3g}})<br>{heights.label} = %{{z:.4g}}<extra></extra>",
        }
    ]
    ends: list[dict[str, Any]] = []
    for i, (label, t) in enumerate(zip(experiment.labels(), trajectories, strict=True)):
        name = _run_name(label, t, words)
        if live:
            data += _live_paths(experiment, i, t, name, colours[i])
            continue
        path = _clip_to_domain(_simplify(_finite_points(t), tolerance), surf.domain)
        if t.diverged_at is not None:  # up to where it first leaves the domain, on the edge
            gaps = np.flatnonzero(np.isnan(path[:, 0]))
            path = path[: gaps[0]] if gaps.size else path
        path, path_z = relief.drape(path)
        data.append(
            {
                "type": "scatter3d",
                "mode": "lines",
                "x": typed_array(path[:, 0]),
                "y": typed_array(path[:, 1]),
                "z": typed_array(path_z),
                "name": name,
                "legendgroup": f"run {i}",
                "line": {"color": colours[i], "width": PATH_WIDTH},
                "connectgaps": False,
                "hovertemplate": "(%{x:.4g}, %{y:.4g})<extra>%{fullData.name}</extra>",
            }
        )
        drawn = np.flatnonzero(np.isfinite(path[:, 0]))
        if drawn.size:
            end = drawn[-1]
            diverged = t.diverged_at is not None
            what = words("figure.last_point", step=t.diverged_at) if diverged else words("figure.end")
            ends.append(
                {
                    "type": "scatter3d",
                    "mode": "markers",
                    "x": [float(path[end, 0])],
                    "y": [float(path[end, 1])],
                    "z": [float(path_z[end])],
                    "name": name,
                    "legendgroup": f"run {i}",
                    "showlegend": False,
                    "marker": {
                        "symbol": "cross" if diverged else "circle",  # Plotly's 3-D "x" is an emoji
                        "size": 8 if diverged else 6,
                        "color": colours[i],
                        "line": {"color": "#ffffff", "width": 0 if diverged else 1},
                    },
                    "hovertemplate": what + " (%{x:.4g}, %{y:.4g})<extra>%{fullData.name}</extra>",
                }
            )
    start = np.array([experiment.start], dtype=np.float64)
    data += ends
    data.append(
        {
            # a star, as on the race (Plotly's 3-D markers have none: a diamond is the saddle's)
            "type": "scatter3d",
            "mode": "text",
            "x": [float(start[0, 0])],
            "y": [float(start[0, 1])],
            "z": [float(relief.above(start)[0])],
            "name": words("figure.start"),
            "text": ["★"],
            "textfont": {"size": 22, "color": "#000000"},
            "showlegend": False,  # its legend sign would be Plotly's "Aa" for text
            "hovertemplate": words("figure.start") + " (%{x:.4g}, %{y:.4g})<extra></extra>",
        }
    )
    layout = {
        "height": SURFACE_HEIGHT,
        "margin": {"l": 0, "r": 0, "t": 0, "b": 8},
        "scene": _scene(surf, heights.title, (z_low - 2 * relief.lift, relief.top), experiment.lang),
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "top"},
        "uirevision": _ui_revision(experiment),
    }
    if live:
        layout["meta"] = {"live": _live_heights(surf, relief)}
    return {"data": data, "layout": layout}


# Plotly's 3-D markers for the race's (optviz.draw.race.SYMBOLS): the shapes it has, a circle for the
# rest (its 3-D "x" is an emoji, and it has no triangle, pentagon, hexagon or star).
SYMBOLS_3D = {"circle": "circle", "square": "square", "diamond": "diamond", "cross": "cross"}
HEAD_SIZE = 7


def _live_paths(experiment: Experiment, i: int, t: Trajectory, name: str, colour_: str) -> list[dict[str, Any]]:
    """Run ``i``'s trail and head in the 3-D view, without their points: ``fromRace`` names the
    race's arrays they are drawn from (optviz.draw.race.run_id) and the step the run diverged at
    (its trail stops at the point before; its head is a cross there). view.js fills them at the
    player's step and moves them as it plays."""
    run = experiment.runs[i]
    reference = {"run": run_id(experiment, run), "diverged_at": t.diverged_at}
    slot = experiment.slots()[i]
    # A rule's second point (ASGD's average, schedule-free's x) has a trail of its own, from the
    # race's cx, cy, cgap; as in the race, the rule's answer bold, the other faint (lighter, thinner).
    companion = t.spec.companion if t.companion is not None else None
    bold_second = companion is not None and companion.bold
    faint = {"color": _faint_colour(colour_), "width": PATH_WIDTH / 2}
    trail = {
        "type": "scatter3d",
        "mode": "lines",
        "name": name,
        "legendgroup": f"run {i}",
        "line": faint if bold_second else {"color": colour_, "width": PATH_WIDTH},
        "connectgaps": False,
        "hovertemplate": "(%{x:.4g}, %{y:.4g})<extra>%{fullData.name}</extra>",
        "fromRace": {**reference, "part": "trail"},
    }
    trails = [trail]
    if companion is not None:
        second = {**trail, "showlegend": False, "fromRace": {**reference, "part": "trail", "second": True}}
        trails.append({**second, "line": {"color": colour_, "width": PATH_WIDTH} if bold_second else faint})
    head = {
        "type": "scatter3d",
        "mode": "markers",
        "name": name,
        "legendgroup": f"run {i}",
        "showlegend": False,
        "marker": {
            "symbol": SYMBOLS_3D.get(race_symbol(slot), "circle"),
            "size": HEAD_SIZE,
            "color": colour_,
            "line": {"color": "#ffffff", "width": 1},
        },
        "hovertemplate": "(%{x:.4g}, %{y:.4g})<extra>%{fullData.name}</extra>",
        "fromRace": {**reference, "part": "head", "second": bold_second},  # on the bold one
    }
    return [*trails, head]


def _faint_colour(colour_: str) -> str:
    """A run's colour as its faint path shows it: mixed with white as the race's FAINT opacity
    lays it on a light surface."""
    rgb = [int(colour_[k : k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(c * FAINT + 255 * (1 - FAINT)):02x}" for c in rgb)


def _live_heights(surf: surfaces.Surface, relief: _Relief) -> dict[str, Any]:
    """What the browser needs to put a point of the race's arrays (x, y, f − f*) where _Relief.above
    puts it: f* of the arrays, the drawn height's rule (f, or log10(f − f* + δ)), the lift, the top
    of the box and the domain (a point outside it is not drawn). The drawn mesh it reads from the
    surface trace (the first)."""
    heights = relief.heights
    return {
        "f_star": surf.f_star,
        "log": heights.log,
        "log_f_star": heights.f_star,
        "delta": heights.delta,
        "lift": relief.lift,
        "top": relief.top,
        "domain": [list(side) for side in surf.domain],
    }


class _Heights:
    """What the 3-D view draws as height: f itself, or log10(f − f* + δ)."""

    def __init__(self, log: bool, f_star: float = 0.0, delta: float = 1.0) -> None:
        self.log, self.f_star, self.delta = log, f_star, delta
        self.label = "log₁₀(f − f* + δ)" if log else "f"
        self.title = f"{self.label}, δ = {delta:.2g}" if log else self.label  # the z axis title

    def __call__(self, values: np.ndarray) -> np.ndarray:
        if not self.log:
            return np.asarray(values, dtype=np.float64)
        return np.log10(np.maximum(np.asarray(values, dtype=np.float64) - self.f_star, 0.0) + self.delta)


def _spread_ratio(f: np.ndarray) -> float:
    """The range of f over the grid divided by the median of f − min f: how far below the
    top of a linear plot a typical point of the domain would be drawn.

    A quadratic bowl, however ill-conditioned, or Rosenbrock's banana stays within 2 to 20:
    half the domain is drawn more than 5 % of the way up and its shape reads. A surface whose
    range is made by a few corners that rise by orders of magnitude draws half the domain
    flat at the bottom instead (Beale: 0.2 %).
    """
    g = f - f.min()
    spread = float(g.max())
    if spread == 0:
        return 1.0
    typical = float(np.median(g))
    return spread / typical if typical > 0 else np.inf


def _heights(surf: surfaces.Surface, f: np.ndarray) -> _Heights:
    """Linear height f unless the surface spans orders of magnitude (_spread_ratio above
    LOG_HEIGHT_RATIO); then log10(f − f* + δ), with δ a hundredth of the median of f − f*: the
    minimum is a shallow dip rather than a bottomless funnel narrower than the grid, and
    everything above δ is drawn in decades."""
    if _spread_ratio(f) <= LOG_HEIGHT_RATIO:
        return _Heights(log=False)
    f_star = min(surf.f_star, float(f.min()))
    g = f - f_star
    delta = max(DELTA_FRACTION * float(np.median(g)), 1e-12 * float(g.max()), 1e-300)
    return _Heights(log=True, f_star=f_star, delta=delta)


def _finite_points(trajectory: Trajectory) -> np.ndarray:
    """The points up to the last finite one (a diverged run is frozen there anyway)."""
    points = np.asarray(trajectory.points, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(points).all(axis=1))
    end = trajectory.diverged_at if trajectory.diverged_at is not None else points.shape[0]
    if bad.size:
        end = min(end, int(bad[0]))
    return points[: max(end, 1)]


def _simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    """``points`` thinned to about one per ``tolerance`` of path length.

    Keeps the first point of every ``tolerance`` of path length (and the last point), so no
    dropped point is farther than ``tolerance`` from the one drawn before it: a run that has settled,
    or crawls, costs no more than its visible shape. The zig-zag of a run whose steps are
    longer than that keeps every vertex.
    """
    if points.shape[0] <= 2:
        return points
    length = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])
    bucket = np.floor(length / tolerance)
    keep = np.concatenate([[True], bucket[1:] > bucket[:-1]])
    keep[-1] = True
    return points[keep]


def _clip_to_domain(points: np.ndarray, domain: surfaces.Domain) -> np.ndarray:
    """The polyline through ``points`` cut to the domain (Liang-Barsky on every segment).

    A segment that leaves the domain ends on its edge, one that comes back starts there, and
    a row of NaN separates the pieces (Plotly draws no line across it).
    """
    inside = np.ones(points.shape[0], dtype=bool)
    for axis, (low, high) in enumerate(domain):
        inside &= (points[:, axis] >= low) & (points[:, axis] <= high)
    if points.shape[0] == 1:
        return points if inside[0] else np.empty((0, 2))
    a, b = points[:-1], points[1:]
    d = b - a
    t0, t1 = np.zeros(a.shape[0]), np.ones(a.shape[0])
    for axis, (low, high) in enumerate(domain):
        still = d[:, axis] == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            to_low = (low - a[:, axis]) / d[:, axis]
            to_high = (high - a[:, axis]) / d[:, axis]
        t0 = np.maximum(t0, np.where(still, -np.inf, np.minimum(to_low, to_high)))
        t1 = np.minimum(t1, np.where(still, np.inf, np.maximum(to_low, to_high)))
        t1 = np.where(still & ((a[:, axis] < low) | (a[:, axis] > high)), -np.inf, t1)
    visible = t0 <= t1
    rows = np.full((a.shape[0], 3, 2), np.nan)
    enter, leave = np.clip(t0, 0.0, 1.0), np.clip(t1, 0.0, 1.0)  # (unclipped only where not visible)
    rows[:, 0] = np.where((t0 <= 0)[:, None], a, a + enter[:, None] * d)
    rows[:, 1] = np.where((t1 >= 1)[:, None], b, a + leave[:, None] * d)
    joined = np.zeros(a.shape[0], dtype=bool)  # the segment goes on from where the last one ended
    joined[1:] = visible[:-1] & (t1[:-1] >= 1) & (t0[1:] <= 0)
    keep = np.stack([visible & ~joined, visible, visible & (t1 < 1)], axis=1)
    path = rows[keep]
    while path.shape[0] and np.isnan(path[-1, 0]):
        path = path[:-1]
    return path


class _Relief:
    """The drawn surface: the grid, its heights in drawn units, and how paths sit on top of it."""

    def __init__(self, surf: surfaces.Surface, n: int) -> None:
        self.surf = surf
        self.x, self.y, f = grid(surf, n)
        self.heights = _heights(surf, f)
        self.z = self.heights(f)
        self.low, self.high = float(self.z.min()), float(self.z.max())
        self.lift = LIFT * ((self.high - self.low) or 1.0)
        self.top = self.high + 2 * self.lift  # the top of the box

    def above(self, path: np.ndarray) -> np.ndarray:
        """Heights that put ``path`` (rows (x, y), NaN rows for gaps) above the drawn surface.

        The higher of the surface's value and the drawn mesh (which lies above the true
        surface where it curves up between grid points), plus the lift; capped at the top of
        the box, so that no path stretches it.
        """
        out = np.full(path.shape[0], np.nan)
        drawn = np.isfinite(path[:, 0])
        px, py = path[drawn, 0], path[drawn, 1]
        surface = self.heights(self.surf.value_fn(px, py))
        mesh = _mesh_height((self.x, self.y, self.z), px, py)
        out[drawn] = np.minimum(np.maximum(surface, mesh) + self.lift, self.top)
        return out

    def drape(self, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``path`` and its heights above the surface, with points added where needed.

        A straight 3-D segment between two lifted points cuts through any hill between them:
        a segment longer than a grid cell is sampled about once a cell (at most MAX_PIECES
        times), and where the samples rise above the segment by more than half the lift it is
        drawn through them. Over a bowl (convex) nothing is added.
        """
        z = self.above(path)
        if path.shape[0] < 2:
            return path, z
        a, b = path[:-1], path[1:]
        with np.errstate(invalid="ignore"):
            cells = np.maximum(
                np.abs(b[:, 0] - a[:, 0]) / (self.x[1] - self.x[0]), np.abs(b[:, 1] - a[:, 1]) / (self.y[1] - self.y[0])
            )
        cells = np.where(np.isfinite(cells), cells, 0.0)
        pieces = np.clip(np.ceil(cells), 1, MAX_PIECES).astype(int)
        long = np.flatnonzero(pieces > 1)
        if long.size == 0:
            return path, z
        counts = pieces[long] - 1
        segment = np.repeat(long, counts)
        t = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + 1) / pieces[segment]
        samples = a[segment] + t[:, None] * (b[segment] - a[segment])
        heights = self.above(samples)
        chord = z[segment] + t * (z[segment + 1] - z[segment])
        under = np.zeros(a.shape[0], dtype=bool)
        np.logical_or.at(under, segment, heights - chord > 0.5 * self.lift)
        added = under[segment]
        order = np.argsort(np.concatenate([np.arange(path.shape[0]), segment[added] + t[added]]), kind="stable")
        return np.concatenate([path, samples[added]])[order], np.concatenate([z, heights[added]])[order]


def _mesh_height(mesh: tuple[np.ndarray, np.ndarray, np.ndarray], px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """An upper bound of the drawn mesh over points: bilinear interpolation in the grid cell,
    plus a quarter of the cell's twist (the most that either split of the cell into two
    triangles rises above the bilinear patch)."""
    x, y, z = mesh
    hx, hy = x[1] - x[0], y[1] - y[0]
    i = np.clip(((px - x[0]) // hx).astype(int), 0, x.size - 2)
    j = np.clip(((py - y[0]) // hy).astype(int), 0, y.size - 2)
    u = np.clip((px - x[i]) / hx, 0.0, 1.0)
    v = np.clip((py - y[j]) / hy, 0.0, 1.0)
    z00, z10, z01, z11 = z[j, i], z[j, i + 1], z[j + 1, i], z[j + 1, i + 1]
    bilinear = (1 - u) * (1 - v) * z00 + u * (1 - v) * z10 + (1 - u) * v * z01 + u * v * z11
    return bilinear + 0.25 * np.abs(z00 - z10 - z01 + z11)


def _scene(surf: surfaces.Surface, z_title: str, z_range: tuple[float, float], lang: str) -> dict[str, Any]:
    """Axes, aspect and camera: x to the right and y away from the viewer, as on the map,
    seen from the south at CAMERA_ELEVATION degrees; the box has the domain's x:y ratio."""
    (x0, x1), (y0, y1) = surf.domain
    wide = max(x1 - x0, y1 - y0)
    elevation = np.radians(CAMERA_ELEVATION)
    distance = CAMERA_DISTANCE * (0.55 + 0.45 * (y1 - y0) / wide)  # closer to a shallow box, to fill the width

    def axis(title: str, value_range: list[float]) -> dict[str, Any]:
        return {
            "title": {"text": title},
            "range": value_range,
            "gridcolor": GRID_GREY,
            "zerolinecolor": AXIS_GREY,
            "linecolor": AXIS_GREY,
            "showbackground": False,
            "showspikes": False,
        }

    x_name, y_name = axis_names(surf.name, lang)
    return {
        "xaxis": axis(x_name, [x0, x1]),
        "yaxis": axis(y_name, [y0, y1]),
        "zaxis": axis(z_title, list(z_range)),
        "aspectmode": "manual",
        "aspectratio": {"x": (x1 - x0) / wide, "y": (y1 - y0) / wide, "z": 0.6},
        "camera": {
            "eye": {
                "x": 0.0,
                "y": -distance * float(np.cos(elevation)),
                "z": distance * float(np.sin(elevation)),
            },
            "center": {"x": 0.0, "y": 0.0, "z": -0.1},
            "up": {"x": 0.0, "y": 0.0, "z": 1.0},
            "projection": {"type": "perspective"},
        },
    }
