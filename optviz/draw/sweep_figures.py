"""The figures of the sweeps and maps (optviz/study/sweeps.py): pure functions to Plotly figure dicts.

- :func:`sweep_figure`: final f − f* and steps to the tolerance against the learning rate, one
  curve per run, each run's current rate marked, where it converges drawn as a band, and
  theory's rates on a quadratic surface.
- :func:`hyper_map_figure`: a heatmap over two hyperparameters of one run, its setting marked.
- :func:`basin_figure`: each start of a grid coloured by the minimum its run ends in (hue),
  shaded by the steps it needed (lightness), with diverged and unconverged starts in colours of
  their own, and a legend.

Like the other figures, they set no background or font colour: the page's theme does.
"""

from __future__ import annotations

import base64
import colorsys
import math
from typing import Any

import numpy as np

import surfaces
from optviz.draw.figures import AXIS_GREY, GRID_GREY, figure_text, png
from optviz.study.sweeps import DIVERGED, NOT_CONVERGED, BasinMap, HyperMap, Sweep
from optviz.teach.theory import learning_rates
from optviz.text import Words, hyperparameter_title

Figure = dict[str, Any]
SWEEP_HEIGHT = 600
MAP_HEIGHT = 520
BASIN_SIZE = 290  # about the pixels a side of one basin map, three to a row on a laptop
DIVERGED_RGB = (40, 40, 44)
NOT_CONVERGED_RGB = (170, 170, 176)


def _axis(title: str, **more: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "gridcolor": GRID_GREY, "linecolor": AXIS_GREY, "zeroline": False, **more}


# ------------------------------------------------------------------------------ the sweep


