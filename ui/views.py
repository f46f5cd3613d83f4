"""The page's views: the race player, the other figures, the results table, the update rules.

The race and the figures are drawn by one custom component (ui/component.py).
Each run's arrays reach a browser once: the session remembers what it sent, and the player
asks again for anything it does not have.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import streamlit as st

import surfaces
from optviz.core import budget
from optviz.core.engine import Trajectory
from optviz.core.optimizers import OPTIMIZERS
from optviz.draw import export, figures
from optviz.draw import race as race_data
from optviz.draw.directions_figure import caption as directions_caption
from optviz.draw.directions_figure import directions_figure
from optviz.draw.figures import PLOTLY_CONFIG
from optviz.draw.race import Shading, player_text
from optviz.settings import DIRECTIONS_LOG, LOSS_X, MAX_RUNS, SPEEDS, VIEW, Experiment, Run
from optviz.study.results import summarise
from optviz.teach.symbols import COMMON as COMMON_SYMBOLS
from optviz.teach.symbols import Symbol, legend, meaning
from optviz.text import axis_names, data_words, plotly_locale
from ui import forces, guard, inspector, live, sweeps, work
from ui.component import PLOTLY_URL, VIEW_COMPONENT, ensure_plotly, figure, player, start_at
from ui.guard import callback
from ui.link import share_url
from ui.state import DOMAIN, lesson_held, mirrored
from ui.text import plain, words

RACE_KEY = "race"
HELD = ":held"  # the id of a held race's run: its start only, never its path
MISSING = "—"  # a value that is not there (a step that never came), in a table, in any language


# ------------------------------------------------------------------------------- the race


def preload() -> None:
    """Start fetching plotly.js at once, while the rest of the page is still being made."""
    ensure_plotly()
    VIEW_COMPONENT(data={"kind": "preload", "plotly_url": PLOTLY_URL}, key="preload")


@st.fragment
def race(
    experiment: Experiment,
    surf: surfaces.Surface,
    trajectories: list[Trajectory],
    background: Shading,
    *,
    projector: bool = False,
    hold: str | None = None,
) -> None:
    """The player: every step of every run, drawn in the browser.

    A run's arrays are encoded and sent only when this browser does not have them yet.
    ``hold`` (a message) keeps the race at its start until a lesson's question is answered;
    released, it plays from the start. The race is a fragment of its own: a start being
    dragged or a slider being moved (ui.live) runs only the race again, with the paths as they
    would be; what the player changes for good (the
    start let go, the step the inspector shows) runs the whole page. A run of the race alone is
    under the page's guard as the script is (ui.guard.alone).
    """
    if live.page_rerun_wanted() or guard.failure_pending():
        st.rerun(scope="app")
    request = live.requested(st.session_state.get(RACE_KEY))
    with guard.alone():
        if request is None or hold:
            _race(experiment, surf, trajectories, background, projector=projector, hold=hold)
        else:
            _preview(request, experiment, surf, trajectories, background, projector=projector)


def _preview(
    request: dict[str, Any],
    experiment: Experiment,
    surf: surfaces.Surface,
    trajectories: list[Trajectory],
    background: Shading,
    *,
    projector: bool,
) -> None:
    """The race as a start being dragged or a slider being moved would make it (ui.live); the
    race as it is, and the player told so, where that is not to be made."""
    with work.watched():
        work.start()  # a preview is one piece of work, with a budget of its own
        try:
            found = live.preview(request, experiment, surf)
        except (live.Refused, budget.Stopped, budget.Busy):
            _race(experiment, surf, trajectories, background, projector=projector, preview=live.answer(request, True))
            return
        _race(
            found.experiment,
            found.surface,
            found.trajectories,
            found.shading or background,
            projector=projector,
            preview=live.answer(request),
        )


def _race(
    experiment: Experiment,
    surf: surfaces.Surface,
    trajectories: list[Trajectory],
    background: Shading,
    *,
    projector: bool = False,
    hold: str | None = None,
    preview: dict[str, Any] | None = None,
) -> None:
    """The player's data for this race, sent. A preview's arrays are always sent (the browser
    keeps them only while it shows them), and its answer names the request it answers."""
    ensure_plotly()
    # The fair race (ui.sweeps) asks for the race to start again and play: once per click.
    replays = st.session_state.get(sweeps.REPLAY, 0)
    replay = replays != st.session_state.get("_replays_shown", 0)
    st.session_state["_replays_shown"] = replays
    sent: set[str] = st.session_state.setdefault("_sent", set())
    scene = race_data.scene(surf, background)
    inspecting = (
        preview is None and experiment.view == "inspect" and not lesson_held() and _inspector_admitted(experiment, surf)
    )
    drawn = preview is None and forces.shown(experiment, surf)  # every run's forces while it plays (ui.forces)
    vectors = inspector.arrays(experiment) if inspecting or drawn else [None] * len(trajectories)
    runs = []
    for run, label, slot, trajectory, arrows in zip(
        experiment.runs, experiment.labels(), experiment.slots(), trajectories, vectors, strict=True
    ):
        item = race_data.run_entry(experiment, run, label, slot, trajectory)
        if hold:  # a held race: its starts only, and nothing of how the runs end
            item |= {"id": item["id"] + HELD, "diverged_at": None}
        if preview is not None or item["id"] not in sent:  # a held race gets its start only: no answer
            item["arrays"] = race_data.run_arrays(trajectory, upto=0 if hold else None)
            if preview is None:
                sent.add(item["id"])
        if (inspecting or drawn) and item["id"] + ":inspect" not in sent:  # the inspector's and the forces' arrows
            item["inspect"] = arrows
            sent.add(item["id"] + ":inspect")
        runs.append(item)
    if scene["id"] not in sent:
        sent.add(scene["id"])
    else:
        scene = {key: value for key, value in scene.items() if key != "background"}
    if preview is None:
        st.session_state[DOMAIN] = scene["domain"]  # for the click, which arrives on the next run
    data = {
        "kind": "race",
        "plotly_url": PLOTLY_URL,
        "config": PLOTLY_CONFIG,
        "locale": plotly_locale(experiment.lang),
        # A new race (another surface, a fair race replayed) waits for Play or plays from its start;
        # any other change keeps the player's step.
        "race": race_data.race_id(experiment) + (f":replay{replays}" if replays else ""),
        "steps": experiment.steps,
        "speed": SPEEDS[experiment.speed],
        "start": list(experiment.start),
        "scene": scene,
        "runs": runs,
        "projector": projector,  # text and lines sized for the back of a room
        "still": experiment.still,  # no race plays by itself
        "text": _player_words(experiment, surf),
        "hold": hold,
        # A lesson's race plays once it may, and so does a fair race (ui.sweeps): from its start.
        "autoplay": bool(experiment.lesson) or replay,
        "inspect": _inspecting(experiment) if inspecting else None,
        "live": {} if hold else live.sliders(),  # the sidebar's sliders that preview the race
        "preview": preview,
        "forces": forces.player_data(experiment, drawn),
    }
    player(
        data,
        RACE_KEY,
        on_clicked_change=callback(_on_click),
        on_missing_change=callback(_on_missing),
        on_step_change=callback(_on_step),
        on_preview_change=callback(_on_preview),
        on_forces_change=callback(_on_forces),
    )


def _player_words(experiment: Experiment, surf: surfaces.Surface) -> dict[str, str]:
    """The player's words; where a typed formula has no minimum, its marker is the lowest point found."""
    text = player_text(experiment.lang)
    if surf.minima_origin == "lowest":
        text["minimum"] = words()("figure.lowest")
    text["x_axis"], text["y_axis"] = axis_names(surf.name, experiment.lang)
    text.update(data_words(surf.name, experiment.lang))
    return text


