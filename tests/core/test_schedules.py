"""Learning-rate schedules: every value equal to torch.optim.lr_scheduler's, recorded from torch."""

import json
from pathlib import Path

import numpy as np
import pytest

from optviz.core.schedules import KINDS, schedule

RECORDED = json.loads((Path(__file__).parent.parent / "data" / "torch_schedules.json").read_text())


def _base_momentum(case):
    settings = case["settings"]
    return settings.get("momentum", 0.9 if case["optimizer"] == "adam" else 0.0)


@pytest.mark.parametrize("case", RECORDED["cases"], ids=lambda c: f"{c['scheduler']}-{c['args']}")
def test_every_learning_rate_is_torchs(case):
    found = schedule(case["scheduler"], **case["args"])
    lrs, momenta = found.series(case["settings"]["lr"], _base_momentum(case), RECORDED["steps"])
    assert [repr(float(v)) for v in lrs] == case["lrs"]  # bit for bit
    expected = [float(v) for v in case["momenta"]]
    if momenta is None:
        assert expected == [_base_momentum(case)] * len(expected)  # the momentum was left alone
    else:
        assert [repr(float(v)) for v in momenta] == case["momenta"]


def test_every_scheduler_is_recorded():
    assert {case["scheduler"].lower() for case in RECORDED["cases"]} == set(KINDS)


def test_an_array_of_base_rates_gives_each_its_own_schedule():
    bases = np.array([0.3, 0.01, 0.07])
    for name, args in (("CosineAnnealingLR", {"T_max": 40}), ("StepLR", {"step_size": 7}), ("LinearLR", {})):
        together = schedule(name, **args).lrs(bases, 100)
        for i, base in enumerate(bases.tolist()):
            alone = schedule(name, **args).lrs(base, 100)
            assert [float(v[i]) for v in together] == alone


def test_names_in_any_case_and_bad_arguments():
    assert schedule("steplr", step_size=3) == schedule("StepLR", step_size=3)
    assert schedule("MultiStepLR", milestones=[80, 30]).values()["milestones"] == "30/80"
    with pytest.raises(KeyError, match="unknown schedule"):
        schedule("ReduceLROnPlateau")
    with pytest.raises(TypeError, match="unexpected argument"):
        schedule("StepLR", step=3)
    with pytest.raises(ValueError, match="step_size"):
        schedule("StepLR", step_size=0)
    with pytest.raises(ValueError, match="milestones"):
        schedule("MultiStepLR", milestones="soon")
    with pytest.raises(ValueError, match="total_steps"):
        schedule("OneCycleLR", total_steps=10).lrs(0.1, 50)
