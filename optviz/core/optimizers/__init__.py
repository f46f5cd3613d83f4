r"""The optimizers: torch.optim's update rules as pure functions over NumPy state.

Each optimizer is one :class:`Optimizer` record in :data:`OPTIMIZERS`: its hyperparameters
(torch.optim's names, defaults and checks), ``init(params, hp) -> state``,
``update(params, grad, state, hp) -> (params, state)``, its update rule in LaTeX and a
plain-language summary. Registering one record is all a new optimizer needs.

Conventions
-----------
* ``params`` and ``grad`` have shape ``(2, B)``: row 0 holds x and row 1 holds y of B
  trajectories stepped together (coordinate-major, so each row is contiguous). Every rule is
  elementwise, so trajectories never interact and a batch equals a loop over single runs.
* Because every rule is elementwise (``Optimizer.elementwise``), the same functions also run
  on plain Python floats, one coordinate at a time: the engine's fast path for small batches,
  where NumPy's per-call overhead would dominate. The rules do all their float-or-array work
  through :mod:`optviz.core.primitives` (``sqrt``, ``power``, ``where``, ``lerp``, ...), which keeps
  the two paths bit-for-bit identical on every CPU; no rule tests the type of its numbers.
* A numeric hyperparameter is a float, or an array of shape ``(B,)`` (one value per
  trajectory, broadcast along the rows); boolean hyperparameters are plain bools.
* The arithmetic follows torch 2.13's ``_single_tensor_*`` functions operation by operation
  (same eps placement, same initial buffers, same order of multiply and divide, Python float
  ``** 0.5`` where torch takes one, ``x.reciprocal() * c`` where torch writes ``c / x``), so a
  trajectory matches torch.optim fed the same gradients bit for bit on torch's generic CPU
  kernels, for as long as torch's own square roots are correctly rounded (MKL's are one ulp
  off on about 1% of inputs). torch's AVX2 and AVX-512 kernels fuse multiply-adds, so on
  those CPUs torch itself differs from its generic kernels by an ulp here and there.
* The update rule shown to users is built by ``rule(hp)`` for the settings in use, next to
  the code it describes, and the tests check each rule against hand-computed steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from optviz.core.hyperparameters import (
    Hyperparameter,
    betas,
    eps,
    flag,
    learning_rate,
    number,
    weight_decay,
)
from optviz.core.primitives import branch, copy, lerp, maximum, nonzero, power, sqrt, where, zeros_like
from optviz.core.specs import Problem
from optviz.text import say

HP = Mapping[str, Any]
InitFn = Callable[[np.ndarray, HP], Any]
UpdateFn = Callable[[np.ndarray, np.ndarray, Any, HP], tuple[np.ndarray, Any]]
# An in-place fast path of an update rule: ``kernel(params, hp)`` returns ``step(params, grad,
# out)``, which writes the new params into ``out`` (it may be ``params``) and keeps its state in
# its own buffers, or None for settings it does not cover (the engine then calls ``update``).
KernelStep = Callable[[np.ndarray, np.ndarray, np.ndarray], None]
KernelFn = Callable[[np.ndarray, HP], KernelStep | None]


@dataclass(frozen=True, eq=False)  # hashed by identity, so that an Optimizer stays hashable
class Inspection:
    """Where the step inspector (:mod:`optviz.teach.inspector`) finds the rule's quantities in its state.

    ``velocity`` is the state field the rule steps along, its momentum (``m_t``, ``b_t``), or
    None when it steps along the gradient; a run whose field holds None (SGD without
    momentum) steps along the gradient too. ``symbols`` maps each state symbol of the rule
    (as :mod:`optviz.teach.symbols` names it: ``m_t``, ``v_t``, ...) to the field that holds it.
    The adaptive scale is not declared: the inspector reads it off the recorded step (see
    :func:`optviz.teach.inspector.vectors`).
    """

    velocity: str | None = None
    symbols: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Optimizer:
    """One optimizer: its hyperparameters, its pure update rule and how to explain it."""

    name: str  # torch.optim's class name in lower case
    title: str  # torch.optim's class name
    hyperparameters: tuple[Hyperparameter, ...]
    init: InitFn
    update: UpdateFn
    rule: Callable[[HP], str]  # LaTeX of the update for the given settings
    constraints: tuple[Constraint, ...] = ()  # rules between hyperparameters
    # True when the rule treats every coordinate on its own (no norms, no coupling between x
    # and y): the engine then steps small batches on Python floats, one coordinate at a time.
    elementwise: bool = False
    # What the step inspector reads from the recorded state (engine.run(..., record="state")).
    inspection: Inspection = field(default_factory=Inspection)
    # An in-place version of ``update`` on (2, B) arrays, for the engine's record="final" loop:
    # the same operations in the same order, so the same bits (tests/test_kernels.py checks it
    # against ``update``). ``update`` stays the reference; None: the engine calls ``update``.
    kernel: KernelFn | None = None
    # True when the momentum buffer is made at the first step only if the momentum is above 0
    # then (torch's RMSprop): a schedule may not raise a momentum that starts at 0 (optviz.core.rules).
    momentum_from_first_step: bool = False

    @property
    def summary(self) -> str:
        """Plain language, in English: what it fixes, where it shines, where it fails (the catalogs hold every language)."""
        return say(f"optimizer.{self.name}.summary")

    @property
    def reference(self) -> str:
        return say(f"optimizer.{self.name}.reference")

    def hyperparameter(self, name: str) -> Hyperparameter:
        for hp in self.hyperparameters:
            if hp.name == name:
                return hp
        msg = f"{self.name} has no hyperparameter {name!r}"
        raise KeyError(msg)

    def defaults(self) -> dict[str, Any]:
        """torch.optim's defaults for this optimizer."""
        return {hp.name: hp.default for hp in self.hyperparameters}

    def resolve(self, given: Mapping[str, object]) -> dict[str, Any]:
        """Validate ``given`` and fill in the defaults.

        Unknown names raise TypeError (as an unexpected keyword argument would); invalid
        values raise ValueError in torch's words.
        """
        known = {hp.name for hp in self.hyperparameters}
        unknown = sorted(set(given) - known)
        if unknown:
            msg = (
                f"{self.name} got an unexpected hyperparameter {unknown[0]!r}; "
                f"its hyperparameters are: {', '.join(hp.name for hp in self.hyperparameters)}"
            )
            raise TypeError(msg)
        values = {hp.name: hp.check(given[hp.name]) if hp.name in given else hp.default for hp in self.hyperparameters}
        for constraint in self.constraints:
            if not constraint.holds(values):
                raise ValueError(say(f"rule.{constraint.rule}"))
        return values

    def repair(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        """``values`` with every broken rule repaired, and a problem for each repair.

        The link reader and the widgets use this: what a person asked for is kept as far as
        the rules allow, and they are told what changed.
        """
        repaired, problems = dict(values), []
        for constraint in self.constraints:
            if not constraint.holds({**self.defaults(), **repaired}):
                repaired = constraint.fix(repaired)
                problems.append(
                    Problem.of("constraint", optimizer=self.name, rule=constraint.rule, repair=constraint.repair)
                )
        return repaired, problems


@dataclass(frozen=True)
class Constraint:
    """A rule between hyperparameters, and the repair the app makes when a link or widget breaks it.

    ``rule`` and ``repair`` name their words in :mod:`optviz.settings.wording`; the Python API raises
    ValueError with the rule's words, the app applies ``fix`` and says what it did.
    """

    rule: str
    holds: Callable[[HP], bool]
    repair: str
    fix: Callable[[dict[str, Any]], dict[str, Any]]


def _coupled_decay(grad: np.ndarray, params: np.ndarray, hp: HP) -> np.ndarray:
    """L2 weight decay folded into the gradient: g <- g + lambda * theta."""
    return grad + hp["weight_decay"] * params if nonzero(hp["weight_decay"]) else grad


def _decay_lines(hp: HP, decoupled: bool = False) -> list[str]:
    if not nonzero(hp["weight_decay"]):
        return []
    if decoupled:
        return [r"\theta_{t-1} &\leftarrow \theta_{t-1}\,(1 - \gamma\lambda)"]
    return [r"g_t &\leftarrow g_t + \lambda\,\theta_{t-1}"]


def _aligned(lines: list[str]) -> str:
    body = " \\\\\n".join([r"g_t &= \nabla f(\theta_{t-1})", *lines])
    return "\\begin{aligned}\n" + body + "\n\\end{aligned}"


# --------------------------------------------------------------------------------------------
# SGD, with momentum and Nesterov momentum


class SGDState(NamedTuple):
    step: int  # steps taken
    momentum_buffer: np.ndarray | None  # (2, B) b_t; None before the first step or without momentum


SGD_INSPECTION = Inspection(velocity="momentum_buffer", symbols={"b_t": "momentum_buffer"})


def _sgd_init(params: np.ndarray, hp: HP) -> SGDState:
    return SGDState(step=0, momentum_buffer=None)


def _sgd_update(params: np.ndarray, grad: np.ndarray, state: SGDState, hp: HP) -> tuple[np.ndarray, SGDState]:
    lr, momentum = hp["lr"], hp["momentum"]
    grad = _coupled_decay(grad, params, hp)
    buf = state.momentum_buffer
    direction = grad
    if nonzero(momentum):
        # torch starts the buffer at the first gradient, so dampening does not apply at t = 1.
        buf = copy(grad) if buf is None else momentum * buf + (1 - hp["dampening"]) * grad
        direction = grad + momentum * buf if hp["nesterov"] else buf
        direction = where(momentum != 0, direction, grad)  # momentum 0 takes torch's plain branch
    return params - lr * direction, SGDState(state.step + 1, buf)


def _sgd_rule(hp: HP) -> str:
    lines = _decay_lines(hp)
    if not nonzero(hp["momentum"]):
        return _aligned([*lines, r"\theta_t &= \theta_{t-1} - \gamma\, g_t"])
    lines.append(r"b_t &= \begin{cases} g_t & t = 1 \\ \mu\, b_{t-1} + (1 - \tau)\, g_t & t > 1 \end{cases}")
    step = r"(g_t + \mu\, b_t)" if hp["nesterov"] else r"b_t"
    return _aligned([*lines, rf"\theta_t &= \theta_{{t-1}} - \gamma\, {step}"])


# torch refuses Nesterov momentum without a momentum, or with dampening.
NESTEROV_NEEDS_MOMENTUM = Constraint(
    rule="nesterov_needs_momentum",
    holds=lambda hp: (
        not hp["nesterov"] or bool(np.all(np.asarray(hp["momentum"]) > 0) and not nonzero(hp["dampening"]))
    ),
    repair="nesterov_off",
    fix=lambda hp: {**hp, "nesterov": False},
)


SGD = Optimizer(
    name="sgd",
    title="SGD",
    hyperparameters=(
        learning_rate(1e-3),
        number("momentum", 0.0, symbol=r"\mu", ui=(0.0, 0.999)),
        number(
            "dampening",
            0.0,
            symbol=r"\tau",
            ui=(0.0, 1.0),
        ),
        weight_decay(),
        flag("nesterov", False),
    ),
    init=_sgd_init,
    update=_sgd_update,
    inspection=SGD_INSPECTION,
    elementwise=True,
    rule=_sgd_rule,
    constraints=(NESTEROV_NEEDS_MOMENTUM,),
)


# --------------------------------------------------------------------------------------------
# Adagrad


class AdagradState(NamedTuple):
    step: int
    state_sum: np.ndarray  # (2, B) sum of squared gradients, from initial_accumulator_value


ADAGRAD_INSPECTION = Inspection(symbols={"s_t": "state_sum"})


def _adagrad_init(params: np.ndarray, hp: HP) -> AdagradState:
    return AdagradState(0, zeros_like(params) + hp["initial_accumulator_value"])


def _adagrad_update(
    params: np.ndarray, grad: np.ndarray, state: AdagradState, hp: HP
) -> tuple[np.ndarray, AdagradState]:
    step = state.step + 1
    grad = _coupled_decay(grad, params, hp)
    clr = hp["lr"] / (1 + (step - 1) * hp["lr_decay"])
    state_sum = state.state_sum + grad * grad
    std = sqrt(state_sum) + hp["eps"]
    return params - clr * grad / std, AdagradState(step, state_sum)


def _adagrad_rule(hp: HP) -> str:
    return _aligned(
        [
            *_decay_lines(hp),
            r"\tilde\gamma &= \gamma / \left(1 + (t - 1)\,\eta\right)",
            r"s_t &= s_{t-1} + g_t^2, \quad s_0 = \tau_0",
            r"\theta_t &= \theta_{t-1} - \tilde\gamma\, \frac{g_t}{\sqrt{s_t} + \epsilon}",
        ]
    )


ADAGRAD = Optimizer(
    name="adagrad",
    title="Adagrad",
    hyperparameters=(
        learning_rate(1e-2),
        number(
            "lr_decay",
            0.0,
            symbol=r"\eta",
            ui=(0.0, 1.0),
        ),
        weight_decay(),
        number(
            "initial_accumulator_value",
            0.0,
            symbol=r"\tau_0",
            ui=(0.0, 10.0),
        ),
        eps(1e-10),
    ),
    init=_adagrad_init,
    update=_adagrad_update,
    inspection=ADAGRAD_INSPECTION,
    elementwise=True,
    rule=_adagrad_rule,
)


# --------------------------------------------------------------------------------------------
# RMSprop


class RMSpropState(NamedTuple):
    step: int
    square_avg: np.ndarray  # (2, B) running mean of squared gradients
    grad_avg: np.ndarray | None  # (2, B) running mean of gradients, when centered
    momentum_buffer: np.ndarray | None  # (2, B), when momentum > 0


RMSPROP_INSPECTION = Inspection(
    velocity="momentum_buffer",
    symbols={"v_t": "square_avg", r"\bar g_t": "grad_avg", "b_t": "momentum_buffer"},
)


def _rmsprop_init(params: np.ndarray, hp: HP) -> RMSpropState:
    zeros = zeros_like(params)
    return RMSpropState(
        step=0,
        square_avg=zeros,
        grad_avg=zeros if hp["centered"] else None,
        momentum_buffer=zeros if nonzero(hp["momentum"]) else None,
    )


def _rmsprop_update(
    params: np.ndarray, grad: np.ndarray, state: RMSpropState, hp: HP
) -> tuple[np.ndarray, RMSpropState]:
    lr, alpha, momentum = hp["lr"], hp["alpha"], hp["momentum"]
    grad = _coupled_decay(grad, params, hp)
    square_avg = alpha * state.square_avg + (1 - alpha) * grad * grad
    grad_avg = state.grad_avg
    if hp["centered"]:
        grad_avg = lerp(grad_avg, grad, 1 - alpha)
        avg = sqrt(square_avg - grad_avg * grad_avg)
    else:
        avg = sqrt(square_avg)
    avg = avg + hp["eps"]
    buf = state.momentum_buffer
    if nonzero(momentum):
        buf = momentum * buf + grad / avg
        new_params = where(momentum > 0, params - lr * buf, params - lr * grad / avg)
    else:
        new_params = params - lr * grad / avg
    return new_params, RMSpropState(state.step + 1, square_avg, grad_avg, buf)


def _rmsprop_rule(hp: HP) -> str:
    lines = [*_decay_lines(hp), r"v_t &= \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2"]
    if hp["centered"]:
        lines += [
            r"\bar g_t &= \alpha\, \bar g_{t-1} + (1 - \alpha)\, g_t",
            r"d_t &= \sqrt{v_t - \bar g_t^2} + \epsilon",
        ]
    else:
        lines.append(r"d_t &= \sqrt{v_t} + \epsilon")
    if nonzero(hp["momentum"]):
        lines += [r"b_t &= \mu\, b_{t-1} + g_t / d_t", r"\theta_t &= \theta_{t-1} - \gamma\, b_t"]
    else:
        lines.append(r"\theta_t &= \theta_{t-1} - \gamma\, g_t / d_t")
    return _aligned(lines)


RMSPROP = Optimizer(
    name="rmsprop",
    title="RMSprop",
    hyperparameters=(
        learning_rate(1e-2),
        number("alpha", 0.99, symbol=r"\alpha", ui=(0.5, 0.9999)),
        eps(1e-8),
        weight_decay(),
        number("momentum", 0.0, symbol=r"\mu", ui=(0.0, 0.999)),
        flag("centered", False),
    ),
    init=_rmsprop_init,
    update=_rmsprop_update,
    inspection=RMSPROP_INSPECTION,
    elementwise=True,
    rule=_rmsprop_rule,
    momentum_from_first_step=True,
)


# --------------------------------------------------------------------------------------------
# Adadelta


class AdadeltaState(NamedTuple):
    step: int
    square_avg: np.ndarray  # (2, B) running mean of squared gradients
    acc_delta: np.ndarray  # (2, B) running mean of squared updates


ADADELTA_INSPECTION = Inspection(symbols={"v_t": "square_avg", "u_t": "acc_delta"})


def _adadelta_init(params: np.ndarray, hp: HP) -> AdadeltaState:
    return AdadeltaState(0, zeros_like(params), zeros_like(params))


def _adadelta_update(
    params: np.ndarray, grad: np.ndarray, state: AdadeltaState, hp: HP
) -> tuple[np.ndarray, AdadeltaState]:
    rho, eps_ = hp["rho"], hp["eps"]
    grad = _coupled_decay(grad, params, hp)
    square_avg = rho * state.square_avg + (1 - rho) * grad * grad
    std = sqrt(square_avg + eps_)
    delta = sqrt(state.acc_delta + eps_) / std * grad
    acc_delta = rho * state.acc_delta + (1 - rho) * delta * delta
    return params - hp["lr"] * delta, AdadeltaState(state.step + 1, square_avg, acc_delta)


def _adadelta_rule(hp: HP) -> str:
    return _aligned(
        [
            *_decay_lines(hp),
            r"v_t &= \rho\, v_{t-1} + (1 - \rho)\, g_t^2",
            r"\Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t",
            r"u_t &= \rho\, u_{t-1} + (1 - \rho)\, \Delta_t^2",
            r"\theta_t &= \theta_{t-1} - \gamma\, \Delta_t",
        ]
    )


ADADELTA = Optimizer(
    name="adadelta",
    title="Adadelta",
    hyperparameters=(
        learning_rate(1.0),
        number("rho", 0.9, symbol=r"\rho", high=1.0, ui=(0.5, 0.9999)),
        eps(1e-6),
        weight_decay(),
    ),
    init=_adadelta_init,
    update=_adadelta_update,
    inspection=ADADELTA_INSPECTION,
    elementwise=True,
    rule=_adadelta_rule,
)


# --------------------------------------------------------------------------------------------
# Adam and AdamW


class AdamState(NamedTuple):
    step: int
    exp_avg: np.ndarray  # (2, B) first moment m_t
    exp_avg_sq: np.ndarray  # (2, B) second moment v_t
    max_exp_avg_sq: np.ndarray | None  # (2, B) running max of v_t, with amsgrad


ADAM_INSPECTION = Inspection(
    velocity="exp_avg", symbols={"m_t": "exp_avg", "v_t": "exp_avg_sq", r"v^{\max}_t": "max_exp_avg_sq"}
)


def _adam_init(params: np.ndarray, hp: HP) -> AdamState:
    zeros = zeros_like(params)
    return AdamState(0, zeros, zeros, zeros if hp["amsgrad"] else None)


def _adam_step(
    params: np.ndarray, grad: np.ndarray, state: AdamState, hp: HP, decoupled: bool
) -> tuple[np.ndarray, AdamState]:
    lr, (beta1, beta2) = hp["lr"], hp["betas"]
    step = state.step + 1
    if nonzero(hp["weight_decay"]):
        if decoupled:
            params = params * (1 - lr * hp["weight_decay"])
        else:
            grad = grad + hp["weight_decay"] * params
    exp_avg = lerp(state.exp_avg, grad, 1 - beta1)
    exp_avg_sq = beta2 * state.exp_avg_sq + (1 - beta2) * grad * grad
    bias_correction1 = 1 - power(beta1, step)
    bias_correction2_sqrt = power(1 - power(beta2, step), 0.5)  # torch: a Python float ** 0.5, not a sqrt
    step_size = lr / bias_correction1
    max_exp_avg_sq = state.max_exp_avg_sq
    if hp["amsgrad"]:
        max_exp_avg_sq = maximum(max_exp_avg_sq, exp_avg_sq)
        denom = sqrt(max_exp_avg_sq) / bias_correction2_sqrt + hp["eps"]
    else:
        denom = sqrt(exp_avg_sq) / bias_correction2_sqrt + hp["eps"]
    return params - step_size * exp_avg / denom, AdamState(step, exp_avg, exp_avg_sq, max_exp_avg_sq)


def _adam_kernel(params: np.ndarray, hp: HP) -> KernelStep | None:
    """:func:`_adam_step` in place, without weight decay or amsgrad and with betas shared by the
    batch (lr and eps may be per trajectory): each operation of the rule, in its order, into
    preallocated buffers."""
    (beta1, beta2), lr, eps_ = hp["betas"], hp["lr"], hp["eps"]
    if hp["amsgrad"] or nonzero(hp["weight_decay"]) or not (isinstance(beta1, float) and isinstance(beta2, float)):
        return None
    weight = 1 - beta1
    exp_avg, exp_avg_sq = np.zeros_like(params), np.zeros_like(params)
    scratch, update = np.empty_like(params), np.empty_like(params)
    count = 0

    def step(params: np.ndarray, grad: np.ndarray, out: np.ndarray) -> None:
        nonlocal count
        count += 1
        np.subtract(grad, exp_avg, out=scratch)  # exp_avg = lerp(exp_avg, grad, 1 - beta1)
        if abs(weight) < 0.5:
            np.multiply(scratch, weight, out=scratch)
            np.add(exp_avg, scratch, out=exp_avg)
        else:
            np.multiply(scratch, 1 - weight, out=scratch)
            np.subtract(grad, scratch, out=exp_avg)
        np.multiply(exp_avg_sq, beta2, out=exp_avg_sq)  # beta2 * exp_avg_sq + (1 - beta2) * grad * grad
        np.multiply(grad, 1 - beta2, out=scratch)
        np.multiply(scratch, grad, out=scratch)
        np.add(exp_avg_sq, scratch, out=exp_avg_sq)
        bias_correction1 = 1 - power(beta1, count)
        bias_correction2_sqrt = power(1 - power(beta2, count), 0.5)
        step_size = lr / bias_correction1
        np.sqrt(exp_avg_sq, out=scratch)  # denom = sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
        np.divide(scratch, bias_correction2_sqrt, out=scratch)
        np.add(scratch, eps_, out=scratch)
        np.multiply(exp_avg, step_size, out=update)  # params - step_size * exp_avg / denom
        np.divide(update, scratch, out=update)
        np.subtract(params, update, out=out)

    return step


def _adam_update(params: np.ndarray, grad: np.ndarray, state: AdamState, hp: HP) -> tuple[np.ndarray, AdamState]:
    return _adam_step(params, grad, state, hp, decoupled=hp["decoupled_weight_decay"])


def _adamw_update(params: np.ndarray, grad: np.ndarray, state: AdamState, hp: HP) -> tuple[np.ndarray, AdamState]:
    return _adam_step(params, grad, state, hp, decoupled=True)


def _moment_lines() -> list[str]:
    return [
        r"m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t",
        r"v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2",
    ]


def _adam_rule_for(decoupled: bool) -> Callable[[HP], str]:
    def rule(hp: HP) -> str:
        lines = [*_decay_lines(hp, decoupled=decoupled or hp.get("decoupled_weight_decay", False)), *_moment_lines()]
        v = r"v_t"
        if hp["amsgrad"]:
            lines.append(r"v^{\max}_t &= \max\left(v^{\max}_{t-1}, v_t\right)")
            v = r"v^{\max}_t"
        lines.append(
            rf"\theta_t &= \theta_{{t-1}} - \frac{{\gamma}}{{1 - \beta_1^t}}\,"
            rf"\frac{{m_t}}{{\sqrt{{{v}}} / \sqrt{{1 - \beta_2^t}} + \epsilon}}"
        )
        return _aligned(lines)

    return rule


ADAM = Optimizer(
    name="adam",
    title="Adam",
    hyperparameters=(
        learning_rate(1e-3),
        betas(),
        eps(1e-8),
        weight_decay(),
        flag("amsgrad", False),
        flag(
            "decoupled_weight_decay",
            False,
        ),
    ),
    init=_adam_init,
    update=_adam_update,
    inspection=ADAM_INSPECTION,
    elementwise=True,
    rule=_adam_rule_for(decoupled=False),
    kernel=_adam_kernel,
)

ADAMW = Optimizer(
    name="adamw",
    title="AdamW",
    hyperparameters=(
        learning_rate(1e-3),
        betas(),
        eps(1e-8),
        weight_decay(1e-2),
        flag("amsgrad", False),
    ),
    init=_adam_init,
    update=_adamw_update,
    inspection=ADAM_INSPECTION,
    elementwise=True,
    rule=_adam_rule_for(decoupled=True),
    kernel=_adam_kernel,  # AdamW without weight decay is Adam
)


# --------------------------------------------------------------------------------------------
# NAdam


class NAdamState(NamedTuple):
    step: int
    mu_product: Any  # float, or (B,) with per-trajectory betas: product of mu_1 .. mu_t
    exp_avg: np.ndarray  # (2, B)
    exp_avg_sq: np.ndarray  # (2, B)


NADAM_INSPECTION = Inspection(velocity="exp_avg", symbols={"m_t": "exp_avg", "v_t": "exp_avg_sq"})


def _nadam_init(params: np.ndarray, hp: HP) -> NAdamState:
    return NAdamState(0, 1.0, zeros_like(params), zeros_like(params))


def _nadam_update(params: np.ndarray, grad: np.ndarray, state: NAdamState, hp: HP) -> tuple[np.ndarray, NAdamState]:
    lr, (beta1, beta2), psi = hp["lr"], hp["betas"], hp["momentum_decay"]
    step = state.step + 1
    bias_correction2 = 1 - power(beta2, step)
    if nonzero(hp["weight_decay"]):
        if hp["decoupled_weight_decay"]:
            params = params * (1 - lr * hp["weight_decay"])
        else:
            grad = grad + hp["weight_decay"] * params
    mu = beta1 * (1.0 - 0.5 * power(0.96, step * psi))
    mu_next = beta1 * (1.0 - 0.5 * power(0.96, (step + 1) * psi))
    mu_product = state.mu_product * mu
    exp_avg = lerp(state.exp_avg, grad, 1 - beta1)
    exp_avg_sq = beta2 * state.exp_avg_sq + (1 - beta2) * grad * grad
    denom = sqrt(exp_avg_sq / bias_correction2) + hp["eps"]
    mu_product_next = mu_product * mu_next
    params = params + (-lr * (1.0 - mu) / (1.0 - mu_product)) * grad / denom
    params = params + (-lr * mu_next / (1.0 - mu_product_next)) * exp_avg / denom
    return params, NAdamState(step, mu_product, exp_avg, exp_avg_sq)


def _nadam_rule(hp: HP) -> str:
    return _aligned(
        [
            *_decay_lines(hp, decoupled=hp["decoupled_weight_decay"]),
            r"\mu_t &= \beta_1 \left(1 - \tfrac12\, 0.96^{t \psi}\right)",
            *_moment_lines(),
            r"d_t &= \sqrt{v_t / (1 - \beta_2^t)} + \epsilon",
            (
                r"\theta_t &= \theta_{t-1} - \gamma\, \frac{1 - \mu_t}{1 - \prod_{i=1}^{t} \mu_i}\, \frac{g_t}{d_t}"
                r" - \gamma\, \frac{\mu_{t+1}}{1 - \prod_{i=1}^{t+1} \mu_i}\, \frac{m_t}{d_t}"
            ),
        ]
    )


NADAM = Optimizer(
    name="nadam",
    title="NAdam",
    hyperparameters=(
        learning_rate(2e-3),
        betas(),
        eps(1e-8),
        weight_decay(),
        number("momentum_decay", 4e-3, symbol=r"\psi", ui=(0.0, 0.1)),
        flag("decoupled_weight_decay", False),
    ),
    init=_nadam_init,
    update=_nadam_update,
    inspection=NADAM_INSPECTION,
    elementwise=True,
    rule=_nadam_rule,
)


# --------------------------------------------------------------------------------------------
# RAdam


class RAdamState(NamedTuple):
    step: int
    exp_avg: np.ndarray  # (2, B)
    exp_avg_sq: np.ndarray  # (2, B)


RADAM_INSPECTION = Inspection(velocity="exp_avg", symbols={"m_t": "exp_avg", "v_t": "exp_avg_sq"})


def _radam_init(params: np.ndarray, hp: HP) -> RAdamState:
    return RAdamState(0, zeros_like(params), zeros_like(params))


def _radam_update(params: np.ndarray, grad: np.ndarray, state: RAdamState, hp: HP) -> tuple[np.ndarray, RAdamState]:
    lr, (beta1, beta2), eps_ = hp["lr"], hp["betas"], hp["eps"]
    step = state.step + 1
    if nonzero(hp["weight_decay"]):
        if hp["decoupled_weight_decay"]:
            params = params * (1 - lr * hp["weight_decay"])
        else:
            grad = grad + hp["weight_decay"] * params
    exp_avg = lerp(state.exp_avg, grad, 1 - beta1)
    exp_avg_sq = beta2 * state.exp_avg_sq + (1 - beta2) * grad * grad
    bias_correction1 = 1 - power(beta1, step)
    beta2_t = power(beta2, step)
    bias_correction2 = 1 - beta2_t
    bias_corrected_exp_avg = exp_avg / bias_correction1
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * beta2_t / bias_correction2
    plain = bias_corrected_exp_avg * lr

    def rectified() -> np.ndarray:
        # torch takes these roots as Python float ** 0.5, and its float / tensor is
        # tensor.reciprocal() * float: a reciprocal then a product, not one division.
        rect = power((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5)
        adaptive_lr = 1.0 / (sqrt(exp_avg_sq) + eps_) * power(bias_correction2, 0.5)
        return bias_corrected_exp_avg * lr * adaptive_lr * rect

    update = branch(rho_t > 5.0, rectified, lambda: plain)
    return params - update, RAdamState(step, exp_avg, exp_avg_sq)


def _radam_rule(hp: HP) -> str:
    return _aligned(
        [
            *_decay_lines(hp, decoupled=hp["decoupled_weight_decay"]),
            *_moment_lines(),
            (
                r"\rho_\infty &= \tfrac{2}{1 - \beta_2} - 1, \quad "
                r"\rho_t = \rho_\infty - \tfrac{2 t \beta_2^t}{1 - \beta_2^t}"
            ),
            r"r_t &= \sqrt{\tfrac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}",
            (
                r"\theta_t &= \theta_{t-1} - \gamma\, \frac{m_t}{1 - \beta_1^t} \cdot "
                r"\begin{cases} r_t \sqrt{1 - \beta_2^t} / (\sqrt{v_t} + \epsilon) & \rho_t > 5 \\ 1 & \text{otherwise} \end{cases}"
            ),
        ]
    )


RADAM = Optimizer(
    name="radam",
    title="RAdam",
    hyperparameters=(
        learning_rate(1e-3),
        betas(),
        eps(1e-8),
        weight_decay(),
        flag("decoupled_weight_decay", False),
    ),
    init=_radam_init,
    update=_radam_update,
    inspection=RADAM_INSPECTION,
    elementwise=True,
    rule=_radam_rule,
)


# --------------------------------------------------------------------------------------------
# Adamax


class AdamaxState(NamedTuple):
    step: int
    exp_avg: np.ndarray  # (2, B) first moment
    exp_inf: np.ndarray  # (2, B) exponentially weighted infinity norm


ADAMAX_INSPECTION = Inspection(velocity="exp_avg", symbols={"m_t": "exp_avg", "u_t": "exp_inf"})


def _adamax_init(params: np.ndarray, hp: HP) -> AdamaxState:
    return AdamaxState(0, zeros_like(params), zeros_like(params))


def _adamax_update(params: np.ndarray, grad: np.ndarray, state: AdamaxState, hp: HP) -> tuple[np.ndarray, AdamaxState]:
    beta1, beta2 = hp["betas"]
    step = state.step + 1
    grad = _coupled_decay(grad, params, hp)
    exp_avg = lerp(state.exp_avg, grad, 1 - beta1)
    exp_inf = maximum(beta2 * state.exp_inf, abs(grad) + hp["eps"])
    clr = hp["lr"] / (1 - power(beta1, step))
    return params - clr * exp_avg / exp_inf, AdamaxState(step, exp_avg, exp_inf)


def _adamax_rule(hp: HP) -> str:
    return _aligned(
        [
            *_decay_lines(hp),
            r"m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t",
            r"u_t &= \max\left(\beta_2 u_{t-1},\, |g_t| + \epsilon\right)",
            r"\theta_t &= \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\, \frac{m_t}{u_t}",
        ]
    )


ADAMAX = Optimizer(
    name="adamax",
    title="Adamax",
    hyperparameters=(learning_rate(2e-3), betas(), eps(1e-8), weight_decay()),
    init=_adamax_init,
    update=_adamax_update,
    inspection=ADAMAX_INSPECTION,
    elementwise=True,
    rule=_adamax_rule,
)


OPTIMIZERS: dict[str, Optimizer] = {}


def register(optimizer: Optimizer) -> Optimizer:
    """Add ``optimizer`` to :data:`OPTIMIZERS`; the only step a new optimizer needs."""
    if optimizer.name in OPTIMIZERS:
        msg = f"optimizer {optimizer.name!r} is already registered"
        raise ValueError(msg)
    OPTIMIZERS[optimizer.name] = optimizer
    return optimizer


for _optimizer in (SGD, ADAGRAD, RMSPROP, ADADELTA, ADAM, ADAMW, NADAM, RADAM, ADAMAX):
    register(_optimizer)


def get(name: str) -> Optimizer:
    """The optimizer called ``name``; unknown names raise KeyError listing the valid ones."""
    try:
        return OPTIMIZERS[name]
    except (KeyError, TypeError):
        msg = f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}"
        raise KeyError(msg) from None
