"""The figures of a comparison of optimizers training a network (optviz/study/network.py):
pure functions to Plotly figure dicts and table data.

- :func:`curves_figure`: training loss, test loss and test accuracy per epoch or per gradient
  evaluation, one panel each: per optimizer the median of its seeds, and a band from the
  lowest seed to the highest.
- :func:`grid_figure`: the tuned mode's grid: validation loss against the learning rate per
  optimizer, the chosen rate marked.
- :func:`finals_figure`: the verdict as a picture: each seed's final value per optimizer, its
  range and median, and the best one's range across them all.
- :func:`table`: the final table's columns and rows.
- :func:`verdict_lines`: the verdict in words, each with the 2-D lesson that explains it.

Every word is from the catalogs (``[network]``); an optimizer's name is its preset's words when
it has one (``preset.<name>``), else its name as given, shown as text. Like the other figures,
they set no background or font colour: the page's theme does. An optimizer keeps its slot's
colour (:func:`optviz.draw.race.colour`) in every figure.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from optviz.draw.figures import AXIS_GREY, GRID_GREY, figure_text
from optviz.draw.race import colour
from optviz.study.network import LESSON_OF, METRICS, Contender, Result, Tuning, Verdict
from optviz.text import Words

Figure = dict[str, Any]
PANEL_HEIGHT = 260
GRID_HEIGHT = 460
AXES = ("epoch", "grad_evals")


def _axis(title: str, **more: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "gridcolor": GRID_GREY, "linecolor": AXIS_GREY, "zeroline": False, **more}


def name(contender: Contender, lang: str) -> str:
    """An optimizer's name: its preset's words (the tutorial's eight), else its own name as text."""
    say = Words(lang)
    key = f"preset.{contender.name}"
    return say(key) if say.has(key) else figure_text(contender.name)


def label(result: Result, index: int, lang: str) -> str:
    """An optimizer's name with its learning rate and where the rate comes from (tuned or torch's default)."""
    say = Words(lang)
    key = "network.label_tuned" if result.request.mode == "tuned" else "network.label_default"
    return say(key, name=name(result.request.optimizers[index], lang), lr=f"{result.curves[index].lr:.3g}")


def _finite(values: np.ndarray) -> list[float | None]:
    """Values for a Plotly line: None (a gap) where there is none."""
    return [float(v) if math.isfinite(v) else None for v in values.tolist()]


# ------------------------------------------------------------------------------ the curves


def curves_figure(
    result: Result, *, axis: str = "epoch", metrics: tuple[str, ...] = METRICS, lang: str = "en"
) -> Figure:
    """One panel per metric (training loss and test loss on log scales, test accuracy), stacked
    over one x axis: ``axis`` "epoch" or "grad_evals" (the gradient evaluations made by each
    epoch's end, each optimizer's own count). Per optimizer: the median of the seeds as a line,
    the lowest to the highest seed as a band behind it; a click on its legend entry hides it in
    every panel."""
    if axis not in AXES:
        msg = f"unknown axis {axis!r}; choose one of: {', '.join(AXES)}"
        raise ValueError(msg)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        msg = f"unknown metrics {unknown!r}; choose from: {', '.join(METRICS)}"
        raise ValueError(msg)
    say = Words(lang)
    data: list[dict[str, Any]] = []
    panels = len(metrics)
    gap = 0.06
    height = (1.0 - gap * (panels - 1)) / panels
    layout: dict[str, Any] = {
        "height": PANEL_HEIGHT * panels + 80,
        "margin": {"l": 72, "r": 16, "t": 24, "b": 48},
        "hovermode": "closest",
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.08, "yanchor": "top"},
    }
    for p, metric in enumerate(metrics):
        suffix = "" if p == 0 else str(p + 1)
        top = 1.0 - p * (height + gap)
        accuracy = metric == "test_accuracy"
        y_axis = {"domain": [top - height, top], "anchor": f"x{suffix}"}
        if accuracy:
            y_axis |= {"tickformat": ".0%", "rangemode": "tozero"}
        else:
            y_axis |= {"type": "log", "exponentformat": "power"}
        layout[f"yaxis{suffix}"] = _axis(say(f"network.{metric}"), **y_axis)
        x_axis: dict[str, Any] = {"anchor": f"y{suffix}", "rangemode": "tozero"}
        if p < panels - 1:
            x_axis |= {"matches": f"x{panels if panels > 1 else ''}", "showticklabels": False}
            layout[f"xaxis{suffix}"] = _axis("", **x_axis)
        else:
            layout[f"xaxis{suffix}"] = _axis(say(f"network.{axis}"), **x_axis)
        hover = say("network.hover_accuracy" if accuracy else "network.hover_median")
        for index, curves in enumerate(result.curves):
            x = result.epochs if axis == "epoch" else curves.grad_evals
            shown = curves.band(metric)
            legend = label(result, index, lang)
            if curves.diverged:
                legend += " · " + say("network.hover_diverged", count=curves.diverged, seeds=result.request.seeds)
            tint = colour(index)
            common = {"type": "scatter", "xaxis": f"x{suffix}", "yaxis": f"y{suffix}", "legendgroup": f"run {index}"}
            band = {**common, "mode": "lines", "x": x.tolist(), "showlegend": False, "hoverinfo": "skip"}
            band |= {"line": {"width": 0, "color": tint}}
            data.append({**band, "y": _finite(shown.low)})
            data.append({**band, "y": _finite(shown.high), "fill": "tonexty", "opacity": 0.25})
            data.append(
                {
                    **common,
                    "mode": "lines+markers",
                    "x": x.tolist(),
                    "y": _finite(shown.median),
                    "customdata": [[lo, hi] for lo, hi in zip(_finite(shown.low), _finite(shown.high), strict=True)],
                    "name": legend,
                    "showlegend": p == 0,
                    "line": {"color": tint, "width": 2},
                    "marker": {"size": 5, "color": tint},
                    "hovertemplate": hover + f"<extra>{legend}</extra>",
                }
            )
    return {"data": data, "layout": layout}


