"""optviz: watch optimizers race over a 2-D loss surface.   Run with: python3 -m streamlit run app.py"""

import streamlit as st

import surfaces
import ui
from optviz import figures, race
from optviz.experiment import Experiment, query_string, to_query
from optviz.results import run_experiment, summarise

st.set_page_config(page_title="optviz — watch optimizers move", page_icon="📉", layout="wide")


@st.cache_data(max_entries=16, show_spinner=False)
def background(surface: str, params: tuple) -> str:
    return figures.background(surfaces.get(surface, **dict(params)))


@st.cache_data(max_entries=32, show_spinner="Running the optimizers…")
def compute(experiment: Experiment) -> dict:
    """Everything the page shows for ``experiment``: plain, cacheable data."""
    surf = experiment.build_surface()
    trajectories = run_experiment(experiment)
    return {
        "race_id": race.race_id(experiment),
        "scene": race.scene(surf, background(experiment.surface, experiment.surface_params)),
        "runs": [
            {"id": race.run_id(experiment, run), "arrays": race.run_arrays(t), "diverged_at": t.diverged_at}
            for run, t in zip(experiment.runs, trajectories, strict=True)
        ],
        "loss": figures.loss_figure(experiment, surf, trajectories),
        "surface3d": figures.surface_3d_figure(experiment, surf, trajectories),
        "rows": summarise(experiment, surf, trajectories),
    }


def page() -> None:
    # The link seeds the widgets once, and again after Back or Forward; a click on the race
    # moves the start; the widgets build the experiment; the experiment writes the link.
    problems = ui.seed_from_link() + ui.follow_link()
    experiment = ui.experiment_controls()
    query = to_query(experiment)
    ui.write_link(query)

    st.title("optviz")
    st.caption("Watch optimizers move: play the race, step through it, click the surface to start elsewhere.")
    ui.show_problems(problems)
    if not experiment.runs:
        st.info("No runs yet: add one in the sidebar.")
        st.stop()

    view = compute(experiment)
    surf = experiment.build_surface()
    st.subheader(f"{surf.title}: ${surf.formula}$")
    ui.race(experiment, view)

    loss_tab, surface_tab, table_tab, rules_tab = st.tabs(["Loss per step", "3-D view", "Results", "Update rules"])
    with loss_tab:
        ui.figure(view["loss"], key="loss")
    with surface_tab:
        ui.figure(view["surface3d"], key="surface3d")
    with table_tab:
        st.caption(f"f* = {min(m.value for m in surf.minima):.6g}; tolerance {experiment.tolerance:g} on f − f*.")
        ui.results(view["rows"])
    with rules_tab:
        ui.update_rules(experiment)

    st.subheader("Share this view")
    st.code(ui.share_url(query_string(experiment)), language=None)
    st.caption("The link restores exactly this experiment. Copy it with the button at the top right of the box.")


ui.guarded(page)
