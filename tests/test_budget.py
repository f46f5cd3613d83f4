"""One budget for every piece of work a link or a click can start (optviz.core.budget, ui.work).

The admissions are tested with the measured table and with costs set by the test (so that
each branch, reduced or refused, is reached whatever machine measured the table); nothing
here times anything: the budget decides by its estimates, never by the clock.
"""

import threading
import time

import numpy as np
import pytest

import optviz
import surfaces
import ui.views
from optviz import OPTIMIZERS
from optviz.core import budget
from optviz.core.budget import Budget, Busy, Stopped
from optviz.text import Words
from tests.test_app import race, start, views

SAY = Words("en")


def test_the_table_prices_every_surface_and_every_cost_the_budget_reads():
    for mode in budget.MODES:
        for name in surfaces.names():
            surf = surfaces.get(name)
            kind = None if name == "formula" else "data" if surf.data_rows is not None else "catalog"
            if kind is not None:
                assert name in budget.COSTS[mode][kind], (mode, name)
            assert budget.step_seconds(surf, mode) > 0
        for kind in ("catalog", "data"):
            for entry in budget.COSTS[mode][kind].values():
                assert min(entry) >= 0
                assert len(entry) == (4 if mode == "array" else 2)
                if mode == "array":
                    assert entry[2] > 0  # every trajectory of a batch adds to a step's cost
    for section, name in (("state", "factor"), ("plan", "factor"), ("drape", "point")):
        assert budget.cost(section, name) > 0
    for optimizer in OPTIMIZERS:
        assert optimizer in budget.COSTS["per_row"]
        assert budget.per_row(optimizer) >= 1
    assert budget.build_seconds(surfaces.get("formula")) > 0
    for name in ("tips", "iris"):
        assert name in budget.COSTS["build"]["data"]
    assert budget.cost("gif", "frame") > 0
    assert budget.cost("text", "point") > 0


def test_a_formula_and_a_data_set_are_priced_by_their_size():
    small, large = (surfaces.get("formula", f=f) for f in ("x**2 + y**2", "sin(3*x)*cos(3*y)*exp(-x*y) + tanh(x - y)"))
    assert large.operations > small.operations
    assert budget.step_seconds(large, "scalar") > budget.step_seconds(small, "scalar")
    iris = surfaces.get("iris")
    assert budget.step_seconds(iris, "array", batch=1, width=50) < budget.step_seconds(iris, "array", width=50)


def test_most_is_the_largest_amount_that_fits_and_takes_it():
    left = Budget(10.0)
    assert left.most(100, lambda n: n * 0.3) == 33
    assert left.left == pytest.approx(0.1)
    assert left.most(100, lambda n: n * 0.3) == 0  # not even one
    assert left.left == pytest.approx(0.1)  # nothing taken
    squares = Budget(10.0)
    assert squares.most(50, lambda n: n * n * 0.01, least=10) == 31
    assert Budget(10.0).most(50, lambda n: n * n * 0.01, least=40) == 0
    assert Budget(10.0).admit(4.0)
    assert not Budget(3.0).admit(4.0)


def test_the_engines_cap_is_the_budgets_and_counts_coordinates():
    most = budget.MAX_POINTS // 1001  # starts of 1,000 steps within the cap
    budget.check_work(1000, most)
    with pytest.raises(ValueError, match=r"Too much work: 1000 steps x \d+ starts exceeds 50,000,000 points$"):
        budget.check_work(1000, most + 1)
    with pytest.raises(ValueError, match="Too much work"):
        budget.check_work(1000, most, dim=4)  # twice the memory a point
    budget.check_work(1000, most // 2, dim=4)
    with pytest.raises(ValueError, match="with record='state'"):
        budget.check_work(1000, budget.MAX_RECORDED_POINTS // 1001 + 1, record="state")


def test_checkpoint_stops_long_work_and_work_whose_visitor_left():
    starts = np.tile((-1.5, 2.0), (2000, 1))
    with budget.watched(0.0), pytest.raises(Stopped) as stopped:
        optviz.run("adam", "rosenbrock", start=starts, steps=2000, record="final")
    assert stopped.value.reason == "time"
    with budget.watched(100.0, cancelled=lambda: True), pytest.raises(Stopped) as stopped:
        optviz.run("sgd", "valley", steps=5000)
    assert stopped.value.reason == "gone"
    optviz.run("sgd", "valley", steps=5000)  # outside a watch: never stopped
    with budget.watched(100.0):
        optviz.run("sgd", "valley", steps=5000)  # inside one, within its seconds


def test_heavy_work_takes_turns_and_waits_no_longer_than_its_limit(monkeypatch):
    monkeypatch.setattr(budget, "WAIT", 0.5)
    held = threading.Event()
    release = threading.Event()

    def busy():
        with budget.turn(budget.HEAVY * 2):
            held.set()
            release.wait(10)

    workers = [threading.Thread(target=busy) for _ in range(budget.AT_ONCE)]
    for worker in workers:
        worker.start()
    held.wait(10)
    time.sleep(0.1)
    try:
        with budget.turn(budget.HEAVY / 2):  # light work goes at once
            pass
        with pytest.raises(Busy), budget.turn(budget.HEAVY * 2):
            pass
        with pytest.raises(Stopped), budget.turn(budget.HEAVY * 2, cancelled=lambda: True):
            pass
    finally:
        release.set()
        for worker in workers:
            worker.join(10)
    with budget.turn(budget.HEAVY * 2):  # a turn is free again
        pass


# ------------------------------------------------------------------------------ on the page

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
