"""Streamlit pieces of the page: widgets that build an Experiment, and the link they keep.

Data flows one way: the link seeds the widgets once per session, the widgets build an
Experiment, the Experiment writes the link. Every widget has a stable key (the tests and the
URL seeding use them); every value passes the core's validation before it is used.
"""

from __future__ import annotations

import logging
import math
import secrets
import string
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import streamlit as st

import surfaces
from optviz.experiment import MAX_RUNS, PRESETS, SETTINGS, Experiment, Run, parse
from optviz.optimizers import OPTIMIZERS
from optviz.specs import Problem, Spec
from optviz.symbols import COMMON as COMMON_SYMBOLS
from optviz.symbols import Symbol, legend

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
    st.session_state["_written_link"] = wanted


def follow_link() -> list[Problem]:
    """After Back or Forward, load the link's experiment: the page follows the address bar.

    Streamlit reruns the script with the restored query string on Back and Forward, but the
    widgets still hold the later view (they were seeded once). A query that differs from
    the last one this page wrote came from the browser's history: load it into the widgets,
    as on a session's first run. Returns the problems found in that link.
    """
    written = st.session_state.get("_written_link")
    if written is None:  # the first run: seed_from_link has just loaded the link
        return []
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    if query == written:
        return []
    experiment, problems = parse(query)
    load(experiment)
    return problems


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
    """The summaries as table rows: numbers stay numbers, so the columns sort as numbers.

    A step that never came ("not reached", "did not diverge") is NaN, an empty cell.
    Losses and distances are rounded to the four significant digits the table shows, so that
    a copied cell or the CSV download holds what is on screen, and so that a magnitude beyond
    2**53, which Streamlit's table cannot format as a number (it draws the raw value in a
    cell marked as an error), still reads like its neighbours: 4.747e+129.
    :data:`RESULTS_COLUMNS` says how each column is shown.
    """
    return [
        {
            "run": row.label,
            "final loss": _four_digits(row.final_loss),
            "f − f*": _four_digits(row.gap),
            "nearest minimum": "(" + ", ".join(f"{c:.4g}" for c in row.nearest_minimum) + ")",
            "distance to it": _four_digits(row.distance),
            "steps to tolerance": math.nan if row.steps_to_tolerance is None else row.steps_to_tolerance,
            "diverged at step": math.nan if row.diverged_at is None else row.diverged_at,
        }
        for row in rows
    ]


def _four_digits(value: float) -> float:
    return float(f"{value:.3e}")


# Losses and distances span hundreds of orders of magnitude (2.9e174 after a divergence,
# 2.4e-43 next to a minimum): always scientific, four significant digits, so that equal
# exponents line up. Steps are whole numbers.
_SCIENTIFIC = "%.3e"
RESULTS_COLUMNS = {
    "run": st.column_config.TextColumn(pinned=True),  # stays in view when a narrow screen scrolls the rest
    "final loss": st.column_config.NumberColumn(format=_SCIENTIFIC, help="f at the last point."),
    "f − f*": st.column_config.NumberColumn(
        format=_SCIENTIFIC, help="The final loss minus the lowest value among the surface's minima."
    ),
    "distance to it": st.column_config.NumberColumn(
        format=_SCIENTIFIC, help="From the last point to the nearest minimum."
    ),
    "steps to tolerance": st.column_config.NumberColumn(
        format="%d", help="The first step with f − f* within the tolerance; empty if never."
    ),
    "diverged at step": st.column_config.NumberColumn(
        format="%d", help="The step where the run left the finite numbers; empty if it never did."
    ),
}


def plain(text: str) -> str:
    """``text`` made inert for Streamlit's Markdown: shown as written, never interpreted.

    Every ASCII punctuation character becomes a numeric character reference (``&#36;`` for
    ``$``): CommonMark shows it as the character, but no Markdown, LaTeX, colour directive or
    HTML tag can form from it. Streamlit also turns text that looks like an address
    (``http://``, ``www.``, ``name@host``) into a link after decoding, so an invisible word
    joiner follows each ``:`` and ``@`` and comes between ``www`` and its dot. Line breaks
    become spaces.
    """
    flat = " ".join(text.split())
    out = []
    for i, c in enumerate(flat):
        if c == "." and flat[max(0, i - 3) : i].lower() == "www":
            out.append(_WORD_JOINER)
        out.append(f"&#{ord(c)};" if c in _PUNCTUATION else c)
        if c in ":@":
            out.append(_WORD_JOINER)
    return "".join(out)


