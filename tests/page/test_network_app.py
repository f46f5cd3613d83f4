"""The network page as a visitor meets it (Streamlit's AppTest): from a link or the surface
picker, its settings in the sidebar and the link, the comparison's curves, verdict and table,
its refusals, and its lesson, which asks first. Small networks (iris, few epochs) keep it quick."""

import pytest

from optviz.core import budget
from optviz.settings.network import NetworkPage
from optviz.text import Words
from tests.page.test_app import start, unescaped, views

IRIS = "network:data=iris,model=mlp,epochs=2,mode=defaults"


def _figures(at):
    return [data for data in views(at) if data["kind"] != "preload"]


def _text(at):
    parts = []
    for kind in ("markdown", "caption", "subheader", "info", "warning", "success", "error"):
        parts += [unescaped(element.value) for element in at.get(kind)]
    return "\n".join(parts)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_link_opens_the_comparison_with_its_curves_verdict_and_table(lang):
    say = Words(lang)
    at = start({"surface": IRIS, "lang": lang})
    assert not at.exception
    assert not at.error
    assert dict(at.query_params) == {"v": "2", "surface": IRIS, **({"lang": lang} if lang != "en" else {})}
    assert say("surface.network.title") in [h.value for h in at.subheader]
    # The curves, the seeds' final values (at torch's defaults, no grid), and the landscape: the
    # race player over the plane, and each point's distance off it.
    assert [data["kind"] for data in _figures(at)] == ["figure", "figure", "race", "figure"]
    landscape = next(data for data in _figures(at) if data["kind"] == "race")
    assert len(landscape["runs"]) == 8
    marked = say("landscape.projected", label="\0").split("\0")  # every path is labelled a projection
    assert all(run["label"].startswith(marked[0]) and run["label"].endswith(marked[1]) for run in landscape["runs"])
    assert len(at.dataframe) == 1
    table = at.dataframe[0].value
    assert table.columns[0] == say("network.optimizer")
    assert len(table) == 8  # the tutorial's eight optimizers
    text = _text(at)
    assert say("network_page.verdict") in text
    assert "Sequential(Linear(4, 8), ReLU(), Linear(8, 3))" in text
    assert say("setting.data.title") in [w.label for w in at.radio]


def test_the_sidebar_changes_the_network_and_the_link_follows():
    at = start({"surface": IRIS})
    at.number_input(key="network_epochs").set_value(3).run()
    assert not at.exception
    assert at.query_params["surface"] == IRIS.replace("epochs=2", "epochs=3")
    at.radio(key="network_mode__widget_en").set_value("tuned").run()
    assert at.query_params["surface"] == "network:data=iris,model=mlp,epochs=3"
    assert [data["kind"] for data in _figures(at)].count("figure") == 4  # and the grid the rates were tuned on


def test_iris_offers_the_mlp_only_and_a_cnn_link_says_so():
    at = start({"surface": "network:data=iris,model=cnn,epochs=2,mode=defaults"})
    assert not at.exception
    assert "The CNN takes images and iris has none: using the MLP." in _text(at)
    assert at.query_params["surface"] == IRIS
    assert at.radio(key="network_model__widget_en").options == ["MLP"]


def test_the_surface_picker_goes_to_the_network_page_and_back():
    at = start()
    at.selectbox(key="surface__widget_en").set_value("network").run()
    assert not at.exception
    assert at.query_params["surface"] == NetworkPage().text()
    # The CNN's trainings take many seconds: they wait for a click (a link alone starts none).
    assert "they start when you ask" in _text(at)
    assert not at.dataframe
    assert not at.button(key="network_train").disabled
    at = start({"surface": IRIS})
    at.selectbox(key="surface__widget_en").set_value("valley").run()
    assert not at.exception
    assert at.query_params["surface"] == "valley"
    assert [data["kind"] for data in views(at)].count("race") == 1


