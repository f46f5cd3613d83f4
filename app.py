"""optviz: watch optimizers race over a 2-D loss surface.   Run with: python3 -m streamlit run app.py"""

import streamlit as st

import ui
from optviz.draw import figures
from optviz.settings import public_query, query_string, to_query

st.set_page_config(page_title="optviz", page_icon="📉", layout="wide")


def page() -> None:
    ui.preload()  # plotly.js starts loading while the page is made
    # After a failure the widgets go back to the last view drawn. The link seeds them once, and
    # again after Back or Forward; a click on the race moves the start; the widgets build the
    # experiment; the experiment writes the link.
    ui.restore_last_good()
    problems = ui.queued_problems() + ui.seed_from_link() + ui.follow_link() + ui.follow_class()
    if ui.on_network():  # the tutorial's own test: a small network, a page of its own
        network(problems)
        return
    experiment = ui.experiment_controls()
    ui.write_link(to_query(experiment))
    say = ui.words()

    ui.page_style()
    if experiment.hide:  # a link for a projector: hide=all, or the parts it names
        ui.projector_page(sidebar=experiment.hidden("sidebar"))
    if not experiment.hidden("header"):
        ui.header(compact=bool(experiment.lesson))
    ui.say_failure()
    ui.show_problems(problems)
    if not experiment.runs:
        st.info(say("page.no_runs"))
        ui.remember(experiment)
        st.stop()

    surf = experiment.build_surface()
    # Every piece of work is admitted by the budget: the race first, with all its steps unless
    # they cost more than a page may (then it says where it stops); the views and the exports
    # show that race. The link keeps what was asked for.
    ui.charge_surface(surf)
    race = ui.admitted_race(experiment, surf)
    with st.spinner(say("page.running")):
        paths = ui.trajectories(race.physics(), ui.race_seconds(race, surf, race.steps))  # shared by all
    size = ui.background_size(surf, figures.BACKGROUND)
    shaded = ui.shading(race.surface, race.surface_params, size, race.contours)
    projector = bool(experiment.hide)
    if experiment.lesson:  # the lesson's text and question beside its race
        text, figure = st.columns([2, 3], gap="large")
        with text:
            hold = ui.lesson_text(experiment)
            st.latex(surf.formula)
        with figure:
            ui.race(race, surf, paths, shaded, projector=projector, hold=hold)
    else:
        with ui.race_frame(say(f"surface.{experiment.surface}.title"), surf.formula, projector=projector):
            ui.race(race, surf, paths, shaded, projector=projector)
    if not experiment.hidden("export"):
        ui.export_panel(race, surf, paths, shaded)
    if not experiment.hidden("views"):
        ui.show_view(ui.view_picker(), race, surf, paths)
    if not experiment.hidden("share"):
        st.subheader(say("page.share"))
        st.code(ui.share_url(query_string(experiment.public())), language=None)
        st.caption(say("page.share_caption"))
    ui.remember(experiment)  # drawn whole: a later failure comes back here


def network(problems: list) -> None:
    """The network page: its sidebar, its link, the comparison and the verdict."""
    page_ = ui.network_controls()
    link = ui.network_link(page_)
    ui.write_link(link)
    say = ui.words()
    ui.page_style()
    ui.header()
    ui.say_failure()
    ui.show_problems(problems)
    ui.network_page(page_)
    st.subheader(say("page.share"))
    st.code(ui.share_url(query_string(public_query(link))), language=None)
    ui.remember(page_)  # drawn whole: a later failure comes back here


ui.guarded(page)
