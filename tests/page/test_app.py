"""The page, run headless with Streamlit's AppTest (no browser: see tests/browser for that)."""

import base64
import html
import json
import re

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import optviz
import surfaces
import ui.component
import ui.views
from optviz import OPTIMIZERS
from optviz.settings import VIEW, Experiment
from optviz.study.results import Summary
from optviz.text import say

TIMEOUT = 60


def start(query=None):
    at = AppTest.from_file("../../app.py", default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def open_panel(at, run_id):
    """Open run ``run_id``'s panel in the sidebar, as a click on its title does."""
    for entry in at.session_state["runs"]:
        if entry["id"] == run_id:
            entry["open"] = True
    return at.run()


def views(at):
    """The data of every optviz view on the page (the race player and the figures)."""
    return [json.loads(element.proto.json) for element in at.get("bidi_component")]


def race(at):
    """The race player's data, as the browser receives it."""
    races = [data for data in views(at) if data["kind"] == "race"]
    assert len(races) == 1, "no race on the page"
    return races[0]


def path(data, index):
    """Run ``index``'s x, y and f − f* at every step, as the player draws them (float32)."""
    arrays = data["runs"][index]["arrays"]
    return [np.frombuffer(base64.b64decode(arrays[key]), dtype="<f4") for key in ("x", "y", "gap")]


def unescaped(markdown):
    """What a reader sees of Markdown whose punctuation the page wrote as character references."""
    return html.unescape(markdown).replace("\u2060", "")


def test_default_page_shows_the_race_with_every_step():
    at = start()
    assert not at.exception
    assert not at.warning
    data = race(at)
    assert data["steps"] == 500
    assert len(data["runs"]) == 8
    for index in range(8):
        x, y, loss = path(data, index)
        assert x.shape == y.shape == loss.shape == (501,)  # a vertex at every step
    assert len({run["colour"] for run in data["runs"]}) == 8
    assert len({run["symbol"] for run in data["runs"]}) == 8
    assert at.query_params == {"v": "2"}
    assert [v["kind"] for v in views(at)] == ["preload", "race", "figure"]  # the race, and the loss per step
    assert not at.get("plotly_chart")  # one copy of plotly.js: the app's own
    assert "Share this view" in [h.value for h in at.subheader]
    assert at.code[0].value.endswith("/?v=2")
    assert len(at.latex) == 1  # the surface's formula; the update rules show when their view is picked


@pytest.mark.parametrize("name", surfaces.names())
def test_every_surface_can_be_chosen(name):
    at = start()
    at.selectbox(key="surface__widget_en").set_value(name).run()
    assert not at.exception
    scene = race(at)["scene"]
    surf = surfaces.get(name)
    assert scene["domain"] == [list(surf.domain[0]), list(surf.domain[1])]
    assert [m[:2] for m in scene["minima"]] == [[m.x, m.y] for m in surf.minima]
    if name != "rosenbrock":  # the default page's surface was already sent
        assert scene["background"].startswith("data:image/png;base64,")
    assert at.number_input(key="start_x").value == surf.default_start[0]


@pytest.mark.parametrize("name", sorted(name for name, spec in OPTIMIZERS.items() if spec.listed))
def test_every_optimizer_can_be_chosen(name):
    at = open_panel(start({"run": "sgd:lr=0.001"}), 0)
    at.selectbox(key="r0_optimizer").set_value(name).run()
    assert not at.exception
    assert at.query_params["run"].startswith(name)
    assert race(at)["runs"][0]["label"].startswith(OPTIMIZERS[name].title)


def test_muon_is_not_offered_but_a_muon_run_keeps_its_optimizer_and_can_leave_it():
    """Muon is its lesson's (on two parameters it is a normalised Nesterov step): the drop-down
    offers it only to a run that is already Muon's, which can then move to another optimizer."""
    at = open_panel(start({"run": ["sgd:lr=0.001", "muon:lr=0.05,weight_decay=0"]}), 0)
    assert "Muon" not in at.selectbox(key="r0_optimizer").options  # the optimizers' titles
    at = open_panel(at, 1)
    picker = at.selectbox(key="r1_optimizer")
    assert picker.value == "muon"
    assert "Muon" in picker.options
    assert race(at)["runs"][1]["label"] == "Muon, lr 0.05, weight_decay 0"
    picker.set_value("adam").run()
    assert not at.exception
    assert at.query_params["run"][1].startswith("adam")


def test_every_view_a_link_may_name_is_drawn_by_the_page():
    """A view is one choice of the VIEW row and one entry of ui.views.VIEWS: neither without the other."""
    assert set(ui.views.VIEWS) == set(VIEW.choices)


def test_changing_a_widget_changes_the_race_and_the_link():
    at = start()
    at.number_input(key="steps").set_value(120).run()
    assert not at.exception
    data = race(at)
    assert data["steps"] == 120
    assert path(data, 0)[0].shape == (121,)
    assert at.query_params["steps"] == "120"


def test_a_change_sends_only_what_changed():
    at = start({"run": ["sgd:lr=0.01", "adam:lr=0.05", "rmsprop"]})
    first = race(at)
    assert all("arrays" in run for run in first["runs"])
    assert "background" in first["scene"]
    open_panel(at, 1)
    assert not any("arrays" in run for run in race(at)["runs"])  # opening a panel changes no path
    at.number_input(key="r1_adam_lr").set_value(0.07).run()
    assert at.number_input(key="r1_adam_lr").value == 0.07  # the panel being edited stays open: its widgets are there
    assert at.expander[1].label.endswith("Adam&#44; lr 0&#46;07")
    second = race(at)
    assert ["arrays" in run for run in second["runs"]] == [False, True, False]
    assert [run["id"] for run in second["runs"]][::2] == [run["id"] for run in first["runs"]][::2]
    assert "background" not in second["scene"]  # the surface did not change either
    at.number_input(key="steps").set_value(200).run()
    assert all("arrays" in run for run in race(at)["runs"])  # every path changed


def test_a_link_seeds_the_page_with_exactly_that_experiment():
    at = start(
        {
            "surface": "valley:kappa=50,angle=30",
            "start": "-2,1.5",
            "steps": "200",
            "run": ["adam:lr=0.1,beta1=0.8", "sgd:lr=0.01,momentum=0.9"],
        }
    )
    assert not at.exception
    assert not at.warning
    assert at.number_input(key="steps").value == 200
    data = race(at)
    surf = surfaces.get("valley", kappa=50, angle=30)
    runs = [("adam", {"lr": 0.1, "betas": (0.8, 0.999)}), ("sgd", {"lr": 0.01, "momentum": 0.9})]
    for index, (name, hp) in enumerate(runs):
        t = optviz.run(name, surf, start=(-2.0, 1.5), steps=200, **hp)
        x, y, loss = path(data, index)
        np.testing.assert_array_equal(x, t.points[:, 0].astype(np.float32))  # every step, nothing resampled
        np.testing.assert_array_equal(y, t.points[:, 1].astype(np.float32))
        np.testing.assert_array_equal(loss, (t.losses - 0.0).astype(np.float32))  # f* = 0 on the valley
    assert at.query_params["run"] == ["adam:lr=0.1,beta1=0.8", "sgd:lr=0.01,momentum=0.9"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"surface": "banana"}, "unknown surface 'banana'"),
        ({"steps": "99999999"}, "using 5000"),
        ({"run": ["adam:lr=nan", "nope"]}, "not a number"),
        ({"start": "abc"}, "Ignored start 'abc'"),
        ({"run": ["adam"] * 30}, "kept the first 10"),
    ],
)
def test_a_bad_link_gets_one_warning_and_a_working_page(query, message):
    at = start(query)
    assert not at.exception
    assert len(at.warning) == 1
    assert message in unescaped(at.warning[0].value)
    assert race(at)["runs"]


