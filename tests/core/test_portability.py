"""The same bits on every CPU: the trajectories never depend on how NumPy rounds its
transcendental functions.

NumPy's array ``power``, ``exp``, ``log``, ``sin``, ``cos``, ... are not correctly rounded on
CPUs with AVX-512 (one ulp off on a few percent of inputs), while Python's float ``**`` and
``math`` functions call the C library. A trajectory that used them would differ between
machines, and the float fast path would differ from the array path. The guard below moves
every result of those NumPy functions by one ulp and checks that nothing changes, on any
machine; the source checks catch the uses the guard cannot see (``a ** b`` on arrays calls
NumPy's power without looking it up).
"""

from __future__ import annotations

import ast
import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import optviz
from optviz.core.engine import loop
from optviz.core.optimizers import OPTIMIZERS
from tests.core import test_optimizers

ROOT = Path(__file__).resolve().parents[2]

# Every NumPy function that is not correctly rounded somewhere (NumPy's SIMD code paths).
TRANSCENDENTAL = (
    "power",
    "float_power",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "arctan2",
    "sinh",
    "cosh",
    "tanh",
    "hypot",
    "cbrt",
)


def _one_ulp_up(function: Callable) -> Callable:
    def perturbed(*args: object, **kwargs: object) -> object:
        return np.nextafter(function(*args, **kwargs), np.inf)

    return perturbed


@pytest.fixture
def one_ulp_off(monkeypatch: pytest.MonkeyPatch) -> Callable[[], contextlib.AbstractContextManager[None]]:
    """A context in which NumPy's transcendental functions return results one ulp up."""

    @contextlib.contextmanager
    def context() -> Iterator[None]:
        with monkeypatch.context() as patch:
            for name in TRANSCENDENTAL:
                patch.setattr(np, name, _one_ulp_up(getattr(np, name)))
            yield

    return context


def bits(array: np.ndarray) -> np.ndarray:
    """The float64 bit patterns: equal bits, not merely equal values (NaN, -0.0)."""
    return np.ascontiguousarray(array, dtype=np.float64).view(np.uint64)


def assert_same_bits(a: optviz.Trajectory, b: optviz.Trajectory) -> None:
    for field in ("points", "losses", "grads"):
        np.testing.assert_array_equal(bits(getattr(a, field)), bits(getattr(b, field)), err_msg=field)
    assert (a.companion is None) == (b.companion is None)
    if a.companion is not None:  # a rule's second point (ASGD's average, schedule-free's x)
        np.testing.assert_array_equal(bits(a.companion), bits(b.companion), err_msg="companion")
    assert a.diverged_at == b.diverged_at


# ------------------------------------------------------------------------------- scenarios


# The optimizer settings of the identity tests: every rule, with its branches taken.
SETTINGS = test_optimizers.SETTINGS
# Beale and the saddle have integer powers, Styblinski-Tang fourth powers, Rastrigin cos and sin.
SURFACES = ["beale", "saddle", "styblinski_tang", "rastrigin"]
STEPS = 150


@dataclass(frozen=True)
class Scenario:
    """Runs that must be bit-identical to each other: ``run`` returns them, ``pairs`` names them."""

    id: str
    run: Callable[[pytest.MonkeyPatch], dict[str, optviz.Trajectory]]
    pairs: Callable[[dict[str, optviz.Trajectory]], Iterator[tuple[optviz.Trajectory, optviz.Trajectory]]]


def fast_path_equals_array_path(name: str, hp: dict, surface: str) -> Scenario:
    def run(monkeypatch: pytest.MonkeyPatch) -> dict[str, optviz.Trajectory]:
        fast = optviz.run(name, surface, steps=STEPS, **hp)
        with monkeypatch.context() as patch:
            patch.setattr(loop, "SCALAR_BATCH", 0)
            arrays = optviz.run(name, surface, steps=STEPS, **hp)
        return {"fast": fast, "arrays": arrays}

    def pairs(runs: dict[str, optviz.Trajectory]) -> Iterator[tuple[optviz.Trajectory, optviz.Trajectory]]:
        yield runs["fast"], runs["arrays"]

    return Scenario(f"fast-path-{name}-{surface}", run, pairs)


def column(t: optviz.Trajectory, i: int) -> optviz.Trajectory:
    """Trajectory i of a batch, as a single run's record."""
    diverged = t.diverged_at[i]
    return optviz.Trajectory(
        t.optimizer,
        t.hyperparameters,
        t.surface,
        t.points[:, i],
        t.losses[:, i],
        t.grads[:, i],
        diverged,
        companion=None if t.companion is None else t.companion[:, i],
    )


