"""The optimizer record, the rules between its hyperparameters, and the registry.

An :class:`Optimizer` holds its hyperparameters, its pure ``init`` and ``update`` functions, its
update rule in LaTeX and what the step inspector reads from its state; its words (title,
summary, reference, the help of its hyperparameters, the meaning of its state symbols) are in
the catalogs, optviz/text. :func:`register` adds one to :data:`OPTIMIZERS` once it has checked
that every word the page will ask for is there, in every language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optviz.core.hyperparameters import Hyperparameter
from optviz.core.specs import Problem, Refused
from optviz.text import DEFAULT_LANGUAGE, LANGUAGES, catalog, say

HP = Mapping[str, Any]
InitFn = Callable[[np.ndarray, HP], Any]
UpdateFn = Callable[[np.ndarray, np.ndarray, Any, HP], tuple[np.ndarray, Any]]
# The update of a rule that evaluates the surface again within a step (``Optimizer.looks``):
# ``update(params, grad, state, hp, look)``, where ``look`` is the engine's
# :class:`optviz.core.engine.look.Look`: step k's loss and gradient at other points, counted.
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

    ``squares`` is the field of the per-coordinate accumulated squares the rule divides by
    (Adagrad's sum, RMSprop's and Adam's running means; Adamax's running maximum of
    :math:`|g|`), None for a rule that keeps none: the race draws such a run's effective step
    size per coordinate. ``divided_velocity``: the velocity accumulates the gradient already
    divided by their root (RMSprop with momentum), so the step's rate along it is the plain
    learning rate, and the squares' rate is read where the gradient enters it. ``mean_decay``
    names the hyperparameter whose first value is :math:`\beta_1` of a velocity that is a
    running mean, :math:`m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t` (the Adam family's
    ``betas``): the squares' rate is then the one on its bias-corrected value
    :math:`m_t / (1 - \beta_1^t)`, which is in the gradient's units.
    ``plotted``: a state symbol (Prodigy's :math:`d_t`) the inspector draws over every step.
    """

    velocity: str | None = None
    symbols: Mapping[str, str] = field(default_factory=dict)
    squares: str | None = None
    divided_velocity: bool = False
    mean_decay: str | None = None
    # A state symbol of one value per trajectory (a key of ``symbols``: Prodigy's estimate d_t),
    # which the inspector also draws over the steps in a small chart, the player's step marked.
    plotted: str | None = None
    # The state symbols that hold one value per trajectory, not one per coordinate (Prodigy's
    # d_t, LBFGS's step length): the inspector shows one number for them.
    scalars: tuple[str, ...] = ()
    # True for a rule that steps with the gradient of its one further evaluation a step, not the
    # iterate's (SAM's g_t, at theta + e_t): the inspector reads g_t from Trajectory.probes, and
    # the iterate's gradient, which only aims the perturbation, as \hat g_t.
    gradient_at_probe: bool = False


@dataclass(frozen=True)
class Companion:
    """A second point a rule keeps beside its iterate, which the race draws as a path of its own.

    ``field`` is the state field that holds it after each step, (d, B) like the params (ASGD's
    average of its iterates, ``ax``; schedule-free's ``x``). ``bold``: the second point is the
    rule's answer, the one to evaluate (an average of the iterates): the race draws it bold and
    the iterate, where the gradients are taken, faint. Else the second point is a glance aside
    (SAM's perturbed point) and is drawn faint. Its words, what the two paths are, are the
    catalogs' ``optimizer.<name>.companion``.
    """

    field: str
    bold: bool = False


