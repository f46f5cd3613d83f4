"""A typed formula on the page: a surface like any other, and refused text never breaks the page."""

import pytest

from optviz.settings import Experiment, parse, to_query
from tests.page.test_app import race, start, views

HIMMELBLAU = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"


def test_a_formula_link_opens_its_surface_and_round_trips():
    params = {"f": HIMMELBLAU, "x0": -5.0, "x1": 5.0, "y0": -5.0, "y1": 5.0}
    experiment = Experiment.make("formula", surface_params=params)
    assert len(experiment.build_surface().minima) == 4  # Himmelblau's four, found by Newton's method
    query = to_query(experiment)
    assert parse(query) == (experiment, [])
    at = start(query)
    assert not at.exception
    assert not at.warning
    assert race(at)["scene"]["minima"]


@pytest.mark.parametrize(
    "text", ["__import__('os').system('ls')", "x.__class__", "9**9**9", "(" * 300 + "x" + ")" * 300]
)
def test_a_refused_formula_in_a_link_shows_why_and_the_default_page(text):
    experiment, problems = parse({"v": "2", "surface": f"formula:f={text}"})
    assert experiment.surface == "rosenbrock"
    assert "bad_surface" in [p.code for p in problems]  # (and a text over 500 characters is cut first)
    at = start({"v": "2", "surface": f"formula:f={text}"})
    assert not at.exception
    assert "Invalid formula" in at.warning[0].value.replace("&#58;", ":").replace("\u2060", "")


def test_typing_a_refused_formula_keeps_the_last_surface_and_says_why():
    at = start({"v": "2", "surface": "formula"})
    box = at.text_area(key="surface_formula_f")
    box.set_value("x**2 + 3*y**2").run()
    assert "formula:f=x" in at.query_params["surface"]
    box = at.text_area(key="surface_formula_f")
    box.set_value("x**2 + open('/etc/passwd')").run()
    assert not at.exception
    assert any("open" in w.value for w in at.warning)  # the reason, shown as text
    assert "formula:f=x" in at.query_params["surface"]  # the page stays on the last surface it drew
    assert "open" not in at.query_params["surface"]


def test_the_views_work_on_a_formula():
    for view in ("sweep", "map", "basins", "3d", "results", "rules", "inspect"):
        at = start({"v": "2", "surface": "formula", "view": view, "basin_n": "20", "map_n": "10"})
        assert not at.exception, view
        assert not at.error, view
        assert [v["kind"] for v in views(at)].count("race") == 1


def test_a_refused_formula_is_explained_in_the_readers_language():
    at = start({"v": "2", "surface": "formula:f=2(x+1)", "lang": "zh"})
    assert not at.exception
    shown = at.warning[0].value.replace("&#42;", "*").replace("&#40;", "(").replace("&#41;", ")")
    assert "公式无效" in shown
    assert "乘法要写" in shown


def test_a_link_cannot_ask_the_views_for_hours_of_work():
    # A typed formula's steps cost more: a basin map asked for 200 cells a side over 1,000 steps
    # is drawn coarser, and says so; a sweep that would ask too much is not run, and says why.
    at = start({"v": "2", "surface": "formula", "view": "basins", "basin_n": "200", "steps": "1000"})
    assert not at.exception
    assert any("instead of 200 × 200" in i.value for i in at.info)
    at = start({"v": "2", "surface": "formula", "view": "sweep", "sweep_n": "200", "steps": "5000", "noise": "1"})
    assert not at.exception
    assert any("Learning-rate sweep is off here" in i.value for i in at.info)  # 35 s by the estimate
