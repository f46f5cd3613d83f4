"""The sidebar: widgets generated from the settings' specs, and the Experiment they build.

Every widget has a stable key (the tests and the link's seeding use them), and every value
passes the core's validation before it is used. A run's widgets are keyed by a run id that
stays with the run while it lives, so removing one run leaves the others' widgets, their
open panels, their colours and their markers as they were. Each run is stored as a Run
record; its widgets exist only while its panel is open.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import replace
from typing import Any

import streamlit as st

import surfaces
from optviz.core.optimizers import OPTIMIZERS
from optviz.core.specs import Problem, Spec
from optviz.draw.race import SYMBOLS
from optviz.settings import (
    CLASSROOM,
    CONTOURS,
    DEFAULT,
    LESSON,
    MAX_RUNS,
    NAME,
    NOISE,
    PRESETS,
    QUIZ,
    SEED,
    SETTINGS,
    SPEED,
    STEPS,
    STILL,
    TOLERANCE,
    Experiment,
    Run,
    lesson_experiment,
    parse_network,
    presets,
    refusal,
    runnable,
)
from optviz.settings.lessons import LESSONS
from optviz.settings.network import NetworkPage
from optviz.study.sweeps import assign, axis_spec
from optviz.teach.theory import learning_rates
from optviz.text import hyperparameter_help, hyperparameter_title
from optviz.text.problems import problem_text, refusal_text
from ui import classroom, live
from ui.guard import callback
from ui.state import (
    NETWORK,
    RUNS,
    START_X,
    START_Y,
    SURFACE,
    copy_state,
    forget_hyperparameters,
    good_parameters_key,
    hyperparameter_key,
    is_run_key,
    lesson_held,
    load_network,
    mirror,
    mirrored,
    run_key,
    scale_key,
    scoped,
    surface_parameter_key,
    theory_key,
)
from ui.steps import batch_widget, run_steps, schedule_widgets
from ui.text import plain, queue_problems, words

# The settings the sidebar shows; the others have their places on the page (the view picker,
# the language switch, the lesson picker and its question switch) or only a link sets them (hide).
SIDEBAR_SETTINGS = (STEPS, TOLERANCE, SPEED, CONTOURS, STILL, NOISE, SEED)

# The marker of each slot as a character, for the run's title in the sidebar.
GLYPHS = dict(zip(SYMBOLS, "●■◆▲▼⬟⬢★✚✖", strict=True))


# ------------------------------------------------------------------------- the session's state


def load(experiment: Experiment) -> None:
    """Put ``experiment`` into the widgets' state."""
    state = st.session_state
    state[SURFACE] = experiment.surface
    for name, value in experiment.surface_params:
        state[surface_parameter_key(experiment.surface, name)] = value
    state[START_X], state[START_Y] = experiment.start
    for spec in SETTINGS:
        state[spec.link_key] = experiment.setting(spec)
    state[RUNS] = []
    for key in [k for k in state if is_run_key(k)]:
        del state[key]  # the widgets of the runs that were there before
    for run, slot in zip(experiment.runs, experiment.slots(), strict=True):
        _add_run(run, slot=slot, open_panel=False)


def _add_run(run: Run, *, slot: int | None = None, open_panel: bool = True) -> None:
    """Append ``run`` to the editable list, with a fresh id and the lowest free slot.

    The list holds each run as a Run record (``entry["run"]``): the truth, which a run's
    widgets show and change while its panel is open. A closed panel renders no widgets, so a
    page with ten runs stays light.
    """
    state = st.session_state
    entries = state.setdefault(RUNS, [])
    if len(entries) >= MAX_RUNS:
        return
    run_id = state.get("_next_run_id", 0)
    state["_next_run_id"] = run_id + 1
    taken = {entry["slot"] for entry in entries}
    free = slot if slot is not None else min(set(range(MAX_RUNS)) - taken)
    entries.append({"id": run_id, "slot": free, "run": replace(run, slot=None), "open": open_panel})


def _remove_run(run_id: int) -> None:
    st.session_state[RUNS] = [entry for entry in st.session_state[RUNS] if entry["id"] != run_id]


