"""Every callback runs under the page's guard: a fault in one costs a change, never the page.

The faults are injected by replacing the function a callback calls (the page looks it up
when it draws the widget), then doing what a person does: choose, click, tick.
"""

import ast
from pathlib import Path

import pytest

import ui
import ui.controls
import ui.lesson
import ui.state
import ui.views
from optviz.text import Words
from tests.page.test_app import open_panel, race, start

ROOT = Path(__file__).resolve().parents[2]
CALLBACK_ARGUMENTS = ("on_change", "on_click")  # and any on_<event>_change of a component


def _fault(*args, **kwargs):
    msg = "injected fault for the callback guard's test"
    raise RuntimeError(msg)


def test_every_callback_of_the_page_is_made_by_the_guard():
    """Each on_change / on_click / on_<event>_change the page passes is ``callback(...)``, a
    ``mirror``/``mirrored`` widget's (which makes it with ``callback``), or Streamlit's "ignore"."""
    seen = 0
    for path in [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py"))]:
        tree = ast.parse(path.read_text())
        figure_clicks = {
            id(keyword)
            for call in ast.walk(tree)
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "figure"
            for keyword in call.keywords
            if keyword.arg == "on_click"
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.keyword) or node.arg is None:
                continue
            if not (node.arg in CALLBACK_ARGUMENTS or (node.arg.startswith("on_") and node.arg.endswith("_change"))):
                continue
            value = node.value
            seen += 1
            guarded = isinstance(value, ast.Call) and getattr(value.func, "id", None) == "callback"
            ignored = isinstance(value, ast.Constant) and value.value == "ignore"
            passed_on = id(node) in figure_clicks  # ui.component.figure makes it with callback()
            assert guarded or ignored or passed_on, f"{path.name}:{node.lineno}: {node.arg}= is not made by callback()"
    assert seen >= 15


def said(at, key):
    return any(Words("en")(f"guard.{key}", reference="")[:40] in error.value for error in at.error)


def faulty(monkeypatch, at, module, name):
    """Make ``module.name`` fail; a run registers the callbacks that call it (a callback is the
    one the widget was drawn with)."""
    monkeypatch.setattr(module, name, _fault)
    return at.run()


ACTIONS = {
    # what a person does -> the function its callback calls
    "choose a surface": (
        ui.controls,
        "_on_surface_change",
        lambda at: at.selectbox(key="surface__widget_en").set_value("saddle"),
    ),
    "choose a lesson": (
        ui.controls,
        "_on_lesson_change",
        lambda at: at.selectbox(key="lesson__widget_en").set_value("saddle"),
    ),
    "add a run": (ui.controls, "_add_preset", lambda at: at.button(key="add_run").click()),
    "choose a view": (ui.state, "_take", lambda at: at.segmented_control(key="view__widget_en").set_value("results")),
    "choose a speed": (ui.state, "_take", lambda at: at.radio(key="speed__widget_en").set_value("fast")),
    "drag the tolerance's scale": (
        ui.controls,
        "copy_state",
        lambda at: at.select_slider(key="tol__scale").set_value(0.01),
    ),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_fault_in_a_callback_keeps_the_race_and_says_so(monkeypatch, action):
    module, name, do = ACTIONS[action]
    at = start({"surface": "valley", "steps": "60"})
    before = race(at)
    link = dict(at.query_params)
    do(faulty(monkeypatch, at, module, name)).run()
    assert not at.exception
    assert said(at, "callback_failed")
    after = race(at)  # the race the page drew before the change, drawn again
    assert [run["id"] for run in after["runs"]] == [run["id"] for run in before["runs"]]
    assert dict(at.query_params) == link
    monkeypatch.undo()
    at.number_input(key="steps").set_value(80).run()  # and the page goes on working
    assert not at.exception
    assert race(at)["steps"] == 80


@pytest.mark.parametrize(
    ("name", "do"),
    [
        ("_remove_run", lambda at: at.button(key="r0_remove").click()),
        ("_seed_new_optimizer", lambda at: at.selectbox(key="r0_optimizer").set_value("adam")),
    ],
)
def test_a_fault_in_a_runs_callback_keeps_the_race(monkeypatch, name, do):
    at = open_panel(start({"surface": "valley", "run": ["sgd:lr=0.1", "adam:lr=0.1"]}), 0)
    before = [run["id"] for run in race(at)["runs"]]
    do(faulty(monkeypatch, at, ui.controls, name)).run()
    assert not at.exception
    assert said(at, "callback_failed")
    assert [run["id"] for run in race(at)["runs"]] == before


def test_a_fault_in_a_lessons_answer_keeps_the_question(monkeypatch):
    at = start({"lesson": "momentum"})
    at = faulty(monkeypatch, at, ui.lesson, "_answer")
    at.radio(key="lesson_choice_momentum__widget_en").set_value(1).run()
    at.button(key="lesson_check").click().run()
    assert not at.exception
    assert said(at, "callback_failed")
    assert race(at)["hold"] == Words("en")("lesson.hold")  # still asked, never shown


def test_a_view_that_fails_goes_back_to_the_last_view_drawn(monkeypatch):
    at = start({"surface": "valley", "steps": "60"})
    monkeypatch.setitem(ui.views.VIEWS, "results", _fault)
    at.segmented_control(key="view__widget_en").set_value("results").run()
    assert not at.exception
    assert said(at, "restored")
    assert race(at)["steps"] == 60  # the race is there
    assert "view" not in at.query_params  # the view the page drew last: the loss per step
    assert at.segmented_control(key="view__widget_en").value == "loss"


def test_a_page_that_fails_again_after_going_back_says_so_once(monkeypatch):
    """When even the last view drawn fails (the server cannot draw anything), the guard's message
    stays, with a way back to the default page, and the page does not loop."""
    at = start({"surface": "valley", "steps": "60"})
    monkeypatch.setattr(ui, "race", _fault)  # the page calls ui.race
    at.number_input(key="steps").set_value(70).run()
    assert not at.exception
    assert any(Words("en")("guard.message", reference="")[:30] in error.value for error in at.error)
    monkeypatch.undo()
    at.number_input(key="steps").set_value(90).run()
    assert not at.exception
    assert race(at)["steps"] == 90
