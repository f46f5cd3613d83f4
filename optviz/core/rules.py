"""What makes a run runnable: the rules between its optimizer, its schedule, its minibatches, the
surface and the number of steps, each declared once.

A run is an optimizer with its hyperparameters, perhaps a learning-rate schedule and a
minibatch size, on a surface for some number of steps. Some combinations cannot run: a
minibatch on a surface without data, a OneCycleLR cycle shorter than the run, a momentum
cycle for an optimizer without a momentum, a cycle that sets beta1 to 1 (its bias correction
divides by zero) or that starts RMSprop's momentum at 0 (its buffer is never made, as in
torch). Each is one :class:`RunRule` in :data:`RUN_RULES`, with the repair the app makes;
together with the optimizers' own rules between hyperparameters (``Optimizer.constraints``)
they are applied by one function on each side:

* :func:`repair_run`, for what a person or a link asked for: every broken rule repaired, and
  a :class:`~optviz.core.specs.Problem` for each repair, worded by the page in the reader's
  language. The link reader and the sidebar both call it.
* :func:`check_run`, for the Python API and the engine: ValueError in the rule's words.

A new rule is one row of :data:`RUN_RULES` and its words (``rule.<rule>``,
``repair.<repair>``) in the catalogs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from optviz.core.optimizers import Optimizer
from optviz.core.schedules import Schedule, fitted, schedule
from optviz.core.specs import Problem, Refused, number_text

# Which hyperparameter OneCycleLR cycles: the momentum, or the first of the betas (as torch).
MOMENTUM_NAMES = ("momentum", "betas")


def cycles_momentum(found: Schedule | None) -> bool:
    """Whether ``found`` sets the momentum (or beta1) at every step: OneCycleLR's momentum cycle."""
    return found is not None and found.spec.cycles_momentum and bool(found.values().get("cycle_momentum"))


@dataclass(frozen=True)
class Setup:
    """One run as the rules see it: what it runs, where, and for how long."""

    optimizer: Optimizer
    values: Mapping[str, Any]  # every hyperparameter, defaults included
    schedule: Schedule | None = None
    batch: int | None = None  # rows per minibatch; None: every row
    surface: str = ""  # the surface's name, for the words
    rows: int | None = None  # the surface's data rows; None: not a data surface
    steps: int = 1

    def momentum_name(self) -> str | None:
        """The hyperparameter a momentum cycle sets here: momentum, or betas (its first); None."""
        names = {hp.name for hp in self.optimizer.hyperparameters}
        return next((name for name in MOMENTUM_NAMES if name in names), None)

    def cycles_momentum(self) -> bool:
        return cycles_momentum(self.schedule)

    def momenta(self) -> tuple[float, float]:
        """The momentum cycle's ends: (base_momentum, max_momentum)."""
        values = self.schedule.values()
        return float(values["base_momentum"]), float(values["max_momentum"])

    def details(self) -> dict[str, Any]:
        """What the rules' words may name."""
        found = {
            "optimizer": self.optimizer.name,
            "title": self.optimizer.title,
            "surface": self.surface,
            "steps": self.steps,
            "batch": self.batch,
            "rows": self.rows,
        }
        if self.schedule is not None:
            found["schedule"] = self.schedule.kind
            found |= {name: number_text(v) for name, v in self.schedule.values().items() if _is_number(v)}
        name = self.momentum_name()
        if name is not None:
            part = self.optimizer.hyperparameter(name)
            part = part.parts[0] if part.parts else part
            found |= {"momentum_name": part.name, "range": part.range_text()}
        return found


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class RunRule:
    """A rule a runnable run keeps, and the repair the app makes when a link or a widget breaks it.

    ``rule`` and ``repair`` name their words in the catalogs (``rule.<rule>``,
    ``repair.<repair>``), whose placeholders are filled from :meth:`Setup.details`.
    """

    rule: str
    holds: Callable[[Setup], bool]
    repair: str
    fix: Callable[[Setup], Setup]
    # True for a rule of what the app offers and a link holds, which the Python API does not
    # need (a minibatch larger than the data is every row there, as torch's DataLoader gives).
    app_only: bool = False


