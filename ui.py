"""Streamlit pieces of the page: widgets that build an Experiment, and the link they keep.

Data flows one way: the link seeds the widgets once per session, the widgets build an
Experiment, the Experiment writes the link. Every widget has a stable key (the tests and the
URL seeding use them); every value passes the core's validation before it is used.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go
import streamlit as st

import surfaces
from optviz.experiment import MAX_RUNS, PRESETS, SETTINGS, Experiment, Run, parse
from optviz.optimizers import OPTIMIZERS
from optviz.specs import Problem, Spec

CHART_KEY = "race"
SHOWN_PROBLEMS = 5  # a link's problems beyond these are counted, not listed


# ---------------------------------------------------------------------------- the link, once


def seed_from_link() -> list[Problem]:
    """On a session's first run, load the link's experiment into the widgets' state.

    Returns the problems found in the link (empty on later runs).
    """
    if st.session_state.get("_seeded"):
        return []
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    experiment, problems = parse(query)
    load(experiment)
    st.session_state["_seeded"] = True
    return problems


def load(experiment: Experiment) -> None:
    """Put ``experiment`` into the widgets' state."""
    state = st.session_state
    state["surface"] = experiment.surface
    for name, value in experiment.surface_params:
        state[_surface_key(experiment.surface, name)] = value
    state["start_x"], state["start_y"] = experiment.start
    for spec in SETTINGS:
        state[spec.link_key] = experiment.setting(spec)
    state["runs"] = []
    for run in experiment.runs:
        _add_run(run)


def write_link(query: dict[str, str | list[str]]) -> None:
    """Make the address bar show ``query`` (writes do not rerun the script)."""
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    wanted = {key: value if isinstance(value, list) else [value] for key, value in query.items()}
    if current != wanted:
        st.query_params.from_dict(query)


# ------------------------------------------------------------------------------- the sidebar


def _surface_key(surface: str, param: str) -> str:
    return f"surface_{surface}_{param}"


def _on_surface_change() -> None:
    surf = surfaces.get(st.session_state["surface"])
    st.session_state["start_x"], st.session_state["start_y"] = surf.default_start


def surface_controls() -> tuple[str, dict[str, float]]:
    """The surface picker and the chosen surface's parameters."""
    names = surfaces.names()
    st.selectbox(
        "Surface",
        names,
        key="surface",
        format_func=lambda name: surfaces.entry(name).title,
        on_change=_on_surface_change,
    )
    name = st.session_state["surface"]
    params = {}
    for param in surfaces.entry(name).param_specs:
        params[param.name] = setting_widget(param, _surface_key(name, param.name), slider=True)
    return name, params


def take_clicked_start() -> None:
    """A click on the race figure selects a grid point: move the start there, once."""
    event = st.session_state.get(CHART_KEY) or {}  # Streamlit's PlotlyState is a dict
    point = clicked_point(event.get("selection", {}).get("points", []))
    if point is not None and point != st.session_state.get("_last_click"):
        st.session_state["_last_click"] = point
        st.session_state["start_x"], st.session_state["start_y"] = point


def clicked_point(points: list[dict[str, Any]]) -> tuple[float, float] | None:
    """The (x, y) of the first selected point, rounded to the pick grid's precision."""
    for point in points:
        x, y = point.get("x"), point.get("y")
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and math.isfinite(x) and math.isfinite(y):
            return round(float(x), 6), round(float(y), 6)
    return None


def start_controls(surface: str) -> tuple[float, float]:
    (x0, x1), (y0, y1) = surfaces.get(surface).domain
    left, right = st.columns(2)
    for column, key, low, high in ((left, "start_x", x0, x1), (right, "start_y", y0, y1)):
        st.session_state[key] = min(max(float(st.session_state.get(key, 0.0)), low), high)
        column.number_input(key.replace("_", " "), low, high, key=key, step=0.1, format="%g")
    st.caption("Or click on the figure to start there.")
    return st.session_state["start_x"], st.session_state["start_y"]


def run_controls() -> list[Run]:
    """The list of runs, each with its optimizer and hyperparameters; add, duplicate, remove."""
    runs = []
    for index, entry in enumerate(st.session_state["runs"]):
        runs.append(_one_run(index, entry))
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.selectbox("Add a run", list(PRESETS), key="preset")
    right.button(
        "Add",
        key="add_run",
        on_click=lambda: _add_run(PRESETS[st.session_state["preset"]]),
        disabled=len(st.session_state["runs"]) >= MAX_RUNS,
        help=f"Up to {MAX_RUNS} runs.",
        width="stretch",
    )
    return runs