@pytest.mark.parametrize(
    "key",
    [
        "![](http://host/pixel.png)",
        "[Sign in again](https://host/login)",
        ":red-background[**Session expired**]",
        "<img src=x onerror=alert(1)>",
        "$\\href{http://host}{x}$",
    ],
)
def test_text_from_a_link_is_shown_as_text_never_interpreted(key):
    at = start({key: "1"})
    (warning,) = at.warning
    assert f"Ignored unknown link parameter {key!r}." in unescaped(warning.value)
    # Every punctuation character of the link's text is a character reference: Markdown sees
    # no syntax in it.
    quoted = warning.value.split("parameter ", 1)[1]
    assert not re.search(r"[!\[\]()<>*:$`_/]", quoted), quoted


def test_a_link_with_a_thousand_problems_gets_a_short_warning():
    at = start({f"junk{i}": "1" for i in range(995)})
    (warning,) = at.warning
    assert len(warning.value) < 1000
    assert warning.value.count("Ignored unknown link parameter") == 5
    assert "and 990 more" in unescaped(warning.value)


def test_runs_can_be_added_duplicated_and_removed():
    at = start({"run": "adam:lr=0.05"})
    at.selectbox(key="preset__widget_en").set_value("Nesterov")
    at.button(key="add_run").click().run()
    assert at.query_params["run"] == ["adam:lr=0.05", "sgd:momentum=0.9,nesterov=true"]  # lr 0.001 is the default
    assert [entry["open"] for entry in at.session_state["runs"]] == [False, True]  # a new run's panel opens
    at.button(key="r1_duplicate").click().run()
    assert len(at.query_params["run"]) == 3
    data = race(at)
    assert [run["label"] for run in data["runs"]][1:] == [
        "SGD momentum 0.9 (Nesterov), lr 0.001",
        "SGD momentum 0.9 (Nesterov), lr 0.001 (2)",  # a duplicate is named as such
    ]
    colours = [run["colour"] for run in data["runs"]]
    open_panel(at, 0).button(key="r0_remove").click().run()
    # The others keep their colours and markers, and the link says so.
    assert at.query_params["run"] == [
        "sgd:momentum=0.9,nesterov=true,colour=2",
        "sgd:momentum=0.9,nesterov=true,colour=3",
    ]
    assert [run["colour"] for run in race(at)["runs"]] == colours[1:]
    at.button(key="add_run").click().run()  # a new run takes the lowest free colour
    assert [run["colour"] for run in race(at)["runs"]] == [*colours[1:], colours[0]]
    assert not at.exception


