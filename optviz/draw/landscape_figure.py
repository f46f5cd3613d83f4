"""A network's landscape as a race: the loss over a plane of its weights, drawn by the race
player, with every run's path projected onto the plane (:mod:`optviz.study.landscape`).

The player (``assets/view.js``) draws a 2-D surface and the runs' paths over it; here the
surface is the slice (41 x 41 values, read between them bilinearly: the player's shading asks
for a finer grid), each run's "path" its iterates' coordinates on the plane, and each run's
label says it is a projection. Nothing in the player changes: it gets a scene and runs as it
does for any surface. A run recorded with ``record="final", every=n`` is held at each kept
step until the next (the player shows step k of the run; its path joins the kept points).
How far off the plane each point lies is a figure of its own, step by step, which follows the
player (:func:`distance_figure`).

The page's call (``ui`` draws, this builds)::

    view = landscape_view(net, chosen, others, labels=..., slots=..., plane="filter", lang=...)
    VIEW_COMPONENT(data=view.player | {"plotly_url": PLOTLY_URL}, key="landscape")
    figure(view.distances, key="landscape_distance", playhead=True)
    for line in view.caption: st.caption(line)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

import surfaces
from optviz.core.engine import Trajectory
from optviz.draw import race as race_data
from optviz.draw.figures import (
    PLOTLY_CONFIG,
    Figure,
    background,
    figure_text,
    step_layout,
    typed_array,
)
from optviz.study.landscape import GRID, Landscape, landscape
from optviz.text import DEFAULT_LANGUAGE, Words, plotly_locale
from surfaces.base import Point
from surfaces.network import Network

NAME = "landscape"  # the slice's surface name (its scene's id is made from it)
LOG_SPREAD = 10.0  # a slice whose highest loss is this many times its lowest is shaded on a log scale
SPEED = 100  # the player's steps per second (optviz.settings.SPEEDS["normal"])


@dataclass(frozen=True)
class _Slice(surfaces.Surface):
    """The slice as a surface of the plane's two coordinates: cross-entropy's floor, 0, as its
    f* (a network's own, :attr:`surfaces.network.Network.f_star`), so that a log shading shows
    the loss itself."""

    @property
    def f_star(self) -> float:
        return 0.0


def slice_surface(found: Landscape) -> surfaces.Surface:
    """The slice as a 2-D surface: its loss read bilinearly between the grid's points (the grid's
    own values at its points), its domain the slice's, θ* marked where a minimum would be."""
    sliced = found.slice
    a, b, loss = sliced.a, sliced.b, sliced.loss
    value_fn, grad_fn = _bilinear(a, b, loss)
    spread = float(loss.max()) / max(float(loss.min()), 1e-300)
    return _Slice(
        name=NAME,
        formula="",
        value_fn=value_fn,
        grad_fn=grad_fn,
        domain=sliced.domain,
        minima=(Point(0.0, 0.0, sliced.centre_loss),),
        saddles=(),
        default_start=(0.0, 0.0),
        param_values=(("a", float(a[-1])), ("b", float(b[-1])), ("digest", _number(_digest(loss.tobytes())))),
        log_scale=spread >= LOG_SPREAD,
    )


def _bilinear(a: np.ndarray, b: np.ndarray, loss: np.ndarray) -> tuple[Any, Any]:
    """f and its gradient read bilinearly from ``loss[j, i]`` at (a[i], b[j]) (evenly spaced), held
    at the edge outside."""
    da, db = (a[-1] - a[0]) / (len(a) - 1), (b[-1] - b[0]) / (len(b) - 1)

    def cell(x: Any, y: Any) -> tuple[np.ndarray, ...]:
        u = np.clip((np.asarray(x, dtype=np.float64) - a[0]) / da, 0.0, len(a) - 1.0)
        v = np.clip((np.asarray(y, dtype=np.float64) - b[0]) / db, 0.0, len(b) - 1.0)
        i, j = np.minimum(u.astype(np.intp), len(a) - 2), np.minimum(v.astype(np.intp), len(b) - 2)
        s, t = u - i, v - j
        return s, t, loss[j, i], loss[j, i + 1], loss[j + 1, i], loss[j + 1, i + 1]

    def value_fn(x: Any, y: Any) -> Any:
        s, t, f00, f10, f01, f11 = cell(x, y)
        return (1 - t) * ((1 - s) * f00 + s * f10) + t * ((1 - s) * f01 + s * f11)

    def grad_fn(x: Any, y: Any) -> tuple[Any, Any]:
        s, t, f00, f10, f01, f11 = cell(x, y)
        return ((1 - t) * (f10 - f00) + t * (f11 - f01)) / da, ((1 - s) * (f01 - f00) + s * (f11 - f10)) / db

    return value_fn, grad_fn