_PUNCTUATION = frozenset(string.punctuation)
_WORD_JOINER = "\u2060"


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


# ---------------------------------------------------------------------------- the update rules


def update_rules(experiment: Experiment) -> None:
    """Each distinct update rule in use, which runs use it, and what each of its symbols means.

    Runs of one optimizer can follow different rules (SGD, SGD with momentum, Nesterov): the
    rule shown is the LaTeX that each run's own settings produce, once per distinct rule.
    The symbols every rule shares are defined once, above the rules.
    """
    common = [f"- ${symbol}$ — {meaning}" for symbol, meaning in COMMON_SYMBOLS.items()]
    st.markdown("\n".join(["Every rule below uses:", *common, "- $t$ — The step number: 1, 2, 3, …"]))
    numbered = list(enumerate(experiment.runs, start=1))
    for optimizer in dict.fromkeys(run.optimizer for run in experiment.runs):
        spec = OPTIMIZERS[optimizer]
        rules: dict[str, list[tuple[int, Run]]] = {}
        for number, run in numbered:
            if run.optimizer == optimizer:
                rules.setdefault(spec.rule(run.values()), []).append((number, run))
        st.markdown(f"#### {spec.title}")
        st.write(spec.summary)
        for latex, users in rules.items():
            names = "; ".join(f"run {number} ({run.label()})" for number, run in users)
            st.markdown(f"**{names[0].upper()}{names[1:]}:**")
            st.latex(latex)
            symbols = [
                s for s in legend(spec, latex, [run.values() for _, run in users]) if s.latex not in COMMON_SYMBOLS
            ]
            st.markdown(_legend_text(symbols, users))
        st.caption(spec.reference)


def _legend_text(symbols: list[Symbol], users: list[tuple[int, Run]]) -> str:
    """A Markdown list: the settings with their values, then the quantities the rule keeps."""
    lines = []
    for symbol in symbols:
        if symbol.values:
            shown = [f"{value:g}" for value in symbol.values]
            if len(set(shown)) == 1:
                each = shown[0]
            else:
                each = ", ".join(f"{value} (run {number})" for value, (number, _) in zip(shown, users, strict=True))
            lines.append(f"- ${symbol.latex}$ = {each} — {symbol.meaning}")
        else:
            lines.append(f"- ${symbol.latex}$ — {symbol.meaning}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- the error guard

_LOG = logging.getLogger("optviz.app")
DEFAULT_LINK = "?v=1"  # the default page; every link version stays readable


def guarded(page: Callable[[], None]) -> None:
    """Run ``page``; an unexpected error becomes a short message and a way back, never a traceback.

    The exception and its traceback go to the server's log with a short reference that the
    visitor also sees. The message takes the place of everything the page had drawn in the
    main area (the sidebar stays, to change a setting). Streamlit's own control flow
    (``st.stop``, ``st.rerun``) is not an ``Exception`` and passes through.
    """
    slot = st.empty()
    try:
        with slot.container():
            page()
    except Exception:  # noqa: BLE001  (any error at all: that is the guard's job)
        reference = secrets.token_hex(3)
        _LOG.exception("The page failed; the visitor saw reference %s", reference)
        # One element in the container's place drops what the page drew there (st.empty()
        # or a new container would keep it).
        slot.error(
            "Something went wrong while drawing this page, sorry. "
            f"The error has been logged on the server (reference {reference}). "
            "Change the settings in the sidebar, or start again from the default page."
        )
        st.markdown(
            f'<a href="{DEFAULT_LINK}" target="_self">Start again from the default page</a>', unsafe_allow_html=True
        )
