"""The sidebar: widgets generated from the settings' specs, and the Experiment they build.

Every widget has a stable key (the tests and the link's seeding use them), and every value
passes the core's validation before it is used. A run's widgets are keyed by a run id that
stays with the run while it lives, so removing one run leaves the others' widgets, their
open panels, their colours and their markers as they were.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

import surfaces
from optviz.experiment import COLOUR, MAX_RUNS, NAME, PRESETS, SETTINGS, Experiment, Run
from optviz.optimizers import OPTIMIZERS
from optviz.race import SYMBOLS
from optviz.specs import Spec
from ui.text import plain

# The marker of each slot as a character, for the run's title in the sidebar.
GLYPHS = dict(zip(SYMBOLS, "●■◆▲▼⬟⬢★✚✖", strict=True))


# ------------------------------------------------------------------------- the session's state


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
    for run, slot in zip(experiment.runs, experiment.slots(), strict=True):
        _add_run(run, slot=slot, open_panel=False)


def _surface_key(surface: str, param: str) -> str:
    return f"surface_{surface}_{param}"


def _hp_key(run_id: int, optimizer: str, name: str) -> str:
    return f"r{run_id}_{optimizer}_{name}"


def _add_run(run: Run, *, slot: int | None = None, open_panel: bool = True) -> None:
    """Append ``run`` to the editable list, with fresh widget keys and the lowest free slot."""
    state = st.session_state
    entries = state.setdefault("runs", [])
    if len(entries) >= MAX_RUNS:
        return
    run_id = state.get("_next_run_id", 0)
    state["_next_run_id"] = run_id + 1
    taken = {entry["slot"] for entry in entries}
    entries.append({"id": run_id, "slot": slot if slot is not None else min(set(range(MAX_RUNS)) - taken)})
    state[f"r{run_id}_optimizer"] = run.optimizer
    state[f"r{run_id}_name"] = run.name
    state[f"r{run_id}_panel"] = open_panel
    _store_values(run_id, run)


def _store_values(run_id: int, run: Run) -> None:
    """Put every hyperparameter of ``run`` into the widget state of run ``run_id``."""
    for name, value in run.values().items():
        hp = run.spec.hyperparameter(name)
        pairs = zip(hp.parts, value, strict=True) if hp.kind == "pair" else [(hp, value)]
        for part, part_value in pairs:
            st.session_state[_hp_key(run_id, run.optimizer, part.name)] = part_value


def _remove_run(run_id: int) -> None:
    st.session_state["runs"] = [entry for entry in st.session_state["runs"] if entry["id"] != run_id]


def _seed_new_optimizer(run_id: int) -> None:
    """A run switched optimizer: start from that optimizer's preset (a sensible learning rate)."""
    optimizer = st.session_state[f"r{run_id}_optimizer"]
    _store_values(run_id, next((run for run in PRESETS.values() if run.optimizer == optimizer), Run(optimizer)))


def _on_surface_change() -> None:
    surf = surfaces.get(st.session_state["surface"])
    st.session_state["start_x"], st.session_state["start_y"] = surf.default_start


# ------------------------------------------------------------------------------- the widgets


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
        return _log_number(label, key, spec)
    step = spec.step or (1.0 if high - low >= 50 else 0.05 if slider else 0.01 if high <= 1 else 0.1)
    if slider:
        return st.slider(label, low, high, key=key, help=spec.help, step=step)
    return st.number_input(label, low, high, key=key, step=step, format="%g", help=spec.help)


def log_options(low: float, high: float, current: float) -> list[float]:
    """1, 1.5, 2, 3, 5, 7 per decade between ``low`` and ``high``, plus ``current``."""
    options = {current}
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 1.5, 2, 3, 5, 7):
            value = float(f"{mantissa}e{exponent}")
            if low <= value <= high:
                options.add(value)
    return sorted(options)