def test_a_run_can_be_renamed_and_its_name_is_text():
    at = start({"run": ["adam:lr=0.05", "adam:lr=0.05"]})
    assert [run["label"] for run in race(at)["runs"]] == ["Adam, lr 0.05", "Adam, lr 0.05 (2)"]
    open_panel(at, 1).text_input(key="r1_name").input("**Fast**, Adam: $x$").run()
    assert [run["label"] for run in race(at)["runs"]] == ["Adam, lr 0.05", "**Fast**, Adam: $x$"]
    assert at.query_params["run"][1] == "adam:lr=0.05,name=**Fast**%2C Adam%3A $x$"
    titles = [unescaped(e.label) for e in at.expander]
    assert titles[1].endswith("Run 2: **Fast**, Adam: $x$")
    assert "**" not in at.expander[1].label  # escaped: Markdown sees no emphasis


@pytest.mark.parametrize(
    ("clicked", "point"),
    [
        ({"x": 0.51234567, "y": -0.25, "at": 1}, (0.5123, -0.25)),  # to 1e-4 of the domain's width (4)
        ({"x": 9.0, "y": -9.0}, (2.0, -1.0)),  # inside the domain
        ({"x": float("nan"), "y": 0.0}, None),
        ({"x": "1", "y": 0.0}, None),
        ({"x": True, "y": 0.0}, None),
        ("junk", None),
        (None, None),
    ],
)
def test_a_click_on_the_race_sets_the_start_there(clicked, point):
    assert ui.component.clicked_point(clicked, [[-2.0, 2.0], [-1.0, 3.0]]) == point