def per_trajectory_equals_separate_runs(name: str, surface: str) -> Scenario:
    """A sweep of lr, betas and the optimizer's other numbers in one batch, against single runs."""
    spec = OPTIMIZERS[name]
    count = 6
    sweep: dict[str, object] = {"lr": np.array([1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1])}
    defaults = spec.defaults()
    if "betas" in defaults:
        more = (np.full(count, d) for d in defaults["betas"][2:])  # AdEMAMix's beta3
        sweep["betas"] = (np.linspace(0.3, 0.95, count), np.linspace(0.9, 0.999, count), *more)
    for extra, values in (
        ("momentum", [0.0, 0.5, 0.9, 0.0, 0.3, 0.95]),
        ("momentum_decay", np.geomspace(1e-3, 0.1, 6)),
    ):
        if extra in defaults:  # from the lowest the rule allows (schedule-free's momentum is above 0)
            sweep[extra] = np.maximum(np.array(values), spec.hyperparameter(extra).app_low)
    start = {"rastrigin": (-1.3, 0.8), "saddle": (-1.8, 0.02)}[surface]

    def single(i: int) -> dict[str, object]:
        return {
            key: tuple(float(v[i]) for v in value) if isinstance(value, tuple) else float(value[i])
            for key, value in sweep.items()
        }

    def run(monkeypatch: pytest.MonkeyPatch) -> dict[str, optviz.Trajectory]:
        runs = {"batch": optviz.run(name, surface, start=[start] * count, steps=STEPS, **sweep)}
        for i in range(count):
            runs[f"single{i}"] = optviz.run(name, surface, start=start, steps=STEPS, **single(i))
        return runs

    def pairs(runs: dict[str, optviz.Trajectory]) -> Iterator[tuple[optviz.Trajectory, optviz.Trajectory]]:
        for i in range(count):
            yield column(runs["batch"], i), runs[f"single{i}"]

    return Scenario(f"per-trajectory-{name}-{surface}", run, pairs)


def batch_equals_single_runs(name: str, hp: dict, surface: str) -> Scenario:
    starts = np.random.default_rng(5).uniform(-1.5, 1.5, size=(loop.SCALAR_BATCH + 3, 2))

    def run(monkeypatch: pytest.MonkeyPatch) -> dict[str, optviz.Trajectory]:
        runs = {"batch": optviz.run(name, surface, start=starts, steps=STEPS, **hp)}
        for i, start in enumerate(starts):
            runs[f"single{i}"] = optviz.run(name, surface, start=start, steps=STEPS, **hp)
        return runs

    def pairs(runs: dict[str, optviz.Trajectory]) -> Iterator[tuple[optviz.Trajectory, optviz.Trajectory]]:
        for i in range(len(starts)):
            yield column(runs["batch"], i), runs[f"single{i}"]

    return Scenario(f"batch-{name}-{surface}", run, pairs)


def final_equals_path_rows(name: str, hp: dict, surface: str) -> Scenario:
    """record="final" (its blocks, chunks and the in-place kernels where there are some) against
    the path's first and last rows."""
    starts = np.random.default_rng(9).uniform(-4.0, 4.0, size=(loop.SCALAR_BATCH + 40, 2))

    def run(monkeypatch: pytest.MonkeyPatch) -> dict[str, optviz.Trajectory]:
        path = optviz.run(name, surface, start=starts, steps=STEPS, **hp)
        return {"path": path, "final": optviz.run(name, surface, start=starts, steps=STEPS, record="final", **hp)}

    def pairs(runs: dict[str, optviz.Trajectory]) -> Iterator[tuple[optviz.Trajectory, optviz.Trajectory]]:
        path = runs["path"]
        rows = optviz.Trajectory(
            path.optimizer,
            path.hyperparameters,
            path.surface,
            *(np.ascontiguousarray(a[[0, -1]]) for a in (path.points, path.losses, path.grads)),
            path.diverged_at,
        )
        yield runs["final"], rows

    return Scenario(f"final-{name}-{surface}", run, pairs)