def sweep_figure(
    sweeps: list[Sweep],
    labels: list[str],
    colours: list[str],
    current: list[tuple[float, float, float | None]],
    *,
    surf: surfaces.Surface,
    tolerance: float,
    start_gap: float,
    lang: str,
    symbols: list[str] | None = None,
) -> Figure:
    """Final f − f* (top) and steps to the tolerance (middle) against the learning rate, per run;
    below them, a band per run where it converges and an x where it diverged, named.

    Every run has its own curve, marked with its race marker (``symbols``); a run whose sweep is
    another's (the same optimizer and settings: only the learning rate varies) is drawn dashed
    over it and says so in its name, or it would be hidden under it.

    ``current`` holds each run's (learning rate, final f − f*, steps to the tolerance or None,
    and the gradient evaluations they made), from its race: the marks of where each run is now.
    Where a run makes more than one evaluation a step (LBFGS), the middle curves count
    evaluations (``Sweep.to_tolerance``), every run's. Points carry ``[run index, lr]`` as
    customdata, so a click on one can set that run's rate.
    """
    say = Words(lang)
    data: list[dict[str, Any]] = []
    lrs = np.concatenate([s.lrs for s in sweeps]) if sweeps else np.array([1e-3, 1.0])
    low, high = math.log10(float(lrs.min())), math.log10(float(lrs.max()))
    pad = 0.03 * (high - low or 1.0)
    # The loss axis: from far below the tolerance (a run that reached the minimum sits on the
    # floor) to well above where the runs started (a run beyond that is diverging off the top).
    floor = tolerance * 1e-6
    top = max(start_gap, tolerance) * 1e3
    symbols = symbols or ["circle"] * len(sweeps)
    # Where a run makes more than one gradient evaluation a step (LBFGS), the middle curves count
    # evaluations, every run's: steps would flatter it.
    fair = any(found.evaluations is not None for found in sweeps)
    for index, (found, label, colour) in enumerate(zip(sweeps, labels, colours, strict=True)):
        name = figure_text(label)
        twin = next((i for i in range(index) if _same_sweep(sweeps[i], found)), None)
        if twin is not None:
            name = say("sweep.same_curve", name=name, other=figure_text(labels[twin]))
        custom = [[index, float(lr)] for lr in found.lrs]
        common = {"type": "scatter", "mode": "lines+markers", "legendgroup": f"run {index}", "customdata": custom}
        marker = {"size": 7, "color": colour, "symbol": symbols[index], "line": {"width": 0.5, "color": "#ffffff"}}
        dash = "dash" if twin is not None else "solid"
        if twin is not None:  # open markers, larger: the curve under them shows through
            marker = {"size": 10, "color": colour, "symbol": symbols[index] + "-open", "line": {"width": 2}}
        if found.gap_low is not None:  # the spread over the seeds: a band from lowest to highest
            band = {"type": "scatter", "mode": "lines", "x": found.lrs.tolist(), "legendgroup": f"run {index}"}
            band |= {"showlegend": False, "hoverinfo": "skip", "line": {"width": 0, "color": colour}}
            data.append({**band, "y": _finite(np.maximum(found.gap_low, floor))})
            data.append({**band, "y": _finite(np.maximum(found.gap_high, floor)), "fill": "tonexty", "opacity": 0.25})
        data.append(
            {
                **common,
                "x": found.lrs.tolist(),
                "y": _finite(np.maximum(found.gap, floor)),
                "name": name,
                "line": {"color": colour, "width": 2, "dash": dash},
                "marker": marker,
                "hovertemplate": say("sweep.hover_gap") + f"<extra>{name}</extra>",
            }
        )
        data.append(
            {
                **common,
                "x": found.lrs.tolist(),
                "y": _finite(found.to_tolerance if fair else found.steps),
                "xaxis": "x2",
                "yaxis": "y2",
                "showlegend": False,
                "line": {"color": colour, "width": 2, "dash": dash},
                "marker": marker,
                "name": name,
                "hovertemplate": say("sweep.hover_evaluations" if fair else "sweep.hover_steps")
                + f"<extra>{name}</extra>",
            }
        )
        lr, gap, steps, evaluations = current[index]  # where the run is now: open circles on both curves
        steps = evaluations if fair else steps
        mark = {
            "type": "scatter",
            "mode": "markers",
            "x": [lr],
            "legendgroup": f"run {index}",
            "showlegend": False,
            "marker": {"symbol": "circle-open", "size": 14, "color": colour, "line": {"width": 3, "color": colour}},
            "name": name,
            "hovertemplate": say("sweep.hover_current") + f"<extra>{name}</extra>",
        }
        if math.isfinite(gap):
            data.append({**mark, "y": [max(gap, floor)]})
        if steps is not None:
            data.append({**mark, "y": [steps], "xaxis": "x2", "yaxis": "y2"})
        data += _strip(found, index, name, colour, say)
    strip = min(0.4, 0.05 + 0.035 * len(sweeps))  # the strip: a row per run
    upper = 1.0 - strip - 0.06  # what the two curves share
    layout = {
        "height": SWEEP_HEIGHT + 24 * len(sweeps),
        "margin": {"l": 72, "r": 16, "t": 56, "b": 48},  # room above for theory's two rates, one a line
        "hovermode": "closest",
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.1, "yanchor": "top"},
        "xaxis": _axis("", type="log", range=[low - pad, high + pad], matches="x3", showticklabels=False),
        "yaxis": _axis(
            say("sweep.gap"),
            type="log",
            domain=[strip + 0.06 + 0.53 * upper, 1.0],
            range=[math.log10(floor) - 0.5, math.log10(top)],
            exponentformat="power",
        ),
        "xaxis2": _axis("", type="log", matches="x3", showticklabels=False, anchor="y2"),
        "yaxis2": _axis(
            say("sweep.evaluations" if fair else "sweep.steps"),
            domain=[strip + 0.06, strip + 0.06 + 0.45 * upper],
            rangemode="tozero",
            anchor="x2",
        ),
        "xaxis3": _axis(
            say("sweep.lr"), type="log", range=[low - pad, high + pad], anchor="y3", exponentformat="power"
        ),
        "yaxis3": _axis(
            "",
            domain=[0.0, strip],
            range=[len(sweeps) - 0.5, -0.5],
            tickvals=list(range(len(sweeps))),
            ticktext=[_short(figure_text(label)) for label in labels],
            automargin=True,  # every name whole
            showgrid=False,
            anchor="x3",
        ),
        "shapes": [
            {  # the tolerance, on the loss axis
                "type": "line",
                "xref": "x domain",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": tolerance,
                "y1": tolerance,
                "line": {"dash": "dot", "width": 1.5, "color": "rgba(128, 128, 128, 0.9)"},
            }
        ],
        "annotations": [
            {
                "text": say("sweep.strip"),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": strip + 0.005,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 11},
            }
        ],
    }
    shapes, annotations = rate_marks(surf, lang, ("x", "x2", "x3"), log=True, colour="rgba(128, 128, 128, 0.9)")
    layout["shapes"] += shapes
    layout["annotations"] += annotations
    return {"data": data, "layout": layout}


