"""Record the reference optimizers' trajectories (torch.optim's, and the libraries' that the
newer optimizers follow) for tests/core/test_against_torch.py.

None of them is a dependency of optviz. Run this in a scratch environment that has them:

    python3 -m venv /work/torchenv
    /work/torchenv/bin/pip install torch==2.13.0 numpy lion-pytorch==0.2.5 schedulefree==1.4.1 pytorch-optimizer==4.1.0 prodigyopt==1.1.2
    PYTHONPATH=. /work/torchenv/bin/python tests/torch_reference.py [--again]

Cases already recorded in the file are kept as they are (see :func:`kept_recordings`); new
cases are recorded; ``--again`` records every case anew.

It steps torch.optim on each case below, feeding it optviz's analytic gradient at torch's
own parameters, and stores the paths in tests/data/torch_reference.npz with the torch
version. What it records follows the registry: every optimizer whose registration names a
torch class (``Optimizer.mirrors``, "torch.optim.Adam") is stepped by that class, on the
cases chosen for it below, or on torch's defaults on Rosenbrock when none are. torch runs with float64 as its default dtype, so that its scalar state (step
counts, NAdam's mu-product) is float64 like the parameters; with torch's float32 default,
NAdam's mu-product is rounded to float32 each step and differs by about 1e-7.

torch runs its generic CPU kernels (ATEN_CPU_CAPABILITY=default, set below). Its AVX2 and
AVX-512 kernels are compiled with multiply-add contraction: ``grad.add(param, alpha=wd)``,
``lerp_`` and the like round once instead of twice there, so torch's own results then depend
on the CPU (Adamax with ``betas=(0.4, 0.9), weight_decay=0.05`` on the saddle is one ulp off
from the first step). The generic kernels compute the same formulas with one rounding per
operation, the same bits on every x86-64 CPU, which is what optviz follows.

One operation of torch's is not correctly rounded even there: ``Tensor.sqrt`` (MKL's vector
square root) is one ulp off on about 1% of inputs. This script watches every square root
torch takes and records, per case, how many steps ran on correctly rounded roots only
(``exact_steps``): up to there, optviz must give torch's bits exactly.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import sys
from pathlib import Path
from typing import NamedTuple, Self

import numpy as np

os.environ["ATEN_CPU_CAPABILITY"] = "default"  # read when torch is imported; see the docstring
import torch

import surfaces
from optviz.core.optimizers import OPTIMIZERS

STEPS = 200
OUT = Path(__file__).parent / "data" / "torch_reference.npz"
DEFAULT_CASE = ({}, "rosenbrock", (-1.5, 2.0))  # torch's defaults, for an optimizer no case below covers
# The optimizers whose reference takes the parameters as a 1 x 2 matrix (torch's Muon refuses a vector).
MATRIX = ("muon",)
NS_INPUTS = 4000  # 1 x 2 matrices whose Newton-Schulz torch computes (newton_schulz_table)

# The optimizers that follow a reference class, and its path: {"adam": "torch.optim.Adam",
# "lion": "lion_pytorch.Lion", ...}; the libraries besides torch are pinned in REFERENCES.
MIRRORED = {name: optimizer.mirrors for name, optimizer in OPTIMIZERS.items() if optimizer.mirrors}

# (optimizer, hyperparameters, surface, start), chosen to reach each branch of each rule
CHOSEN: list[tuple[str, dict, str, tuple[float, float]]] = [
    ("sgd", {"lr": 1e-3}, "rosenbrock", (-1.5, 2.0)),
    ("sgd", {"lr": 1e-3, "momentum": 0.9}, "rosenbrock", (-1.5, 2.0)),
    ("sgd", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}, "rosenbrock", (-1.5, 2.0)),
    ("sgd", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1}, "valley", (-2.5, 1.0)),
    ("adagrad", {"lr": 0.1}, "rosenbrock", (-1.5, 2.0)),
    (
        "adagrad",
        {"lr": 0.5, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.05},
        "himmelblau",
        (-0.3, -0.8),
    ),
    ("rmsprop", {"lr": 1e-2}, "rosenbrock", (-1.5, 2.0)),
    ("rmsprop", {"lr": 1e-3, "momentum": 0.9, "centered": True, "weight_decay": 0.01}, "rosenbrock", (-1.5, 2.0)),
    ("rmsprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-4}, "beale", (1.0, 1.5)),
    ("adadelta", {}, "rosenbrock", (-1.5, 2.0)),
    ("adadelta", {"lr": 5.0, "rho": 0.95, "eps": 1e-4, "weight_decay": 0.01}, "himmelblau", (-0.3, -0.8)),
    ("adam", {"lr": 0.05}, "rosenbrock", (-1.5, 2.0)),
    ("adam", {"lr": 0.02, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": 0.1}, "rosenbrock", (-1.5, 2.0)),
    ("adam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}, "six_hump_camel", (-1.9, 1.0)),
    ("adam", {"lr": 0.1, "betas": (0.3, 0.9)}, "rastrigin", (-4.2, 3.8)),
    ("adamw", {"lr": 0.05}, "rosenbrock", (-1.5, 2.0)),
    ("adamw", {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True}, "goldstein_price", (-1.5, 1.5)),
    ("nadam", {"lr": 0.05}, "rosenbrock", (-1.5, 2.0)),
    ("nadam", {"lr": 0.02, "momentum_decay": 0.02, "weight_decay": 0.1}, "styblinski_tang", (4.5, 4.2)),
    ("nadam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}, "saddle", (-1.8, 0.02)),
    ("radam", {"lr": 1e-3}, "rosenbrock", (-1.5, 2.0)),
    ("radam", {"lr": 0.05}, "rosenbrock", (-1.5, 2.0)),  # its un-adapted first steps diverge
    ("sgd", {"lr": 0.01}, "rosenbrock", (-1.5, 2.0)),  # diverges
    ("adamax", {"lr": 0.05, "betas": (0.5, 0.999)}, "rosenbrock", (-1.5, 2.0)),
    ("radam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}, "booth", (-8.0, -6.0)),
    ("radam", {"lr": 0.05, "betas": (0.9, 0.99), "weight_decay": 0.1}, "valley", (-2.5, 1.0)),
    ("adamax", {"lr": 0.05}, "rosenbrock", (-1.5, 2.0)),
    ("adamax", {"lr": 0.1, "betas": (0.5, 0.9), "weight_decay": 0.1, "eps": 1e-3}, "beale", (1.0, 1.5)),
    # beta1 in 0.4..0.6 with weight decay: where torch's AVX2/AVX-512 kernels depart by an ulp
    ("adamax", {"lr": 0.05, "betas": (0.4, 0.9), "weight_decay": 0.05}, "saddle", (-1.8, 0.02)),
    ("adamax", {"lr": 0.02, "betas": (0.6, 0.99), "weight_decay": 0.1}, "himmelblau", (-0.3, -0.8)),
    ("adamax", {"lr": 0.05, "betas": (0.45, 0.9)}, "rastrigin", (-4.2, 3.8)),
    ("rprop", {"lr": 0.01}, "rosenbrock", (-1.5, 2.0)),
    ("rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.5)}, "valley", (-2.5, 1.0)),
    ("rprop", {"lr": 0.05, "etas": (0.7, 1.1), "step_sizes": (0.0, 2.0)}, "rastrigin", (-4.2, 3.8)),
    ("asgd", {"lr": 1e-3}, "rosenbrock", (-1.5, 2.0)),
    ("asgd", {"lr": 1e-3, "t0": 20.0}, "rosenbrock", (-1.5, 2.0)),
    ("asgd", {"lr": 1e-3, "t0": 20.0, "foreach": True}, "rosenbrock", (-1.5, 2.0)),
    ("asgd", {"lr": 0.15, "lambd": 0.05, "alpha": 0.5, "t0": 0.0, "weight_decay": 0.1}, "valley", (-2.5, 1.0)),
    (
        "asgd",
        {"lr": 0.15, "lambd": 0.05, "alpha": 0.5, "t0": 0.0, "weight_decay": 0.1, "foreach": True},
        "valley",
        (-2.5, 1.0),
    ),
    ("asgd", {"lr": 0.02, "lambd": 0.5, "t0": 3.0}, "himmelblau", (-0.3, -0.8)),
    ("lion", {"lr": 0.01}, "rosenbrock", (-1.5, 2.0)),
    ("lion", {"lr": 0.05, "betas": (0.5, 0.9), "weight_decay": 0.3}, "valley", (-2.5, 1.0)),
    ("lion", {"lr": 0.05, "weight_decay": 0.01, "decoupled_weight_decay": True}, "rastrigin", (-4.2, 3.8)),
    ("sgd_schedulefree", {"lr": 0.01}, "rosenbrock", (-1.5, 2.0)),
    (
        "sgd_schedulefree",
        {"lr": 0.05, "momentum": 0.5, "warmup_steps": 20.0, "weight_decay": 0.1},
        "valley",
        (-2.5, 1.0),
    ),
    ("sgd_schedulefree", {"lr": 0.02, "momentum": 0.95, "r": 1.0, "weight_lr_power": 0.0}, "himmelblau", (-0.3, -0.8)),
    ("adamw_schedulefree", {"lr": 0.05}, "rosenbrock", (-1.5, 2.0)),
    (
        "adamw_schedulefree",
        {"lr": 0.1, "betas": (0.6, 0.99), "warmup_steps": 15.0, "weight_decay": 0.05, "eps": 1e-3},
        "valley",
        (-2.5, 1.0),
    ),
    ("adamw_schedulefree", {"lr": 0.2, "r": 0.5, "weight_lr_power": 1.0}, "beale", (-3.0, -3.0)),
    ("adafactor", {"lr": 0.05}, "rosenbrock", (-1.5, 2.0)),
    (
        "adafactor",
        {"lr": 0.1, "beta2_decay": -0.5, "eps": (1e-8, 0.01), "d": 2.0, "weight_decay": 0.1},
        "valley",
        (-2.5, 1.0),
    ),
    ("adafactor", {"lr": 0.3}, "himmelblau", (-0.3, -0.8)),
    ("adafactor", {"lr": 0.05}, "saddle", (0.01, 0.002)),  # near the origin: its step is eps2 * rho
    ("prodigy", {}, "rosenbrock", (-1.5, 2.0)),
    (
        "prodigy",
        {"betas": (0.5, 0.99), "beta3": 0.9, "weight_decay": 0.1, "use_bias_correction": True},
        "valley",
        (-2.5, 1.0),
    ),
    (
        "prodigy",
        {"weight_decay": 0.05, "decouple": False, "safeguard_warmup": True, "d_coef": 0.5},
        "himmelblau",
        (-0.3, -0.8),
    ),
    ("prodigy", {"betas": (0.0, 0.999), "d0": 1e-3}, "beale", (-3.0, -3.0)),  # no momentum: along the gradient
    ("adopt", {"lr": 0.01}, "rosenbrock", (-1.5, 2.0)),
    ("adopt", {"lr": 0.05, "betas": (0.5, 0.99), "weight_decay": 0.1}, "valley", (-2.5, 1.0)),
    (
        "adopt",
        {"lr": 0.05, "weight_decay": 0.05, "weight_decouple": True, "cautious": True},
        "himmelblau",
        (-0.3, -0.8),
    ),
    ("adopt", {"lr": 0.02, "weight_decay": 0.01, "weight_decouple": True, "fixed_decay": True}, "beale", (-3.0, -3.0)),
    # The cautious switch: Adam and AdamW are torch's with pytorch-optimizer's mask on their update
    # (CautiousAddcdiv), Lion is pytorch-optimizer's Lion (cautious_reference).
    ("adam", {"lr": 0.05, "cautious": True}, "rosenbrock", (-1.5, 2.0)),
    ("adam", {"lr": 0.02, "cautious": True, "weight_decay": 0.1, "amsgrad": True}, "himmelblau", (-0.3, -0.8)),
    ("adam", {"lr": 0.05, "cautious": True, "betas": (0.5, 0.9)}, "valley", (-2.5, 1.0)),
    ("adamw", {"lr": 0.05, "cautious": True, "weight_decay": 0.1}, "beale", (-3.0, -3.0)),
    ("adamw", {"lr": 0.02, "cautious": True}, "six_hump_camel", (-1.9, 1.0)),
    ("lion", {"lr": 0.02, "cautious": True}, "rosenbrock", (-1.5, 2.0)),
    ("lion", {"lr": 0.05, "cautious": True, "weight_decay": 0.1}, "valley", (-2.5, 1.0)),
    (
        "lion",
        {"lr": 0.01, "cautious": True, "weight_decay": 0.05, "decoupled_weight_decay": True},
        "himmelblau",
        (-0.3, -0.8),
    ),
    # SAM around several bases (pytorch-optimizer's SAM around each base's reference class).
    ("sam", {"lr": 0.001, "momentum": 0.9}, "rosenbrock", (-1.5, 2.0)),
    ("sam", {"base": "adam", "lr": 0.05, "rho": 0.1}, "valley", (-2.5, 1.0)),
    ("sam", {"base": "adam", "lr": 0.02, "rho": 0.2, "adaptive": True}, "himmelblau", (-0.3, -0.8)),
    ("sam", {"base": "rmsprop", "lr": 0.01, "rho": 0.05}, "beale", (-3.0, -3.0)),
    ("sam", {"base": "lion", "lr": 0.01, "rho": 0.1}, "six_hump_camel", (-1.9, 1.0)),
    ("sam", {"base": "adagrad", "lr": 0.3, "rho": 0.3, "adaptive": True}, "rosenbrock", (-1.5, 2.0)),
    ("lbfgs", {}, "rosenbrock", (-1.5, 2.0)),  # torch's defaults: 20 iterations a step, no line search
    ("lbfgs", {"line_search_fn": "strong_wolfe"}, "rosenbrock", (-1.5, 2.0)),
    ("lbfgs", {"lr": 0.1, "max_iter": 1}, "valley", (-2.5, 1.0)),  # one iteration a step
    ("lbfgs", {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 4}, "beale", (-3.0, -3.0)),
    ("lbfgs", {"line_search_fn": "strong_wolfe", "max_iter": 3, "max_eval": 5}, "himmelblau", (-0.3, -0.8)),
    ("lbfgs", {"lr": 0.5, "max_iter": 5, "tolerance_change": 1e-5}, "six_hump_camel", (-1.9, 1.0)),
    ("lbfgs", {"line_search_fn": "strong_wolfe", "max_iter": 2}, "saddle", (-1.5, 0.05)),  # unbounded below
    # torch's line search keeps its own tolerance_change (1e-9), whatever the step's is.
    (
        "lbfgs",
        {
            "lr": 0.02,
            "max_iter": 35,
            "tolerance_grad": 2.5e-6,
            "tolerance_change": 2e-14,
            "history_size": 17,
            "line_search_fn": "strong_wolfe",
        },
        "goldstein_price",
        (-1.0, 1.0),
    ),
    ("muon", {"lr": 0.02}, "valley", (-2.5, 1.0)),  # torch's defaults but the rate: weight decay 0.1, Nesterov
    ("muon", {"lr": 0.05, "weight_decay": 0.0, "nesterov": False, "momentum": 0.9}, "rosenbrock", (-1.5, 2.0)),
    # ns_steps 0 only normalises; an eps above the late gradients' norms, which it then divides by
    ("muon", {"lr": 0.01, "ns_steps": 0, "adjust_lr_fn": "match_rms_adamw", "eps": 1e-3}, "himmelblau", (-0.3, -0.8)),
    ("muon", {"lr": 0.1, "ns_steps": 9, "momentum": 0.5, "weight_decay": 0.3}, "rastrigin", (-4.2, 3.8)),
    ("ademamix", {"lr": 0.01}, "rosenbrock", (-1.5, 2.0)),
    ("ademamix", {"lr": 0.05, "alpha": 8.0, "t_alpha_beta3": 100.0}, "valley", (-2.5, 1.0)),
    ("ademamix", {"lr": 0.05, "cautious": True, "weight_decay": 0.1}, "himmelblau", (-0.3, -0.8)),
    (
        "ademamix",
        {"lr": 0.02, "betas": (0.8, 0.99, 0.999), "weight_decay": 0.05, "weight_decouple": True, "t_alpha_beta3": 50.0},
        "beale",
        (-3.0, -3.0),
    ),
]

# Optimizers also stepped with hyperparameters drawn at random (seeded) within the app's
# ranges, on surfaces drawn from SURFACES, RANDOM_CASES each: the ranges a person can reach.
RANDOMISED = (
    "rprop",
    "asgd",
    "lion",
    "sgd_schedulefree",
    "adamw_schedulefree",
    "adopt",
    "ademamix",
    "adafactor",
    "prodigy",
    "lbfgs",
    "sam",
    "muon",
)
RANDOM_CASES = 6
# The bases SAM's random cases draw from: those whose references take param groups as torch's do.
BASE_CHOICES = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam", "radam", "adamax")
RANDOM_SEED = 20  # issue 20's
SURFACES = ("rosenbrock", "valley", "saddle", "himmelblau", "beale", "six_hump_camel", "styblinski_tang", "rastrigin")


def random_cases(name: str, generator: np.random.Generator) -> list[tuple[str, dict, str, tuple[float, float]]]:
    """RANDOM_CASES cases of ``name``, each on its own surface from its default start, every
    numeric hyperparameter (a pair's parts too) uniform in the app's range, or log-uniform
    where the app offers a log scale."""

    def draw(spec: object) -> float:
        low, high = spec.app_low, spec.app_high
        if spec.log and low > 0:
            return float(np.exp(generator.uniform(np.log(low), np.log(high))))
        return float(generator.uniform(low, high))

    found = []
    for surface in generator.choice(SURFACES, size=RANDOM_CASES, replace=False):
        hp = {}
        rule = OPTIMIZERS[name]
        if rule.specialise is not None:  # a rule around another (SAM): its base first, then its settings
            hp["base"] = str(generator.choice(BASE_CHOICES))
            rule = rule.for_values(hp)
        for spec in rule.hyperparameters:
            if spec.name in hp:
                continue
            if spec.kind == "pair":
                hp[spec.name] = tuple(draw(part) for part in spec.parts)
            elif spec.kind == "float":
                hp[spec.name] = draw(spec)
            elif spec.kind == "int":  # uniform in the app's range (LBFGS's iterations and history)
                hp[spec.name] = int(generator.integers(int(spec.app_low), int(spec.app_high), endpoint=True))
            elif spec.kind == "choice":
                hp[spec.name] = str(generator.choice(spec.choices))
        start = tuple(float(v) for v in surfaces.get(str(surface)).default_start)
        if rule.specialise is not None:  # SAM: its base's rate at most 1, where one ulp stays an ulp for 50 steps
            hp["lr"] = min(hp.get("lr", 1.0), 1.0)  # (beyond, RMSprop at 5.5 grows it to 3e-11 in 40; mended: exact)
        found.append((name, hp, str(surface), start))
    return found


def cases() -> list[tuple[str, dict, str, tuple[float, float]]]:
    """The chosen cases, then torch's defaults for each mirrored optimizer that none covers."""
    chosen = {name for name, *_ in CHOSEN}
    strays = sorted(chosen - set(MIRRORED))
    if strays:
        msg = f"cases for {', '.join(strays)}, which mirror no torch class: remove them or register the optimizers"
        raise SystemExit(msg)
    generator = np.random.default_rng(RANDOM_SEED)
    drawn = [case for name in RANDOMISED for case in random_cases(name, generator)]
    return CHOSEN + drawn + [(name, *DEFAULT_CASE) for name in MIRRORED if name not in chosen]


def torch_class(path: str) -> type:
    """The class at ``path``: "torch.optim.Adam" -> torch.optim.Adam."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


class RootWatch:
    """Wraps ``Tensor.sqrt``, ``Tensor.sqrt_``, ``Tensor.__pow__`` (which takes the same root
    for an exponent of 0.5: ASGD's foreach path with alpha = 0.5), ``torch._foreach_sqrt(_)``
    (schedule-free AdamW's, ADOPT's and AdEMAMix's default paths) and ``Tensor.rsqrt_``
    (Adafactor's, whose correctly rounded value is taken as ``1 / sqrt``) to notice a root that is not
    correctly rounded. With ``mend``, every root is replaced by the correctly rounded one
    (NumPy's): the reference's arithmetic with exact roots, which optviz must give bit for bit
    over every step (``mended``, recorded for each case whose roots were not all exact)."""

    def __init__(self, *, mend: bool = False) -> None:
        self.inexact, self.mend = False, mend
        self._sqrt, self._sqrt_, self._pow = torch.Tensor.sqrt, torch.Tensor.sqrt_, torch.Tensor.__pow__
        self._foreach_sqrt_, self._foreach_sqrt = torch._foreach_sqrt_, torch._foreach_sqrt
        self._rsqrt_ = torch.Tensor.rsqrt_

    def settle(self, argument: np.ndarray, root: torch.Tensor, *, inverse: bool = False) -> None:
        """Note whether ``root`` is the correctly rounded root of ``argument`` (its reciprocal,
        ``1 / sqrt``, with ``inverse``: torch's rsqrt); mend it if asked."""
        exact = np.asarray(1.0 / np.sqrt(argument) if inverse else np.sqrt(argument))
        self.inexact |= not np.array_equal(exact, root.detach().numpy(), equal_nan=True)
        if self.mend:
            with torch.no_grad():
                root.copy_(torch.from_numpy(exact))

    def __enter__(self) -> Self:
        watch = self

        def sqrt(tensor: torch.Tensor) -> torch.Tensor:
            root = watch._sqrt(tensor)
            watch.settle(tensor.detach().numpy(), root)
            return root

        def sqrt_(tensor: torch.Tensor) -> torch.Tensor:
            argument = tensor.detach().numpy().copy()
            watch._sqrt_(tensor)
            watch.settle(argument, tensor)
            return tensor

        def power(tensor: torch.Tensor, exponent: object) -> torch.Tensor:
            result = watch._pow(tensor, exponent)
            if isinstance(exponent, float) and exponent == 0.5:
                watch.settle(tensor.detach().numpy(), result)
            return result

        def foreach_sqrt_(tensors: list[torch.Tensor]) -> None:
            arguments = [tensor.detach().numpy().copy() for tensor in tensors]
            watch._foreach_sqrt_(tensors)
            for argument, tensor in zip(arguments, tensors, strict=True):
                watch.settle(argument, tensor)

        def foreach_sqrt(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
            roots = watch._foreach_sqrt(tensors)
            for tensor, root in zip(tensors, roots, strict=True):
                watch.settle(tensor.detach().numpy(), root)
            return roots

        def rsqrt_(tensor: torch.Tensor) -> torch.Tensor:
            argument = tensor.detach().numpy().copy()
            watch._rsqrt_(tensor)
            watch.settle(argument, tensor, inverse=True)
            return tensor

        torch.Tensor.sqrt, torch.Tensor.sqrt_, torch.Tensor.__pow__ = sqrt, sqrt_, power
        torch._foreach_sqrt_, torch._foreach_sqrt = foreach_sqrt_, foreach_sqrt
        torch.Tensor.rsqrt_ = rsqrt_
        return self

    def __exit__(self, *exc: object) -> None:
        torch.Tensor.sqrt, torch.Tensor.sqrt_, torch.Tensor.__pow__ = self._sqrt, self._sqrt_, self._pow
        torch._foreach_sqrt_, torch._foreach_sqrt = self._foreach_sqrt_, self._foreach_sqrt
        torch.Tensor.rsqrt_ = self._rsqrt_


def reference_arguments(name: str, hp: dict) -> dict:
    """optviz's hyperparameters as the reference takes them: AdEMAMix's ``t_alpha_beta3`` of 0
    (no warmup), Prodigy's ``beta3`` of 0 (the root of beta2), LBFGS's ``max_eval`` of 0 and
    ``line_search_fn`` "none" are their None."""
    if name == "ademamix" and hp.get("t_alpha_beta3", 0.0) == 0.0:
        return {**hp, "t_alpha_beta3": None}
    if name == "prodigy" and hp.get("beta3", 0.0) == 0.0:
        return {**hp, "beta3": None}
    if name == "lbfgs":  # its max_eval of 0 and line search "none" are torch's None
        return {
            **hp,
            "max_eval": hp.get("max_eval") or None,
            "line_search_fn": None if hp.get("line_search_fn", "none") == "none" else hp["line_search_fn"],
        }
    return hp


def cautious_reference(name: str, hp: dict) -> tuple[type, dict] | None:
    """The reference of a cautious run where it is not the registered one: pytorch-optimizer's
    Lion for Lion (its ``weight_decouple`` decay is lion-pytorch's product; lion-pytorch's
    ``decoupled_weight_decay``, which divides the decay by the initial rate, is that quotient
    given to it). None otherwise (Adam and AdamW: torch's class under CautiousAddcdiv)."""
    if name != "lion" or not hp.get("cautious"):
        return None
    decay = hp.get("weight_decay", 0.0)
    if hp.get("decoupled_weight_decay"):
        decay = decay / hp.get("lr", 1e-4)
    arguments = {"lr": hp.get("lr", 1e-4), "betas": hp.get("betas", (0.9, 0.99)), "weight_decay": decay}
    return torch_class("pytorch_optimizer.Lion"), {**arguments, "weight_decouple": True, "cautious": True}


class CautiousAddcdiv:
    """Adam and AdamW with pytorch-optimizer's cautious mask (torch.optim has none): within the
    step, torch's ``param.addcdiv_(exp_avg, denom, value=-step_size)`` is split at its division,
    the mask applied to the update ``exp_avg / denom`` against the gradient the moments took
    (``grad + weight_decay * param`` under an L2 penalty), and the step taken with ``add_``:
    pytorch-optimizer's order, ``apply_cautious(update, grad)`` then ``p.add_(update, alpha=...)``."""

    def __init__(self, param: torch.Tensor, l2: float) -> None:
        self.param, self.l2, self._addcdiv_ = param, l2, torch.Tensor.addcdiv_

    def __enter__(self) -> Self:
        watch, apply_cautious = self, torch_class("pytorch_optimizer.base.optimizer.BaseOptimizer").apply_cautious

        def addcdiv_(
            tensor: torch.Tensor, tensor1: torch.Tensor, tensor2: torch.Tensor, *, value: float = 1
        ) -> torch.Tensor:
            if tensor is not watch.param:
                return watch._addcdiv_(tensor, tensor1, tensor2, value=value)
            grad = tensor.grad if not watch.l2 else tensor.grad.add(tensor, alpha=watch.l2)
            update = tensor1 / tensor2
            apply_cautious(update, grad)
            return tensor.add_(update, alpha=value)

        torch.Tensor.addcdiv_ = addcdiv_
        return self

    def __exit__(self, *exc: object) -> None:
        torch.Tensor.addcdiv_ = self._addcdiv_


def second_point(opt: torch.optim.Optimizer, param: torch.Tensor) -> np.ndarray:
    """The reference's second point (``Optimizer.companion``): what its ``eval()`` puts in the
    parameters (schedule-free's x), or ASGD's average ``ax``; the parameters themselves before
    the first step. ``eval()`` is undone by restoring the parameters' bits (its ``train()``
    would move them back by a lerp, which rounds) and the training mode."""
    if not opt.state[param]:
        return param.detach().numpy().copy()
    if hasattr(opt, "eval"):
        y = param.detach().clone()
        opt.eval()
        x = param.detach().numpy().copy()
        with torch.no_grad():
            param.copy_(y)
        for group in opt.param_groups:
            group["train_mode"] = True
        return x
    return opt.state[param]["ax"].detach().numpy().copy()


class Recording(NamedTuple):
    """One case's recording: the path, the steps before the first inexact root, the second point
    at every step (a rule that keeps one, else None), and, for a rule that evaluates again within
    a step (Optimizer.looks), each step's evaluations and every point it evaluated (else None)."""

    path: np.ndarray
    exact_steps: int
    second: np.ndarray | None = None
    counts: np.ndarray | None = None
    evaluated: np.ndarray | None = None


def reference_optimizer(
    name: str, hp: dict, param: torch.Tensor
) -> tuple[torch.optim.Optimizer, CautiousAddcdiv | None]:
    """The reference optimizer of a case on ``param``, and the cautious mask to put in its step
    (Adam's and AdamW's, CautiousAddcdiv) or None."""
    if name == "sam":  # pytorch-optimizer's SAM around the base's reference class
        base = hp.get("base", "sgd")
        own = {k: v for k, v in hp.items() if k not in ("base", "rho", "adaptive")}
        rule = torch_class(MIRRORED[base])
        sam = torch_class(MIRRORED[name])
        return sam(
            [param], rule, rho=hp.get("rho", 0.05), adaptive=hp.get("adaptive", False), **reference_arguments(base, own)
        ), None
    other = cautious_reference(name, hp)
    if other is not None:
        return other[0]([param], **other[1]), None
    arguments = dict(reference_arguments(name, hp))  # a copy: the case itself is recorded as it is
    masked = name in ("adam", "adamw") and arguments.pop("cautious", False)
    opt = torch_class(MIRRORED[name])([param], **arguments)
    if not masked:
        return opt, None
    decoupled = name == "adamw" or hp.get("decoupled_weight_decay", False)
    return opt, CautiousAddcdiv(param, 0.0 if decoupled else hp.get("weight_decay", 0.0))


@np.errstate(all="ignore")  # the diverging cases overflow, as intended
def torch_path(name: str, hp: dict, surface: str, start: tuple[float, float], *, mend: bool = False) -> Recording:
    """torch's path, how many steps it took before its first inexact square root, and what else
    the rule gives (see :class:`Recording`). With ``mend``, the path the reference takes with
    every root correctly rounded (see RootWatch). A rule that evaluates again within a step is
    given a closure, as torch's LBFGS asks: optviz's loss and gradient at torch's parameters."""
    surf = surfaces.get(surface)
    shape = (1, 2) if name in MATRIX else (2,)
    param = torch.tensor(start, dtype=torch.float64).reshape(shape).requires_grad_()
    opt, masking = reference_optimizer(name, hp, param)
    if hasattr(opt, "train"):  # schedule-free: the parameters hold y, where gradients are taken
        opt.train()
    second = [] if OPTIMIZERS[name].companion is not None else None
    looks = OPTIMIZERS[name].looks
    evaluated: list[np.ndarray] = []

    def closure() -> torch.Tensor:
        point = param.detach().numpy().reshape(2).copy()
        evaluated.append(point)
        param.grad = torch.from_numpy(surf.grad(point))
        return torch.tensor(float(surf.value(point)))

    path = [param.detach().numpy().reshape(2).copy()]
    counts = []
    exact_steps = STEPS
    with RootWatch(mend=mend) as watch:
        for step in range(STEPS + 1):
            if second is not None:
                second.append(second_point(opt, param))
            if step == STEPS:
                break
            if looks:
                made = len(evaluated)
                if name == "sam":  # its first step reads the gradient at the point, taken before it
                    closure()
                opt.step(closure)
                counts.append(len(evaluated) - made)
            else:
                param.grad = torch.from_numpy(surf.grad(param.detach().numpy().reshape(2))).reshape(shape)
                if masking is not None:
                    with masking:
                        opt.step()
                else:
                    opt.step()
            path.append(param.detach().numpy().reshape(2).copy())
            if watch.inexact and exact_steps == STEPS:
                exact_steps = step
    return Recording(
        np.array(path),
        exact_steps,
        None if second is None else np.array(second),
        np.array(counts, dtype=np.int64) if looks else None,
        np.array(evaluated).reshape(-1, 2) if looks else None,
    )


def kept_recordings() -> dict[str, Recording]:
    """The recordings already in OUT, by their case: torch's square roots (MKL's) are chosen by
    the CPU, so a case recorded again on another machine may take its first inexact root at
    another step; a case once recorded is kept as it is (``--again`` records every case anew)."""
    if not OUT.exists() or "--again" in sys.argv[1:]:
        return {}
    with np.load(OUT) as data:
        meta = json.loads(str(data["meta"]))
        return {
            json.dumps(case): Recording(
                data[f"case{i}"], exact, data.get(f"companion{i}"), data.get(f"counts{i}"), data.get(f"evaluated{i}")
            )
            for i, (case, exact) in enumerate(zip(meta["cases"], meta["exact_steps"], strict=True))
        }


def kept_or_recorded(case: tuple, kept: dict[str, Recording]) -> Recording:
    """The case's recording if it is kept whole (with the second point of a rule that keeps one,
    the evaluations of a rule that looks again), else a new one. The key is the case as JSON,
    pairs as lists either way."""
    found = kept.get(json.dumps(case))
    rule = OPTIMIZERS[case[0]]
    if found is None or (found.second is None and rule.companion is not None) or (found.counts is None and rule.looks):
        return torch_path(*case)
    return found


# The reference libraries besides torch, at the versions recorded (their import name: version).
REFERENCES = {"lion_pytorch": "0.2.5", "schedulefree": "1.4.1", "pytorch_optimizer": "4.1.0", "prodigyopt": "1.1.2"}


def newton_schulz_table() -> dict[str, np.ndarray]:
    """torch's Newton-Schulz in bfloat16 (``torch.optim._muon._zeropower_via_newtonschulz``) of
    NS_INPUTS 1 x 2 matrices, for tests/core/test_muon.py: magnitudes from 1e-12 to 1e12 and
    either sign, zeros, and norms below eps; at torch's 5 steps and eps 1e-7, and at 2 and 1e-3."""
    from torch.optim._muon import _zeropower_via_newtonschulz  # torch's own, private

    generator = np.random.default_rng(RANDOM_SEED)
    size = generator.choice([-1.0, 1.0], size=(NS_INPUTS, 2)) * 10 ** generator.uniform(-12, 12, size=(NS_INPUTS, 2))
    size[:50, 0] = 0.0
    size[50:60] = 0.0
    size[60:80] *= 1e-20  # both tiny: the norm is clamped to eps
    coefficients = (3.4445, -4.7750, 2.0315)
    table = {"ns_in": size}
    for steps, eps in ((5, 1e-7), (2, 1e-3)):
        out = [
            _zeropower_via_newtonschulz(torch.tensor(row[None, :]), coefficients, steps, eps).double().numpy()[0]
            for row in size
        ]
        table[f"ns_out_{steps}_{eps:g}"] = np.array(out)
    return table


def main() -> None:
    for module, version in REFERENCES.items():
        found = importlib.metadata.version(module.replace("_", "-"))
        if found != version:
            msg = f"{module} {found} is installed; the recordings follow {version}"
            raise SystemExit(msg)
    torch.set_default_dtype(torch.float64)
    recorded = cases()
    kept = kept_recordings()
    paths = [kept_or_recorded(case, kept) for case in recorded]
    arrays = {f"case{i}": found.path for i, found in enumerate(paths)}
    arrays |= {f"companion{i}": found.second for i, found in enumerate(paths) if found.second is not None}
    arrays |= {f"counts{i}": found.counts for i, found in enumerate(paths) if found.counts is not None}
    arrays |= {f"evaluated{i}": found.evaluated for i, found in enumerate(paths) if found.evaluated is not None}
    for i, (case, found) in enumerate(zip(recorded, paths, strict=True)):
        if found.exact_steps < STEPS:  # the reference's arithmetic with exact roots: optviz's bits, every step
            mended = torch_path(*case, mend=True)
            arrays[f"mended{i}"] = mended.path
            if mended.second is not None:
                arrays[f"mended_companion{i}"] = mended.second
            if mended.evaluated is not None:  # and the points it evaluated, with exact roots
                arrays[f"mended_evaluated{i}"] = mended.evaluated
    arrays |= newton_schulz_table()
    capability = torch.backends.cpu.get_cpu_capability()
    meta = {
        "torch": torch.__version__,
        "references": REFERENCES,
        "capability": capability,
        "steps": STEPS,
        "cases": recorded,
        "exact_steps": [found.exact_steps for found in paths],
    }
    np.savez_compressed(OUT, meta=np.array(json.dumps(meta)), **arrays)
    print(f"wrote {OUT} ({len(recorded)} cases, torch {torch.__version__}, {capability} kernels)")


if __name__ == "__main__":
    main()
