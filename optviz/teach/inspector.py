r"""The step inspector: what one step of a run did, read from the run's recorded state.

For step ``k`` (from the point :math:`\theta_{k-1}` to :math:`\theta_k`) of a trajectory run
with ``record="state"`` (:func:`optviz.core.engine.run`):

* the **gradient** :math:`g_k = \nabla f(\theta_{k-1})`, as the engine fed it to the rule;
* the **velocity**: the state field the rule steps along (its momentum, ``b_t`` or ``m_t``,
  declared by the optimizer's :class:`~optviz.core.optimizers.Inspection`), after step k, or
  None for a rule that steps along the gradient;
* the **step** :math:`\Delta\theta_k = \theta_k - \theta_{k-1}`, the move actually made;
* the **adaptive scale**, defined here and only here: the effective per-coordinate learning
  rate that the step applied to its direction,

  .. math:: s_k = -\Delta\theta_k / d_k \quad\text{per coordinate,}

  where the direction :math:`d_k` is the velocity when the run keeps one, else the gradient.
  So :math:`\Delta\theta_k = -s_k \odot d_k` exactly as the run moved. For SGD with or
  without momentum it is :math:`\gamma`; for Adagrad :math:`\tilde\gamma / (\sqrt{s_t} +
  \epsilon)`; for Adam :math:`\gamma / (1 - \beta_1^t) / (\sqrt{v_t} / \sqrt{1 - \beta_2^t}
  + \epsilon)`. It is read off the step and the state that the run's own update produced,
  never computed by a second formula, so it includes whatever else the step did: weight
  decay, Nesterov's and NAdam's extra gradient term (their step is not along the velocity
  alone), and the rounding of :math:`\theta_k` (which shows in the sixth digit only for steps
  a million times smaller than the point's coordinates). Where the direction is 0 in a
  coordinate, no rate can be read: NaN.

* the **effective step size** per coordinate, for a rule that divides by accumulated squares
  (its :class:`~optviz.core.optimizers.Inspection` names them: Adagrad, RMSprop, Adadelta,
  the Adam family, Adamax's running maximum): the rate the squares give the gradient in each
  coordinate, what the race draws as a rectangle at the head. It is the adaptive scale
  (Adagrad's :math:`\tilde\gamma / (\sqrt{s_t} + \epsilon)`), with two readings where the
  velocity is not in the gradient's units. Where it is a running mean (the Adam family), the
  rate on its bias-corrected value :math:`m_t / (1 - \beta_1^t)`: the scale times
  :math:`1 - \beta_1^t`, Adam's :math:`\gamma / (\sqrt{\hat v_t} + \epsilon)`. Where it
  accumulates the gradient already divided (RMSprop with momentum, whose step is
  :math:`-\gamma b_t`), the rate where the gradient enters it, :math:`\gamma\,(b_t - \mu
  b_{t-1}) / \tilde g_t` with :math:`\tilde g_t` the gradient after weight decay, which is
  :math:`\gamma / d_t`. None for a rule without squares.

Row 0 of every vector is NaN (no step has been taken at the start). The values of the
symbols of the run's update rule at step k (:func:`symbol_values`) come from the same
records: :math:`\theta_{t-1}` and :math:`\theta_t` from the path, :math:`g_t` from the
gradients, the state symbols from the recorded state (through the optimizer's
``Inspection.symbols``), the hyperparameters from the run's settings. Quantities that the
update computes and does not keep (a divisor :math:`d_t`, a decayed rate) have no value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz.core.engine import Trajectory, run
from optviz.core.optimizers import OPTIMIZERS, Optimizer
from optviz.settings import Experiment
from optviz.teach.symbols import legend, meaning, tokens
from optviz.text import DEFAULT_LANGUAGE


def record_experiment(experiment: Experiment) -> list[Trajectory]:
    """The runs of ``experiment`` with their states recorded: the same paths, bit for bit."""
    surf = experiment.build_surface()
    return [
        run(
            r.optimizer,
            surf,
            start=experiment.start,
            steps=experiment.steps,
            record="state",
            **experiment.run_settings(r),
        )
        for r in experiment.runs
    ]


@dataclass(frozen=True)
class StepVectors:
    """The inspector's vectors of one run at every step, each of shape ``(steps + 1, 2)``."""

    gradient: np.ndarray
    velocity: np.ndarray | None  # None: the run steps along the gradient
    scale: np.ndarray
    step: np.ndarray
    effective: np.ndarray | None = None  # None: the rule keeps no accumulated squares


def _check(trajectory: Trajectory) -> Optimizer:
    if trajectory.states is None or trajectory.batched:
        msg = "the inspector reads a single trajectory run with record='state'"
        raise ValueError(msg)
    return trajectory.spec


def vectors(trajectory: Trajectory) -> StepVectors:
    """The gradient, velocity, adaptive scale, step and effective step size of every step of
    ``trajectory``.

    See the module's docstring for what each one is.
    """
    spec = _check(trajectory)
    nan_row = np.full((1, 2), np.nan)
    gradient = np.concatenate([nan_row, _stepped_gradients(trajectory, spec)])
    step = np.concatenate([nan_row, np.diff(trajectory.points, axis=0)])
    field = spec.inspection.velocity
    velocity = None if field is None else getattr(trajectory.states, field)
    if velocity is not None:
        velocity = velocity.copy()
        velocity[0] = np.nan
    direction = gradient if velocity is None else velocity
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(direction != 0, -step / direction, np.nan)
    return StepVectors(
        gradient=gradient, velocity=velocity, scale=scale, step=step, effective=_effective(trajectory, spec, scale)
    )