def rate_marks(
    surf: surfaces.Surface, lang: str, axes: tuple[str, ...], *, log: bool, colour: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Theory's learning rates on a quadratic surface (the largest stable one, 2/L, and the
    optimal one): a dashed line across each of the learning-rate ``axes`` ("x", "x2", or "y"
    for a vertical axis), named at the first; none on another surface."""
    rates = learning_rates(surf)
    if rates is None:
        return [], []
    shapes, annotations = [], []
    for value in (rates.max_stable, rates.optimal):
        for axis in axes:
            across = ("y" if axis == "x" else "y" + axis[1:]) + " domain" if axis.startswith("x") else "x domain"
            where = (axis, across) if axis.startswith("x") else (across, axis)
            ends = (
                {"x0": value.lr, "x1": value.lr, "y0": 0, "y1": 1}
                if axis.startswith("x")
                else {"x0": 0, "x1": 1, "y0": value.lr, "y1": value.lr}
            )
            line = {"dash": "dash", "width": 1.5, "color": colour}
            shapes.append({"type": "line", "xref": where[0], "yref": where[1], **ends, "line": line})
        position = math.log10(value.lr) if log else value.lr
        # Above the plot, one name a line (they are close: 2/(m + L) and 2/L), clear of Plotly's
        # toolbar at the top right; or right of the plot, one above and one below its line.
        first = value is rates.max_stable
        if axes[0].startswith("x"):
            place = {
                "x": position,
                "xref": axes[0],
                "y": 1.0,
                "yref": "paper",
                "yanchor": "bottom",
                "xanchor": "center",
            }
            place["yshift"] = 2 if first else 20
        else:  # inside the plot's right edge (its colour bar is beyond it)
            place = {"y": position, "yref": axes[0], "x": 1.0, "xref": "paper", "xanchor": "right"}
            place |= {
                "yanchor": "bottom" if first else "top",
                "bgcolor": "rgba(0, 0, 0, 0.45)",
                "font": {"color": "#ffffff"},
            }
        annotations.append(
            {"text": value.name(lang), "showarrow": False, **place, "font": {"size": 12, **place.get("font", {})}}
        )
    return shapes, annotations


def _finite(values: np.ndarray) -> list[float | None]:
    """Values for a Plotly line: None (a gap) where there is none, and for a log axis, where it is not positive."""
    return [float(v) if math.isfinite(v) and v > 0 else None for v in values.tolist()]


def _strip(found: Sweep, index: int, name: str, colour: str, say: Words) -> list[dict[str, Any]]:
    """The run's row in the strip: a thick band over each stretch where it converges, an x where it diverged."""
    traces = []
    for first, last in found.converging_ranges():
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [first, last] if first != last else [first * 0.97, last * 1.03],
                "y": [index, index],
                "xaxis": "x3",
                "yaxis": "y3",
                "line": {"color": colour, "width": 10},
                "legendgroup": f"run {index}",
                "showlegend": False,
                "name": name,
                "hovertemplate": say("sweep.hover_range", first=f"{first:g}", last=f"{last:g}")
                + f"<extra>{name}</extra>",
            }
        )
    diverged = found.lrs[found.diverged]
    if diverged.size:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": diverged.tolist(),
                "y": [index] * int(diverged.size),
                "xaxis": "x3",
                "yaxis": "y3",
                "marker": {"symbol": "x-thin", "size": 7, "line": {"color": colour, "width": 1.5}},
                "legendgroup": f"run {index}",
                "showlegend": False,
                "name": name,
                "hovertemplate": say("sweep.hover_diverged") + f"<extra>{name}</extra>",
            }
        )
    return traces


# ------------------------------------------------------------------------------ the hyperparameter map