def _entry(run_id: int) -> dict[str, Any]:
    return next(entry for entry in st.session_state[RUNS] if entry["id"] == run_id)


def _presets() -> dict[str, Run]:
    """The presets with the current surface's learning rates."""
    return presets(surfaces.get(st.session_state[SURFACE]))


def _seed_new_optimizer(run_id: int) -> None:
    """A run switched optimizer: start from that optimizer's preset (a sensible learning rate)."""
    optimizer = st.session_state[run_key(run_id, "optimizer")]
    preset = next((run for run in _presets().values() if run.optimizer == optimizer), Run(optimizer))
    entry = _entry(run_id)
    entry["run"] = replace(preset, name=entry["run"].name)
    forget_hyperparameters(run_id, optimizer)  # the widgets start again from the preset


def _on_surface_change() -> None:
    """Another surface: its own default page (start, runs, steps), in the same page settings.

    A lesson is about its own surface: another surface leaves it.
    """
    state = st.session_state
    if state[SURFACE] == NETWORK:  # the tutorial's test: its own page, which no lesson holds
        state[LESSON.link_key] = LESSON.default
        classroom.leave()
        load_network(NetworkPage())
        return
    page = Experiment.make(state[SURFACE])
    kept = {spec.name: state[spec.link_key] for spec in SETTINGS if spec is not STEPS and spec.link_key in state}
    left = {LESSON.name: LESSON.default, **{spec.name: spec.default for spec in CLASSROOM}}
    load(replace(page, **{**kept, **left}))


def _page_settings() -> dict[str, Any]:
    """The settings a lesson keeps when it loads: how the page looks, not what it computes."""
    state = st.session_state
    kept = ("view", "hide", "lang", "quiz")
    return {spec.name: state[spec.link_key] for spec in SETTINGS if spec.name in kept and spec.link_key in state}


def load_lesson(name: str) -> None:
    """Open the lesson ``name`` as it is set up, in the page's language and look, and in the
    page's class (ui.classroom: restoring the lesson's setup keeps the class; a page that moves to
    another lesson leaves it first). A lesson of the network page opens that page."""
    state = st.session_state
    kept = {spec.name: state.get(spec.link_key, spec.default) for spec in CLASSROOM}
    load(replace(lesson_experiment(name), **_page_settings(), **kept, lesson=name))
    network = parse_network(LESSONS[name].query())
    if network is not None:
        load_network(network[0])


def _on_lesson_change() -> None:
    name = st.session_state[LESSON.link_key]
    classroom.leave()  # another lesson (or none): the class, if any, was for the one before
    if name:
        load_lesson(name)


# ------------------------------------------------------------------------------- the widgets


def setting_widget(spec: Spec, key: str, *, help: str, title: str | None = None, slider: bool = False) -> Any:
    """The widget for one setting, from its spec: its kind, range, scale and symbol; ``help`` and
    ``title`` (the spec's name if None) in the page's language."""
    st.session_state.setdefault(key, spec.default)
    name = title or spec.name
    label = name + (f" (${spec.symbol}$)" if spec.symbol and spec.symbol != spec.name else "")
    low, high = spec.app_low, spec.app_high
    if spec.kind in _PLAIN_WIDGETS:
        return _PLAIN_WIDGETS[spec.kind](spec, label, key, help)
    if spec.kind == "int":
        return st.number_input(label, int(low), int(high), key=key, step=int(spec.step or 1), help=help)
    if spec.log:
        return _log_number(label, name, key, spec, help)
    step = spec.step or (1.0 if high - low >= 50 else 0.05 if slider else 0.01 if high <= 1 else 0.1)
    if slider and high - low <= 1000:  # a wider range is typed, not dragged
        live.slider(key, key)
        return st.slider(label, low, high, key=key, help=help, step=step)
    return st.number_input(label, low, high, key=key, step=step, format="%g", help=help)


def _choice_widget(spec: Spec, label: str, key: str, help: str) -> Any:
    say = words()
    choice = lambda value: say(spec.choice_words(value))
    if len(spec.choices) > RADIO_MOST:  # a long list (SAM's base: every optimizer) drops down
        st.selectbox(label, spec.choices, help=help, format_func=choice, **mirror(key, spec.default, spec.choices))
    else:
        st.radio(
            label,
            spec.choices,
            horizontal=True,
            help=help,
            format_func=choice,
            **mirror(key, spec.default, spec.choices),
        )
    return st.session_state[key]


