"""The network page: the tutorial's own test, the same optimizers training a small network.

Its settings (:mod:`optviz.settings.network`) are in the sidebar under the surface picker, where
the network is the last choice, and in the link (``surface=network:data=digits,model=cnn``).
The comparison (:mod:`optviz.study.network`) is admitted by its own allowance of the one budget
(``optviz.core.budget.COMPARISON_SECONDS``, priced from measured costs), takes turns as heavy
work does, runs watched with a progress bar, and is cached by its request and shared by every
visitor (the tuning grid apart, by the network, epochs, batch size and optimizers). A lesson on
it asks its question before anything shows how the trainings come out.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from optviz.core import budget
from optviz.core.specs import Spec
from optviz.draw import landscape_figure, network_figures
from optviz.settings import CLASSROOM, LANG, LESSON, QUIZ, lesson_experiment, network_query, parse_network
from optviz.settings.lessons import LESSONS
from optviz.settings.network import AXIS, CENTRE, MODEL, PLANE, SPECS, NetworkPage
from optviz.study import landscape as study_landscape
from optviz.study import network as study
from ui import work
from ui.component import PLOTLY_URL, figure, player
from ui.controls import lesson_picker, setting_widget, surface_picker
from ui.guard import callback
from ui.lesson import lesson_text
from ui.state import lesson_held, mirror, network_key
from ui.text import words

# The sidebar shows the network and its training; how the results are drawn (the curves' axis,
# the landscape's plane and centre) is switched beside them.
SIDEBAR = tuple(spec for spec in SPECS if spec not in (AXIS, PLANE, CENTRE))


def network_controls() -> NetworkPage:
    """The sidebar of the network page: the lessons, the surface picker, the network's settings.
    Returns the page they describe (each value checked by its widget's spec)."""
    say = words()
    state = st.session_state
    values = {}
    with st.sidebar:
        lesson_picker()
        st.header(say("sidebar.surface"))
        surface_picker()
        st.caption(say("lesson.held_description" if lesson_held() else "surface.network.description"))
        st.header(say("network_page.settings"))
        for spec in SIDEBAR:
            if spec is MODEL:  # the CNN needs images: iris offers the MLP only
                offered = NetworkPage(data=values["data"]).models()
                if state.get(network_key(MODEL.name)) not in offered:
                    state[network_key(MODEL.name)] = offered[0]
                spec = replace(MODEL, choices=offered)  # noqa: PLW2901
            values[spec.name] = setting_widget(
                spec,
                network_key(spec.name),
                title=say(f"setting.{spec.name}.title"),
                help=say(f"setting.{spec.name}.help"),
            )
    for spec in (AXIS, PLANE, CENTRE):
        values[spec.name] = state.setdefault(network_key(spec.name), spec.default)
    return NetworkPage.make(**values)


def network_link(page: NetworkPage) -> dict[str, str]:
    """The link of the page: the network's settings, the language, the lesson and its question, and
    the lesson's class (ui.classroom)."""
    state = st.session_state
    lang = str(state.get(LANG.link_key, LANG.default))
    lesson = str(state.get(LESSON.link_key, LESSON.default))
    query = network_query(page, lang, lesson, quiz=bool(state.get(QUIZ.link_key, QUIZ.default)))
    for spec in CLASSROOM:
        if lesson and state.get(spec.link_key):
            query[spec.link_key] = spec.text(state[spec.link_key])
    return query


def _lesson(page: NetworkPage) -> str | None:
    """A lesson's text and question beside the network page; returns the message that holds the
    results until the question is answered, or None to show them."""
    state = st.session_state
    name = state[LESSON.link_key]
    lesson = replace(lesson_experiment(name), lesson=name, quiz=bool(state.get(QUIZ.link_key, QUIZ.default)))
    asked = parse_network(LESSONS[name].query())
    changed = asked is None or replace(asked[0], axis=page.axis) != page
    return lesson_text(lesson, changed=changed)


# The tuning grids and the comparisons made on this server, shared by every visitor (a
# comparison holds a few hundred KB of curves; a grid, less).
TUNINGS = work.Shared(8)
COMPARISONS = work.Shared(16)
ASKED = "_network_asked"  # the comparison this visitor asked for with the button


def _ask(request: study.Comparison) -> None:
    st.session_state[ASKED] = request


def comparison(page: NetworkPage) -> study.Result | None:
    """The page's comparison, admitted by its price (None, with one line saying why, when it
    costs more than the allowance), computed with a progress bar or taken from the cache."""
    say = words()
    request = study.Comparison(
        page.data, page.model, page.width or None, page.epochs, page.batch, page.seeds, mode=page.mode
    )
    price = study.price(request)
    if price.total > budget.COMPARISON_SECONDS:
        st.info(
            say(
                "network_page.refused",
                seconds=work.seconds_text(price.total),
                budget=work.seconds_text(budget.COMPARISON_SECONDS),
            )
        )
        return None
    made = COMPARISONS.has(request)
    if not made and price.total > budget.SECONDS and st.session_state.get(ASKED) != request:
        # Work of many seconds starts with a click, never with a link alone: a class opening
        # one link costs the server nothing until someone asks, and then one computation.
        st.info(say("network_page.heavy", seconds=work.seconds_text(price.total)))
        st.button(
            say("network_page.train"), key="network_train", type="primary", on_click=callback(_ask), args=(request,)
        )
        return None
    bar = st.empty()

    def progress(key: str, offset: float, share: float) -> study.Progress:
        return lambda fraction: bar.progress(min(1.0, offset + share * fraction), text=say(key))

    grid_share = price.grid / price.total
    tuning = None
    with budget.watched(budget.COMPARISON_STOP_AFTER, cancelled=work.visitor_gone, apart=True):
        if request.mode == "tuned":
            show = progress("network.tuning", 0.0, grid_share)

            def tune() -> study.Tuning:
                with work.turn(price.grid):
                    return study.tune(request.grid, show)

            tuning = TUNINGS.get(request.grid, tune)
        show = progress("network.working", grid_share, 1 - grid_share)

        def run() -> study.Result:
            with work.turn(price.comparison):
                return study.compare(request, tuning, show)

        result = COMPARISONS.get(request, run)
    bar.empty()
    return result


def _switch(spec: Spec) -> str:
    """A choice of how the results are drawn (the curves' axis, the landscape's plane), beside
    them: a setting in the link."""
    say = words()
    key = network_key(spec.name)
    st.segmented_control(
        say(f"setting.{spec.name}.title"),
        spec.choices,
        required=True,
        format_func=lambda value: say(f"setting.{spec.name}.choice.{value}"),
        help=say(f"setting.{spec.name}.help"),
        **mirror(key, spec.default, spec.choices),
    )
    return str(st.session_state[key])


def _results(result: study.Result) -> None:
    """The curves, the verdict with its 2-D lessons, the final table, and how the rates were set."""
    say = words()
    lang = str(st.session_state.get(LANG.link_key, LANG.default))
    axis = _switch(AXIS)
    figure(network_figures.curves_figure(result, axis=axis, lang=lang), key="network_curves")
    st.caption(say("network.band", seeds=result.request.seeds))
    st.subheader(say("network_page.verdict"))
    for text, lesson in network_figures.verdict_lines(result, result.verdict(), lang):
        if lesson:
            title = say("network_page.open_lesson", lesson=say(f"lesson.{lesson}.title"))
            st.markdown(f"{text} [{title}](?lesson={lesson}&lang={lang})")
        else:
            st.markdown(text)
    figure(network_figures.finals_figure(result, lang=lang), key="network_finals")
    columns = network_figures.table(result, lang)
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(columns, hide_index=True, column_config={say("network.column_accuracy"): percent})
    with st.expander(say("network_page.rates")):
        if result.tuning is not None:
            figure(network_figures.grid_figure(result.tuning, lang), key="network_grid")
            st.caption(say("network.grid_caption", points=study.GRID_POINTS, epochs=result.request.epochs))
        for line in network_figures.rates_notes(result, lang):
            st.caption(line)


def network_page(page: NetworkPage) -> None:
    """The main area of the network page: what is trained, then the comparison (after a lesson's
    question is answered)."""
    say = words()
    net = study.Comparison(page.data, page.model, page.width or None).network()
    hold = None
    if st.session_state.get(LESSON.link_key):
        text, body = st.columns([2, 3], gap="large")
        with text:
            hold = _lesson(page)
    else:
        body = st.container()
    with body:
        st.subheader(say("surface.network.title"))
        st.caption(
            say(
                "network_page.model",
                model=net.torch,
                weights=f"{net.dim:,}",
                train=f"{net.data_rows:,}",
                valid=len(net.validation[1]),
                test=len(net.data[3]),
            )
        )
        if hold is not None:
            st.info(hold)
            return
        result = comparison(page)
        if result is not None:
            _results(result)
            _landscape(page, result)


# The landscapes made on this server (a slice and the runs' projections: a few hundred KB each).
LANDSCAPES = work.Shared(16)


def _landscape(page: NetworkPage, result: study.Result) -> None:
    """The landscape around a run's end, in the race player: the training loss over a plane of
    the weights, every optimizer's path (seed 0, its weights after every epoch) projected onto it,
    and how far off the plane each point lies. Admitted by its measured cost."""
    say = words()
    lang = str(st.session_state.get(LANG.link_key, LANG.default))
    request = result.request
    st.subheader(say("network_page.landscape"))
    names = [network_figures.name(c, lang) for c in request.optimizers]
    best = result.verdict().best
    choices = list(range(len(names) + 1))
    key = network_key(CENTRE.name)
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    with left:
        plane = _switch(PLANE)
    with right:
        st.selectbox(
            say(f"setting.{CENTRE.name}.title"),
            choices,
            format_func=lambda i: say("network_page.centre_best", name=names[best or 0]) if i == 0 else names[i - 1],
            help=say(f"setting.{CENTRE.name}.help"),
            **mirror(key, CENTRE.default, choices),
        )
    index = int(st.session_state[key]) - 1 if st.session_state[key] else (best or 0)
    runs = [c.run for c in result.curves]
    if any(run is None for run in runs):
        return
    width = request.width
    seconds = budget.network_landscape_seconds(request.data, request.model, width)
    if not work.admit("landscape", seconds):
        work.say_refused("landscape", seconds, say("network_page.landscape"))
        return
    chosen, others = runs[index], [run for i, run in enumerate(runs) if i != index]

    def make() -> study_landscape.Landscape:
        with work.turn(seconds), work.watched():
            return study_landscape.landscape(request.network(), chosen, others, plane=plane)

    with st.spinner(say("network_page.slicing")):
        found = LANDSCAPES.get((request, index, plane), make)
    order = [index, *(i for i in range(len(runs)) if i != index)]
    labels, slots = [names[i] for i in order], order
    data = landscape_figure.player_data(found, [runs[i] for i in order], labels, slots, lang=lang)
    player({**data, "plotly_url": PLOTLY_URL}, "landscape")
    figure(landscape_figure.distance_figure(found, labels, slots, lang), key="landscape_distance", playhead=True)
    for line in landscape_figure.caption(found, lang):
        st.caption(line)
