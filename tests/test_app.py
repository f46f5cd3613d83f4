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
from optviz import OPTIMIZERS, figures

TIMEOUT = 60


def start(query=None):
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def race(at):
    charts = at.get("plotly_chart")
    assert charts, "no chart on the page"
    return json.loads(charts[0].proto.spec)


def trace(spec, name):
    return next(t for t in spec["data"] if t.get("name") == name)


def unescaped(markdown):
    """What a reader sees of Markdown whose punctuation the page wrote as character references."""
    return html.unescape(markdown).replace("\u2060", "")


def decode(typed):
    return np.frombuffer(base64.b64decode(typed["bdata"]), dtype=np.float32)


def test_default_page_shows_an_animated_race():
    at = start()
    assert not at.exception
    assert not at.warning
    spec = race(at)
    assert len(spec["frames"]) > 10
    assert [b["label"] for b in spec["layout"]["updatemenus"][0]["buttons"]] == ["▶ Play", "❚❚ Pause"]
    assert sum(1 for t in spec["data"] if t.get("showlegend")) == 8
    assert at.query_params == {"v": "1"}
    assert len(at.get("plotly_chart")) == 3
    assert "Share this view" in [h.value for h in at.subheader]
    assert at.code[0].value.endswith("/?v=1")
    assert len(at.latex) >= 6  # one update rule per optimizer in use


@pytest.mark.parametrize("name", surfaces.names())
def test_every_surface_can_be_chosen(name):
    at = start()
    at.selectbox(key="surface").set_value(name).run()
    assert not at.exception
    spec = race(at)
    surf = surfaces.get(name)
    assert spec["layout"]["xaxis"]["range"] == list(surf.domain[0])
    assert trace(spec, "minimum")["x"] == [m.x for m in surf.minima]
    assert at.number_input(key="start_x").value == surf.default_start[0]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_can_be_chosen(name):
    at = start({"run": "sgd:lr=0.001"})
    at.selectbox(key="r0_optimizer").set_value(name).run()
    assert not at.exception
    assert at.query_params["run"].startswith(name)
    spec = race(at)
    assert OPTIMIZERS[name].title in spec["data"][2]["name"]


def test_changing_a_widget_changes_the_chart_and_the_link():
    at = start()
    before = race(at)
    at.number_input(key="steps").set_value(120).run()
    after = race(at)
    assert not at.exception
    assert after["frames"][-1]["name"] == "120"
    assert before["frames"][-1]["name"] == "500"
    assert at.query_params["steps"] == "120"


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
    spec = race(at)
    surf = surfaces.get("valley", kappa=50, angle=30)
    drawn = figures.path_steps(200)
    for ghost, (name, hp) in zip(
        spec["data"][1:3],
        [("adam", {"lr": 0.1, "betas": (0.8, 0.999)}), ("sgd", {"lr": 0.01, "momentum": 0.9})],
        strict=True,
    ):
        t = optviz.run(name, surf, start=(-2.0, 1.5), steps=200, **hp)
        np.testing.assert_array_equal(decode(ghost["x"]), t.points[drawn, 0].astype(np.float32))
        np.testing.assert_array_equal(decode(ghost["y"]), t.points[drawn, 1].astype(np.float32))
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
    assert race(at)["frames"]


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
    at.selectbox(key="preset").set_value("Nesterov")
    at.button(key="add_run").click().run()
    assert at.query_params["run"] == ["adam:lr=0.05", "sgd:momentum=0.9,nesterov=true"]  # lr 0.001 is the default
    at.button(key="r1_duplicate").click().run()
    assert len(at.query_params["run"]) == 3
    at.button(key="r0_remove").click().run()
    assert at.query_params["run"] == ["sgd:momentum=0.9,nesterov=true"] * 2
    assert not at.exception


def test_a_click_on_the_figure_moves_the_start():
    at = start()
    at.session_state["race"] = {
        "selection": {"points": [{"x": 0.5, "y": -0.25}], "point_indices": [0], "box": [], "lasso": []}
    }
    at.run()
    assert not at.exception
    assert at.query_params["start"] == "0.5,-0.25"
    assert trace(race(at), "start")["x"] == [0.5]


def test_nesterov_without_momentum_is_explained_not_crashed():
    at = start({"run": "sgd:lr=0.001"})
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
        "optviz.results.run_experiment",  # inside the cached computation
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
    assert any('href="?v=1"' in m.value and "default page" in m.value for m in at.markdown)
    assert not at.get("plotly_chart")  # what was drawn before the error is gone
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
    "run": ["sgd:lr=3", "adagrad:lr=0.5", "rmsprop:lr=0.01", "adam:lr=0.05", "nadam:lr=0.05"],
}