def _inspecting(experiment: Experiment) -> dict[str, Any]:
    """What the player needs to draw the inspector's arrows: whose, at which step Python is, their key."""
    return {
        "run": inspector.selected(experiment),
        "step": inspector.shown_step(experiment, st.session_state.get(RACE_KEY)),
        "text": {key: words()(f"inspector.{key}") for key in ("arrow_step", "arrow_gradient", "arrow_velocity")},
    }


def _inspector_seconds(experiment: Experiment, surf: surfaces.Surface) -> float:
    """The estimate of recording every run's state (record="state")."""
    return inspector.recording_seconds(experiment, surf)


def _inspector_admitted(experiment: Experiment, surf: surfaces.Surface) -> bool:
    return work.admit("inspect", _inspector_seconds(experiment, surf))


def _on_forces() -> None:
    """The player's arrow button: the forces on or off, in the link too."""
    forces.take((st.session_state.get(RACE_KEY) or {}).get("forces"))
    live.rerun_page()  # the link and the vectors follow


def _on_step() -> None:
    """The player rests on another step: the page runs again, to show it in the inspector's panel."""
    live.rerun_page()


def _on_preview() -> None:
    """The player asks for a preview: the race's fragment makes it (ui.live)."""


def export_panel(
    experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory], background: Shading
) -> None:
    """Downloads of the race (optviz.draw.export): each file is made only when its button is clicked,
    once (cached like the views), within the budget of one download: a GIF with fewer frames
    where all of them would cost too much, and a file that would cost too much not at all."""
    name = f"optviz-{experiment.surface}"
    say = words()
    if lesson_held():  # an export holds the whole race: it waits for the lesson's answer
        st.popover(say("export.button"), disabled=True, help=say("lesson.held_view"))
        return
    points = sum(t.points.shape[0] for t in trajectories)
    text = points * budget.cost("text", "point")
    frames = export.gif_frames(len(trajectories))
    gif = say("export.gif") if frames == export.MAX_FRAMES else say("budget.gif_frames", count=frames)
    files = (
        (say("export.html"), "html", "text/html", text),
        (say("export.csv"), "csv", "text/csv", text),
        (say("export.json"), "json", "application/json", text),
        (gif, "gif", "image/gif", export.gif_seconds(len(trajectories), frames) if frames else math.inf),
    )
    off = say("budget.export_off", budget=work.seconds_text(budget.SECONDS))
    # A popover (the page's expanders are the runs' panels), its files one a line: no name is cut.
    with st.popover(say("export.button")):
        for label, kind, mime, seconds in files:
            if seconds > budget.SECONDS:
                st.download_button(
                    label, data=b"", file_name=f"{name}.{kind}", disabled=True, help=off, width="stretch"
                )
                continue
            make = functools.partial(
                _exported, kind, experiment, frames, seconds, share_url(""), trajectories, surf, background
            )
            st.download_button(
                label, data=make, file_name=f"{name}.{kind}", mime=mime, on_click="ignore", width="stretch"
            )