def _log_number(label: str, key: str, spec: Spec) -> float:
    """A value on a log scale: a slider over 1, 1.5, 2, 3, 5, 7 per decade, and the exact number.

    The number (``key``) is the value; the slider (``key__scale``) follows it and sets it. Type
    0.19 against 0.21 to compare learning rates either side of 2/L.
    """
    state = st.session_state
    low, high = spec.app_low, spec.app_high
    value = min(max(float(state[key]), low), high)  # a log scale has no zero
    state[key] = value
    scale_key = f"{key}__scale"
    state[scale_key] = value  # before the slider exists this run: it shows the current number
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.select_slider(
        label,
        log_options(low, high, value),
        key=scale_key,
        help=spec.help,
        format_func=lambda v: f"{v:g}",
        on_change=_copy_state,
        args=(scale_key, key),
    )
    right.number_input(
        f"{spec.display_name}, exact",
        low,
        high,
        key=key,
        format="%g",
        step=value / 10,
        label_visibility="collapsed",
        help=f"Type the exact value: {spec.range_text(app=True)}.",
    )
    return float(state[key])


def _copy_state(source: str, target: str) -> None:
    st.session_state[target] = st.session_state[source]


# ------------------------------------------------------------------------------- the sidebar


def surface_controls() -> tuple[str, dict[str, float]]:
    """The surface picker and the chosen surface's parameters."""
    st.selectbox(
        "Surface",
        surfaces.names(),
        key="surface",
        format_func=lambda name: surfaces.entry(name).title,
        on_change=_on_surface_change,
    )
    name = st.session_state["surface"]
    params = {}
    for param in surfaces.entry(name).param_specs:
        params[param.name] = setting_widget(param, _surface_key(name, param.name), slider=True)
    return name, params


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
    runs = [_one_run(index, entry) for index, entry in enumerate(st.session_state["runs"])]
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


def _one_run(index: int, entry: dict[str, int]) -> Run:
    run_id, slot = entry["id"], entry["slot"]
    optimizer = st.session_state[f"r{run_id}_optimizer"]
    # Widget state is already current when the script runs, so one read serves the title,
    # the Duplicate button and the experiment.
    run = _read_run(run_id, optimizer, slot, warn=True)
    title = f"{GLYPHS[SYMBOLS[slot]]} Run {index + 1}: {plain(run.label())}"
    # Keyed, so the panel stays open while its title changes with the settings.
    with st.expander(title, key=f"r{run_id}_panel", on_change="rerun"):
        st.selectbox(
            "Optimizer",
            list(OPTIMIZERS),
            key=f"r{run_id}_optimizer",
            format_func=lambda name: OPTIMIZERS[name].title,
            on_change=_seed_new_optimizer,
            args=(run_id,),
        )
        st.text_input(
            NAME.display_name,
            key=f"r{run_id}_name",
            max_chars=int(NAME.high),
            placeholder=run.auto_label(),
            help=NAME.help,
        )
        for hp in OPTIMIZERS[optimizer].hyperparameters:
            for part in hp.parts or (hp,):
                setting_widget(part, _hp_key(run_id, optimizer, part.name))
        left, right = st.columns(2)
        left.button(
            "Duplicate",
            key=f"r{run_id}_duplicate",
            on_click=_add_run,
            args=(Run.make(run.optimizer, **dict(run.hyperparameters)),),
            width="stretch",
            disabled=len(st.session_state["runs"]) >= MAX_RUNS,
        )
        right.button("Remove", key=f"r{run_id}_remove", on_click=_remove_run, args=(run_id,), width="stretch")
    return run


def _read_run(run_id: int, optimizer: str, slot: int, warn: bool = False) -> Run:
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
    typed = " ".join(str(st.session_state.get(f"r{run_id}_name", "")).split())
    name = "".join(c for c in typed if c.isprintable())[: int(NAME.high)]
    return Run.make(optimizer, name=name, slot=COLOUR.check(slot + 1) - 1, **repaired)


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