def _without_momentum_cycle(setup: Setup) -> Setup:
    args = {**dict(setup.schedule.args), "cycle_momentum": False}
    return replace(setup, schedule=schedule(setup.schedule.kind, **args))


def _momenta_in_range(setup: Setup) -> bool:
    """The momenta a cycle sets are values the cycled hyperparameter accepts (beta1 < 1), and
    that the optimizer's own rules allow (schedule-free's momentum above 0)."""
    spec = setup.optimizer.hyperparameter(setup.momentum_name())
    part = spec.parts[0] if spec.parts else spec
    try:
        for value in setup.momenta():
            part.check(value)
    except ValueError:
        return False
    defaults = setup.optimizer.defaults()
    for value in setup.momenta():
        cycled = (value, *spec.default[1:]) if spec.parts else value
        if not all(rule.holds({**defaults, spec.name: cycled}) for rule in setup.optimizer.constraints):
            return False
    return True


def _buffer_made(setup: Setup) -> bool:
    """An optimizer that makes its momentum buffer only when the first step's momentum is above 0
    (RMSprop) cannot be given a momentum later: a cycle starts at max_momentum."""
    base, top = setup.momenta()
    return not setup.optimizer.momentum_from_first_step or top > 0 or base == 0


RUN_RULES: tuple[RunRule, ...] = (
    RunRule(
        rule="batch_needs_data",
        holds=lambda s: s.batch is None or s.rows is not None,
        repair="batch_off",
        fix=lambda s: replace(s, batch=None),
    ),
    RunRule(
        rule="loss_needs_every_row",
        holds=lambda s: s.batch is None or not s.optimizer.reads_loss,
        repair="batch_off",
        fix=lambda s: replace(s, batch=None),
    ),
    RunRule(
        rule="batch_within_rows",
        holds=lambda s: s.batch is None or s.rows is None or s.batch <= s.rows,
        repair="batch_to_rows",
        fix=lambda s: replace(s, batch=s.rows),
        app_only=True,
    ),
    RunRule(
        rule="cycle_covers_run",
        holds=lambda s: s.schedule is None or fitted(s.schedule, s.steps) == s.schedule,
        repair="cycle_stretched",
        fix=lambda s: replace(s, schedule=fitted(s.schedule, s.steps)),
    ),
    RunRule(
        rule="momentum_cycle_needs_momentum",
        holds=lambda s: not s.cycles_momentum() or s.momentum_name() is not None,
        repair="momentum_cycle_off",
        fix=_without_momentum_cycle,
    ),
    RunRule(
        rule="momentum_cycle_in_range",
        holds=lambda s: not s.cycles_momentum() or s.momentum_name() is None or _momenta_in_range(s),
        repair="momentum_cycle_off",
        fix=_without_momentum_cycle,
    ),
    RunRule(
        rule="momentum_cycle_makes_buffer",
        holds=lambda s: not s.cycles_momentum() or s.momentum_name() is None or _buffer_made(s),
        repair="momentum_cycle_off",
        fix=_without_momentum_cycle,
    ),
)


def repair_run(setup: Setup) -> tuple[Setup, list[Problem]]:
    """``setup`` with every broken rule repaired, the optimizer's own and the run's, and a problem
    for each repair: what a person asked for is kept as far as the rules allow."""
    values, problems = setup.optimizer.repair(setup.values)
    setup = replace(setup, values={**setup.optimizer.defaults(), **values})
    for rule in RUN_RULES:
        if not rule.holds(setup):
            problems.append(Problem.of("constraint", rule=rule.rule, repair=rule.repair, **_plain(setup.details())))
            setup = rule.fix(setup)
    return setup, problems


def check_run(setup: Setup, *, app: bool = False) -> None:
    """Raise ValueError (:class:`~optviz.core.specs.Refused`), in the first broken rule's words, if
    ``setup`` cannot run (with ``app``: or is not what the app offers and a link can hold)."""
    for rule in RUN_RULES:
        if (app or not rule.app_only) and not rule.holds(setup):
            raise Refused(Problem.of("refused", rule=rule.rule, **setup.details()))


def _plain(details: dict[str, Any]) -> dict[str, Any]:
    """The details without None (a Problem's arguments are worded as they are)."""
    return {key: value for key, value in details.items() if value is not None}
