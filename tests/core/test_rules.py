"""The rules of a runnable run: declared once, repaired for links and widgets, refused by the API."""

from dataclasses import replace
from urllib.parse import parse_qs

import pytest

import optviz
import surfaces
from optviz import OPTIMIZERS
from optviz.core.rules import RUN_RULES, Setup, check_run, repair_run
from optviz.core.schedules import schedule
from optviz.settings import Experiment, Run, parse
from optviz.text import LANGUAGES
from optviz.text.problems import problem_text
from tests.page.test_app import open_panel, start, unescaped

VALLEY = surfaces.get("valley")
TIPS = surfaces.get("tips", standardise=True)


def setup(optimizer="sgd", surf=VALLEY, steps=100, **changes):
    spec = OPTIMIZERS[optimizer]
    return replace(Setup(spec, spec.defaults(), None, None, surf.name, surf.data_rows, steps), **changes)


# One setup that breaks each rule (and only that one).
BROKEN = {
    "batch_needs_data": setup(batch=8),
    "batch_within_rows": setup(surf=TIPS, batch=1000),
    "loss_needs_every_row": setup("lbfgs", surf=TIPS, batch=8),
    "cycle_covers_run": setup(steps=500, schedule=schedule("OneCycleLR", total_steps=100)),
    "momentum_cycle_needs_momentum": setup("adagrad", schedule=schedule("OneCycleLR", total_steps=100)),
    "momentum_cycle_in_range": setup("adam", schedule=schedule("OneCycleLR", total_steps=100, max_momentum=1.0)),
    "momentum_cycle_makes_buffer": setup(
        "rmsprop", schedule=schedule("OneCycleLR", total_steps=100, max_momentum=0.0, base_momentum=0.5)
    ),
}


def test_every_rule_has_a_case():
    assert set(BROKEN) == {rule.rule for rule in RUN_RULES}


@pytest.mark.parametrize("name", sorted(BROKEN))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_broken_rule_is_repaired_and_worded(name, lang):
    broken = BROKEN[name]
    fixed, problems = repair_run(broken)
    assert [dict(p.args)["rule"] for p in problems] == [name]
    text = problem_text(problems[0], lang)
    assert "{" not in text
    check_run(fixed, app=True)  # the repair makes it runnable
    with pytest.raises(ValueError, match=r"\w"):
        check_run(broken, app=True)
    if RULES[name].app_only:
        check_run(broken)  # the Python API runs it (a batch larger than the data is every row)
    else:
        with pytest.raises(ValueError, match=r"\w"):
            check_run(broken)


RULES = {rule.rule: rule for rule in RUN_RULES}


def test_the_api_refuses_what_torch_cannot_run():
    """RMSprop's buffer is made at the first step only if its momentum is then above 0 (torch
    fails later with a KeyError); beta1 = 1 divides Adam's bias correction by zero."""
    cycle = optviz.schedule("OneCycleLR", max_momentum=0.0, base_momentum=0.5, total_steps=100)
    with pytest.raises(ValueError, match="momentum buffer"):
        optviz.run("rmsprop", "valley", steps=100, lr=0.01, schedule=cycle)
    with pytest.raises(ValueError, match="beta1"):
        optviz.run("adam", "valley", steps=100, lr=0.01, schedule=optviz.schedule("OneCycleLR", max_momentum=1.0))
    # Zero throughout is no momentum at all, and a cycle that starts above 0 makes the buffer.
    for base, top in ((0.0, 0.0), (0.5, 0.9), (0.0, 0.9)):
        calm = optviz.schedule("OneCycleLR", max_momentum=top, base_momentum=base, total_steps=100)
        assert optviz.run("rmsprop", "valley", steps=100, lr=0.01, schedule=calm).diverged_at is None


@pytest.mark.parametrize(
    "link",
    [
        "v=2&run=adagrad:lr=0.1,schedule=onecyclelr",
        "v=2&run=adadelta:schedule=onecyclelr:total_steps=900",
        "v=2&run=rmsprop:lr=0.01,schedule=onecyclelr:max_momentum=0:base_momentum=0.5",
        "v=2&run=adam:lr=0.01,schedule=onecyclelr:max_momentum=1",
        "v=2&run=nadam:lr=0.01,schedule=onecyclelr:base_momentum=1:max_momentum=1",
        "v=2&steps=900&run=sgd:lr=0.01,momentum=0.9,schedule=onecyclelr:total_steps=10",
        "v=2&run=sgd:lr=0.01,batch=4",
    ],
)
def test_a_link_that_breaks_a_rule_says_so_and_runs(link):
    experiment, problems = parse(parse_qs(link))
    assert any(p.code == "constraint" for p in problems)
    assert (
        Experiment.make(
            experiment.surface,
            surface_params=dict(experiment.surface_params),
            start=experiment.start,
            runs=experiment.runs,
            steps=experiment.steps,
        ).runs
        == experiment.runs
    )  # what the link reader made is what the app accepts
    surf = experiment.build_surface()
    for run in experiment.runs:  # and it runs
        optviz.run(run.optimizer, surf, start=experiment.start, steps=experiment.steps, **experiment.run_settings(run))


def test_the_sidebar_repairs_a_run_as_the_link_reader_does():
    """A person choosing OneCycleLR for an Adagrad run in the sidebar gets the run the link
    reader makes of the same request, and the same words."""
    at = open_panel(start({"surface": "valley", "steps": "100", "run": "adagrad:lr=0.1"}), 0)
    at.selectbox(key="r0_schedule__widget_en").set_value("onecyclelr").run()
    assert not at.exception
    said = [warning.value for warning in at.sidebar.warning]
    from_link, problems = parse(parse_qs("v=2&surface=valley&steps=100&run=adagrad:lr=0.1,schedule=onecyclelr"))
    assert [p.code for p in problems] == ["constraint"]
    assert len(said) == 1
    assert unescaped(said[0]) == str(problems[0])
    assert parse({key: [value] for key, value in at.query_params.items()})[0].runs == from_link.runs


def test_experiment_make_refuses_what_a_link_cannot_hold():
    with pytest.raises(ValueError, match="data set"):
        Experiment.make("valley", runs=(Run.make("sgd", batch=4),))
    with pytest.raises(ValueError, match="momentum cycle"):
        Experiment.make("valley", runs=(Run.make("adagrad", schedule=schedule("OneCycleLR")),))