@st.cache_resource(max_entries=6, show_spinner=False)
def _exported(
    kind: str,
    experiment: Experiment,
    frames: int,
    seconds: float,
    base: str,
    _trajectories: list[Trajectory],
    _surf: surfaces.Surface,
    _background: Shading,
) -> str | bytes:
    """One export of the race, made once for every visitor (the experiment decides it), taking its
    turn when heavy, and stopped past optviz.core.budget.STOP_AFTER like a page's work (Streamlit makes
    a download in a thread of its own, outside the page's watch)."""
    with budget.turn(seconds), budget.watched(budget.STOP_AFTER):
        if kind == "html":
            return export.race_html(experiment, _trajectories, _background, base_url=base)
        if kind == "csv":
            return export.trajectories_csv(experiment, _trajectories)
        if kind == "json":
            return export.trajectories_json(experiment, _trajectories)
        return export.race_gif(experiment, _trajectories, _surf, max_frames=frames)


def _on_click() -> None:
    """A click on the race, or a start let go: start exactly there (rounded far below a pixel),
    the whole page drawn again (the sidebar's start, the link)."""
    start_at((st.session_state.get(RACE_KEY) or {}).get("clicked"))
    live.rerun_page()


def _on_missing() -> None:
    """The browser lacks arrays it was told it had (a reload, a new tab): send them again. What
    the browser sends is ids the page made (each a short digest): a few, short, or nothing."""
    missing = (st.session_state.get(RACE_KEY) or {}).get("missing")
    if isinstance(missing, list) and len(missing) <= MISSING_IDS:
        ids = [m for m in missing if isinstance(m, str) and len(m) <= MISSING_ID_LENGTH]
        st.session_state.setdefault("_sent", set()).difference_update(ids)