def _add_run(run: Run) -> None:
    """Append ``run`` to the editable list, with fresh widget keys."""
    state = st.session_state
    if len(state.get("runs", [])) >= MAX_RUNS:
        return
    run_id = state.get("_next_run_id", 0)
    state["_next_run_id"] = run_id + 1
    state.setdefault("runs", []).append({"id": run_id})
    state[f"r{run_id}_optimizer"] = run.optimizer
    _store_values(run_id, run)


def _store_values(run_id: int, run: Run) -> None:
    """Put every hyperparameter of ``run`` into the widget state of run ``run_id``."""
    for name, value in run.values().items():
        hp = run.spec.hyperparameter(name)
        pairs = zip(hp.parts, value, strict=True) if hp.kind == "pair" else [(hp, value)]
        for part, part_value in pairs:
            st.session_state[_hp_key(run_id, run.optimizer, part.name)] = part_value


def _hp_key(run_id: int, optimizer: str, name: str) -> str:
    return f"r{run_id}_{optimizer}_{name}"


def _remove_run(run_id: int) -> None:
    st.session_state["runs"] = [entry for entry in st.session_state["runs"] if entry["id"] != run_id]


def _one_run(index: int, entry: dict[str, int]) -> Run:
    run_id = entry["id"]
    optimizer = st.session_state[f"r{run_id}_optimizer"]
    # Widget state is already current when the script runs, so one read serves the title,
    # the Duplicate button and the experiment.
    run = _read_run(run_id, optimizer, warn=True)
    with st.expander(f"Run {index + 1}: {run.label()}", expanded=False):
        st.selectbox(
            "Optimizer",
            list(OPTIMIZERS),
            key=f"r{run_id}_optimizer",
            format_func=lambda name: OPTIMIZERS[name].title,
            on_change=_seed_new_optimizer,
            args=(run_id,),
        )
        spec = OPTIMIZERS[optimizer]
        for hp in spec.hyperparameters:
            _hp_widget(run_id, optimizer, hp)
        left, right = st.columns(2)
        left.button(
            "Duplicate",
            key=f"r{run_id}_duplicate",
            on_click=_add_run,
            args=(run,),
            width="stretch",
            disabled=len(st.session_state["runs"]) >= MAX_RUNS,
        )
        right.button("Remove", key=f"r{run_id}_remove", on_click=_remove_run, args=(run_id,), width="stretch")
    return run


def _seed_new_optimizer(run_id: int) -> None:
    """A run switched optimizer: start from that optimizer's preset (a sensible learning rate)."""
    optimizer = st.session_state[f"r{run_id}_optimizer"]
    _store_values(run_id, next((run for run in PRESETS.values() if run.optimizer == optimizer), Run(optimizer)))


def _hp_widget(run_id: int, optimizer: str, hp: Spec) -> None:
    for part in hp.parts or (hp,):
        setting_widget(part, _hp_key(run_id, optimizer, part.name))


def setting_widget(spec: Spec, key: str, *, slider: bool = False) -> Any:
    """The widget for one setting, from its spec: its kind, range, scale, help and symbol."""
    st.session_state.setdefault(key, spec.default)
    label = spec.display_name
    if spec.symbol and spec.symbol != spec.name:
        label += f" (${spec.symbol}$)"
    low, high = spec.app_low, spec.app_high
    if spec.kind == "bool":
        return st.checkbox(label, key=key, help=spec.help)
    if spec.kind == "choice":
        return st.radio(label, spec.choices, key=key, horizontal=True, help=spec.help)
    if spec.kind == "int":
        return st.number_input(label, int(low), int(high), key=key, step=int(spec.step or 1), help=spec.help)
    if spec.log:
        return _log_slider(label, key, low, high, spec.help)
    step = spec.step or (1.0 if high - low >= 50 else 0.05 if slider else 0.01 if high <= 1 else 0.1)
    if slider:
        return st.slider(label, low, high, key=key, help=spec.help, step=step)
    return st.number_input(label, low, high, key=key, step=step, format="%g", help=spec.help)