def projected(found: Landscape, runs: Sequence[Trajectory], surf: surfaces.Surface) -> list[Trajectory]:
    """Each run as the player reads it: its iterates' coordinates (a, b) on the plane and its own
    training loss, at every step from 0 to its last (a kept row held until the next)."""
    out = []
    for run, projection, steps in zip(runs, found.projections, found.steps, strict=True):
        rows = _held(steps, run.steps)
        points = np.stack([projection.a[rows], projection.b[rows]], axis=1)
        out.append(
            Trajectory(
                optimizer=run.optimizer,
                hyperparameters=run.hyperparameters,
                surface=surf,
                points=points,
                losses=np.asarray(run.losses, dtype=np.float64)[rows],
                grads=np.zeros(points.shape),
                diverged_at=run.diverged_at,
                steps_run=run.steps,
            )
        )
    return out


def _held(steps: np.ndarray, last: int) -> np.ndarray:
    """The row each step 0 .. last shows: the last kept row at or before it."""
    return np.searchsorted(steps, np.arange(last + 1), side="right") - 1


def player_data(
    found: Landscape,
    runs: Sequence[Trajectory],
    labels: Sequence[str],
    slots: Sequence[int],
    *,
    lang: str = DEFAULT_LANGUAGE,
    speed: int = SPEED,
    projector: bool = False,
    still: bool = False,
) -> dict[str, Any]:
    """The race player's data (what ``ui.views`` sends it for a race, ``plotly_url`` aside): the
    slice as its scene, each run projected, labelled as a projection, in the colour and marker
    of its slot. Every array is sent each time (a landscape is drawn once per change)."""
    surf = slice_surface(found)
    shading = background(surf)
    scene = race_data.scene(surf, shading)
    drawn = projected(found, runs, surf)
    words = Words(lang)
    items = []
    for i, (label, slot, trajectory) in enumerate(zip(labels, slots, drawn, strict=True)):
        arrays = race_data.run_arrays(trajectory)
        items.append(
            {
                "id": f"{NAME}-{_digest((scene['id'], i, *arrays.values()))}",
                "label": words("landscape.projected", label=label),
                "colour": race_data.colour(slot),
                "symbol": slot,
                "diverged_at": trajectory.diverged_at,
                "arrays": arrays,
            }
        )
    chosen = drawn[0].points[0]
    return {
        "kind": "race",
        "config": PLOTLY_CONFIG,
        "locale": plotly_locale(words.lang),
        "race": f"{NAME}-{scene['id']}",
        "steps": max(t.steps for t in drawn),
        "speed": speed,
        "start": [float(chosen[0]), float(chosen[1])],
        "scene": scene,
        "runs": items,
        "projector": projector,
        "still": still,
        "text": player_words(found, words.lang),
        "hold": None,
        "autoplay": False,
        "inspect": None,
        "live": {},
        "preview": None,
        "forces": None,
    }