def test_nesterov_without_momentum_is_explained_not_crashed():
    at = open_panel(start({"run": "sgd:lr=0.001"}), 0)
    at.checkbox(key="r0_sgd_nesterov").check().run()
    assert not at.exception
    assert "Nesterov momentum requires a momentum" in unescaped(at.warning[0].value)
    assert at.query_params["run"] == "sgd"  # the link holds what runs: no Nesterov without momentum


# ------------------------------------------------------------------- no traceback, ever


def page_texts(at):
    """Every element's content on the page, sidebar included, as text."""
    texts = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            texts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return texts


@pytest.mark.parametrize(
    "where",
    [
        "ui.experiment_controls",  # while the sidebar is drawn
        "optviz.study.results.run_experiment",  # inside the cached computation
        "ui.share_url",  # after the chart, the tabs and the table are on the page
    ],
)
def test_an_unexpected_error_shows_a_short_message_and_no_traceback(where, monkeypatch, caplog):
    module, name = where.rsplit(".", 1)

    def fault(*args, **kwargs):
        msg = f"injected fault in {__file__}"
        raise RuntimeError(msg)

    monkeypatch.setattr(f"{module}.{name}", fault)
    st.cache_data.clear()  # so that the computation runs
    at = start({"steps": "123"})
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith("Something went wrong while drawing this page")
    assert any('href="?v=2"' in m.value and "default page" in m.value for m in at.markdown)
    assert not at.get("bidi_component")  # what was drawn before the error is gone
    for text in page_texts(at):
        assert "Traceback" not in text
        assert ".py" not in text
        assert "injected fault" not in text
    logged = [r for r in caplog.records if r.name == "optviz.app" and r.levelname == "ERROR"]
    assert len(logged) == 1
    assert "injected fault" in str(logged[0].exc_info[1])


# ------------------------------------------------------------------------ the results table

SADDLE_WITH_A_DIVERGENCE = {
    "surface": "saddle",
    "steps": "500",
    "view": "results",
    "run": ["sgd:lr=3", "adagrad:lr=0.5", "rmsprop:lr=0.01", "adam:lr=0.05", "nadam:lr=0.05"],
}


def test_the_results_table_holds_numbers_that_sort_as_numbers():
    at = start(SADDLE_WITH_A_DIVERGENCE)
    table = at.dataframe[0].value.set_index("run")
    numeric = ["final loss", "f − f*", "distance to it", "steps to tolerance", "first within", "diverged at step"]
    for column in numeric:
        assert pd.api.types.is_float_dtype(table[column]), column
    # the figures: 20, 208, 49, 71 steps sorted as text came out 20, 208, 49, 71
    assert table["first within"].dropna().sort_values().tolist() == [20, 49, 71, 208]
    # Adam comes within the tolerance at step 49 and stays within it from step 83
    assert table["steps to tolerance"].dropna().sort_values().tolist() == [20, 71, 83, 208]
    assert table.loc["SGD, lr 3", "diverged at step"] == 4  # f − f* 10,000 times the plot's highest
    assert np.isnan(table.loc["SGD, lr 3", "steps to tolerance"])  # never reached: missing, not text
    assert np.isnan(table.loc["Adam, lr 0.05", "diverged at step"])
    assert at.dataframe[0].proto.placeholder == "—"  # a missing value is drawn as a dash, never "None"
    # large and tiny values stay numbers, at the four significant digits the table shows
    assert table.loc["SGD, lr 3", "final loss"] == 5.062e4
    assert table.loc["Adagrad, lr 0.5", "distance to it"] == 2.369e-43