def hyper_map_figure(
    found: HyperMap, metric: str, current: tuple[float, float], lang: str, surf: surfaces.Surface | None = None
) -> Figure:
    """A heatmap of ``metric`` ("steps" to the tolerance, or the final "loss" f − f*) over the
    map's two hyperparameters; blank where a run diverged, never converged (for steps) or is a
    setting the optimizer refuses; the run's setting marked, and on a quadratic ``surf``,
    theory's learning rates along a learning-rate axis. A click on a cell gives its values."""
    say = Words(lang)
    x_title, y_title = (hyperparameter_title(name, lang, found.optimizer) for name in (found.x_name, found.y_name))
    if metric == "loss":
        z = np.where(found.gap > 0, found.gap, np.nan)
        shown = np.log10(z)
        colorbar = {"title": {"text": say("sweep.gap")}, "tickprefix": "1e"}
        hover = say("map.hover_gap")
    else:
        z = found.steps
        shown = z
        colorbar = {"title": {"text": say("sweep.steps")}}
        hover = say("map.hover_steps")
    status = np.where(
        found.invalid,
        say("map.invalid"),
        np.where(np.isnan(found.gap), say("map.diverged"), np.where(np.isnan(found.steps), say("map.never"), "")),
    )
    data = [
        {
            "type": "heatmap",
            "x": found.xs.tolist(),
            "y": found.ys.tolist(),
            "z": [[None if not math.isfinite(v) else float(v) for v in row] for row in shown.tolist()],
            "customdata": [
                [[None if not math.isfinite(v) else float(v), s] for v, s in zip(values, states, strict=True)]
                for values, states in zip(z.tolist(), status.tolist(), strict=True)
            ],
            "colorscale": "Viridis",
            "reversescale": True,  # dark = slow or high: the good region is bright
            "colorbar": colorbar,
            "hoverongaps": True,
            "hovertemplate": f"{x_title} = %{{x:.4g}}<br>{y_title} = %{{y:.4g}}<br>"
            + hover
            + " %{customdata[1]}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "x": [current[0]],
            "y": [current[1]],
            "marker": {"symbol": "star", "size": 16, "color": "#ffffff", "line": {"color": "#000000", "width": 1.5}},
            "name": say("map.current"),
            "hovertemplate": say("map.current") + f" ({x_title} = %{{x:.4g}}, {y_title} = %{{y:.4g}})<extra></extra>",
            "showlegend": False,
        },
    ]
    layout = {
        "height": MAP_HEIGHT,
        "margin": {"l": 72, "r": 16, "t": 44, "b": 56},  # theory's rates are named above the plot, or inside it
        # powers of ten, never SI prefixes: "100μ" would read as a momentum
        "xaxis": _axis(x_title, type="log" if _log_axis(found.xs) else "linear", exponentformat="power"),
        "yaxis": _axis(y_title, type="log" if _log_axis(found.ys) else "linear", exponentformat="power"),
        "hovermode": "closest",
        "shapes": [],
        "annotations": [],
    }
    if surf is not None and "lr" in (found.x_name, found.y_name):
        along = "x" if found.x_name == "lr" else "y"
        log = _log_axis(found.xs if along == "x" else found.ys)
        layout["shapes"], layout["annotations"] = rate_marks(
            surf, lang, (along,), log=log, colour="rgba(255, 255, 255, 0.9)"
        )
    return {"data": data, "layout": layout}


def _log_axis(values: np.ndarray) -> bool:
    """Whether values were laid out on a log scale (a constant ratio between neighbours)."""
    if values.size < 3 or values.min() <= 0:
        return False
    ratios = values[1:] / values[:-1]
    return bool(ratios.max() / ratios.min() < 1.2 and ratios.mean() > 1.05)


# ------------------------------------------------------------------------------ the basin map


def minimum_colour(index: int) -> tuple[float, float, float]:
    """The hue of basin minimum ``index``: the golden angle apart, so neighbours differ."""
    return colorsys.hsv_to_rgb((0.61803398875 * index + 0.02) % 1.0, 0.75, 0.92)