def player_words(found: Landscape, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The player's words, its axes named by the plane and its minimum's marker by θ*."""
    words = Words(lang)
    text = race_data.player_text(words.lang)
    text["minimum"] = words("landscape.centre")
    text["x_axis"], text["y_axis"] = axis_names(found, words.lang)
    return text


def axis_names(found: Landscape, lang: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
    """The plane's axes: a filter-normalised direction's number, or a principal component's
    number and its explained variance ratio."""
    words = Words(lang)
    plane = found.plane
    if plane.explained is None:
        return words("landscape.axis_filter", index=1), words("landscape.axis_filter", index=2)
    return tuple(  # type: ignore[return-value]
        words("landscape.axis_pca", index=i, share=_percent(share)) for i, share in enumerate(plane.explained, start=1)
    )


def distance_figure(
    found: Landscape, labels: Sequence[str], slots: Sequence[int], lang: str = DEFAULT_LANGUAGE
) -> Figure:
    """Each run's distance off the plane at each of its kept steps (in the weights' own units):
    how far the projection drawn in the race is from the point it stands for. Its x axis is the
    step: the page draws it following the player (``playhead=True``)."""
    words = Words(lang)
    data = []
    for label, slot, projection, steps in zip(labels, slots, found.projections, found.steps, strict=True):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers" if steps.size <= 60 else "lines",
                "x": typed_array(steps.astype(np.float64)),
                "y": typed_array(projection.distance),
                "name": figure_text(label),
                "line": {"color": race_data.colour(slot), "width": 2},
                "marker": {"color": race_data.colour(slot), "size": 5},
                "hovertemplate": words("landscape.distance_hover") + "<extra>%{fullData.name}</extra>",
            }
        )
    last = max(int(steps[-1]) for steps in found.steps)
    yaxis = {"title": {"text": words("landscape.distance")}, "rangemode": "tozero"}
    return {"data": data, "layout": step_layout(words, max(last, 1), yaxis, NAME)}


def caption(found: Landscape, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """What the picture is, in a few lines (plain text, no person's words in them): the plane and
    its explained variance or the cosine between its directions, the slice's extent, and that
    the paths are projections."""
    words = Words(lang)
    plane = found.plane
    if plane.explained is None:
        first = words("landscape.caption_filter", seed=plane.seed, cosine=f"{plane.cosine:.3f}")
    else:
        first = words("landscape.caption_pca", first=_percent(plane.explained[0]), second=_percent(plane.explained[1]))
    (_, a1), (_, b1) = found.slice.domain
    extent = words("landscape.caption_extent", points=len(found.slice.a), a=f"{a1:.3g}", b=f"{b1:.3g}")
    return [first, extent, words("landscape.caption_projection")]


class LandscapeView(NamedTuple):
    """What the page shows of a landscape: the player's data (``plotly_url`` aside), the figure
    of the distances off the plane, the caption's lines, and the landscape itself."""

    player: dict[str, Any]
    distances: Figure
    caption: list[str]
    landscape: Landscape


def landscape_view(
    net: Network,
    chosen: Trajectory,
    others: Sequence[Trajectory] = (),
    *,
    labels: Sequence[str],
    slots: Sequence[int],
    plane: str = "filter",
    seed: int = 0,
    points: int = GRID,
    lang: str = DEFAULT_LANGUAGE,
    speed: int = SPEED,
    projector: bool = False,
) -> LandscapeView:
    """The landscape around the end of ``chosen`` (theta*) with ``others`` projected too, ready
    for the page: ``labels`` and ``slots`` name and colour the runs, ``chosen``'s first. The
    work is :func:`optviz.study.landscape.landscape` (the slice: about a second or two for the
    digits CNN); the rest costs milliseconds."""
    runs = (chosen, *others)
    if not len(labels) == len(slots) == len(runs):
        msg = f"expected {len(runs)} labels and slots, one per run (the chosen run's first)"
        raise ValueError(msg)
    found = landscape(net, chosen, others, plane=plane, seed=seed, points=points)
    return LandscapeView(
        player_data(found, runs, labels, slots, lang=lang, speed=speed, projector=projector),
        distance_figure(found, labels, slots, lang),
        caption(found, lang),
        found,
    )


def _percent(share: float) -> str:
    return f"{100.0 * share:.1f} %"


def _digest(value: object) -> str:
    return hashlib.blake2b(repr(value).encode() if not isinstance(value, bytes) else value, digest_size=12).hexdigest()


def _number(digest: str) -> float:
    """A digest as a number (a surface's parameters are numbers): its first 48 bits."""
    return float(int(digest[:12], 16))