def test_the_results_table_rounds_any_magnitude_to_what_it_shows():
    (row,) = ui.views.results_table(
        [Summary("run", 4.74712345e129, 4.74712345e129, (0.0, 1.0), 2.3694e-43, None, None, 3)]
    )
    assert row["final_loss"] == 4.747e129
    assert row["distance"] == 2.369e-43
    assert np.isnan(row["steps_to_tolerance"])
    assert np.isnan(row["first_within"])


def test_the_results_table_counts_gradient_evaluations_where_a_run_makes_more_than_one_a_step():
    plain = start({"v": "2", "surface": "rosenbrock", "run": ["adam:lr=0.05"], "view": "results"})
    assert "gradient evaluations" not in plain.dataframe[0].value.columns  # its steps say it all
    at = start({"v": "2", "surface": "rosenbrock", "run": ["lbfgs:max_iter=4", "adam:lr=0.05"], "view": "results"})
    table = at.dataframe[0].value.set_index("run")
    lbfgs = optviz.run("lbfgs", "rosenbrock", steps=500, max_iter=4)
    assert table.loc["LBFGS, lr 1, max_iter 4", "gradient evaluations"] == lbfgs.grad_evals > 500
    assert table.loc["Adam, lr 0.05", "gradient evaluations"] == 500
    settled = table.loc["LBFGS, lr 1, max_iter 4", "steps to tolerance"]
    evaluations = table.loc["LBFGS, lr 1, max_iter 4", "gradient evaluations to tolerance"]
    assert evaluations == lbfgs.evaluations[int(settled)] > settled


def test_the_results_table_shows_losses_and_distances_in_scientific_notation():
    at = start(SADDLE_WITH_A_DIVERGENCE)
    columns = json.loads(at.dataframe[0].proto.columns)
    for column in ("final loss", "f − f*", "distance to it"):
        assert columns[column]["type_config"] == {"type": "number", "format": "%.3e"}
    for column in ("steps to tolerance", "first within", "diverged at step"):
        assert columns[column]["type_config"] == {"type": "number", "format": "%d"}


# ------------------------------------------------------------------------ the update rules


def test_each_distinct_update_rule_is_shown_with_its_symbols_defined():
    at = start({"view": "rules"})
    rules = at
    sgd = OPTIMIZERS["sgd"]
    expected = [
        sgd.rule({**sgd.defaults(), "lr": 0.001}),
        sgd.rule({**sgd.defaults(), "lr": 0.001, "momentum": 0.9}),
        sgd.rule({**sgd.defaults(), "lr": 0.001, "momentum": 0.9, "nesterov": True}),
    ]
    assert len(set(expected)) == 3
    shown = [latex.value for latex in rules.latex][1:]  # after the surface's formula
    assert len(shown) == 8  # three SGD rules and one each for the other five optimizers
    for rule in expected:
        assert sum(rule in value for value in shown) == 1
    text = unescaped("\n".join(m.value for m in rules.markdown))
    assert "Run 1 (SGD, lr 0.001):" in text
    assert "Run 3 (SGD momentum 0.9 (Nesterov), lr 0.001):" in text
    assert r"- $\mu$ = 0.9 — Fraction of the previous step carried into the next." in text
    assert r"- $b_t$ — The momentum buffer" in text
    assert r"- $\theta_t$ — The point" in text  # the symbols every rule shares, once
    assert text.count(r"- $g_t$ —") == 1


def test_runs_that_share_a_rule_are_listed_together_with_each_value():
    at = start({"run": ["adam:lr=0.05", "sgd:lr=0.09", "adam:lr=0.1,beta1=0.8"], "view": "rules"})
    rules = at
    assert len(rules.latex) == 1 + 2  # the surface's formula, then the two rules
    text = unescaped("\n".join(m.value for m in rules.markdown))
    assert "Run 1 (Adam, lr 0.05); run 3 (Adam, lr 0.1, betas 0.8/0.999):" in text
    assert "Run 2 (SGD, lr 0.09):" in text
    assert r"- $\gamma$ = 0.05 (run 1), 0.1 (run 3) — Learning rate" in text
    assert r"- $\beta_1$ = 0.9 (run 1), 0.8 (run 3) — " in text
    assert r"- $\beta_2$ = 0.999 — " in text


