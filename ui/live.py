"""The race while something is being moved: the start dragged on the plot, a slider dragged in
the sidebar. The paths follow as it moves (previews), and the change is made when it is let go.

A preview is asked for by the player (``preview`` trigger: ``{"x", "y"}`` for the start, or
``{"key", "value"}`` for a slider the page named) and made in the race's fragment, so that only
the race runs again: the rest of the page, the link and the sidebar stay as they are until the
change is let go. Every request is read as a link is: a slider must be one the page named, its
value one of its positions (or within the setting's range), the start inside the plot; the
experiment it makes passes the same validation as any other, and its work is admitted by the
budget like a page's. Streamlit sends a slider's value only once it is let go, so the player
watches the sidebar's sliders itself; the page tells it which ones change the race and what
each position means (:func:`sliders`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

import surfaces
from optviz.core import budget
from optviz.core.engine import Trajectory
from optviz.draw import figures
from optviz.draw.race import Shading
from optviz.settings import SETTINGS, Experiment, Run
from optviz.study.results import run_experiment
from ui import work
from ui.component import clicked_point

SLIDERS = "_live_sliders"  # slider key -> (the key of the value it sets, its positions' values or None)
TARGETS = "_live_targets"  # value key -> what it changes: ("run", index, hyperparameter, part) or ("surface", name)
APP_RERUN = "_app_rerun"  # a callback of the race changed the experiment: the whole page runs again


@dataclass(frozen=True)
class Preview:
    """A race made for a preview: the experiment as it would be, its surface and its paths."""

    experiment: Experiment
    surface: surfaces.Surface
    trajectories: list[Trajectory]
    shading: Shading | None  # the surface's new picture, where a parameter of it moved


class Refused(Exception):
    """The preview asked for is not made (a bad request, or more work than a preview may cost)."""


# ------------------------------------------------------------------------------- the sidebar


def forget_sliders() -> None:
    """A new run of the page: the sidebar names its sliders again as it draws them."""
    st.session_state[SLIDERS] = {}
    st.session_state[TARGETS] = {}


def slider(key: str, value_key: str, positions: list[float] | None = None) -> None:
    """The slider ``key`` sets the value ``value_key``; ``positions``: the value at each of its
    positions (a select slider), or None where its position is the value."""
    st.session_state.setdefault(SLIDERS, {})[key] = (value_key, None if positions is None else list(positions))


def changes(value_key: str, target: tuple[Any, ...]) -> None:
    """The value ``value_key`` is ``target``: ("run", index, hyperparameter, part or None) or
    ("surface", parameter)."""
    st.session_state.setdefault(TARGETS, {})[value_key] = target


def sliders() -> dict[str, list[float] | None]:
    """The sliders the player previews, each with its positions' values (or None): those that
    set a value of the race."""
    targets = st.session_state.get(TARGETS, {})
    return {key: positions for key, (value, positions) in st.session_state.get(SLIDERS, {}).items() if value in targets}


# ------------------------------------------------------------------------------- the previews


def requested(race_state: object) -> dict[str, Any] | None:
    """The preview the player asked for in this run, or None."""
    request = (race_state or {}).get("preview") if isinstance(race_state, dict) else None
    return request if isinstance(request, dict) else None


def answer(request: dict[str, Any], refused: bool = False) -> dict[str, Any]:
    """What the player is told about its request: which one this is, and whether it was refused."""
    at = request.get("at")
    return {"at": at if isinstance(at, int) and not isinstance(at, bool) else None, "refused": refused}


def preview(
    request: dict[str, Any],
    experiment: Experiment,
    surf: surfaces.Surface,
) -> Preview:
    """The race ``request`` asks for: ``experiment`` with the start or one value moved, its paths
    computed now (a preview is never cached: a drag makes dozens), within the budget; a moved
    surface is shaded again, uncached too (a dragged slider makes a picture a position)."""
    previewed, surface_moved = _moved(request, experiment, surf)
    new_surf = previewed.build_surface() if surface_moved else surf
    seconds = work.race_seconds(previewed, new_surf, previewed.steps)
    if surface_moved:
        seconds += figures.BACKGROUND**2 * budget.step_seconds(new_surf, "value")
    if not work.admit("preview", seconds):
        raise Refused
    with work.turn(seconds):
        trajectories = run_experiment(previewed.physics())
        shading = None
        if surface_moved:
            shading = figures.background(new_surf, figures.BACKGROUND, contours=previewed.contours)
    return Preview(previewed, new_surf, trajectories, shading)


def _moved(request: dict[str, Any], experiment: Experiment, surf: surfaces.Surface) -> tuple[Experiment, bool]:
    """``experiment`` as the request moves it, validated as any experiment, and whether its
    surface moved."""
    if "key" not in request:  # the start, dragged
        point = clicked_point(request, [list(surf.domain[0]), list(surf.domain[1])])
        if point is None:
            raise Refused
        return replace(experiment, start=point), False
    key, value = request.get("key"), request.get("value")
    found = st.session_state.get(SLIDERS, {}).get(key) if isinstance(key, str) else None
    if found is None or not _number(value):
        raise Refused
    value_key, positions = found
    if positions is not None and value not in positions:
        raise Refused
    target = st.session_state.get(TARGETS, {}).get(value_key)
    if target is None:
        raise Refused
    runs, params = list(experiment.runs), dict(experiment.surface_params)
    if target[0] == "run":
        _, index, name, part = target
        if not 0 <= index < len(runs):
            raise Refused
        runs[index] = _with_value(runs[index], name, part, float(value))
    else:
        params[target[1]] = float(value)
    try:
        moved = Experiment.make(
            experiment.surface,
            surface_params=params,
            start=experiment.start,
            runs=runs,
            **{spec.name: experiment.setting(spec) for spec in SETTINGS},
        )
    except (ValueError, TypeError, KeyError) as error:
        raise Refused from error
    return moved, target[0] == "surface"


def _with_value(run: Run, name: str, part: int | None, value: float) -> Run:
    """``run`` with its hyperparameter ``name`` (or that pair's ``part``) set to ``value``."""
    values = run.values()
    if name not in values:
        raise Refused
    if part is None:
        new = value
    else:
        pair = list(values[name])
        if not 0 <= part < len(pair):
            raise Refused
        pair[part] = value
        new = tuple(pair)
    try:
        return run.with_values(**{name: new})
    except (ValueError, TypeError) as error:
        raise Refused from error


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# ----------------------------------------------------------------- changes made from the race


def rerun_page() -> None:
    """A callback of the race changed what the page shows (the start, the inspected step): the
    whole page runs again, not only the race."""
    st.session_state[APP_RERUN] = True


def page_rerun_wanted() -> bool:
    """Whether a callback of the race asked for the whole page (taken: asked once)."""
    return bool(st.session_state.pop(APP_RERUN, False))