def _stepped_gradients(trajectory: Trajectory, spec: Optimizer) -> np.ndarray:
    """The gradient each step took its step with, (steps, d): the iterate's, or for a rule that
    steps with its further evaluation's (SAM's, at the perturbed point) that one's."""
    if not spec.inspection.gradient_at_probe:
        return trajectory.grads[:-1]
    stepped = np.full_like(trajectory.grads[:-1], np.nan)  # none after a step the run diverged at
    probes = trajectory.probes
    stepped[probes.steps - 1] = probes.gradients
    return stepped


def _effective(trajectory: Trajectory, spec: Optimizer, scale: np.ndarray) -> np.ndarray | None:
    """The effective step size per coordinate (the module's docstring), or None without squares."""
    inspection = spec.inspection
    if inspection.squares is None:
        return None
    hp = trajectory.hyperparameters
    if inspection.mean_decay is not None:  # 1 - beta1^t at t = 1..steps, by products only
        beta = float(hp[inspection.mean_decay][0])
        weight = 1 - np.cumprod(np.full(scale.shape[0] - 1, beta))
        return scale * np.concatenate([[np.nan], weight])[:, None]
    buffer = None if inspection.velocity is None else getattr(trajectory.states, inspection.velocity)
    if not inspection.divided_velocity or buffer is None:
        return scale
    entered = np.concatenate([np.full((1, 2), np.nan), buffer[1:] - hp["momentum"] * buffer[:-1]])
    fed = np.concatenate([np.full((1, 2), np.nan), trajectory.grads[:-1] + hp["weight_decay"] * trajectory.points[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(fed != 0, scale * entered / fed, np.nan)


@dataclass(frozen=True)
class SymbolValue:
    """One symbol of a rule as written (``m_{t-1}``), what it means, and its value at a step.

    ``value`` is a number for a hyperparameter, an ``(x, y)`` pair for a vector, None for a
    quantity the update computes and does not keep.
    """

    latex: str
    meaning: str
    value: float | tuple[float, float] | None


# A symbol's index -> the row of the records it is read from: k plus an offset, or row 0.
_ROWS = {"t": 0, "{t}": 0, "{t-1}": -1, "0": None}
_OTHER_INDICES = {"{t+1}", "i"}  # mu_{t+1}, mu_i: the same quantity, at steps not recorded


def _quantity(token: str) -> tuple[str, str]:
    """``m_{t-1}`` -> ("m_t", "{t-1}"): the quantity a symbol names, and its index."""
    head, _, sub = token.rpartition("_")
    if head and (sub in _ROWS or sub in _OTHER_INDICES):
        return f"{head}_t", sub
    return token, ""


def symbol_values(
    trajectory: Trajectory, hyperparameters: dict[str, Any], k: int, lang: str = DEFAULT_LANGUAGE
) -> tuple[str, list[SymbolValue]]:
    """The run's update rule (LaTeX) and the value of each of its symbols at step ``k`` (>= 1),
    their meanings in ``lang``.

    Hyperparameters come first (as :func:`optviz.teach.symbols.legend` orders them), then the
    other symbols as written in the rule, in order of appearance: ``\\theta_{t-1}``,
    ``g_t``, ``m_{t-1}``, ``m_t``, ...
    """
    spec = _check(trajectory)
    if not 1 <= k <= trajectory.steps:
        msg = f"Invalid step: {k} (expected 1 to {trajectory.steps})"
        raise ValueError(msg)
    latex = spec.rule(hyperparameters)
    rows = [
        SymbolValue(symbol.latex, symbol.meaning, float(symbol.values[0]))
        for symbol in legend(spec, latex, [hyperparameters], lang)
        if symbol.values
    ]
    settings = {row.latex for row in rows}
    stepped = _stepped_gradients(trajectory, spec)
    records = {r"\theta_t": trajectory.points, "g_t": np.concatenate([stepped[:1], stepped])}
    if spec.inspection.gradient_at_probe:  # the iterate's gradient, which aims the perturbation
        records[r"\hat g_t"] = np.concatenate([trajectory.grads[:1], trajectory.grads[:-1]])
    for symbol, field in spec.inspection.symbols.items():
        records[symbol] = getattr(trajectory.states, field)
    seen = set(settings)
    for token in tokens(latex):
        if token in seen:
            continue
        seen.add(token)
        quantity, index = _quantity(token)
        value = None
        if records.get(quantity) is not None and index in _ROWS:
            offset = _ROWS[index]
            x, y = records[quantity][0 if offset is None else k + offset]
            value = float(x) if quantity in spec.inspection.scalars else (float(x), float(y))
        rows.append(SymbolValue(token, meaning(spec.words, quantity, lang) or "", value))
    return latex, rows


def velocity_symbol(optimizer: str | Optimizer) -> str | None:
    """The rule's symbol for the velocity (``b_t``, ``m_t``), or None (a name, or the record)."""
    inspection = (OPTIMIZERS[optimizer] if isinstance(optimizer, str) else optimizer).inspection
    for symbol, field in inspection.symbols.items():
        if field == inspection.velocity:
            return symbol
    return None


__all__ = [
    "StepVectors",
    "SymbolValue",
    "record_experiment",
    "symbol_values",
    "vectors",
    "velocity_symbol",
]