def test_bad_settings_each_get_one_message_and_the_page_still_draws():
    at = start({"surface": "network:data=iris,model=mlp,epochs=0,seeds=99,colour=red,mode=defaults"})
    assert not at.exception
    text = _text(at)
    assert "epochs=0 in surface network is outside [1, 30]; using 1." in text
    assert "seeds=99 in surface network is outside [3, 10]; using 10." in text
    assert "colour" in text
    assert len(at.dataframe) == 1


def test_a_comparison_over_the_allowance_is_refused_with_its_price():
    at = start({"surface": "network:data=digits,model=cnn,width=64,epochs=30,seeds=10"})
    assert not at.exception
    refusals = [i.value for i in at.info if "more than one page may" in i.value]
    assert len(refusals) == 1
    assert f"({budget.COMPARISON_SECONDS:g} s)" in refusals[0]
    assert not at.dataframe
    assert not _figures(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_lesson_asks_first_and_shows_nothing_of_the_outcome(lang):
    say = Words(lang)
    at = start({"lesson": "network_test", "lang": lang})
    assert not at.exception
    assert dict(at.query_params) == {"v": "2", "lesson": "network_test", **({"lang": lang} if lang != "en" else {})}
    text = _text(at)
    assert say("lesson.network_test.question") in text
    assert say("lesson.hold") in text
    assert say("lesson.network_test.explanation") not in text
    assert say("surface.network.description") not in text  # the sidebar's text would tell
    assert not _figures(at)
    assert not at.dataframe
    assert at.button(key="lesson_check").disabled


def test_the_lesson_answered_on_a_smaller_network_shows_the_comparison_and_why():
    say = Words("en")
    at = start({"lesson": "network_test", "surface": IRIS})
    assert say("lesson.changed") in _text(at)  # not the lesson's own network: it says so
    at.radio(key="lesson_choice_network_test__widget_en").set_value(2).run()
    at.button(key="lesson_check").click().run()
    assert not at.exception
    assert say("lesson.right") in at.success[0].value
    text = _text(at)
    assert say("lesson.network_test.explanation") in text
    assert len(at.dataframe) == 1
    assert at.query_params["lesson"] == "network_test"
    assert at.query_params["surface"] == IRIS


def test_the_landscape_is_centred_on_the_run_asked_for_and_its_plane_is_in_the_link():
    at = start({"surface": IRIS})
    names = [run["label"] for run in next(d for d in _figures(at) if d["kind"] == "race")["runs"]]
    at.selectbox(key="network_centre__widget_en").set_value(7).run()  # Adam, the seventh
    assert not at.exception
    assert at.query_params["surface"] == IRIS + ",centre=7"
    runs = next(d for d in _figures(at) if d["kind"] == "race")["runs"]
    assert "Adam" in runs[0]["label"]  # the chosen run first: its end is the plane's centre
    assert sorted(r["label"] for r in runs) == sorted(names)
    at.segmented_control(key="network_plane__widget_en").set_value("filter").run()
    assert not at.exception
    assert at.query_params["surface"] == IRIS + ",plane=filter,centre=7"
    at = start({"surface": IRIS + ",centre=10"})  # no tenth optimizer: the eighth, and a message
    assert not at.exception
    assert at.query_params["surface"] == IRIS + ",centre=8"
    assert "centre=10 in surface network is outside [0, 8]; using 8." in _text(at)


def test_the_language_switch_keeps_the_network_and_back_returns_to_it():
    at = start({"surface": IRIS})
    at.number_input(key="network_epochs").set_value(3).run()
    at.segmented_control(key="lang__widget_en").set_value("zh").run()
    assert not at.exception
    assert at.query_params["lang"] == "zh"
    assert at.query_params["surface"] == IRIS.replace("epochs=2", "epochs=3")
    assert Words("zh")("surface.network.title") in [h.value for h in at.subheader]
    # Back to the link before the switch: the page follows the address bar.
    at.query_params.clear()
    at.query_params["v"], at.query_params["surface"] = "2", IRIS
    at.run()
    assert not at.exception
    assert at.session_state["network_epochs"] == 2