# ------------------------------------------------------------------------------ the grid


def grid_figure(tuning: Tuning, lang: str = "en") -> Figure:
    """Validation loss against the learning rate, one curve per optimizer on log scales: the
    grid each one's rate was chosen on (seed 0), the chosen rate ringed, a diverged rate an x
    along the top."""
    say = Words(lang)
    data: list[dict[str, Any]] = []
    losses = np.concatenate([t.validation_loss for t in tuning.optimizers])
    finite = losses[np.isfinite(losses)]
    top = float(finite.max()) * 1.5 if finite.size else 10.0
    for index, (contender, tuned) in enumerate(zip(tuning.grid.optimizers, tuning.optimizers, strict=True)):
        tint, shown = colour(index), name(contender, lang)
        common = {"type": "scatter", "legendgroup": f"run {index}", "name": shown}
        data.append(
            {
                **common,
                "mode": "lines+markers",
                "x": tuned.lrs.tolist(),
                "y": _finite(tuned.validation_loss),
                "line": {"color": tint, "width": 2},
                "marker": {"size": 6, "color": tint},
                "hovertemplate": say("network.hover_grid") + f"<extra>{shown}</extra>",
            }
        )
        if not tuned.all_diverged:
            data.append(
                {
                    **common,
                    "mode": "markers",
                    "x": [tuned.lr],
                    "y": [float(tuned.validation_loss[tuned.chosen])],
                    "showlegend": False,
                    "marker": {"symbol": "circle-open", "size": 16, "color": tint, "line": {"width": 3, "color": tint}},
                    "hovertemplate": say("network.hover_chosen") + f"<extra>{shown}</extra>",
                }
            )
        if tuned.diverged.any():
            lrs = tuned.lrs[tuned.diverged]
            data.append(
                {
                    **common,
                    "mode": "markers",
                    "x": lrs.tolist(),
                    "y": [top] * int(lrs.size),
                    "showlegend": False,
                    "marker": {"symbol": "x-thin", "size": 9, "line": {"color": tint, "width": 2}},
                    "hovertemplate": say("network.diverged") + f" (lr = %{{x:.3g}})<extra>{shown}</extra>",
                }
            )
    layout = {
        "height": GRID_HEIGHT,
        "margin": {"l": 72, "r": 16, "t": 24, "b": 48},
        "hovermode": "closest",
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.15, "yanchor": "top"},
        "xaxis": _axis(say("network.lr"), type="log", exponentformat="power"),
        "yaxis": _axis(say("network.validation_loss"), type="log", exponentformat="power"),
    }
    return {"data": data, "layout": layout}