def basin_rgb(found: BasinMap) -> np.ndarray:
    """The map's colours, (n, n, 3) uint8, row 0 at the bottom (y grows upwards).

    A start that arrived is its minimum's hue, from full colour (the fastest start on this
    map) to pale (the slowest); diverged and unconverged starts have colours of their own.
    """
    n_y, n_x = found.label.shape
    rgb = np.empty((n_y, n_x, 3))
    steps = found.steps
    finite = steps[np.isfinite(steps)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = math.log1p(high) - math.log1p(low) or 1.0
    slowness = np.clip((np.log1p(np.nan_to_num(steps, nan=high)) - math.log1p(low)) / span, 0.0, 1.0)
    for label in np.unique(found.label).tolist():
        where = found.label == label
        if label == DIVERGED:
            rgb[where] = np.array(DIVERGED_RGB) / 255
        elif label == NOT_CONVERGED:
            rgb[where] = np.array(NOT_CONVERGED_RGB) / 255
        else:
            hue = np.array(minimum_colour(label))
            pale = 0.7 * slowness[where][:, None]  # towards white as it gets slower
            rgb[where] = hue * (1 - pale) + pale
    return (rgb * 255).round().clip(0, 255).astype(np.uint8)


def basin_figure(
    found: BasinMap,
    surf: surfaces.Surface,
    start: tuple[float, float],
    label: str,
    lang: str,
) -> Figure:
    """One run's basin map: the colours as an image over the plot's axes, the minima and the
    current start on top, and a legend of what each colour means. A click sets the start."""
    say = Words(lang)
    (x0, x1), (y0, y1) = surf.domain
    image = "data:image/png;base64," + base64.b64encode(png(basin_rgb(found)[::-1])).decode("ascii")
    data: list[dict[str, Any]] = []
    present = [int(v) for v in np.unique(found.label).tolist()]
    minima = [i for i in present if i >= 0]
    legend: list[tuple[str, tuple[float, ...]]] = []
    if len(minima) <= 6:
        for i in minima:
            m = surf.basin_minima[i]
            legend.append((say("basin.minimum", x=f"{m.x:.3g}", y=f"{m.y:.3g}"), minimum_colour(i)))
    else:
        legend.append((say("basin.minima", count=len(minima)), minimum_colour(minima[0])))
    if NOT_CONVERGED in present:
        legend.append((say("basin.not_converged"), tuple(c / 255 for c in NOT_CONVERGED_RGB)))
    if DIVERGED in present:
        legend.append((say("basin.diverged"), tuple(c / 255 for c in DIVERGED_RGB)))
    for text, rgb in legend:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [None],
                "y": [None],
                "name": text,
                "marker": {"symbol": "square", "size": 12, "color": _css(rgb)},
                "hoverinfo": "skip",
            }
        )
    shown = surf.minima  # the listed minima, as on the race (not Rastrigin's lattice)
    data.append(
        {
            "type": "scatter",
            "mode": "markers",
            "x": [m.x for m in shown],
            "y": [m.y for m in shown],
            # a ring with a dot, as on the race: a cross would read as "diverged"
            "marker": {
                "symbol": "circle-open-dot",
                "size": 11,
                "color": "#000000",
                "line": {"color": "#000000", "width": 2},
            },
            "name": say("figure.minimum"),
            "showlegend": False,
            "hovertemplate": say("figure.minimum") + " (%{x:.4g}, %{y:.4g})<extra></extra>",
        }
    )
    data.append(
        {
            "type": "scatter",
            "mode": "markers",
            "x": [start[0]],
            "y": [start[1]],
            "marker": {"symbol": "star", "size": 15, "color": "#000000", "line": {"color": "#ffffff", "width": 1}},
            "name": say("figure.start"),
            "showlegend": False,
            "hovertemplate": say("figure.start") + " (%{x:.4g}, %{y:.4g})<extra></extra>",
        }
    )
    layout = {
        "title": {"text": figure_text(_short(label, 40)), "font": {"size": 14}, "x": 0, "xanchor": "left", "y": 0.98},
        "height": BASIN_SIZE + 158,
        # Margins that do not grow with the legend (one map lists "diverged", another not): every
        # map of a row is the same size, side by side; the legend has room for five rows below.
        "margin": {"l": 40, "r": 8, "t": 30, "b": 120, "autoexpand": False},
        # x and y as on the race; no axis titles, so that the legend below has the room
        "xaxis": _axis("", range=[x0, x1], showgrid=False, constrain="domain"),
        "yaxis": _axis("", range=[y0, y1], showgrid=False, scaleanchor="x", constrain="domain"),
        "images": [
            {
                "source": image,
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
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.03, "yanchor": "top", "font": {"size": 11}},
        "hovermode": "closest",
        "dragmode": False,
    }
    return {"data": data, "layout": layout}


def _css(rgb: tuple[float, ...]) -> str:
    r, g, b = (round(255 * c) for c in rgb)
    return f"rgb({r}, {g}, {b})"


def _same_sweep(one: Sweep, other: Sweep) -> bool:
    """Whether two runs' sweeps are the same numbers (same optimizer and settings)."""
    return (
        np.array_equal(one.lrs, other.lrs)
        and np.array_equal(one.gap, other.gap, equal_nan=True)
        and np.array_equal(one.steps, other.steps, equal_nan=True)
    )


def _short(text: str, most: int = 28) -> str:
    """A run's name on the strip's axis: cut with an ellipsis past ``most`` characters."""
    return text if len(text) <= most else text[: most - 1] + "…"