# ------------------------------------------------------------------------ Back and Forward


def test_the_page_follows_the_address_bar_back_and_forward():
    at = start()
    assert race(at)["steps"] == 500
    at.number_input(key="steps").set_value(150).run()
    assert at.query_params == {"v": "2", "steps": "150"}
    at.query_params.clear()
    at.query_params["v"] = "1"  # Back: Streamlit reruns the script with the earlier query
    at.run()
    assert not at.exception
    assert at.number_input(key="steps").value == 500
    assert at.query_params == {"v": "2"}  # the page did not write the later link back
    assert race(at)["steps"] == 500
    at.query_params["steps"] = "150"  # Forward
    at.run()
    assert at.number_input(key="steps").value == 150
    assert race(at)["steps"] == 150
    assert not at.warning


def test_choosing_a_surface_opens_its_own_default_page():
    at = start({"tol": "0.01", "speed": "slow"})
    at.selectbox(key="surface__widget_en").set_value("himmelblau").run()
    assert not at.exception
    page = Experiment.make("himmelblau")
    data = race(at)
    assert data["steps"] == page.steps
    assert [run["label"] for run in data["runs"]] == page.labels()
    assert at.query_params == {"v": "2", "surface": "himmelblau", "tol": "0.01", "speed": "slow"}


def test_a_projector_link_hides_what_it_names_and_draws_the_race_larger():
    at = start({"surface": "saddle", "hide": "all"})
    assert not at.exception
    assert not at.title  # no header
    assert not at.code  # no share box
    assert [v["kind"] for v in views(at)] == ["preload", "race"]  # no other view, no export
    assert race(at)["projector"] is True
    assert any("section[data-testid='stSidebar']" in html.value for html in at.get("html"))
    assert at.query_params["hide"] == "all"

    at = start({"hide": "share,header"})
    assert not at.code
    assert not at.title
    assert [v["kind"] for v in views(at)] == ["preload", "race", "figure"]  # the loss view stays
    assert not any("section[data-testid='stSidebar']" in html.value for html in at.get("html"))
    assert race(at)["projector"] is True

    at = start({"hide": "sidebar,lights"})
    assert "Ignored 'lights' in hide (choose any of: all, sidebar, header, views, export, share)." in unescaped(
        at.warning[0].value
    )
    assert at.query_params["hide"] == "sidebar"


def test_convergence_by_direction_waits_for_a_lesson_s_answer():
    """The directions view shows how every run comes out: while a lesson asks its question, one
    line instead; without the lesson, the figure."""
    held = start({"v": "2", "lesson": "zigzag", "view": "directions"})
    assert not [data for data in views(held) if data["kind"] == "figure"]
    assert any(caption.value == say("lesson.held_view") for caption in held.caption)
    free = start({"v": "2", "surface": "valley:kappa=50,angle=30", "view": "directions"})
    [drawn] = [data for data in views(free) if data["kind"] == "figure"]
    assert [a["text"] for a in drawn["figure"]["layout"]["annotations"]] == ["steep: λ₁ = 50", "flat: λ₂ = 1"]


def test_the_directions_log_switch_is_in_the_link():
    """The view a link opens is the view it shows: the switch to the errors' sizes on a log axis
    is read from the link and written to it."""
    at = start({"v": "2", "surface": "valley", "view": "directions", "directions_log": "true"})
    [drawn] = [data for data in views(at) if data["kind"] == "figure"]
    assert drawn["figure"]["layout"]["yaxis"]["type"] == "log"
    at.toggle[0].set_value(False).run()
    assert "directions_log" not in at.query_params
    [drawn] = [data for data in views(at) if data["kind"] == "figure"]
    assert drawn["figure"]["layout"]["yaxis"].get("type") != "log"