@dataclass(frozen=True)
class Optimizer:
    """One optimizer: its hyperparameters, its pure update rule and how to explain it."""

    name: str  # torch.optim's class name in lower case
    # The implementation the rule follows bit for bit, as library.module.Class ("torch.optim.Adam"):
    # tests/torch_reference.py records a torch one, tests/core/test_against_torch.py compares with it.
    mirrors: str
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
    # An in-place version of ``update`` on (d, B) arrays, for the engine's record="final" loop:
    # the same operations in the same order, so the same bits (tests/core/test_kernels.py checks it
    # against ``update``). ``update`` stays the reference; None: the engine calls ``update``.
    kernel: KernelFn | None = None
    # True when the momentum buffer is made at the first step only if the momentum is above 0
    # then (torch's RMSprop): a schedule may not raise a momentum that starts at 0 (optviz.core.rules).
    momentum_from_first_step: bool = False
    # For a rule whose options can couple the coordinates (a cautious mask, summed over them):
    # True for settings under which it does. The engine then steps it as it would a rule that is
    # not elementwise (see :meth:`elementwise_for`).
    couples: Callable[[HP], bool] | None = None
    # A second point the rule keeps beside its iterate (see :class:`Companion`), recorded by
    # record="path" and record="state" (``Trajectory.companion``) and drawn by the race.
    companion: Companion | None = None
    # True for a rule that evaluates the surface again within a step, at points of its own (LBFGS's
    # iterations and line search, SAM's perturbed point): its ``update`` takes a fifth argument,
    # the engine's Look, which gives step k's gradient (and loss) and counts each evaluation
    # (``Trajectory.counts``) and keeps its point (``Trajectory.probes``, drawn faintly).
    looks: bool = False
    # True for a rule that reads the loss (LBFGS's tests of progress and its line search): it
    # needs the whole data each step (optviz.core.rules refuses a minibatch).
    reads_loss: bool = False
    # False for a rule that steps each trajectory of a batch on its own (LBFGS: its control flow
    # differs from one to the next): a batch then costs each trajectory's race step (optviz.core.budget).
    batched: bool = True
    # The work of one step under the settings ``hp``, in units of its work under the defaults
    # (where costs.toml measured it), for a rule whose step does as much as its settings ask
    # (LBFGS's iterations over its kept pairs); None: the same whatever the settings.
    work: Callable[[HP], float] | None = None
    # For a rule that evaluates again within a step: the most evaluations a step may make under
    # the settings ``hp``, each priced at the surface's own cost (optviz.core.budget); None: one.
    evaluations: Callable[[HP], int] | None = None
    # For a rule around another (SAM): the record that runs under the given values, the one for
    # the base they name (its hyperparameters are the base's and its own). None: this record.
    specialise: Callable[[Mapping[str, Any]], Optimizer] | None = None

    # Further optimizers whose own words apply after this one's (SAM around Adam: Adam's).
    words_from: tuple[str, ...] = ()
    # False for a rule the page does not offer among the optimizers (Muon: on two parameters all it
    # can show is a normalised step, which its lesson shows): links and lessons may still run it.
    listed: bool = True
    # Settings a run's label names even at their defaults, after its learning rate (SAM's radius:
    # "SAM (SGD), lr 0.01, rho 0.05" says what the run is, where a bare "SAM (SGD), lr 0.01" would not).
    labelled: tuple[str, ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        """The optimizers whose words (help, titles, symbols) apply, its own first."""
        return (self.name, *self.words_from)

    def for_values(self, values: Mapping[str, Any]) -> Optimizer:
        """The record that runs under ``values``: this one, or, for a rule around another (SAM),
        the one for the base ``values`` name (this one if they name none it can take)."""
        return self if self.specialise is None else self.specialise(values)

    def elementwise_for(self, hp: HP) -> bool:
        """Whether the rule treats every coordinate on its own under the settings ``hp``."""
        return self.elementwise and not (self.couples is not None and self.couples(hp))

    def text(self, part: str, lang: str = DEFAULT_LANGUAGE) -> str:
        """Its ``part`` from the catalogs (``optimizer.<name>.<part>``), in ``lang``."""
        return say(f"optimizer.{self.name}.{part}", lang)

    # torch.optim's class name ("Adam"), the same in every language.
    title = property(lambda self: self.text("title"))
    # Plain language, in English: what it fixes, where it shines, where it fails.
    summary = property(lambda self: self.text("summary"))
    # Where it comes from, in English: the papers.
    reference = property(lambda self: self.text("reference"))

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
        values raise ValueError in torch's words, a broken rule between them
        :class:`~optviz.core.specs.Refused`.
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
                raise Refused(Problem.of("refused", rule=constraint.rule, optimizer=self.name))
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

    ``rule`` and ``repair`` name their words in the catalogs (``rule.<rule>``, ``repair.<repair>``);
    the Python API refuses a broken rule (:class:`~optviz.core.specs.Refused`), the app applies
    ``fix`` and says what it did.
    """

    rule: str
    holds: Callable[[HP], bool]
    repair: str
    fix: Callable[[dict[str, Any]], dict[str, Any]]


OPTIMIZERS: dict[str, Optimizer] = {}


def register(optimizer: Optimizer) -> Optimizer:
    """Add ``optimizer`` to :data:`OPTIMIZERS`; the only step a new optimizer needs in the code.

    Raises ValueError when the name is taken, or when a catalog lacks a text the page will ask
    for (:func:`missing_words`), naming every missing key: an optimizer without its words would
    break the page the first time someone chose it.
    """
    if optimizer.name in OPTIMIZERS:
        msg = f"optimizer {optimizer.name!r} is already registered"
        raise ValueError(msg)
    missing = missing_words(optimizer)
    if missing:
        msg = (
            f"optimizer {optimizer.name!r} lacks its words in the catalogs (optviz/text/<language>.toml): "
            + "; ".join(f"{lang}: {', '.join(keys)}" for lang, keys in missing.items())
        )
        raise ValueError(msg)
    OPTIMIZERS[optimizer.name] = optimizer
    return optimizer


def missing_words(optimizer: Optimizer) -> dict[str, list[str]]:
    """The catalog keys the page needs for ``optimizer`` that a language lacks, by language.

    Where one of several keys will do (an optimizer's own help for a hyperparameter, else the
    general one), the missing ones are named together: ``a | b``.
    """
    missing = {}
    for lang in LANGUAGES:
        words = catalog(lang)
        lacking = [" | ".join(keys) for keys in _needed_words(optimizer) if not any(key in words for key in keys)]
        if lacking:
            missing[lang] = lacking
    return missing


def _needed_words(optimizer: Optimizer) -> Iterator[tuple[str, ...]]:
    """Each text the page may ask for, as the keys that can give it (the first one found is used)."""
    name, names = optimizer.name, optimizer.words
    for part in ("title", "summary", "reference"):
        yield (f"optimizer.{name}.{part}",)
    for hp in optimizer.hyperparameters:
        if hp.kind == "pair":  # its part of a run's label: "betas 0.8/0.99"
            yield (*(f"optimizer.{n}.label.{hp.name}" for n in names), f"label.{hp.name}")
        for setting in (hp, *hp.parts):  # a pair (betas) and each of its parts (beta1, beta2)
            key = setting.name
            yield (*(f"optimizer.{n}.hyperparameter_title.{key}" for n in names), f"hyperparameter_title.{key}")
            yield (*(f"optimizer.{n}.hyperparameter.{key}" for n in names), f"hyperparameter.{key}")
    if optimizer.companion is not None:  # its words, or its base's (SAM around ASGD)
        yield tuple(f"optimizer.{n}.companion" for n in names)
    if optimizer.looks:  # what its faint points are, for the runs table
        yield (f"optimizer.{name}.probes",)
    for hp in optimizer.hyperparameters:
        for choice in hp.choices if hp.kind == "choice" else ():  # the widget's words for each
            yield (hp.choice_words(choice),)
    for symbol in optimizer.inspection.symbols:
        yield (*(f"symbol.{n}.{symbol}" for n in names), f"symbol.{symbol}")
    for constraint in optimizer.constraints:
        yield (f"rule.{constraint.rule}",)
        yield (f"repair.{constraint.repair}",)


def get(name: str) -> Optimizer:
    """The optimizer called ``name``; unknown names raise KeyError listing the valid ones."""
    found = OPTIMIZERS.get(name) if isinstance(name, str) else None
    if found is None:
        msg = f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}"
        raise KeyError(msg)
    return found
