"""The spec type: the Python API's ValueError promise, and reading values from a link."""

import math

import numpy as np
import pytest

import optviz
from optviz.core.hyperparameters import betas, learning_rate
from optviz.core.specs import Problem, Spec
from optviz.settings import SETTINGS, STEPS, TOLERANCE


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10**400, r"Invalid learning rate: 1000000000000000000.* \(too large\)"),
        ([0.1, 10**400], r"Invalid learning rate: .* \(too large\)"),
        (1 + 2j, r"Invalid learning rate: \(1\+2j\) \(expected a real number\)"),
        (np.array([0.1 + 0j]), r"expected a real number"),
        (None, r"^Invalid learning rate: None \(expected a number\)$"),
        (["0.1"], r"Invalid learning rate: \['0.1'\] \(expected a number\)"),
        (np.array([True]), r"expected a number"),
        (object(), r"expected a number"),
        ({"lr": 1}, r"expected a number"),
    ],
)
def test_the_python_api_raises_value_error_for_any_bad_value(value, message):
    with pytest.raises(ValueError, match=message):
        optviz.run("adam", "valley", steps=2, lr=value)


def test_big_integers_that_fit_a_float_are_numbers():
    t = optviz.run("sgd", "valley", steps=2, lr=np.array([1, 2, 3], dtype=np.int64), start=[(0.0, 1.0)] * 3)
    assert t.hyperparameters["lr"].dtype == np.float64


def test_a_message_quotes_at_most_a_short_piece_of_a_huge_value():
    with pytest.raises(ValueError, match="expected a number") as info:
        optviz.run("adam", "valley", steps=2, lr="x" * 100_000)
    assert len(str(info.value)) < 120


READS = [
    (learning_rate(1e-3), "0.05", 0.05, None),
    (learning_rate(1e-3), " 5e-2 ", 0.05, None),
    (learning_rate(1e-3), "50", 10.0, "out_of_range"),
    (learning_rate(1e-3), "0", 1e-5, "out_of_range"),
    (learning_rate(1e-3), "nan", None, "not_a_number"),
    (learning_rate(1e-3), "-inf", None, "not_a_number"),
    (learning_rate(1e-3), "1e309", None, "not_a_number"),
    (learning_rate(1e-3), "", None, "not_a_number"),
    (learning_rate(1e-3), "0x1p-4", None, "not_a_number"),
    (STEPS, "300", 300, None),
    (STEPS, "3.5", None, "not_a_whole_number"),
    (STEPS, "²", None, "not_a_whole_number"),
    (STEPS, "9" * 40, None, "not_a_whole_number"),
    (STEPS, "-4", 1, "out_of_range"),
    (SETTINGS[2], "fast", "fast", None),
    (SETTINGS[2], "warp", None, "not_a_choice"),
    (Spec("centered", False, kind="bool"), "YES", True, None),
    (Spec("centered", False, kind="bool"), "off", False, None),
    (Spec("centered", False, kind="bool"), "maybe", None, "not_a_flag"),
    (betas(), "0.9,0.99", None, "pair_needs_parts"),  # a pair is read by its caller, part by part
]


@pytest.mark.parametrize(("spec", "text", "value", "code"), READS)
def test_reading_a_value_from_a_link(spec, text, value, code):
    got, problem = spec.read(text)
    assert got == value
    assert (problem.code if problem else None) == code
    if problem is not None:
        assert str(problem)  # every problem has its words


def test_an_open_range_is_clamped_inside_it():
    beta1 = Spec("beta1", 0.9, low=0.0, high=1.0, high_open=True)
    value, problem = beta1.read("1")
    assert value == math.nextafter(1.0, 0.0)
    assert problem.code == "out_of_range"
    assert beta1.check(value) == value


def test_every_value_written_reads_back_exactly():
    for spec, value in [(TOLERANCE, 1e-12), (TOLERANCE, 0.1 + 0.2), (STEPS, 5000), (learning_rate(1e-3), 1 / 3)]:
        assert spec.read(spec.text(value)) == (value, None)


def test_problems_compare_by_code_and_arguments():
    assert Problem.of("no_runs") == Problem.of("no_runs")
    assert str(Problem.of("too_many_runs", count=25, limit=10)) == "The link has 25 runs; kept the first 10."