def test_a_third_beta_and_a_cautious_switch_are_edited_like_any_setting():
    at = start({"run": ["ademamix:lr=0.05", "adopt:lr=0.05"]})
    open_panel(at, 0)
    assert at.number_input(key="r0_ademamix_beta3").value == 0.9999
    at.number_input(key="r0_ademamix_beta3").set_value(0.999).run()
    assert not at.exception
    assert at.query_params["run"][0] == "ademamix:lr=0.05,beta3=0.999"
    assert html.unescape(at.expander[0].label).endswith("betas 0.9/0.999/0.999")  # all three in its name
    open_panel(at, 1)
    at.checkbox(key="r1_adopt_cautious").check().run()
    assert not at.exception
    assert at.query_params["run"][1] == "adopt:lr=0.05,cautious=true"
    data = race(at)  # the default page's surface, start and steps, and the run as edited
    expected = optviz.run(
        "adopt", Experiment().surface, start=tuple(data["start"]), steps=data["steps"], lr=0.05, cautious=True
    )
    np.testing.assert_array_equal(path(data, 1)[0], expected.points[:, 0].astype(np.float32))


def test_the_inspector_draws_prodigys_estimate_over_the_steps():
    at = start({"run": ["prodigy", "adam:lr=0.05"], "view": "inspect", "steps": "120"})
    assert not at.exception
    charts = [data for data in views(at) if data["kind"] == "figure" and data.get("playhead")]
    assert len(charts) == 1  # Prodigy's d; Adam plots nothing
    line = charts[0]["figure"]["data"][0]
    recorded = optviz.run(
        "prodigy", Experiment().surface, start=tuple(race(at)["start"]), steps=120, record="state"
    ).states.d[:, 0]
    drawn = np.frombuffer(base64.b64decode(line["y"]["bdata"]), dtype=line["y"]["dtype"])
    np.testing.assert_array_equal(drawn, recorded)  # every step's d, as recorded
    assert recorded[0] == 1e-6  # d0
    assert recorded[-1] > 1e3 * recorded[0]  # from which it grows by orders of magnitude
    assert charts[0]["figure"]["layout"]["yaxis"]["type"] == "log"
    assert any("at every step" in m.value for m in at.markdown)


def test_sam_takes_another_base_in_its_panel_and_its_settings_follow():
    """SAM's settings are its own and its base's: choosing Adam as its base in the panel gives it
    Adam's betas (a drop-down names every base by its optimizer's title), keeps its rate and rho,
    and the race and the link follow."""
    at = open_panel(start({"run": "sam:lr=0.01,rho=0.1,momentum=0.9"}), 0)
    base = at.selectbox(key="r0_sam_base__widget_en")
    assert base.format_func("adam") == "Adam"
    base.set_value("adam").run()
    assert not at.exception
    assert not at.error
    assert at.query_params["run"] == "sam:lr=0.01,base=adam,rho=0.1"
    assert race(at)["runs"][0]["label"].startswith("SAM (Adam), lr 0.01")
    assert at.number_input(key="r0_sam_beta1") is not None  # Adam's settings now, no momentum
    assert not [w for w in at.slider if w.key == "r0_sam_momentum"]


def test_sam_around_a_base_with_a_second_point_and_through_bases_of_other_shapes():
    """SAM around ASGD says what its second path is in ASGD's words; the panel goes from Adam's
    two betas to AdEMAMix's three without breaking (the new base's defaults fill what it lacks)."""
    at = start({"v": "2", "run": ["sam:base=asgd,lr=0.01,t0=10"]})
    assert not at.exception
    assert not at.error
    assert race(at)["runs"][0]["companion"]["note"] == say("optimizer.asgd.companion")
    at = open_panel(start({"run": "sam:lr=0.01,rho=0.1"}), 0)
    for base in ("adam", "ademamix", "sgd"):
        at.selectbox(key="r0_sam_base__widget_en").set_value(base).run()
        assert not at.exception
        assert not at.error
        assert f"base={base}" in at.query_params["run"] or base == "sgd"