MISSING_IDS = 2 * MAX_RUNS + 1  # each run's arrays and inspector's arrows, and the scene
MISSING_ID_LENGTH = 64


# ------------------------------------------------------------------------------ the figures


# ------------------------------------------------------------------------------ the views


def view_picker() -> str:
    """Which view shows beside the race: one at a time, so the page draws only what is seen."""
    say = words()
    return st.segmented_control(
        say("setting.view.title"),
        VIEW.choices,
        **mirrored(VIEW),
        required=True,
        format_func=lambda view: say(f"view.{view}"),
        label_visibility="collapsed",
    )


def show_view(view: str, experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory]) -> None:
    """The chosen view; while a lesson waits for its answer, one line instead of any view that shows
    how the race comes out (only the update rules, which do not, are shown)."""
    if lesson_held() and view not in VIEWS_BEFORE_THE_ANSWER:
        st.caption(words()("lesson.held_view"))
        return
    stopped = st.session_state.setdefault(STOPPED, set())
    if (view, experiment) in stopped:  # it ran past its budget once: it is not tried again
        work.say_stopped(view)
        return
    try:
        VIEWS[view](experiment, surf, trajectories)
    except budget.Stopped as stop:  # its estimate was wrong: the view stops, the race stays
        if stop.reason != "time":
            raise
        stopped.add((view, experiment))
        work.say_stopped(view)


def _loss(experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory]) -> None:
    """The loss per step, drawn from the arrays the race already brought: only its frame is sent.
    Where a run makes several gradient evaluations a step (LBFGS), it may be drawn over the
    evaluations instead, whole (the player's step is no place on that axis)."""
    say = words()
    several = any(t.counts is not None for t in trajectories)
    per_evaluation = several and experiment.loss_x == "grad_evals"
    fig = figures.loss_figure(experiment, surf, trajectories, per_evaluation=per_evaluation)
    if not per_evaluation:
        for trace, run in zip(fig["data"], experiment.runs, strict=False):  # one line per run comes first
            trace["fromRace"] = race_data.loss_reference(trace, race_data.run_id(experiment, run))
            del trace["x"], trace["y"]
    figure(fig, key="loss", playhead=not per_evaluation)
    if several:  # in the link: the view a link opens is the view it shows
        st.radio(
            say("setting.loss_x.title"),
            LOSS_X.choices,
            horizontal=True,
            format_func=lambda v: say(f"setting.loss_x.choice.{v}"),
            help=say("setting.loss_x.help"),
            **mirrored(LOSS_X),
        )


def _surface3d(experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory]) -> None:
    points = sum(t.points.shape[0] for t in trajectories)
    seconds = figures.SURFACE_GRID**2 * budget.step_seconds(surf, "value") + points * budget.cost("drape", "point")
    if not work.admit("3d", seconds):
        work.say_refused("3d", seconds)
        return
    with work.turn(seconds):
        # The paths follow the player, drawn from the arrays the race already brought.
        figure(figures.surface_3d_figure(experiment, surf, trajectories, live=True), key="surface3d")


def _results(experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory]) -> None:
    say = words()
    st.caption(say("results.caption", optimum=f"{surf.f_star:.6g}", tolerance=f"{experiment.tolerance:g}"))
    rows = summarise(experiment, surf, trajectories)
    # Where a typed formula has no minimum, runs are measured against the lowest point found.
    names = {key: say(f"results.{key}") for key in results_columns(say)} | {"nearest": say("results.nearest")}
    if surf.minima_origin == "lowest":
        names |= {"nearest": say("results.nearest_lowest"), "distance": say("results.distance_lowest")}
    columns = {names.get(key, key): config for key, config in results_columns(say).items()}
    # The gradient evaluations only where a run makes more than one a step (LBFGS): else they are its steps.
    evaluations = any(t.counts is not None for t in trajectories)
    table = [
        {names.get(key, say(f"results.{key}")): value for key, value in row.items()}
        for row in results_table(rows, evaluations=evaluations)
    ]
    st.dataframe(table, column_config=columns, hide_index=True, key="results", placeholder=MISSING)


