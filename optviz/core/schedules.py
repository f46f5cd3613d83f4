"""Learning-rate schedules with torch.optim.lr_scheduler's semantics, stepped once per optimizer step.

A :class:`Schedule` is a torch scheduler's class name and keyword arguments
(``optviz.schedule("CosineAnnealingLR", T_max=100)``, any case). :meth:`Schedule.values`
gives the learning rate (and, for OneCycleLR, the momentum) that each optimizer step uses:
entry ``k`` is what ``scheduler.get_last_lr()`` returns after ``k`` scheduler steps (entry 0
right after the scheduler is made), in a torch loop that calls ``optimizer.step()`` and then
``scheduler.step()``. The arithmetic is torch's own, operation by operation, including its
recursive (chainable) forms, which differ from the closed forms in the last bits; the tests
compare every value with torch's, recorded in ``tests/data/torch_schedules.json``.

A base learning rate may be an array (one per trajectory of a sweep): the same operations
on each element give each trajectory's own schedule. Like torch, the schedules compute with
Python's ``math.cos`` and ``**`` on single floats: the C library's scalar functions, the same
on every CPU of a platform (NumPy's vectorised functions, which differ with AVX-512, never run
here; ``tests/core/test_portability.py`` checks it).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz.core.specs import Problem, Spec

Number = float | np.ndarray


@dataclass(frozen=True)
class Kind:
    """One scheduler: torch's class name, its arguments as specs, and how its values go."""

    name: str
    params: tuple[Spec, ...]
    cycles_momentum: bool = False  # OneCycleLR: it sets the momentum (or beta1) too


def _int(name: str, default: int, low: int = 1, high: int = 100_000) -> Spec:
    return Spec(name, default, kind="int", low=low, high=high)


def _float(name: str, default: float, low: float = 0.0, high: float = math.inf, **more: Any) -> Spec:
    return Spec(name, float(default), low=low, high=high, **more)


KINDS: dict[str, Kind] = {
    kind.name.lower(): kind
    for kind in (
        Kind("StepLR", (_int("step_size", 100), _float("gamma", 0.1, high=1.0))),
        Kind("MultiStepLR", (Spec("milestones", "", kind="text", high=200), _float("gamma", 0.1, high=1.0))),
        Kind("ExponentialLR", (_float("gamma", 0.99, high=1.0),)),
        Kind("CosineAnnealingLR", (_int("T_max", 100), _float("eta_min", 0.0, high=10.0))),
        Kind(
            "CosineAnnealingWarmRestarts",
            (_int("T_0", 100), _int("T_mult", 1, high=10), _float("eta_min", 0.0, high=10.0)),
        ),
        Kind(
            "LinearLR",
            (
                _float("start_factor", 1.0 / 3, low=1e-8, high=1.0),
                _float("end_factor", 1.0, high=1.0),
                _int("total_iters", 5, low=0),
            ),
        ),
        Kind(
            "OneCycleLR",
            (
                _float("max_lr", 0.1, low=1e-8, high=10.0),
                _int("total_steps", 500),
                _float("pct_start", 0.3, high=1.0),
                Spec("anneal_strategy", "cos", kind="choice", choices=("cos", "linear")),
                Spec("cycle_momentum", True, kind="bool"),
                _float("base_momentum", 0.85, high=1.0),
                _float("max_momentum", 0.95, high=1.0),
                _float("div_factor", 25.0, low=1e-8, high=1e6),
                _float("final_div_factor", 1e4, low=1e-8, high=1e9),
                Spec("three_phase", False, kind="bool"),
            ),
            cycles_momentum=True,
        ),
    )
}


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: torch's scheduler ``kind`` with these arguments (non-default ones kept)."""

    kind: str  # torch's class name
    args: tuple[tuple[str, Any], ...] = ()

    @property
    def spec(self) -> Kind:
        return KINDS[self.kind.lower()]

    def values(self) -> dict[str, Any]:
        """Every argument, defaults included."""
        return {**{p.name: p.default for p in self.spec.params}, **dict(self.args)}

    def milestones(self) -> list[int]:
        text = str(self.values().get("milestones", ""))
        return [int(piece) for piece in text.split("/") if piece]

    def lrs(self, base_lr: Number, steps: int) -> list[Number]:
        """The learning rate of each of ``steps`` optimizer steps: entry k after k scheduler steps."""
        return self.series(base_lr, 0.0, steps)[0]

    def series(self, base_lr: Number, base_momentum: Number, steps: int) -> tuple[list[Number], list[Number] | None]:
        """The learning rates and (OneCycleLR cycling it) the momenta of ``steps`` optimizer steps.

        ``base_momentum`` is the optimizer's momentum (SGD, RMSprop) or beta1 (the Adam family),
        which OneCycleLR overwrites as torch does; the others leave it alone (None).
        """
        maker = _MAKERS[self.spec.name]
        return maker(self, base_lr, base_momentum, steps)