def test_the_results_table_holds_numbers_that_sort_as_numbers():
    at = start(SADDLE_WITH_A_DIVERGENCE)
    table = at.dataframe[0].value.set_index("run")
    numeric = ["final loss", "f − f*", "distance to it", "steps to tolerance", "diverged at step"]
    for column in numeric:
        assert pd.api.types.is_float_dtype(table[column]), column
    # the figures: 20, 208, 49, 71 steps sorted as text came out 20, 208, 49, 71
    steps = table["steps to tolerance"].dropna().sort_values()
    assert steps.tolist() == [20, 49, 71, 208]
    assert table.loc["SGD, lr 3", "diverged at step"] == 11
    assert np.isnan(table.loc["SGD, lr 3", "steps to tolerance"])  # never reached: empty, not text
    assert np.isnan(table.loc["Adam, lr 0.05", "diverged at step"])
    # huge and tiny values stay numbers, at the four significant digits the table shows
    assert table.loc["SGD, lr 3", "final loss"] == 4.747e129
    assert table.loc["Adagrad, lr 0.5", "distance to it"] == 2.369e-43


def test_the_results_table_shows_losses_and_distances_in_scientific_notation():
    at = start(SADDLE_WITH_A_DIVERGENCE)
    columns = json.loads(at.dataframe[0].proto.columns)
    for column in ("final loss", "f − f*", "distance to it"):
        assert columns[column]["type_config"] == {"type": "number", "format": "%.3e"}
    for column in ("steps to tolerance", "diverged at step"):
        assert columns[column]["type_config"] == {"type": "number", "format": "%d"}


# ------------------------------------------------------------------------ the update rules


def test_each_distinct_update_rule_is_shown_with_its_symbols_defined():
    at = start()
    rules = at.tabs[3]
    sgd = OPTIMIZERS["sgd"]
    expected = [
        sgd.rule({**sgd.defaults(), "lr": 0.001}),
        sgd.rule({**sgd.defaults(), "lr": 0.001, "momentum": 0.9}),
        sgd.rule({**sgd.defaults(), "lr": 0.001, "momentum": 0.9, "nesterov": True}),
    ]
    assert len(set(expected)) == 3
    shown = [latex.value for latex in rules.latex]
    assert len(shown) == 8  # three SGD rules and one each for the other five optimizers
    for rule in expected:
        assert sum(rule in value for value in shown) == 1
    text = "\n".join(m.value for m in rules.markdown)
    assert "Run 1 (SGD, lr 0.001):" in text
    assert "Run 3 (SGD momentum 0.9 (Nesterov), lr 0.001):" in text
    assert r"- $\mu$ = 0.9 — Fraction of the previous step carried into the next." in text
    assert r"- $b_t$ — The momentum buffer" in text
    assert r"- $\theta_t$ — The point" in text  # the symbols every rule shares, once
    assert text.count(r"- $g_t$ —") == 1


def test_runs_that_share_a_rule_are_listed_together_with_each_value():
    at = start({"run": ["adam:lr=0.05", "sgd:lr=0.09", "adam:lr=0.1,beta1=0.8"]})
    rules = at.tabs[3]
    assert len(rules.latex) == 2
    text = "\n".join(m.value for m in rules.markdown)
    assert "Run 1 (Adam, lr 0.05); run 3 (Adam, lr 0.1, betas 0.8/0.999):" in text
    assert "Run 2 (SGD, lr 0.09):" in text
    assert r"- $\gamma$ = 0.05 (run 1), 0.1 (run 3) — Learning rate" in text
    assert r"- $\beta_1$ = 0.9 (run 1), 0.8 (run 3) — " in text
    assert r"- $\beta_2$ = 0.999 — " in text


# ------------------------------------------------------------------------ Back and Forward


def test_the_page_follows_the_address_bar_back_and_forward():
    at = start()
    default_frames = len(race(at)["frames"])
    at.number_input(key="steps").set_value(150).run()
    assert at.query_params == {"v": "1", "steps": "150"}
    at.query_params.clear()
    at.query_params["v"] = "1"  # Back: Streamlit reruns the script with the earlier query
    at.run()
    assert not at.exception
    assert at.number_input(key="steps").value == 500
    assert at.query_params == {"v": "1"}  # the page did not write the later link back
    assert len(race(at)["frames"]) == default_frames
    at.query_params["steps"] = "150"  # Forward
    at.run()
    assert at.number_input(key="steps").value == 150
    assert race(at)["frames"][-1]["name"] == "150"
    assert not at.warning