def results_table(rows: list[Any], *, evaluations: bool = False) -> list[dict[str, Any]]:
    """The summaries as table rows: numbers stay numbers, so the columns sort as numbers.

    A step that never came ("not reached", "did not diverge") is NaN, shown as a dash.
    Losses and distances are rounded to the four significant digits the table shows, so that
    a copied cell or the CSV download holds what is on screen, and so that a magnitude beyond
    2**53, which Streamlit's table cannot format as a number (it draws the raw value in a
    cell marked as an error), still reads like its neighbours: 4.747e+129.
    :data:`RESULTS_COLUMNS` says how each column is shown. ``evaluations``: with the gradient
    evaluations to the tolerance and in all, for runs that make more than one a step.
    """
    table = [
        {
            "run": row.label,
            "final_loss": _four_digits(row.final_loss),
            "gap": _four_digits(row.gap),
            "nearest": "(" + ", ".join(f"{c:.4g}" for c in row.nearest_minimum) + ")",
            "distance": _four_digits(row.distance),
            "steps_to_tolerance": math.nan if row.steps_to_tolerance is None else row.steps_to_tolerance,
            "evaluations_to_tolerance": math.nan
            if row.evaluations_to_tolerance is None
            else row.evaluations_to_tolerance,
            "grad_evals": row.grad_evals,
            "first_within": math.nan if row.first_within is None else row.first_within,
            "diverged_at": math.nan if row.diverged_at is None else row.diverged_at,
        }
        for row in rows
    ]
    if not evaluations:
        for entry in table:
            del entry["evaluations_to_tolerance"], entry["grad_evals"]
    return table


def _four_digits(value: float) -> float:
    return float(f"{value:.3e}")


# Losses and distances span hundreds of orders of magnitude (2.9e174 after a divergence,
# 2.4e-43 next to a minimum): always scientific, four significant digits, so that equal
# exponents line up. Steps are whole numbers.
_SCIENTIFIC = "%.3e"


def results_columns(say: Any) -> dict[str, Any]:
    """How each column of the results table is shown, by its key in :func:`results_table`."""

    def number(key: str, format: str) -> Any:
        return st.column_config.NumberColumn(format=format, help=say(f"results.{key}_help"))

    return {
        "run": st.column_config.TextColumn(pinned=True),  # stays in view when a narrow screen scrolls the rest
        "final_loss": number("final_loss", _SCIENTIFIC),
        "gap": number("gap", _SCIENTIFIC),
        "distance": number("distance", _SCIENTIFIC),
        "steps_to_tolerance": number("steps_to_tolerance", "%d"),
        "evaluations_to_tolerance": number("evaluations_to_tolerance", "%d"),
        "grad_evals": number("grad_evals", "%d"),
        "first_within": number("first_within", "%d"),
        "diverged_at": number("diverged_at", "%d"),
    }


# ---------------------------------------------------------------------------- the update rules