def fitted(found: Schedule, steps: int) -> Schedule:
    """``found``, long enough for ``steps`` steps: OneCycleLR's cycle stretched to the run (torch
    refuses to step it past ``total_steps``); any other schedule as it is."""
    if found.kind != "OneCycleLR" or found.values()["total_steps"] >= steps:
        return found
    return schedule(found.kind, **{**dict(found.args), "total_steps": steps})


def schedule(name: str, **kwargs: Any) -> Schedule:
    """A schedule by torch's class name (any case) and keyword names: ``schedule("steplr", step_size=30)``.

    Raises KeyError for an unknown scheduler, TypeError for an unknown argument and ValueError
    for an invalid value (torch's ranges).
    """
    kind = KINDS.get(str(name).lower())
    if kind is None:
        msg = f"unknown schedule {name!r}; choose one of: {', '.join(k.name for k in KINDS.values())}"
        raise KeyError(msg)
    specs = {p.name: p for p in kind.params}
    unknown = sorted(set(kwargs) - set(specs))
    if unknown:
        msg = f"{kind.name} got an unexpected argument {unknown[0]!r}; its arguments are: {', '.join(specs)}"
        raise TypeError(msg)
    values = {}
    for key, value in kwargs.items():
        values[key] = specs[key].check(_milestones_text(value) if key == "milestones" else value)
    kept = tuple((p.name, values[p.name]) for p in kind.params if p.name in values and values[p.name] != p.default)
    return Schedule(kind.name, kept)


def schedule_from(name: str, values: Mapping[str, Any]) -> tuple[Schedule, list[Problem]]:
    """The schedule ``name`` from a person's ``values`` (the sidebar's): each argument that is not
    valid is left at its default, with a problem that the page words in the reader's language."""
    kind = KINDS[str(name).lower()]
    where = ("schedule", kind.name)
    kept: dict[str, Any] = {}
    problems: list[Problem] = []
    for spec in kind.params:
        if spec.name not in values:
            continue
        value = values[spec.name]
        try:
            kept[spec.name] = _milestones_text(value) if spec.name == "milestones" else spec.check(value)
        except ValueError:
            code = "bad_milestones" if spec.name == "milestones" else "bad_argument"
            problems.append(Problem.of(code, key=spec.name, value=value, range=spec.range_text(), where=where))
    return schedule(kind.name, **kept), problems


def _milestones_text(value: object) -> str:
    """Milestones as a link writes them: increasing whole numbers joined by "/"."""
    if isinstance(value, str):
        pieces = [p for p in value.replace(",", "/").split("/") if p.strip()]
        try:
            numbers = [int(p) for p in pieces]
        except ValueError:
            msg = f"Invalid milestones: {value!r} (expected whole numbers, such as 100/200)"
            raise ValueError(msg) from None
    elif isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        numbers = list(value)
    else:
        msg = f"Invalid milestones: {value!r} (expected a list of whole numbers)"
        raise ValueError(msg)
    if not numbers or any(n < 1 for n in numbers) or len(numbers) > 20:
        msg = f"Invalid milestones: {value!r} (one to twenty whole numbers from 1)"
        raise ValueError(msg)
    return "/".join(str(n) for n in sorted(numbers))


# ------------------------------------------------------------------------------ torch's arithmetic
#
# Each maker follows torch 2.13's get_lr (and step, where it overrides it) line by line: the
# group's lr is the previous value, base_lr its initial one, last_epoch the scheduler's count.

Series = tuple[list[Number], list[Number] | None]


def _recursive(first: Callable[[Number], Number], next_: Callable[[Number, int], Number]) -> Callable[..., Series]:
    """A chainable scheduler: lr_0 = first(base), lr_k = next_(lr_{k-1}, k)."""

    def make(_: Schedule, base_lr: Number, __: Number, steps: int) -> Series:
        lrs = [first(base_lr)]
        for k in range(1, steps):
            lrs.append(next_(lrs[-1], k))
        return lrs, None

    return make


def _step_lr(s: Schedule, base_lr: Number, _: Number, steps: int) -> Series:
    v = s.values()
    size, gamma = v["step_size"], v["gamma"]
    return _recursive(lambda lr: lr, lambda lr, k: lr if k % size != 0 else lr * gamma)(s, base_lr, 0.0, steps)


def _multistep_lr(s: Schedule, base_lr: Number, _: Number, steps: int) -> Series:
    gamma, counts = s.values()["gamma"], Counter(s.milestones())
    return _recursive(lambda lr: lr, lambda lr, k: lr if k not in counts else lr * gamma ** counts[k])(
        s, base_lr, 0.0, steps
    )


def _exponential_lr(s: Schedule, base_lr: Number, _: Number, steps: int) -> Series:
    gamma = s.values()["gamma"]
    return _recursive(lambda lr: lr, lambda lr, k: lr * gamma)(s, base_lr, 0.0, steps)


