"""Old links keep working: every link in tests/data/v1_links.json opens the experiment it opened in v1.

The table was recorded from the v1 link reader (commit b6cc9ba) by tests/data/make_v1_links.py;
never re-record it from a later reader. Each entry is compared in a structured form (surface,
every surface parameter, start, steps, tolerance, speed, every hyperparameter of every run),
so the comparison does not depend on how links are written. Problems may be worded
differently by a new reader: only whether there are any is compared. Entries whose note says
"a range policy of v1" pin down how v1 repaired an out-of-range value (clamped, or the
default); change one only together with a deliberate change of that policy.
"""

import json
import math
from pathlib import Path

import pytest

from optviz import OPTIMIZERS
from optviz.settings import Experiment, Run, parse
from tests.data import make_v1_links
from tests.link_grammar import query_from_string

TABLE = json.loads((Path(__file__).parent.parent / "data" / "v1_links.json").read_text())
LINKS = TABLE["links"]


# Deliberate changes of a v1 repair policy, each with its reason: the table stays as v1 recorded
# it, and the test expects these fields to differ.
CHANGED_IN_V2 = {
    "tol=-1": ({"tolerance": 1e-12}, "every number out of range is clamped to the nearest allowed value; v1 reset tol"),
    "run=lbfgs&run=adam:lr=0.05": (
        {"runs": make_v1_links.structured(Experiment(runs=(Run.make("lbfgs"), Run.make("adam", lr=0.05))))["runs"]},
        "LBFGS is an optimizer now (issue 20): its run opens at torch's defaults, before Adam's",
    ),
}


# Problems v1 reported that are no problems now, each with its reason (the experiment is the same).
NO_LONGER_PROBLEMS = {
    "v=&run=adam": "an empty value is no value, as for every key",
    "v=2&run=adam": "version 2 exists now",
    "run=lbfgs&run=adam:lr=0.05": "LBFGS is an optimizer now",
}

# What an experiment shows, as plain data: the recorder's own form, so both sides agree.
opened = make_v1_links.structured


def exact(value):
    """``value`` with every number as its exact text (so -0.0 and 0.0 differ; 1 and 1.0 do not)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        number = float(value)
        return repr(number) if math.isfinite(number) else f"non-finite {number}"
    if isinstance(value, dict):
        return {key: exact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [exact(item) for item in value]
    return repr(value)


@pytest.mark.parametrize("entry", LINKS, ids=[f"{i:03d}-{entry['note'][:40]}" for i, entry in enumerate(LINKS)])
def test_an_old_link_opens_the_same_experiment(entry):
    experiment, problems = parse(query_from_string(entry["link"]))
    expected = dict(entry["experiment"])
    changed, _reason = CHANGED_IN_V2.get(entry["link"], ({}, ""))
    expected.update(changed)
    assert exact(since_v1_at_defaults(opened(experiment), expected)) == exact(expected), entry["note"]
    had_problems = bool(entry["v1_problems"]) and entry["link"] not in NO_LONGER_PROBLEMS
    assert bool(problems) == had_problems, (entry["note"], problems, entry["v1_problems"])


def since_v1_at_defaults(found, expected):
    """``found`` without the hyperparameters its optimizers gained since v1 (the cautious switch
    on Adam and AdamW), each of which must hold its default: an old link opens what it opened."""
    runs = []
    for run, before in zip(found["runs"], expected["runs"], strict=False):
        defaults = OPTIMIZERS[run["optimizer"]].defaults()
        new = set(run["hyperparameters"]) - set(before["hyperparameters"])
        for name in new:
            assert run["hyperparameters"][name] == defaults[name], (run["optimizer"], name)
        kept = {k: v for k, v in run["hyperparameters"].items() if k not in new}
        runs.append({**run, "hyperparameters": kept})
    return {**found, "runs": runs + found["runs"][len(runs) :]}


def test_every_policy_change_names_a_link_of_the_table():
    links = {entry["link"]: entry for entry in LINKS}
    for link, (changed, reason) in CHANGED_IN_V2.items():
        assert links[link]["kind"] == "repaired", "a link that v1 accepted must open as it did"
        assert set(changed) <= set(links[link]["experiment"]), reason


def test_the_table_covers_the_link_format():
    assert TABLE["recorded_from"] == "b6cc9ba"
    assert len(LINKS) >= 80
    kinds = {entry["kind"] for entry in LINKS}
    assert kinds == {"clean", "repaired"}
    opened_surfaces = {entry["experiment"]["surface"] for entry in LINKS}
    opened_optimizers = {run["optimizer"] for entry in LINKS for run in entry["experiment"]["runs"]}
    assert len(opened_surfaces) >= 10
    assert len(opened_optimizers) >= 9
    assert any(entry["link"] == "" for entry in LINKS)
    assert any(entry["experiment"]["runs"] == [] for entry in LINKS)
