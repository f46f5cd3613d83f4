"""Theory's learning rates beside an SGD run's learning rate on the valley, with AppTest."""

import pytest

from optviz.settings import Run
from tests.page.test_app import open_panel, start

VALLEY = {"v": "2", "surface": "valley:kappa=100", "run": "sgd:lr=0.001"}


@pytest.fixture
def page():
    at = open_panel(start(VALLEY), 0)
    assert not at.exception
    return at


def test_two_over_l_sets_the_learning_rate(page):
    at = page.button(key="r0_theory_max_stable").click().run()
    assert not at.exception
    assert at.query_params["run"] == "sgd:lr=0.02"
    assert at.session_state["runs"][0]["run"] == Run.make("sgd", lr=0.02)
    assert at.number_input(key="r0_sgd_lr").value == 0.02  # the widget shows it: re-seeded from the run


def test_the_buttons_and_their_values(page):
    labels = [page.button(key=f"r0_theory_{key}").label for key in ("max_stable", "optimal", "heavy_ball")]
    assert labels == ["2/L", "2/(m+L)", "Heavy ball"]
    shown = [c.value for c in page.sidebar.caption]
    # Three digits, the learning rate rounded down: 2/L = 0.02, 2/101 = 0.019801..., 4/121 = 0.033057...
    # and 81/121 = 0.669421...
    for numbers in ("γ = 0.02", "γ = 0.0198", "γ = 0.033  \nμ = 0.669"):
        assert numbers in shown


def test_heavy_ball_sets_both_and_keeps_the_name(page):
    page.text_input(key="r0_name").input("Mine").run()
    at = page.button(key="r0_theory_heavy_ball").click().run()
    run = at.session_state["runs"][0]["run"]
    assert run.name == "Mine"
    assert (run.values()["lr"], run.values()["momentum"]) == (0.033, 0.669)
    assert at.number_input(key="r0_sgd_momentum").value == 0.669
    # The optimal rate for plain descent takes the momentum away again.
    at = at.button(key="r0_theory_optimal").click().run()
    assert at.session_state["runs"][0]["run"] == Run.make("sgd", name="Mine", lr=0.0198)
    assert at.query_params["run"] == "sgd:lr=0.0198,name=Mine"


def test_only_for_sgd_on_a_quadratic():
    for query in (
        {**VALLEY, "run": "adam:lr=0.01"},  # not gradient descent
        {**VALLEY, "surface": "rosenbrock"},  # not a quadratic
    ):
        at = open_panel(start(query), 0)
        assert not at.exception
        assert not [b for b in at.button if "_theory_" in (b.key or "")], query