def _cosine_annealing_lr(s: Schedule, base_lr: Number, _: Number, steps: int) -> Series:
    v = s.values()
    t_max, eta_min = v["T_max"], v["eta_min"]

    def next_(lr: Number, k: int) -> Number:
        if (k - 1 - t_max) % (2 * t_max) == 0:
            return lr + (base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        return (1 + math.cos(math.pi * k / t_max)) / (1 + math.cos(math.pi * (k - 1) / t_max)) * (
            lr - eta_min
        ) + eta_min

    return _recursive(lambda lr: lr, next_)(s, base_lr, 0.0, steps)


def _warm_restarts(s: Schedule, base_lr: Number, _: Number, steps: int) -> Series:
    v = s.values()
    t_i, t_mult, eta_min = v["T_0"], v["T_mult"], v["eta_min"]
    t_cur, lrs = 0, []
    for k in range(steps):
        if k > 0:
            t_cur += 1
            if t_cur >= t_i:
                t_cur %= t_i
                t_i *= t_mult
        lrs.append(eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
    return lrs, None


def _linear_lr(s: Schedule, base_lr: Number, _: Number, steps: int) -> Series:
    v = s.values()
    start, end, total = v["start_factor"], v["end_factor"], v["total_iters"]

    def next_(lr: Number, k: int) -> Number:
        if k > total:
            return lr
        return lr * (1.0 + (end - start) / (total * start + (k - 1) * (end - start)))

    return _recursive(lambda lr: lr * start, next_)(s, base_lr, 0.0, steps)


def _one_cycle_lr(s: Schedule, base_lr: Number, base_momentum: Number, steps: int) -> Series:
    v = s.values()
    total, pct_start = v["total_steps"], v["pct_start"]
    initial = v["max_lr"] / v["div_factor"]
    levels = {"initial_lr": initial, "max_lr": v["max_lr"], "min_lr": initial / v["final_div_factor"]}
    levels |= {"max_momentum": v["max_momentum"], "base_momentum": v["base_momentum"]}
    if v["three_phase"]:
        phases = [
            (float(pct_start * total) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            (float(2 * pct_start * total) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
            (total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
        ]
    else:
        phases = [
            (float(pct_start * total) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            (total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
        ]

    def anneal(start: float, end: float, pct: float) -> float:
        if v["anneal_strategy"] == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    lrs: list[Number] = []
    momenta: list[Number] = []
    for k in range(steps):
        if k > total:
            msg = f"OneCycleLR ran past its total_steps ({total}): set total_steps to at least the run's steps"
            raise ValueError(msg)
        start_step = 0.0
        for i, (end_step, lr0, lr1, m0, m1) in enumerate(phases):
            if k <= end_step or i == len(phases) - 1:
                pct = (k - start_step) / (end_step - start_step)
                lrs.append(anneal(levels[lr0], levels[lr1], pct))
                momenta.append(anneal(levels[m0], levels[m1], pct))
                break
            start_step = end_step
    del base_lr, base_momentum  # OneCycleLR sets both from its own arguments
    return lrs, momenta if v["cycle_momentum"] else None


_MAKERS: Mapping[str, Callable[[Schedule, Number, Number, int], Series]] = {
    "StepLR": _step_lr,
    "MultiStepLR": _multistep_lr,
    "ExponentialLR": _exponential_lr,
    "CosineAnnealingLR": _cosine_annealing_lr,
    "CosineAnnealingWarmRestarts": _warm_restarts,
    "LinearLR": _linear_lr,
    "OneCycleLR": _one_cycle_lr,
}


# ------------------------------------------------------------------------------ in a link


def schedule_text(found: Schedule) -> str:
    """A schedule's link form: ``cosineannealinglr:T_max=100:eta_min=0.01`` (its non-default arguments)."""
    specs = {p.name: p for p in found.spec.params}
    pieces = [found.kind.lower(), *(f"{name}={specs[name].text(value)}" for name, value in found.args)]
    return ":".join(pieces)


def read_schedule(text: str) -> tuple[Schedule | None, Problem | None]:
    """A schedule from its link form; (None, None) for no text. What cannot be read is left out
    and named in the problem (the first one), as anywhere in a link."""
    text = text.strip()
    if not text:
        return None, None
    name, *pieces = text.split(":")
    kind = KINDS.get(name.strip().lower())
    if kind is None:
        choices = [k.name.lower() for k in KINDS.values()]
        return None, Problem.of("unknown_schedule", value=text, unknown=name, choices=choices)
    specs = {p.name: p for p in kind.params}
    values: dict[str, Any] = {}
    problem = None
    for piece in pieces:
        key, sep, value_text = piece.partition("=")
        spec = specs.get(key.strip())
        if not sep or spec is None:
            problem = problem or Problem.of("unknown_param", unknown=piece, valid=list(specs), where=None)
            continue
        if spec.name == "milestones":
            try:
                value, found = _milestones_text(value_text), None
            except ValueError:
                value, found = None, Problem.of("not_a_number", key="milestones", value=value_text)
        else:
            value, found = spec.read(value_text)
        problem = problem or found
        if value is not None:
            values[spec.name] = value
    return schedule(kind.name, **values), problem