# ------------------------------------------------------------------------------ the final values


def finals_figure(result: Result, metric: str = "test_accuracy", lang: str = "en") -> Figure:
    """The verdict as a picture: per optimizer (a row), each seed's final ``metric`` (a dot), the
    range from its lowest to its highest (a bar) and its median (a tick); the best optimizer's
    range shaded across every row, so that a range that meets the shading is within the spread
    of seeds of the best, and one that does not is beyond it."""
    say = Words(lang)
    verdict = result.verdict(metric)
    accuracy = metric == "test_accuracy"
    count = len(result.curves)
    data: list[dict[str, Any]] = []
    for index, curves in enumerate(result.curves):
        finals, tint, shown = curves.values(metric)[:, -1], colour(index), label(result, index, lang)
        kept = finals[np.isfinite(finals)]
        common = {"type": "scatter", "name": shown, "showlegend": False, "legendgroup": f"run {index}"}
        if kept.size:
            low, high = float(kept.min()), float(kept.max())
            bar = {"mode": "lines", "x": [low, high], "y": [index, index], "hoverinfo": "skip"}
            data.append({**common, **bar, "line": {"color": tint, "width": 8}, "opacity": 0.45})
            data.append(
                {
                    **common,
                    "mode": "markers",
                    "x": [float(np.median(kept))],
                    "y": [index],
                    "marker": {"symbol": "line-ns", "size": 22, "line": {"color": tint, "width": 3}},
                    "hovertemplate": (say("network.hover_final_accuracy") if accuracy else say("network.hover_final"))
                    + f"<extra>{shown}</extra>",
                }
            )
        data.append(
            {
                **common,
                "mode": "markers",
                "x": _finite(finals),
                "y": [index] * len(finals),
                "customdata": list(range(len(finals))),
                "marker": {"symbol": "circle", "size": 9, "color": tint, "line": {"color": "#ffffff", "width": 1}},
                "hovertemplate": say("network.hover_seed_accuracy" if accuracy else "network.hover_seed")
                + f"<extra>{shown}</extra>",
            }
        )
    shapes = []
    if verdict.best is not None:
        best = result.curves[verdict.best].band(metric)
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "y domain",
                "x0": float(best.low[-1]),
                "x1": float(best.high[-1]),
                "y0": 0,
                "y1": 1,
                "fillcolor": colour(verdict.best),
                "opacity": 0.15,
                "line": {"width": 0},
                "layer": "below",
            }
        )
    x_axis = {"tickformat": ".1%"} if accuracy else {"exponentformat": "power"}
    layout = {
        "height": 90 + 34 * count,
        "margin": {"l": 16, "r": 16, "t": 16, "b": 48},
        "hovermode": "closest",
        "shapes": shapes,
        "xaxis": _axis(say("network.final", metric=say(f"network.{metric}")), **x_axis),
        "yaxis": _axis(
            "",
            range=[count - 0.5, -0.5],
            tickvals=list(range(count)),
            ticktext=[name(c, lang) for c in result.request.optimizers],
            automargin=True,
            showgrid=False,
        ),
    }
    return {"data": data, "layout": layout}


