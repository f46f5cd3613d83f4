"""optviz: watch optimizers race over a 2-D loss surface.   Run with: python3 -m streamlit run app.py"""

import streamlit as st

import surfaces
import ui
from optviz import figures
from optviz.engine import Trajectory
from optviz.experiment import Experiment, query_string, to_query
from optviz.results import run_experiment

st.set_page_config(page_title="optviz — watch optimizers move", page_icon="📉", layout="wide")


@st.cache_data(max_entries=16, show_spinner=False)
def background(surface: str, params: tuple) -> str:
    return figures.background(surfaces.get(surface, **dict(params)))


@st.cache_resource(max_entries=32, show_spinner="Running the optimizers…")
def trajectories(physics: Experiment) -> list[Trajectory]:
    """The runs' trajectories, shared by every visitor (read-only): keyed by what decides them."""
    return run_experiment(physics)


def page() -> None:
    ui.preload()  # plotly.js starts loading while the page is made
    # The link seeds the widgets once, and again after Back or Forward; a click on the race
    # moves the start; the widgets build the experiment; the experiment writes the link.
    problems = ui.seed_from_link() + ui.follow_link()
    experiment = ui.experiment_controls()
    ui.write_link(to_query(experiment))

    if experiment.hide:  # a link for a projector: hide=all, or the parts it names
        ui.projector_page(sidebar=experiment.hidden("sidebar"))
    if not experiment.hidden("header"):
        st.title("optviz")
        st.caption("Watch optimizers move: play the race, step through it, click the surface to start elsewhere.")
    ui.show_problems(problems)
    if not experiment.runs:
        st.info("No runs yet: add one in the sidebar.")
        st.stop()

    surf = experiment.build_surface()
    paths = trajectories(experiment.physics())
    st.subheader(surf.title)
    st.latex(surf.formula)  # display math scrolls sideways where a formula is long (Goldstein-Price)
    shaded = background(experiment.surface, experiment.surface_params)
    ui.race(experiment, surf, paths, shaded, scale=1.5 if experiment.hide else 1.0)
    if not experiment.hidden("export"):
        ui.export_panel(experiment, surf, paths, shaded)
    if not experiment.hidden("views"):
        ui.show_view(ui.view_picker(), experiment, surf, paths)
    if not experiment.hidden("share"):
        st.subheader("Share this view")
        st.code(ui.share_url(query_string(experiment)), language=None)
        st.caption("The link restores exactly this experiment. Copy it with the button at the top right of the box.")


ui.guarded(page)
