"""optviz against torch.optim 2.13, on trajectories recorded by tests/torch_reference.py.

torch is not a dependency: the recorded paths are data in tests/data, so this comparison
runs everywhere. Each case feeds torch optviz's analytic gradients, so a difference can only
come from the update rule. torch ran its generic CPU kernels, one rounding per operation (its
AVX2 and AVX-512 kernels fuse multiply-adds, so their bits depend on the CPU). optviz must
then give torch's bits exactly for as long as torch's square roots were correctly rounded
(``exact_steps``, recorded per case; all 200 steps for SGD and Adamax, which take none).
After torch's first inexact root (MKL's, one ulp off on about 1% of inputs) a one-ulp
difference may grow with the dynamics, slowly (1e-5 after 200 steps on most cases) or fast
(ADOPT's clip on Styblinski-Tang turns it into another path within 100 steps). So
the first 50 steps must agree with torch's own path to 1e-12, and for each such case the
recording also holds the reference's path with every root correctly rounded (``mended``): the
reference's arithmetic exactly, whose bits optviz must give over every step.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import optviz
from optviz.core.engine import DIVERGENCE

DATA = np.load(Path(__file__).parent.parent / "data" / "torch_reference.npz")
META = json.loads(str(DATA["meta"]))
CASES = [
    pytest.param(
        i,
        name,
        {k: tuple(v) if isinstance(v, list) else v for k, v in hp.items()},
        surface,
        tuple(start),
        id=f"{name}-{surface}-{i}",
    )
    for i, (name, hp, surface, start) in enumerate(META["cases"])
]
RECORDED = {name for name, *_ in META["cases"]}
# The optimizers whose registration names a reference class to follow (Optimizer.mirrors):
# torch.optim's, or a library's that tests/torch_reference.py pins (lion_pytorch.Lion,
# schedulefree.SGDScheduleFree).
MIRRORED = [name for name, optimizer in optviz.OPTIMIZERS.items() if optimizer.mirrors]
RECORD = "`PYTHONPATH=. python tests/torch_reference.py` in an environment with torch 2.13 (see its docstring)"


def test_reference_was_recorded_with_the_documented_torch():
    assert META["torch"].startswith("2.13")
    assert META["capability"] == "DEFAULT"
    assert len(META["exact_steps"]) == len(CASES)


def test_every_optimizer_that_mirrors_a_reference_has_a_recording():
    missing = sorted(set(MIRRORED) - RECORDED)
    assert not missing, f"no torch recording for {', '.join(missing)}: record them with {RECORD}"


def test_every_recording_belongs_to_a_registered_optimizer_that_mirrors_a_reference():
    strays = sorted(RECORDED - set(MIRRORED))
    assert not strays, f"recordings of {', '.join(strays)}, which mirror no reference here: record again with {RECORD}"


@pytest.mark.parametrize(("index", "name", "hp", "surface", "start"), CASES)
def test_trajectory_matches_torch(index, name, hp, surface, start):
    reference = DATA[f"case{index}"]
    t = optviz.run(name, surface, start=start, steps=META["steps"], **hp)
    end = t.diverged_at or len(reference)
    exact = min(end, META["exact_steps"][index] + 1)
    np.testing.assert_array_equal(t.points[:exact], reference[:exact])
    # torch's own roots (MKL's), one ulp off now and then: the same up to a rounding that grows.
    np.testing.assert_allclose(t.points[: min(end, 50)], reference[: min(end, 50)], rtol=1e-12, atol=1e-14)
    if f"mended{index}" in DATA.files:  # the reference's arithmetic with exact roots: every bit, every step
        np.testing.assert_array_equal(t.points[:end], DATA[f"mended{index}"][:end])
    if t.companion is not None:  # and the rule's second point: ASGD's average, schedule-free's x
        second = DATA[f"companion{index}"]
        np.testing.assert_array_equal(t.companion[:exact], second[:exact])
        if f"mended_companion{index}" in DATA.files:
            np.testing.assert_array_equal(t.companion[:end], DATA[f"mended_companion{index}"][:end])
        else:
            np.testing.assert_array_equal(t.companion[:end], second[:end])
    if t.counts is not None:  # a rule that evaluates again within a step (LBFGS, SAM): each evaluation, in order
        counts, evaluated = DATA[f"counts{index}"], DATA[f"evaluated{index}"]
        if f"mended_evaluated{index}" in DATA.files:  # past an inexact root, the exact roots' points
            evaluated = DATA[f"mended_evaluated{index}"]
            reference = DATA[f"mended{index}"]
        np.testing.assert_array_equal(t.counts[: end - 1], counts[: end - 1])
        firsts = np.concatenate([[0], np.cumsum(counts)[:-1]])  # each step's first: the iterate, the loop's
        np.testing.assert_array_equal(evaluated[firsts[: end - 1]], reference[: end - 1])
        further = np.ones(len(evaluated), dtype=bool)
        further[firsts] = False
        steps = np.repeat(np.arange(1, len(counts) + 1), counts)
        kept = further & (steps < end)
        np.testing.assert_array_equal(t.probes.points, evaluated[kept])
        np.testing.assert_array_equal(t.probes.steps, steps[kept])


def test_every_case_whose_roots_were_not_all_exact_has_its_mended_path():
    """Past its first inexact root a case is held to its mended path over every step: a case
    recorded without one would be checked over its first 50 steps only."""
    for index, *_ in (case.values for case in CASES):
        if META["exact_steps"][index] < META["steps"]:
            assert f"mended{index}" in DATA.files, index


def test_every_rule_that_evaluates_again_within_a_step_has_its_evaluations_recorded():
    for index, name, *_ in (case.values for case in CASES):
        looks = optviz.OPTIMIZERS[name].looks
        assert (f"counts{index}" in DATA.files) == looks == (f"evaluated{index}" in DATA.files), name


def test_every_rule_with_a_second_point_has_it_recorded():
    for index, name, *_ in (case.values for case in CASES):
        assert (f"companion{index}" in DATA.files) == (optviz.OPTIMIZERS[name].companion is not None), name


def test_divergence_is_where_torch_leaves_the_finite_losses_or_the_picture():
    """Where optviz reports divergence at step k, torch's loss at k is not finite, or f - f* is
    beyond the engine's limit (DIVERGENCE times the larger of the start's and the plot's), and
    it was neither before; optviz's run is torch's up to k and frozen from there."""
    diverged = 0
    for case in CASES:
        index, name, hp, surface, start = case.values
        t = optviz.run(name, surface, start=start, steps=META["steps"], **hp)
        if t.diverged_at is None:
            continue
        diverged += 1
        reference = DATA[f"case{index}"]
        k = t.diverged_at
        with np.errstate(all="ignore"):
            losses = t.surface.value(reference[: k + 1])
        limit = t.surface.f_star + DIVERGENCE * max(losses[0] - t.surface.f_star, t.surface.plot_gap)
        gone = ~np.isfinite(losses) | ~np.isfinite(reference[: k + 1]).all(axis=1) | (losses > limit)
        assert gone[k]
        assert not gone[:k].any()
        np.testing.assert_allclose(t.points[k - 1], reference[k - 1], rtol=1e-12)
        np.testing.assert_array_equal(t.points[k:], np.broadcast_to(t.points[k - 1], t.points[k:].shape))
    assert diverged >= 2