def _read_run(run_id: int, optimizer: str, warn: bool = False) -> Run:
    spec = OPTIMIZERS[optimizer]
    values: dict[str, Any] = {}
    for hp in spec.hyperparameters:
        if hp.kind == "pair":
            values[hp.name] = tuple(
                st.session_state.get(_hp_key(run_id, optimizer, p.name), p.default) for p in hp.parts
            )
        else:
            values[hp.name] = st.session_state.get(_hp_key(run_id, optimizer, hp.name), hp.default)
    repaired, problems = spec.repair(values)  # the optimizer's own rules, as for a link
    if warn:
        for problem in problems:
            st.warning(plain(str(problem)))
    return Run.make(optimizer, **repaired)


def log_options(low: float, high: float, current: float) -> list[float]:
    """1, 1.5, 2, 3, 5, 7 per decade between ``low`` and ``high``, plus ``current``."""
    options = {current}
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 1.5, 2, 3, 5, 7):
            value = float(f"{mantissa}e{exponent}")
            if low <= value <= high:
                options.add(value)
    return sorted(options)


def _log_slider(label: str, key: str, low: float, high: float, help_text: str) -> float:
    current = float(st.session_state[key])
    if current <= 0:  # a log scale has no zero: offer the smallest value instead
        current = st.session_state[key] = low
    return st.select_slider(
        label, log_options(low, high, current), key=key, help=help_text, format_func=lambda v: f"{v:g}"
    )


def experiment_controls() -> Experiment:
    """The whole sidebar; returns the Experiment it describes."""
    with st.sidebar:
        st.header("Surface")
        surface, params = surface_controls()
        st.caption(surfaces.get(surface, **params).description)
        st.header("Start and steps")
        start = start_controls(surface)
        settings = {spec.name: setting_widget(spec, spec.link_key) for spec in SETTINGS}
        st.header("Runs")
        runs = run_controls()
    return Experiment.make(surface, surface_params=params, start=start, runs=runs, **settings)


# ------------------------------------------------------------------------------- the figures


class PrebuiltFigure(go.Figure):
    """Hands Streamlit a figure that optviz.figures built, without validating it again.

    Streamlit validates a dict figure trace by trace, which for an animation's hundreds of
    frame traces costs most of a second; a Figure is taken as already valid. The builders'
    output is checked against Plotly's schema in the tests instead.
    """

    def __init__(self, figure: dict[str, Any]) -> None:
        super().__init__()
        self._prebuilt = figure

    def to_dict(self) -> dict[str, Any]:
        return self._prebuilt


def results_table(rows: list[Any]) -> list[dict[str, Any]]:
    """The summaries as table rows with readable cells."""
    table = []
    for row in rows:
        minimum = ", ".join(f"{c:.4g}" for c in row.nearest_minimum)
        table.append(
            {
                "run": row.label,
                "final loss": row.final_loss,
                "f − f*": row.gap,
                "nearest minimum": f"({minimum})",
                "distance to it": row.distance,
                "steps to tolerance": "not reached" if row.steps_to_tolerance is None else str(row.steps_to_tolerance),
                "diverged at step": "—" if row.diverged_at is None else str(row.diverged_at),
            }
        )
    return table


def plain(text: str) -> str:
    """``text`` made inert for Streamlit's Markdown: shown as written, never interpreted.

    Every ASCII punctuation character is backslash-escaped (CommonMark allows that for all
    of them), which disarms links, images, emphasis, LaTeX ($), colour directives
    (:red[...]) and HTML; line breaks become spaces.
    """
    flat = " ".join(text.split())
    return "".join("\\" + c if c in _PUNCTUATION else c for c in flat)


_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def show_problems(problems: list[Problem]) -> None:
    """One warning for a link's problems: the first few as plain text, then how many more."""
    if not problems:
        return
    lines = [f"- {plain(str(p))}" for p in problems[:SHOWN_PROBLEMS]]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"- {plain(str(Problem.of('more', count=len(problems) - SHOWN_PROBLEMS)))}")
    st.warning("This link had problems; the page uses sensible values instead:\n\n" + "\n".join(lines))


def share_url(query_string: str) -> str:
    base = (st.context.url or "").rstrip("/") + "/"
    return base + ("?" + query_string if query_string else "")