RADIO_MOST = 4  # a choice of more options than this is a drop-down, not a row of radio buttons


# The widgets of the settings that are not numbers: a flag, a choice, a typed formula (text
# the core parses, never runs).
_PLAIN_WIDGETS = {
    "bool": lambda spec, label, key, help: st.checkbox(label, key=key, help=help),
    "choice": _choice_widget,
    "text": lambda spec, label, key, help: st.text_area(label, key=key, help=help, max_chars=int(spec.high), height=80),
}


def page_setting_widget(spec: Spec) -> Any:
    """A page setting's widget, named and explained in the page's language."""
    say = words()
    return setting_widget(
        spec, spec.link_key, title=say(f"setting.{spec.name}.title"), help=say(f"setting.{spec.name}.help")
    )


def switch(spec: Spec) -> None:
    """A yes-or-no page setting that is not always drawn (a lesson's question), as a toggle."""
    say = words()
    st.toggle(say(f"setting.{spec.name}.title"), help=say(f"setting.{spec.name}.help"), **mirrored(spec))


def log_options(low: float, high: float, current: float) -> list[float]:
    """1, 1.5, 2, 3, 5, 7 per decade between ``low`` and ``high``, plus ``current``."""
    options = {current}
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 1.5, 2, 3, 5, 7):
            value = float(f"{mantissa}e{exponent}")
            if low <= value <= high:
                options.add(value)
    return sorted(options)


def _log_number(label: str, name: str, key: str, spec: Spec, help: str) -> float:
    """A value on a log scale: a slider over 1, 1.5, 2, 3, 5, 7 per decade, and the exact number.

    The number (``key``) is the value; the slider (``key__scale``) follows it and sets it. Type
    0.19 against 0.21 to compare learning rates either side of 2/L.
    """
    state = st.session_state
    low, high = spec.app_low, spec.app_high
    value = min(max(float(state[key]), low), high)  # a log scale has no zero
    state[key] = value
    scale = scale_key(key)
    state[scale] = value  # before the slider exists this run: it shows the current number
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    options = log_options(low, high, value)
    live.slider(scale, key, options)  # the race follows it while it is dragged
    left.select_slider(
        label,
        options,
        key=scale,
        help=help,
        format_func=lambda v: f"{v:g}",
        on_change=callback(copy_state),
        args=(scale, key),
    )
    say = words()
    right.number_input(
        say("sidebar.exact", name=name),
        low,
        high,
        key=key,
        format="%g",
        step=value / 10,
        label_visibility="collapsed",
        help=say("sidebar.exact_help", range=spec.range_text(app=True)),
    )
    return float(state[key])


# ------------------------------------------------------------------------------- the sidebar


def surface_picker() -> None:
    """The surfaces, and last the small network of the tutorial's own test (a page of its own)."""
    say = words()
    choices = [*surfaces.names(), NETWORK]
    st.selectbox(
        say("sidebar.surface"),
        choices,
        format_func=lambda name: say(f"surface.{name}.title"),
        **mirror(SURFACE, DEFAULT.surface, choices, then=_on_surface_change),
    )


def surface_controls() -> tuple[str, dict[str, float]]:
    """The surface picker and the chosen surface's parameters."""
    say = words()
    surface_picker()
    name = st.session_state[SURFACE]
    params = {}
    for param in surfaces.entry(name).param_specs:
        live.changes(surface_parameter_key(name, param.name), ("surface", param.name))
        help = say(f"surface.{name}.parameter.{param.name}")
        title = say(f"parameter_title.{param.name}")
        params[param.name] = setting_widget(
            param, surface_parameter_key(name, param.name), help=help, title=title, slider=True
        )
    return name, _checked(name, params)


