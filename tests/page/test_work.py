"""The page's work under the one budget (ui.work over optviz.core.budget): a race stopped early,
a sweep with fewer rates, coarser maps, views and exports off, each saying why.

Costs are set by the test (so that each branch, reduced or refused, is reached whatever
machine measured the table); nothing here times anything: the budget decides by its
estimates, never by the clock.
"""

import ui.views
from optviz.core import budget
from optviz.core.budget import Stopped
from optviz.text import Words
from tests.page.test_app import race, start, views

SAY = Words("en")

TEN_RUNS = [f"adam:lr={0.01 * (i + 1):g}" for i in range(10)]


def infos(at):
    return [info.value for info in at.info]


def dearer(monkeypatch, mode, factor):
    """Every surface's cost in ``mode`` ``factor`` times what the table says (a slower machine)."""
    for kind in ("catalog", "data"):
        for name, entry in list(budget.COSTS[mode][kind].items()):
            monkeypatch.setitem(budget.COSTS[mode][kind], name, [v * factor for v in entry])


def test_a_race_that_costs_too_much_stops_early_and_says_so(monkeypatch):
    dearer(monkeypatch, "scalar", 200.0)  # a step costs about a millisecond
    at = start({"surface": "valley", "steps": "2000", "run": ["sgd:lr=0.01", "adam:lr=0.1"]})
    assert not at.exception
    said = [text for text in infos(at) if "The race stops at step" in text]
    assert len(said) == 1
    steps = race(at)["steps"]
    assert 1 <= steps < 2000
    assert f"step {steps} of 2000" in said[0]
    assert at.query_params["steps"] == "2000"  # the link keeps what was asked for
    again = start({"surface": "valley", "steps": "2000", "run": ["sgd:lr=0.01", "adam:lr=0.1"]})
    assert race(again)["steps"] == steps  # decided by the estimate alone: the same every time


def test_a_sweep_measures_fewer_rates_or_none(monkeypatch):
    link = {"surface": "valley", "steps": "400", "view": "sweep", "sweep_n": "200", "run": ["sgd:lr=0.01"]}
    at = start(link)
    assert not [text for text in infos(at) if "learning rates" in text or "is off" in text]
    # A trajectory-step of 0.1 ms: a rate costs 0.04 s, 200 of them 8 s.
    monkeypatch.setitem(budget.COSTS["array"]["catalog"], "valley", [1e-6, 0.0, 1e-4, 0.0])
    at = start(link)
    assert not at.exception
    fewer = [text for text in infos(at) if "learning rates instead of 200" in text]
    assert len(fewer) == 1
    count = int(fewer[0].split(" learning rates")[0].split()[-1])
    assert 5 <= count < 200
    assert count * 400 * 1e-4 <= budget.SECONDS  # what was measured fits in a page's budget
    monkeypatch.setitem(budget.COSTS["array"]["catalog"], "valley", [1e-6, 0.0, 1e-2, 0.0])  # 5 rates: 20 s
    at = start(link)
    assert any("Learning-rate sweep is off here" in text for text in infos(at))
    assert [data["kind"] for data in views(at)] == ["preload", "race"]


def test_maps_and_basins_are_drawn_coarser_within_the_engines_limit():
    # The link: 5,000 steps and a 100 x 100 map with ten runs once asked the engine for
    # more than it allows; the map is drawn coarser, and says so.
    at = start({"surface": "rosenbrock", "steps": "5000", "view": "map", "map_n": "100", "run": TEN_RUNS})
    assert not at.exception
    coarser = [text for text in infos(at) if "cells instead of 100 × 100" in text]
    assert len(coarser) == 1
    count = int(coarser[0].split("Drawn with ")[1].split(" ")[0])
    assert count * count * 5001 <= budget.MAX_POINTS


def test_views_that_cost_too_much_are_off_and_say_why(monkeypatch):
    # A race step of 0.3 ms: the race's 2 x 3,000 steps take 1.8 s, its records 1.3 times that.
    monkeypatch.setitem(budget.COSTS["scalar"]["catalog"], "valley", [3e-4, 0.0])
    monkeypatch.setitem(budget.COSTS["state"], "factor", 1.3)
    link = {"surface": "valley", "steps": "3000", "run": ["sgd:lr=0.01", "adam:lr=0.1"]}
    at = start({**link, "view": "inspect"})
    assert not at.exception
    assert race(at)["steps"] == 3000  # the race fits
    assert any("Step inspector is off here" in text for text in infos(at)), infos(at)
    assert race(at)["inspect"] is None  # no arrows without the records
    monkeypatch.setitem(budget.COSTS["array"]["catalog"], "valley", [1e-3, 0.0, 1e-3, 0.0])
    at = start({**link, "view": "basins"})
    assert any("Basin map is off here" in text for text in infos(at)), infos(at)
    assert [data["kind"] for data in views(at)] == ["preload", "race"]
    monkeypatch.setitem(budget.COSTS["directions"], "point", budget.SECONDS)  # a second a point
    at = start({**link, "view": "directions"})
    assert any("Convergence by direction is off here" in text for text in infos(at)), infos(at)
    assert [data["kind"] for data in views(at)] == ["preload", "race"]


def test_a_gif_has_as_many_frames_as_a_downloads_budget_affords(monkeypatch):
    link = {"surface": "valley", "steps": "300", "run": ["sgd:lr=0.01"]}
    monkeypatch.setitem(budget.COSTS["gif"], "frame", 1e-4)
    monkeypatch.setitem(budget.COSTS["gif"], "run_frame", 1e-5)
    labels = [button.label for button in start(link).get("download_button")]
    assert SAY("export.gif") in labels  # every frame
    monkeypatch.setitem(budget.COSTS["gif"], "frame", budget.SECONDS / 120 - 1e-5)  # 120 frames fit
    labels = [button.label for button in start(link).get("download_button")]
    assert SAY("budget.gif_frames", count=120) in labels
    monkeypatch.setitem(budget.COSTS["gif"], "frame", budget.SECONDS)  # not even ten
    buttons = [button for button in start(link).get("download_button") if "GIF" in button.label]
    assert buttons[0].proto.disabled


def test_a_view_past_its_budget_stops_and_the_race_stays(monkeypatch):
    calls = []

    def slow(*args):
        calls.append(1)
        raise Stopped("time", budget.STOP_AFTER)

    monkeypatch.setitem(ui.views.VIEWS, "basins", slow)
    at = start({"surface": "valley", "steps": "60", "view": "basins"})
    assert not at.exception
    assert any("Basin map took longer than its estimate" in text for text in infos(at))
    assert race(at)["steps"] == 60  # the race is drawn
    at.run()  # the same view on the same experiment is not tried again
    assert calls == [1]
    assert any("Basin map took longer than its estimate" in text for text in infos(at))
