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
from optviz.draw import network_figures
from optviz.settings import LANG, LESSON, QUIZ, lesson_experiment, network_query, parse_network
from optviz.settings.lessons import LESSONS
from optviz.settings.network import AXIS, MODEL, SPECS, NetworkPage
from optviz.study import network as study
from ui import work
from ui.component import figure
from ui.controls import lesson_picker, setting_widget, surface_picker
from ui.guard import callback
from ui.lesson import lesson_text
from ui.state import lesson_held, mirror, network_key
from ui.text import words

# The sidebar shows every setting but the curves' axis, which has its switch above the curves.
SIDEBAR = tuple(spec for spec in SPECS if spec is not AXIS)


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
    values[AXIS.name] = state.setdefault(network_key(AXIS.name), AXIS.default)
    return NetworkPage.make(**values)


def network_link(page: NetworkPage) -> dict[str, str]:
    """The link of the page: the network's settings, the language, the lesson and its question."""
    state = st.session_state
    lang = str(state.get(LANG.link_key, LANG.default))
    lesson = str(state.get(LESSON.link_key, LESSON.default))
    return network_query(page, lang, lesson, quiz=bool(state.get(QUIZ.link_key, QUIZ.default)))


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
    with budget.watched(budget.COMPARISON_STOP_AFTER, cancelled=work.visitor_gone):
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


def _axis_switch() -> str:
    """Per epoch or per gradient evaluation: the curves' x axis (a setting in the link)."""
    say = words()
    key = network_key(AXIS.name)
    st.segmented_control(
        say(f"setting.{AXIS.name}.title"),
        AXIS.choices,
        required=True,
        format_func=lambda value: say(f"setting.{AXIS.name}.choice.{value}"),
        help=say(f"setting.{AXIS.name}.help"),
        **mirror(key, AXIS.default, AXIS.choices),
    )
    return str(st.session_state[key])


def _results(result: study.Result) -> None:
    """The curves, the verdict with its 2-D lessons, the final table, and how the rates were set."""
    say = words()
    lang = str(st.session_state.get(LANG.link_key, LANG.default))
    axis = _axis_switch()
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
    st.dataframe(network_figures.table(result, lang), hide_index=True)
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
                train=net.data_rows,
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