def _checked(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` if they make a surface; else, with the reason shown, the last ones that did.

    Only a typed formula (or a plot with no width) can be refused; its text stays in its box
    to be corrected, while the page goes on with the last surface it could draw.
    """
    good = good_parameters_key(name)
    try:
        surfaces.get(name, **params)
    except ValueError as error:
        st.warning(plain(refusal_text(refusal(error), words().lang)))
        return dict(st.session_state.get(good, {p.name: p.default for p in surfaces.entry(name).param_specs}))
    st.session_state[good] = dict(params)
    return params


def start_controls(surface: str, params: dict[str, Any]) -> tuple[float, float]:
    """The start, inside the plot of the surface with these parameters (a data surface's plot
    moves with its parameters)."""
    say = words()
    (x0, x1), (y0, y1) = surfaces.get(surface, **params).domain
    left, right = st.columns(2)
    for column, key, low, high in ((left, START_X, x0, x1), (right, START_Y, y0, y1)):
        st.session_state[key] = min(max(float(st.session_state.get(key, 0.0)), low), high)
        # five digits, as a click sets them: a data surface's start is not shown as -1.56694637319
        column.number_input(say(f"sidebar.{key}"), low, high, key=key, step=0.1, format="%.5g")
    st.caption(say("sidebar.click_to_start"))
    return st.session_state[START_X], st.session_state[START_Y]


def run_controls(surf: surfaces.Surface, steps: int) -> list[Run]:
    """The list of runs on ``surf`` for ``steps`` steps, each with its optimizer and hyperparameters;
    add, duplicate, remove."""
    say = words()
    runs = [_one_run(index, entry, surf, steps) for index, entry in enumerate(st.session_state[RUNS])]
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.selectbox(say("sidebar.add_a_run"), list(PRESETS), key=scoped("preset"), format_func=_preset_name)
    right.button(
        say("sidebar.add"),
        key="add_run",
        on_click=callback(_add_preset),
        args=(scoped("preset"),),
        disabled=len(st.session_state[RUNS]) >= MAX_RUNS,
        help=say("sidebar.add_help", limit=MAX_RUNS),
        width="stretch",
    )
    return runs


def _add_preset(key: str) -> None:
    """Add a run from the preset the picker shows (the first one if it shows none)."""
    chosen = _presets()
    _add_run(chosen.get(st.session_state.get(key), next(iter(chosen.values()))))


def _one_run(index: int, entry: dict[str, Any], surf: surfaces.Surface, steps: int) -> Run:
    """A run's panel: its title always; its widgets only while it is open."""
    run_id, slot = entry["id"], entry["slot"]
    run = entry["run"] = _current_run(entry, surf, steps)
    for hp in run.spec.hyperparameters:  # what its widgets change, for the race's previews
        for part, each in enumerate(hp.parts or (hp,)):
            target = ("run", index, hp.name, part if hp.parts else None)
            live.changes(hyperparameter_key(run_id, run.optimizer, each.name), target)
    say = words()
    title = GLYPHS[SYMBOLS[slot]] + " " + say("sidebar.run_title", number=index + 1, label=plain(run.label(say.lang)))
    # Tracked, so that a closed panel draws no widgets. Its title changes with the settings, which
    # makes it a new element to Streamlit: it opens as the run's panel last was.
    key = run_key(run_id, "panel")
    panel = st.expander(title, expanded=entry["open"], key=key, on_change=callback(_on_panel), args=(entry["id"], key))
    with panel:
        if panel.open:
            _run_widgets(entry, surf, steps)
    return replace(run, slot=slot)


def _on_panel(run_id: int, key: str) -> None:
    _entry(run_id)["open"] = bool(st.session_state[key])


def _current_run(entry: dict[str, Any], surf: surfaces.Surface, steps: int) -> Run:
    """The run as its widgets now show it (they are current before they are drawn), else as stored.

    The rules of a runnable run repair what breaks them, as for a link, and say so.
    """
    run_id, stored = entry["id"], entry["run"]
    state = st.session_state
    optimizer = state.get(run_key(run_id, "optimizer"), stored.optimizer)
    if optimizer not in OPTIMIZERS:
        optimizer = state[run_key(run_id, "optimizer")] = stored.optimizer
    spec = OPTIMIZERS[optimizer]
    if spec.specialise is not None:  # a rule around another (SAM): its base's widget decides its settings
        base = state.get(hyperparameter_key(run_id, optimizer, "base"), dict(stored.hyperparameters).get("base"))
        spec = spec.for_values({} if base is None else {"base": base})
    values = stored.values() if optimizer == stored.optimizer else {}
    if values and spec is not stored.spec:  # another base: what the new one accepts, its defaults else
        kept = {}
        for name, value in values.items():
            with contextlib.suppress(KeyError, ValueError):
                kept[name] = spec.hyperparameter(name).check(value, app=True)
        values = {**spec.defaults(), **kept}
    for hp in spec.hyperparameters:
        parts = [state.get(hyperparameter_key(run_id, optimizer, part.name)) for part in hp.parts or (hp,)]
        if all(part is not None for part in parts):
            with contextlib.suppress(ValueError):  # a value no widget offers: the stored one stays
                values[hp.name] = hp.check(tuple(parts) if hp.parts else parts[0], app=True)
    typed = " ".join(str(state.get(run_key(run_id, "name"), stored.name)).split())
    name = "".join(c for c in typed if c.isprintable())[: int(NAME.high)]
    batch, schedule, problems = run_steps(run_id, stored)
    run, repairs = runnable(optimizer, values, surf=surf, steps=steps, name=name, batch=batch, schedule=schedule)
    for problem in problems + repairs:
        st.warning(plain(problem_text(problem, words().lang)))
    return run


def _run_widgets(entry: dict[str, Any], surf: surfaces.Surface, steps: int) -> None:
    """The widgets of an open run, each starting from the stored run's value."""
    run_id, run = entry["id"], entry["run"]
    state = st.session_state
    state.setdefault(run_key(run_id, "optimizer"), run.optimizer)
    state.setdefault(run_key(run_id, "name"), run.name)
    say = words()
    st.selectbox(
        say("sidebar.optimizer"),
        [name for name, spec in OPTIMIZERS.items() if spec.listed or name == run.optimizer],  # Muon: its lesson's
        key=run_key(run_id, "optimizer"),
        format_func=lambda name: OPTIMIZERS[name].title,
        on_change=callback(_seed_new_optimizer),
        args=(run_id,),
    )
    st.text_input(
        say("setting.name.title"),
        key=run_key(run_id, "name"),
        max_chars=int(NAME.high),
        placeholder=run.auto_label(say.lang),
        help=say("setting.name.help"),
    )
    values = run.values()
    for hp in run.spec.hyperparameters:
        pairs = zip(hp.parts, values[hp.name], strict=True) if hp.parts else [(hp, values[hp.name])]
        for part, value in pairs:
            key = hyperparameter_key(run_id, run.optimizer, part.name)
            state.setdefault(key, value)
            setting_widget(
                part,
                key,
                title=hyperparameter_title(part.name, say.lang, run.spec.words),
                help=hyperparameter_help(run.spec.words, part.name, say.lang),
            )
            if part.name == "lr":
                _theory_widgets(entry, surf)
    batch_widget(run_id, run, surf)
    schedule_widgets(run_id, run, steps)
    left, right = st.columns(2)
    left.button(
        say("sidebar.duplicate"),
        key=run_key(run_id, "duplicate"),
        on_click=callback(_add_run),
        args=(replace(run, name="", slot=None),),
        width="stretch",
        disabled=len(state[RUNS]) >= MAX_RUNS,
    )
    right.button(
        say("sidebar.remove"),
        key=run_key(run_id, "remove"),
        on_click=callback(_remove_run),
        args=(run_id,),
        width="stretch",
    )


def _theory_widgets(entry: dict[str, Any], surf: surfaces.Surface) -> None:
    """Beside an SGD run's learning rate on a quadratic surface: theory's values, a button each to apply it."""
    run = entry["run"]
    rates = learning_rates(surf) if run.optimizer == "sgd" and not lesson_held() else None  # theory's best is an answer
    if rates is None:
        return
    say = words()
    st.caption(say("theory.caption", m=f"{rates.m:g}", L=f"{rates.L:g}", kappa=f"{rates.kappa:g}"))
    for value in rates.values:
        applied = value.hyperparameters(digits=3)  # what a person can read back in the widgets and the link
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.button(
            value.name(say.lang),
            key=theory_key(entry["id"], value.key),
            on_click=callback(apply_hyperparameters),
            args=(entry["id"], applied),
            help=f"{value.explanation(say.lang)}\n\n${value.formula}$\n\n{say('theory.apply_help')}",
            width="stretch",
        )
        numbers = [f"γ = {applied['lr']:g}"] + ([f"μ = {applied['momentum']:g}"] if applied["momentum"] else [])
        right.caption("  \n".join(numbers))


def apply_hyperparameters(run_id: int, hyperparameters: dict[str, Any]) -> None:
    """Give the run these hyperparameters (theory's, a sweep's best, a map's cell), as far as the
    rules of a runnable run allow (saying what they changed); its widgets start again from them."""
    entry = _entry(run_id)
    run = entry["run"]
    state = st.session_state
    surface = state.get(SURFACE, DEFAULT.surface)  # as the sidebar holds it, which made the page
    changed, problems = runnable(
        run.optimizer,
        assign(run.spec, run.values(), hyperparameters),
        surf=surfaces.get(surface, **state.get(good_parameters_key(surface), {})),
        steps=int(state.get(STEPS.link_key, STEPS.default)),
        name=run.name,
        slot=run.slot,
        batch=run.batch,
        schedule=run.schedule,
    )
    queue_problems(problems)
    entry["run"] = changed
    forget_hyperparameters(run_id, run.optimizer)


def apply_clicked(run_id: int, clicked: dict[str, object], digits: int | None = None) -> None:
    """Values from a click on a sweep or a map (the browser's numbers, by hyperparameter or pair
    part), each read as a link's value is: within the app's range, or left out, with a problem;
    then applied (rounded to ``digits`` significant digits, where given, as a person would type)."""
    run = _entry(run_id)["run"]
    chosen: dict[str, float] = {}
    problems = []
    for name, value in clicked.items():
        spec = axis_spec(run.spec, name)
        if spec is None:
            continue
        number, problem = spec.accept(value)
        if problem is not None:
            problems.append(Problem(problem.code, (*problem.args, ("where", ("run", run.optimizer)))))
        if number is not None:
            chosen[name] = float(f"{number:.{digits}g}") if digits else number
    queue_problems(problems)
    if chosen:
        apply_hyperparameters(run_id, chosen)


def experiment_controls() -> Experiment:
    """The whole sidebar; returns the Experiment it describes."""
    say = words()
    live.forget_sliders()  # named again as they are drawn
    with st.sidebar:
        lesson_picker()
        st.header(say("sidebar.surface"))
        surface, params = surface_controls()
        # What a surface teaches would answer a lesson's question: it waits for the answer.
        st.caption(say("lesson.held_description" if lesson_held() else f"surface.{surface}.description"))
        st.header(say("sidebar.start_and_steps"))
        start = start_controls(surface, params)
        settings = {spec.name: page_setting_widget(spec) for spec in SIDEBAR_SETTINGS}
        st.header(say("sidebar.runs"))
        runs = run_controls(surfaces.get(surface, **params), settings[STEPS.name])
    # The others have their widgets elsewhere on the page (drawn later in this run: their state
    # is current already), or only a link sets them (what a projector's link hides).
    for spec in SETTINGS:
        if spec not in SIDEBAR_SETTINGS:
            settings[spec.name] = st.session_state.setdefault(spec.link_key, spec.default)
    return Experiment.make(surface, surface_params=params, start=start, runs=runs, **settings)


def lesson_picker() -> None:
    """The lessons, at the top of the sidebar: choosing one loads its experiment."""
    say = words()
    st.selectbox(
        say("sidebar.lesson"),
        LESSON.choices,
        format_func=lambda name: say(f"lesson.{name}.title") if name else say("sidebar.free"),
        help=say("sidebar.lesson_help"),
        **mirrored(LESSON, then=_on_lesson_change),
    )
    if st.session_state[LESSON.link_key] and classroom.present() is None:
        switch(QUIZ)  # the teacher's: a demonstration shows the race without the question
    classroom.class_sidebar()  # a class: its code, or the box to join one, and the teacher's button


def _preset_name(label: str) -> str:
    return words()(f"preset.{label}")
