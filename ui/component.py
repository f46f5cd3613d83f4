"""The page's one custom component (optviz/draw/assets/view.js), and plotly.js for it.

It draws the race player and every figure with plotly.js served by the app itself from
``static/`` (copied there at start-up: nothing comes from a CDN, and a classroom may be
offline). A figure may be clickable; a click comes back as the component's ``clicked``
trigger.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from optviz.core.specs import Problem
from optviz.draw import race as race_data
from optviz.draw.figures import PLOTLY_CONFIG
from optviz.text import plotly_locale, section
from optviz.text.problems import MAX_TEXT
from ui.guard import callback
from ui.state import DOMAIN, START_X, START_Y
from ui.text import queue_problems, words

# plotly.js: the basic bundle (scatter plots, a quarter of the size: the page's first chart comes
# sooner) draws the race and the 2-D figures; the full one, from the plotly package, the 3-D view.
BUNDLES = {
    "plotly-basic.min.js": race_data.ASSETS / "vendor" / "plotly-basic.min.js",
    "plotly.min.js": Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
}
PLOTLY_URL = "./app/static/plotly-basic.min.js"
PLOTLY_FULL_URL = "./app/static/plotly.min.js"


def static_folder() -> Path:
    """The folder Streamlit serves at ./app/static: ``static/`` beside the script it runs."""
    context = get_script_run_ctx()
    main = Path(context.main_script_path) if context else Path(__file__).resolve().parent.parent / "app.py"
    return main.resolve().parent / "static"


def ensure_plotly() -> None:
    """Copy the plotly.js bundles into the app's static folder, once."""
    static = static_folder()
    for name, source in BUNDLES.items():
        target = static / name
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            static.mkdir(exist_ok=True)
            partial = target.with_suffix(".tmp")
            shutil.copyfile(source, partial)
            partial.replace(target)  # atomic: a browser never reads half a file


VIEW_COMPONENT = st.components.v2.component(
    "optviz_view",
    js=(race_data.ASSETS / "view.js").read_text(),
    css=(race_data.ASSETS / "view.css").read_text(),
    isolate_styles=False,  # plotly.js styles its modebar from the page's head
)


def player(data: dict[str, Any], key: str, **callbacks: Callable[[], None]) -> None:
    """The race player (view.js's ``Player``) under ``key``, with its ``on_..._change`` callbacks
    (each made by :func:`ui.guard.callback`).

    The key names the player in the browser too (``data["player"]``): when Streamlit mounts the
    component again in a new element (it does, now and then, after a rerun), the player moves
    there whole and keeps its step.
    """
    VIEW_COMPONENT(data={**data, "player": key}, key=key, **callbacks)


# Traces the basic bundle lacks: a figure with one of them loads the full plotly.js.
FULL_BUNDLE_TRACES = frozenset({"surface", "scatter3d", "heatmap"})


def figure(
    fig: dict[str, Any],
    key: str,
    *,
    click: str | None = None,
    on_click: Callable[[], None] | None = None,
    playhead: bool = False,
) -> None:
    """A Plotly figure drawn by the page's own plotly.js, in the page's theme, with the one
    config of every figure (:data:`optviz.draw.figures.PLOTLY_CONFIG`).

    With ``click`` ("points": a curve's point or a heatmap's cell; "plane": anywhere in the
    plot), a click calls ``on_click``, which reads it with :func:`clicked`.

    With ``playhead`` (a figure whose x axis is the step), a line marks the race player's step
    and follows it; a click or a drag on the plot moves the player there (all in the browser:
    nothing comes back to Python).
    """
    ensure_plotly()
    full = any(trace.get("type") in FULL_BUNDLE_TRACES for trace in fig["data"])
    url = PLOTLY_FULL_URL if full else PLOTLY_URL
    data = {"kind": "figure", "plotly_url": url, "figure": fig, "config": PLOTLY_CONFIG, "click": click}
    if playhead:
        data["playhead"] = section("playhead", words().lang)  # its words; view.js fills {step}
    data["locale"] = plotly_locale(words().lang)  # Plotly's buttons in the page's language
    if on_click is None:
        VIEW_COMPONENT(data=data, key=key)
    else:
        VIEW_COMPONENT(data=data, key=key, on_clicked_change=callback(on_click))


def clicked(key: str) -> dict[str, Any] | None:
    """The last click on the figure ``key``: {"x", "y", "customdata"}, or None."""
    found = (st.session_state.get(key) or {}).get("clicked")
    return found if isinstance(found, dict) else None


def clicked_point(clicked: object, domain: Any) -> tuple[float, float] | None:
    """The start for a click ``{"x": .., "y": ..}``, inside ``domain``, to 1e-4 of its width."""
    if not isinstance(clicked, dict) or domain is None:
        return None
    x, y = clicked.get("x"), clicked.get("y")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (x, y)):
        return None
    point = []
    for value, (low, high) in zip((x, y), domain, strict=True):
        digits = max(0, 4 - math.floor(math.log10(high - low)))
        point.append(round(min(max(float(value), low), high), digits))
    return point[0], point[1]


def start_at(clicked: object) -> None:
    """The race starts where a click on it (or on a basin map) landed; a click that is not a
    point of the plot is said to be ignored."""
    if clicked is None:
        return
    point = clicked_point(clicked, st.session_state.get(DOMAIN))
    if point is None:
        queue_problems([Problem.of("bad_start", value=str(clicked)[:MAX_TEXT])])
        return
    st.session_state[START_X], st.session_state[START_Y] = point