def update_rules(experiment: Experiment, *_: object) -> None:
    """Each distinct update rule in use, which runs use it, and what each of its symbols means.

    Runs of one optimizer can follow different rules (SGD, SGD with momentum, Nesterov): the
    rule shown is the LaTeX that each run's own settings produce, once per distinct rule.
    The symbols every rule shares are defined once, above the rules.
    """
    say = words()
    common = [f"- ${symbol}$ — {meaning('sgd', symbol, say.lang)}" for symbol in COMMON_SYMBOLS]
    st.markdown("\n".join([say("rules.every_rule"), *common, f"- $t$ — {say('rules.step_number')}"]))
    numbered = list(enumerate(zip(experiment.runs, experiment.labels(), strict=True), start=1))
    for optimizer in dict.fromkeys(run.optimizer for run in experiment.runs):
        spec = OPTIMIZERS[optimizer]
        rules: dict[str, list[tuple[int, tuple[Run, str]]]] = {}
        for number, (run, label) in numbered:
            if run.optimizer == optimizer:  # its own record (a rule around another: for its base)
                rules.setdefault(run.spec.rule(run.values()), []).append((number, (run, label)))
        st.markdown(f"#### {spec.title}")
        st.write(say(f"optimizer.{optimizer}.summary"))
        for latex, users in rules.items():
            names = say("rules.users_separator").join(
                say("rules.users", number=number, label=plain(label)) for number, (run, label) in users
            )
            heading = say("rules.users_heading", users=names)
            st.markdown(f"**{heading[0].upper()}{heading[1:]}**")
            st.latex(latex)
            values = [run.values() for _, (run, _) in users]
            symbols = [s for s in legend(spec, latex, values, say.lang) if s.latex not in COMMON_SYMBOLS]
            st.markdown(_legend_text(symbols, users, say))
            for number, (run, _) in users:
                if run.schedule is not None:  # gamma is not one number
                    arguments = ", ".join(f"{k}={v}" for k, v in run.schedule.values().items())
                    st.caption(say("rules.schedule", number=number, schedule=f"{run.schedule.kind}({arguments})"))
        st.caption(say(f"optimizer.{optimizer}.reference"))


def _legend_text(symbols: list[Symbol], users: list[tuple[int, tuple[Run, str]]], say: Any) -> str:
    """A Markdown list: the settings with their values, then the quantities the rule keeps."""
    lines = []
    for symbol in symbols:
        if symbol.values:
            shown = [f"{value:g}" for value in symbol.values]
            if len(set(shown)) == 1:
                each = shown[0]
            else:
                each = say("problem.list_separator").join(
                    say("rules.value_of_run", value=value, number=number)
                    for value, (number, _) in zip(shown, users, strict=True)
                )
            lines.append(f"- ${symbol.latex}$ = {each} — {symbol.meaning}")
        else:
            lines.append(f"- ${symbol.latex}$ — {symbol.meaning}")
    return "\n".join(lines)


def _inspect(experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory]) -> None:
    if not _inspector_admitted(experiment, surf):
        work.say_refused("inspect", _inspector_seconds(experiment, surf))
        return
    inspector.panel(experiment, surf, inspector.shown_step(experiment, st.session_state.get(RACE_KEY)))


def _directions(experiment: Experiment, surf: surfaces.Surface, trajectories: list[Trajectory]) -> None:
    """Each run's error along the steep and the flat eigen-direction of a quadratic, with theory's
    rates (optviz.teach.directions); on any other surface, one line that says so."""
    say = words()
    seconds = sum(t.points.shape[0] for t in trajectories) * budget.cost("directions", "point")
    if not work.admit("directions", seconds):
        work.say_refused("directions", seconds)
        return
    lines = directions_caption(experiment, surf, plain)
    fig = directions_figure(experiment, surf, trajectories, log=experiment.directions_log)
    if fig is None:
        st.info(lines[0])
        return
    figure(fig, key="directions", playhead=True)
    st.toggle(
        say("setting.directions_log.title"), help=say("setting.directions_log.help"), **mirrored(DIRECTIONS_LOG)
    )  # in the link: the view a link opens is the view it shows
    for line in lines:
        st.caption(line)


STOPPED = "_stopped_views"  # (view, experiment) that ran past the budget in this session

# The views that show nothing of how a race comes out, and so show while a lesson waits for its answer.
VIEWS_BEFORE_THE_ANSWER = frozenset({"rules"})
# One row per view: what the view picker offers and what each one shows.
VIEWS = {
    "loss": _loss,
    "3d": _surface3d,
    "results": _results,
    "rules": update_rules,
    "inspect": _inspect,
    "directions": _directions,
    "sweep": sweeps.sweep_view,
    "map": sweeps.map_view,
    "basins": sweeps.basins_view,
}
