"""The step inspector's view with AppTest: the rule, its values at the player's step, and the race's arrows."""

import base64
import html

import numpy as np

import optviz
from optviz.settings import parse
from optviz.teach import inspector
from tests.link_grammar import query_from_string
from tests.page.test_app import race, start, unescaped

QUERY = {"v": "2", "surface": "valley:kappa=10,angle=30", "steps": "40", "view": "inspect"}
RUNS = ["sgd:lr=0.05,momentum=0.9", "adam:lr=0.1"]


def recorded(runs):
    """The runs as the page computes them, with their states."""
    query = "&".join(f"{key}={value}" for key, value in QUERY.items()) + "".join(f"&run={run}" for run in runs)
    experiment, problems = parse(query_from_string(query))
    assert not problems
    return experiment, inspector.record_experiment(experiment)


def headings(at):
    return [unescaped(m.value) for m in at.markdown if m.value.startswith("####")]


def cells(at):
    """Each Markdown table row's cells, as the reader sees them."""
    rows = {}
    for m in at.markdown:
        for line in m.value.splitlines()[2:] if m.value.startswith("|") else []:
            first, *rest = [cell.strip() for cell in line.strip("|").split(" | ")]
            rows.setdefault(first, rest)
    return rows


def pair(vector):
    return f"({vector[0]:.6g}, {vector[1]:.6g})"


def test_the_view_shows_the_rule_and_the_values_at_the_players_step():
    at = start({**QUERY, "run": RUNS})
    assert not at.exception
    _, (sgd, _) = recorded(RUNS)
    # The player opens on the last step: so does the panel, for the first run.
    assert headings(at) == ["#### SGD momentum 0.9, lr 0.05 — step 40 of 40"]
    rule = optviz.OPTIMIZERS["sgd"].rule(sgd.hyperparameters)
    assert f"$$\n{rule}\n$$" in [latex.value for latex in at.latex]
    # The player rests on step 7: the panel shows step 7's numbers, six significant digits.
    at.session_state["race"] = {"step": 7}
    at.run()
    assert headings(at) == ["#### SGD momentum 0.9, lr 0.05 — step 7 of 40"]
    rows = cells(at)
    assert rows[r"Gradient $g_t = \nabla f(\theta_{t-1})$"] == [pair(sgd.grads[6])]
    assert rows["Velocity $b_t$ (momentum)"] == [pair(sgd.states.momentum_buffer[7])]
    assert rows["Adaptive scale (effective learning rate)"] == ["(0.05, 0.05)"]
    assert rows[r"Step taken $\Delta\theta_t = \theta_t - \theta_{t-1}$"] == [pair(sgd.points[7] - sgd.points[6])]
    assert rows[r"$\mu$"][0] == "0.9"
    assert rows["$b_{t-1}$"][0] == pair(sgd.states.momentum_buffer[6])
    assert rows[r"$\theta_t$"][0] == pair(sgd.points[7])


def test_another_run_and_all_runs():
    at = start({**QUERY, "run": RUNS})
    at.session_state["race"] = {"step": 2}
    at = at.selectbox(key="inspect_run__widget_en").select(1).run()
    assert not at.exception
    _, (_, adam) = recorded(RUNS)
    assert headings(at) == ["#### Adam, lr 0.1 — step 2 of 40"]
    rows = cells(at)
    assert rows["$m_t$"][0] == pair(adam.states.exp_avg[2])
    assert rows["$v_{t-1}$"][0] == pair(adam.states.exp_avg_sq[1])
    assert rows["Velocity $m_t$ (momentum)"] == [pair(adam.states.exp_avg[2])]
    assert race(at)["inspect"]["run"] == 1  # the race draws that run's arrows only
    at = at.selectbox(key="inspect_run__widget_en").select("all").run()
    assert len(headings(at)) == 2
    assert race(at)["inspect"]["run"] is None


def test_step_zero_says_there_is_no_step_yet():
    at = start({**QUERY, "run": RUNS})
    at.session_state["race"] = {"step": 0}
    at.run()
    assert not at.exception
    assert "no step has been taken yet" in at.info[0].value


def test_the_race_gets_the_arrows_only_with_this_view_and_once():
    at = start({**QUERY, "view": "loss", "run": RUNS})
    data = race(at)
    assert data["inspect"] is None
    assert all("inspect" not in run for run in data["runs"])
    at = start({**QUERY, "run": RUNS})
    data = race(at)
    _, trajectories = recorded(RUNS)
    for run, trajectory in zip(data["runs"], trajectories, strict=True):
        gx = np.frombuffer(base64.b64decode(run["inspect"]["gx"]), dtype="<f4")
        np.testing.assert_array_equal(gx[1:], trajectory.grads[:-1, 0].astype(np.float32))
    assert html.unescape(data["inspect"]["text"]["arrow_gradient"]).startswith("−g")
    at.run()  # a rerun: the browser has them
    assert all("inspect" not in run for run in race(at)["runs"])


def test_sams_gradient_row_is_the_perturbed_points():
    runs = ["sam:lr=0.01,base=sgd,rho=0.2"]
    at = start({**QUERY, "run": runs})
    at.session_state["race"] = {"step": 4}
    at.run()
    assert not at.exception
    _, (sam,) = recorded(runs)
    rows = cells(at)
    assert rows[r"Gradient $g_t = \nabla f(\theta_{t-1} + e_t)$, at the perturbed point"] == [
        pair(sam.probes.gradients[3])  # step 4's evaluation at theta_3 + e_4
    ]
    assert r"Gradient $g_t = \nabla f(\theta_{t-1})$" not in rows
    assert rows[r"$\hat g_t$"][0] == pair(sam.grads[3])  # the point's own, which aims e_t
    assert rows["Adaptive scale (effective learning rate)"] == ["(0.01, 0.01)"]