# ------------------------------------------------------------------------------ the table and the verdict


def _percent(value: float) -> str:
    return f"{value:.1%}" if math.isfinite(value) else "–"


def table(result: Result, lang: str = "en") -> dict[str, list[Any]]:
    """The final table by columns, in the optimizers' order: each column's title and values
    (accuracies as fractions, their range as text, losses as numbers, diverged seeds as text)."""
    say = Words(lang)
    rows = result.table()
    return {
        say("network.optimizer"): [label(result, row.index, lang) for row in rows],
        say("network.column_accuracy"): [row.accuracy for row in rows],
        say("network.column_range"): [
            say("network.range", low=_percent(row.accuracy_low), high=_percent(row.accuracy_high)) for row in rows
        ],
        say("network.column_train_loss"): [row.train_loss for row in rows],
        say("network.column_test_loss"): [row.test_loss for row in rows],
        say("network.column_diverged"): [
            say("network.diverged_count", count=row.diverged, seeds=row.seeds) for row in rows
        ],
    }


def verdict_lines(result: Result, verdict: Verdict, lang: str = "en") -> list[tuple[str, str | None]]:
    """The verdict in sentences, each with the id of the 2-D lesson that explains it (or None):
    who is within the spread of the best (with the lesson on minibatch noise), then each
    difference beyond the spread and its lesson."""
    say = Words(lang)
    names = [name(c, lang) for c in result.request.optimizers]
    metric = say(f"network.{verdict.metric}")
    shown = _percent if verdict.metric == "test_accuracy" else (lambda v: f"{v:.3g}")
    medians = [float(c.band(verdict.metric).median[-1]) for c in result.curves]
    lines: list[tuple[str, str | None]] = []
    if verdict.all_within:
        lines.append((say("network.all_within", metric=metric), LESSON_OF["noise"]))
    elif verdict.best is not None and len(verdict.tied) > 1:
        tied = say("network.list_separator").join(names[i] for i in verdict.tied if i != verdict.best)
        lines.append((say("network.within", names=tied, metric=metric, best=names[verdict.best]), LESSON_OF["noise"]))
    for difference in verdict.differences:
        values = {
            "better": names[difference.better],
            "worse": names[difference.worse],
            "better_value": shown(medians[difference.better]),
            "worse_value": shown(medians[difference.worse]),
        }
        if difference.kind is None:
            lines.append((say("network.apart", **values), None))
        else:
            kind = say(f"network.kind.{difference.kind}")
            lines.append((say("network.apart_why", **values, kind=kind), difference.lesson))
    for index, curves in enumerate(result.curves):
        if curves.diverged == result.request.seeds:
            lines.append((say("network.no_data", name=names[index]), None))
    if math.isfinite(verdict.spread):
        lines.append((say("network.spread", spread=shown(verdict.spread)), None))
    return lines


def rates_notes(result: Result, lang: str = "en") -> list[str]:
    """Under the grid or the defaults: where each learning rate came from, in sentences. Tuned:
    any rate chosen at its grid's edge, or a grid that diverged everywhere. Defaults: which
    settings are the tutorial's rather than torch's."""
    say = Words(lang)
    contenders = result.request.optimizers
    if result.tuning is None:
        notes = [
            say("network.not_default", name=name(c, lang), settings=", ".join(c.not_defaults()))
            for c in contenders
            if c.not_defaults()
        ]
        return [say("network.defaults_caption", settings=say("network.list_separator").join(notes))]
    lines = []
    for contender, tuned in zip(contenders, result.tuning.optimizers, strict=True):
        if tuned.all_diverged:
            lines.append(say("network.all_diverged", name=name(contender, lang)))
        elif tuned.at_edge:
            lines.append(say("network.at_edge", name=name(contender, lang)))
    return lines
