"""The forces while the race plays, with AppTest: the switch in the link, every run's vectors sent
with the race, and a budget that can refuse them, saying why."""

import base64

import numpy as np

from optviz.core import budget
from optviz.teach import inspector
from tests.page.test_app import race, start
from tests.page.test_inspector_app import recorded

LINK = {
    "v": "2",
    "surface": "valley:kappa=10,angle=30",
    "steps": "40",
    "run": ["sgd:lr=0.05,momentum=0.9", "adam:lr=0.1"],
}


def decoded(run, key):
    return np.frombuffer(base64.b64decode(run["inspect"][key]), dtype="<f4")


def test_the_switch_sends_every_runs_vectors_with_the_race():
    at = start({**LINK, "forces": "1"})
    assert not at.exception
    data = race(at)
    assert data["forces"]["asked"]
    assert data["forces"]["shown"]
    assert data["inspect"] is None  # the inspector's view is not open: only the forces
    assert data["forces"]["text"]["gradient"].startswith("−g")
    _, trajectories = recorded(LINK["run"])
    momentum, adam = data["runs"]
    assert set(momentum["inspect"]) == {"gx", "gy", "vx", "vy"}  # no squares for SGD
    assert set(adam["inspect"]) == {"gx", "gy", "vx", "vy", "ex", "ey"}
    effective = inspector.vectors(trajectories[1]).effective / 0.1
    np.testing.assert_allclose(decoded(adam, "ex")[1:], effective[1:, 0], rtol=1e-6)
    np.testing.assert_allclose(
        decoded(momentum, "gy")[1:], inspector.vectors(trajectories[0]).gradient[1:, 1], rtol=1e-6
    )
    assert at.query_params["forces"] == "true"  # the link keeps the switch


def test_off_by_default_the_race_carries_no_vectors():
    data = race(start(LINK))
    assert data["forces"] == {"asked": False, "shown": False, "text": data["forces"]["text"]}
    assert all("inspect" not in run for run in data["runs"])


def test_forces_that_cost_too_much_are_off_and_say_why_once(monkeypatch):
    # A race step of 0.3 ms: the race's 2 x 3,000 steps take 1.8 s, their records 1.3 times that.
    monkeypatch.setitem(budget.COSTS["scalar"]["catalog"], "valley", [3e-4, 0.0])
    monkeypatch.setitem(budget.COSTS["state"], "factor", 1.3)
    at = start({**LINK, "steps": "3000", "forces": "1"})
    assert not at.exception
    said = [info.value for info in at.info if "Drawing the forces is off here" in info.value]
    assert len(said) == 1, [info.value for info in at.info]
    data = race(at)
    assert data["forces"]["asked"]
    assert not data["forces"]["shown"]
    assert all("inspect" not in run for run in data["runs"])
