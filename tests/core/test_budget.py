"""One budget for every piece of work a link or a click can start (optviz.core.budget); the
page's side of it is tests/page/test_work.py.

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
from optviz import OPTIMIZERS
from optviz.core import budget
from optviz.core.budget import Budget, Busy, Stopped
from optviz.settings import Run

MEASURE = "measure this machine again: python -m benchmarks.costs --write"


def test_the_table_prices_every_surface_and_every_cost_the_budget_reads():
    for mode in budget.MODES:
        for name in surfaces.names():
            surf = surfaces.get(name)
            kind = None if name == "formula" else "data" if surf.data_rows is not None else "catalog"
            if kind is not None:
                assert name in budget.COSTS[mode][kind], f"{mode}: no cost for the surface {name}; {MEASURE}"
            assert budget.step_seconds(surf, mode) > 0
        for kind in ("catalog", "data"):
            for entry in budget.COSTS[mode][kind].values():
                assert min(entry) >= 0
                assert len(entry) == (4 if mode == "array" else 2)
                if mode == "array":
                    assert entry[2] > 0  # every trajectory of a batch adds to a step's cost
    for section, name in (("state", "factor"), ("plan", "factor"), ("drape", "point"), ("directions", "point")):
        assert budget.cost(section, name) > 0
    for optimizer in OPTIMIZERS:
        assert optimizer in budget.COSTS["per_row"], f"no cost for the optimizer {optimizer}; {MEASURE}"
        assert budget.per_row(optimizer) >= 1
        assert optimizer in budget.COSTS["rule"], f"no race step cost for the optimizer {optimizer}; {MEASURE}"
        assert min(budget.COSTS["rule"][optimizer]) >= 1
    assert budget.build_seconds(surfaces.get("formula")) > 0
    for name in (name for name in surfaces.names() if surfaces.get(name).data_rows is not None):
        assert name in budget.COSTS["build"]["data"], f"no build cost for the data surface {name}; {MEASURE}"
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
    with pytest.raises(ValueError, match="Too much work"):  # a second point a step: 1.4 points
        budget.check_work(1000, most * 5 // 7 + 1, second=True)
    budget.check_work(1000, most * 5 // 7, second=True)
    budget.check_work(1000, most, record="final", second=True)  # record="final" keeps none
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


def test_a_race_step_is_priced_by_its_rule_and_the_path_its_settings_take():
    surf = surfaces.get("valley")
    table = budget.step_seconds(surf, "scalar")
    rule = budget.COSTS["rule"]

    def priced(run: Run) -> float:
        return budget.run_step_seconds(surf, run, 0.0, "scalar")

    assert priced(Run.make("adam")) == table * rule["adam"][0]
    assert priced(Run.make("adafactor")) == table * rule["adafactor"][1]  # never on Python floats
    assert priced(Run.make("adopt", cautious=True)) == table * rule["adopt"][1]  # the mask couples x and y
    assert priced(Run.make("adopt")) == table * rule["adopt"][0]
    assert priced(Run.make("adafactor")) > 1.5 * priced(Run.make("sgd"))  # as measured: about 2.6 times


def test_a_rule_that_evaluates_again_pays_each_evaluation_at_the_surfaces_own_price():
    """LBFGS's evaluations cost what its surface's gradient costs: a dear surface's (Rastrigin's
    trigonometry) more than Rosenbrock's, and more of them (max_eval) more."""
    dear, cheap = surfaces.get("rastrigin"), surfaces.get("rosenbrock")
    run, more = Run.make("lbfgs"), Run.make("lbfgs", max_eval=100)
    ratio = budget.step_seconds(dear, "array", None, 1) / budget.step_seconds(cheap, "array", None, 1)
    assert budget.evaluation_seconds(dear, run) == pytest.approx(ratio * budget.evaluation_seconds(cheap, run))
    assert budget.evaluation_seconds(cheap, more) == pytest.approx(budget.evaluation_seconds(cheap, run) * 120 / 45)
    assert budget.evaluation_seconds(cheap, Run.make("adam")) == 0.0  # one evaluation a step: the race step's
    race = budget.run_step_seconds(dear, run, 0.0, "scalar")
    assert race > budget.step_seconds(dear, "scalar") * budget.rule_factor(run)  # its evaluations on top
    assert budget.run_step_seconds(dear, run, 0.0, "array", width=10) == pytest.approx(10 * race)  # each on its own
