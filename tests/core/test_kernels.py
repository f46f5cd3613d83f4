"""The in-place fast paths against the functions they accelerate, bit for bit.

An optimizer's ``kernel`` and a surface's ``grad_kernel`` and ``value_kernel`` serve the
engine's record="final" loop; ``update``, ``grad_fn`` and ``value_fn`` stay the reference.
"""

import dataclasses

import numpy as np
import pytest

import optviz
import surfaces
from optviz.core.optimizers import OPTIMIZERS

WITH_KERNEL = sorted(name for name, spec in OPTIMIZERS.items() if spec.kernel is not None)
SURFACES_WITH_KERNELS = [name for name in surfaces.names() if surfaces.get(name).grad_kernel is not None]
B = 257


def bits(a):
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


def test_the_fast_paths_are_there():
    assert "adam" in WITH_KERNEL
    assert {"himmelblau", "rosenbrock"} <= set(SURFACES_WITH_KERNELS)


def awkward_numbers(rng, shape):
    """Ordinary values, tiny and huge ones, zeros of both signs, inf and NaN."""
    values = rng.normal(size=shape) * np.exp2(rng.integers(-30, 30, size=shape).astype(float))
    flat = values.reshape(-1)
    picks = rng.integers(0, flat.size, size=12)
    flat[picks] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, -1e300, 1e-310, 5.0, -5.0, 1e154, 3.0]
    return values


KERNEL_SETTINGS = [
    {"lr": 0.05},
    {"lr": 1e-3, "betas": (0.3, 0.5)},  # 1 - beta1 > 0.5: lerp's other formula
    {"lr": 0.2, "betas": (0.5, 0.9), "eps": 1e-3},
    {"lr": "per-row", "eps": "per-row"},
]


@pytest.mark.parametrize("name", WITH_KERNEL)
@pytest.mark.parametrize("settings", KERNEL_SETTINGS, ids=["plain", "small-betas", "half", "per-row"])
def test_a_kernel_steps_as_the_update_rule_on_random_numbers(name, settings):
    rng = np.random.default_rng(11)
    given = {key: rng.uniform(1e-4, 1.0, size=B) if value == "per-row" else value for key, value in settings.items()}
    spec = OPTIMIZERS[name]
    hp = spec.resolve({**given, **({"weight_decay": 0.0} if name == "adamw" else {})})
    params = awkward_numbers(rng, (2, B))
    step = spec.kernel(params.copy(), hp)
    assert step is not None
    ours, state = params.copy(), spec.init(params, hp)
    with np.errstate(all="ignore"):
        for _ in range(40):
            grad = awkward_numbers(rng, (2, B))
            params, state = spec.update(params, grad, state, hp)
            step(ours, grad, ours)
            np.testing.assert_array_equal(bits(ours), bits(params))


@pytest.mark.parametrize(
    "settings",
    [{"amsgrad": True}, {"weight_decay": 0.1}, {"betas": (np.full(B, 0.9), np.full(B, 0.999))}],
    ids=["amsgrad", "weight-decay", "per-row-betas"],
)
def test_a_kernel_declines_what_it_does_not_cover(settings):
    spec = OPTIMIZERS["adam"]
    assert spec.kernel(np.zeros((2, B)), spec.resolve(settings)) is None


@pytest.mark.parametrize("surface", SURFACES_WITH_KERNELS)
def test_a_surfaces_kernels_give_grad_fn_and_value_fn_bits(surface):
    surf = surfaces.get(surface)
    rng = np.random.default_rng(4)
    grad_into, value_into = surf.grad_kernel(B), surf.value_kernel(B)
    gx, gy, value = np.empty(B), np.empty(B), np.empty(B)
    with np.errstate(all="ignore"):
        for _ in range(20):
            x, y = awkward_numbers(rng, (2, B))
            grad_into(x, y, gx, gy)
            value_into(x, y, value)
            ref_x, ref_y = surf.grad_fn(x, y)
            np.testing.assert_array_equal(bits(gx), bits(ref_x))
            np.testing.assert_array_equal(bits(gy), bits(ref_y))
            np.testing.assert_array_equal(bits(value), bits(surf.value_fn(x, y)))


def test_rosenbrocks_kernels_follow_its_parameters():
    surf = surfaces.get("rosenbrock", a=-0.7, b=3.0)
    x, y = np.random.default_rng(0).uniform(-2, 2, size=(2, B))
    gx, gy, value = np.empty(B), np.empty(B), np.empty(B)
    surf.grad_kernel(B)(x, y, gx, gy)
    surf.value_kernel(B)(x, y, value)
    np.testing.assert_array_equal(np.stack([gx, gy]), np.stack(surf.grad_fn(x, y)))
    np.testing.assert_array_equal(value, surf.value_fn(x, y))


@pytest.mark.parametrize("surface", SURFACES_WITH_KERNELS)
@pytest.mark.parametrize("lr", [0.01, 0.3, "per-row"])
def test_runs_with_and_without_the_kernels_are_the_same_bits(surface, lr):
    surf = surfaces.get(surface)
    (x0, x1), (y0, y1) = surf.domain
    starts = np.random.default_rng(3).uniform((x0, y0), (x1, y1), size=(300, 2))
    lrs = np.geomspace(1e-3, 1e160, 300) if lr == "per-row" else lr  # the largest ones overflow
    fast = optviz.run("adam", surf, start=starts, steps=200, lr=lrs, record="final", tolerance=1e-3)
    plain_spec = dataclasses.replace(OPTIMIZERS["adam"], kernel=None)
    plain_surf = dataclasses.replace(surf, grad_kernel=None, value_kernel=None)
    plain = optviz.run(plain_spec, plain_surf, start=starts, steps=200, lr=lrs, record="final", tolerance=1e-3)
    path = optviz.run("adam", surf, start=starts, steps=200, lr=lrs, tolerance=1e-3)
    for field in ("points", "losses", "grads"):
        np.testing.assert_array_equal(bits(getattr(fast, field)), bits(getattr(plain, field)))
        np.testing.assert_array_equal(bits(getattr(fast, field)), bits(getattr(path, field)[[0, -1]]))
    assert fast.diverged_at == plain.diverged_at == path.diverged_at
    assert fast.reached_at == plain.reached_at == path.reached_at
    if lr == "per-row":
        assert any(k is not None for k in fast.diverged_at)  # the largest rates leave the plot