SCENARIOS = [
    *(fast_path_equals_array_path(name, hp, surface) for name, hp in SETTINGS for surface in SURFACES),
    *(
        final_equals_path_rows(name, hp, surface)
        for name, hp in [*SETTINGS, ("adam", {"lr": 0.05})]
        for surface in ("himmelblau", "rosenbrock", "rastrigin")
    ),
    *(per_trajectory_equals_separate_runs(name, surface) for name in OPTIMIZERS for surface in ("rastrigin", "saddle")),
    *(batch_equals_single_runs(name, hp, "rastrigin") for name, hp in SETTINGS),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_identities_hold_bit_for_bit_whatever_numpy_rounds_to(scenario, one_ulp_off, monkeypatch):
    plain = scenario.run(monkeypatch)
    with one_ulp_off():
        perturbed = scenario.run(monkeypatch)
    for key in plain:  # every trajectory is exactly what it was with NumPy's own rounding
        assert_same_bits(perturbed[key], plain[key])
    for a, b in scenario.pairs(perturbed):  # and the identities hold
        assert_same_bits(a, b)


def test_the_guard_moves_every_listed_function_and_restores_it(one_ulp_off):
    x = np.array([0.3, 0.7])
    originals = {name: getattr(np, name) for name in TRANSCENDENTAL}
    with one_ulp_off():
        for name in TRANSCENDENTAL:
            args = (x, x) if name in {"power", "float_power", "arctan2", "hypot"} else (x,)
            moved, exact = getattr(np, name)(*args), originals[name](*args)
            np.testing.assert_array_equal(moved, np.nextafter(exact, np.inf))
            assert (moved > exact).all()
    assert all(getattr(np, name) is originals[name] for name in TRANSCENDENTAL)


# ---------------------------------------------------------------------------- source checks

# Where the update rules, the engine, the surfaces and the portable functions live: only
# optviz/core/primitives.py may use ``**`` (on Python floats) and transcendental functions.
CHECKED = [
    *sorted((ROOT / "optviz" / "core" / "optimizers").glob("*.py")),
    *sorted((ROOT / "optviz" / "core" / "engine").glob("*.py")),
    ROOT / "optviz" / "core" / "portable.py",
    *sorted((ROOT / "surfaces").glob("*.py")),
]
MATH_TRANSCENDENTAL = {
    "pow", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan",
    "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "hypot", "cbrt",
}  # fmt: skip


def test_the_checked_files_are_there():
    assert len(CHECKED) >= 5
    assert all(path.is_file() for path in CHECKED)


def power_lines(source: str) -> list[int]:
    """Lines with a ``**`` or ``**=``."""
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Pow)
    )


def transcendental_uses(source: str) -> list[str]:
    """``np.cos``, ``math.exp`` and the like, wherever they appear (called or passed on)."""
    nodes = sorted(ast.walk(ast.parse(source)), key=lambda node: getattr(node, "lineno", 0))
    return [
        f"{node.value.id}.{node.attr} (line {node.lineno})"
        for node in nodes
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and (
            (node.value.id in {"np", "numpy"} and node.attr in TRANSCENDENTAL)
            or (node.value.id == "math" and node.attr in MATH_TRANSCENDENTAL)
        )
    ]


def test_the_source_checks_see_powers_and_transcendental_functions():
    source = "z = x ** 2 + np.cos(y)\nz **= 2\nf = math.exp\nw = np.sqrt(x) * 2 + abs(math.pi)\n"
    assert power_lines(source) == [1, 2]
    assert transcendental_uses(source) == ["np.cos (line 1)", "math.exp (line 3)"]


@pytest.mark.parametrize("path", CHECKED, ids=[str(p.relative_to(ROOT)) for p in CHECKED])
def test_no_power_operator(path):
    lines = power_lines(path.read_text(encoding="utf-8"))
    assert not lines, f"{path.name}: ** on lines {lines}; use optviz.core.primitives.power or a product"


@pytest.mark.parametrize("path", CHECKED, ids=[str(p.relative_to(ROOT)) for p in CHECKED])
def test_no_transcendental_function_of_numpy_or_math(path):
    uses = transcendental_uses(path.read_text(encoding="utf-8"))
    assert not uses, f"{path.name} uses {', '.join(uses)}; use optviz.core.primitives"


@pytest.mark.parametrize(
    "module", ["surfaces", "optviz", "optviz.core.primitives", "optviz.core.portable", "surfaces.formula"]
)
def test_each_package_imports_on_its_own(module):
    # surfaces uses optviz.core.primitives and optviz uses surfaces: either may be imported first.
    subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, check=True)


def test_schedules_use_only_the_c_librarys_scalar_functions():
    # A schedule computes one learning rate per step with Python's math.cos and ** on floats, as
    # torch does (its values are torch's to the bit): the C library's scalar functions, the same
    # on every CPU of a platform. NumPy's vectorised ones, which differ with AVX-512, never.
    source = (ROOT / "optviz" / "core" / "schedules.py").read_text(encoding="utf-8")
    uses = transcendental_uses(source)
    assert uses
    assert all(use.startswith("math.cos") for use in uses), uses
