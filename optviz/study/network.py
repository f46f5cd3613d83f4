r"""An honest comparison of optimizers training a small network (:mod:`surfaces.network`).

Every optimizer starts from the same weights and sees the same batches: seed s gives the
network's initial weights (``network(data, model, seed=s).start``) and the engine's batches
(``optviz.run(..., seed=s, batch_size=...)``), for seeds 0 .. S − 1, and every optimizer runs
every seed. What differs between two optimizers is then the optimizer alone; what differs
between two seeds of one optimizer is chance (the start and the order of the batches), and a
difference between optimizers smaller than that is within the spread of seeds.

Two modes choose each optimizer's learning rate:

* "tuned": DeepOBS's protocol, smaller: each optimizer's own rate is chosen on a log grid of
  :data:`GRID_POINTS` rates around its usual ones (:data:`LR_RANGES`), by the validation loss
  (``net.validation``, rows neither trained nor tested on) after the same epochs, on seed 0
  only. The grid is a pure function of the network, the epochs, the batch size and the
  optimizers (:class:`Grid`), apart from the seeds: :func:`tune` makes it, and a page caches it
  apart from the comparison.
* "defaults": torch.optim's default rate of each optimizer (:data:`optviz.OPTIMIZERS`' defaults,
  torch 2.13's: SGD's is 0.001). The tutorial's momentum 0.9 and Nesterov are the
  tutorial's settings, not torch's defaults (which are 0 and off): :meth:`Contender.not_defaults`
  names them, so that the page can say so.

:func:`compare` runs the comparison: per optimizer and seed one :func:`optviz.run` with
``record="final", every=steps_per_epoch`` (the weights after every epoch), and at every epoch
the training loss (the trajectory's losses: every training row), the test loss and the test
accuracy (``net.evaluate(theta, "test")``). The :class:`Result` holds them per optimizer as
(seeds, epochs + 1) arrays, their median and lowest/highest (the band), the x axes per epoch and
per gradient evaluation, the final table (:meth:`Result.table`) and the verdict
(:meth:`Result.verdict`): which optimizers' final results are within the spread of seeds of each
other, and, for each difference beyond it, what kind of difference it is and which 2-D lesson
shows it (:data:`LESSON_OF`). Numbers and codes only: the page words them from the catalogs
(``[network]`` in ``optviz/text/<lang>.toml``).

Its cost, in seconds of this machine, is :func:`price` (from ``optviz/core/costs.toml``,
measured by ``python -m benchmarks.costs``); a comparison is admitted under its own allowance,
:data:`optviz.core.budget.COMPARISON_SECONDS` (see there).

>>> request = Comparison("iris", "mlp", epochs=2, seeds=3, mode="defaults",
...                      optimizers=(TUTORIAL[0], TUTORIAL[6]))
>>> result = compare(request)
>>> result.curves[0].test_accuracy.shape     # (seeds, epochs + 1)
(3, 3)
>>> result.epochs.tolist(), result.curves[1].grad_evals.tolist()   # 3 steps an epoch at batch 32
([0, 1, 2], [0.0, 3.0, 6.0])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from optviz.core import budget
from optviz.core.engine import Trajectory, row, run
from optviz.core.optimizers import OPTIMIZERS
from optviz.study.sweeps import log_grid
from surfaces.network import DATA, MODELS, WIDTH_RANGE, WIDTHS, initial_weights, network

Progress = Callable[[float], None]

MODES = ("tuned", "defaults")
SEED_RANGE = (3, 10)  # at least three seeds: a spread needs more than two
EPOCH_RANGE = (1, 50)
CONTENDER_RANGE = (1, 10)
GRID_POINTS = 7  # learning rates a tuned optimizer tries, evenly spaced on a log scale
# Each optimizer's grid when tuned: three decades around the rates it is usually run at, placed
# so that on the default comparison (the CNN on digits, 10 epochs of batch 32) every choice lies
# inside its grid (measured: SGD's best there is 1, with momentum 0.1 or 0.316, Adagrad's 0.1,
# RMSprop's 0.01, Adadelta's 10, Adam's and NAdam's 0.0316); elsewhere a choice at a grid's edge
# is said (Tuned.at_edge). An optimizer not listed: 1.5 decades either side of its default.
LR_RANGES = {
    "sgd": (1e-2, 10.0),
    "sgd_momentum": (1e-3, 1.0),
    "adagrad": (1e-3, 1.0),
    "rmsprop": (1e-4, 1e-1),
    "adadelta": (1e-1, 100.0),
    "adam": (1e-4, 1e-1),
    "nadam": (1e-4, 1e-1),
}
METRICS = ("train_loss", "test_loss", "test_accuracy")
HIGHER_IS_BETTER = {"train_loss": False, "test_loss": False, "test_accuracy": True}

# ------------------------------------------------------------------------------ the request


def _hashable(value: Any) -> Any:
    """A hyperparameter's value as a plain, hashable Python value (betas as a tuple of floats)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (tuple, list, np.ndarray)):
        return tuple(_hashable(v) for v in value)
    return value


@dataclass(frozen=True)
class Contender:
    """One optimizer of a comparison: a name (its label; the tutorial's are the names of the
    page's presets, ``preset.<name>`` in the catalogs), torch's optimizer name, and its
    hyperparameters besides the learning rate, which the comparison's mode sets. ``lr_range``:
    the range of its tuning grid (None: :data:`LR_RANGES`'s for it)."""

    name: str
    optimizer: str
    hyperparameters: tuple[tuple[str, Any], ...] = ()
    lr_range: tuple[float, float] | None = None

    @classmethod
    def make(cls, name: str, optimizer: str, lr_range: tuple[float, float] | None = None, **hp: Any) -> Contender:
        return cls(name, optimizer, tuple(sorted(hp.items())), lr_range)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > 40:
            msg = f"Invalid optimizer name: {self.name!r} (expected a label of 1 to 40 characters)"
            raise ValueError(msg)
        if self.optimizer not in OPTIMIZERS:
            msg = f"unknown optimizer {self.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}"
            raise ValueError(msg)
        hp = {name: _hashable(value) for name, value in dict(self.hyperparameters).items()}
        if "lr" in hp:
            msg = f"{self.name}: the learning rate is the comparison's to set (mode 'tuned' or 'defaults'), not given"
            raise ValueError(msg)
        try:
            OPTIMIZERS[self.optimizer].resolve(hp)  # torch's checks, and the rules between settings
        except TypeError as error:  # an unknown hyperparameter: a bad request like any other
            raise ValueError(str(error)) from None
        object.__setattr__(self, "hyperparameters", tuple(sorted(hp.items())))
        low, high = self.lr_range if self.lr_range is not None else self._usual_range()
        if not (isinstance(low, (int, float)) and isinstance(high, (int, float)) and 0 < low < high <= 100):
            msg = f"Invalid lr_range: {self.lr_range!r} (expected two rates, 0 < low < high <= 100)"
            raise ValueError(msg)
        object.__setattr__(self, "lr_range", (float(low), float(high)))

    def _usual_range(self) -> tuple[float, float]:
        key = "sgd_momentum" if self.optimizer == "sgd" and dict(self.hyperparameters).get("momentum", 0) else None
        if (key or self.optimizer) in LR_RANGES:
            return LR_RANGES[key or self.optimizer]
        default = float(OPTIMIZERS[self.optimizer].defaults()["lr"])
        return default / 10**1.5, default * 10**1.5

    @property
    def default_lr(self) -> float:
        """torch.optim's default learning rate for this optimizer."""
        return float(OPTIMIZERS[self.optimizer].defaults()["lr"])

    def settings(self, lr: float | np.ndarray) -> dict[str, Any]:
        """Its keyword arguments for optviz.run (and torch.optim) at learning rate ``lr``."""
        return {**dict(self.hyperparameters), "lr": lr}

    def not_defaults(self) -> tuple[str, ...]:
        """The hyperparameters it sets away from torch's defaults (the tutorial's momentum 0.9
        and Nesterov), for the page to say that "defaults" means the learning rate only."""
        defaults = OPTIMIZERS[self.optimizer].defaults()
        return tuple(name for name, value in self.hyperparameters if _hashable(defaults[name]) != value)

    def grid(self, points: int = GRID_POINTS) -> np.ndarray:
        """Its tuning grid: ``points`` rates over ``lr_range``, evenly spaced on a log scale (three digits)."""
        return log_grid(*self.lr_range, points)


# The tutorial's eight, by the names of the page's presets (optviz.settings.presets.PRESETS),
# with the same settings besides the learning rate.
TUTORIAL = (
    Contender.make("SGD", "sgd"),
    Contender.make("SGD with momentum", "sgd", momentum=0.9),
    Contender.make("Nesterov", "sgd", momentum=0.9, nesterov=True),
    Contender.make("Adagrad", "adagrad"),
    Contender.make("RMSprop", "rmsprop"),
    Contender.make("Adadelta", "adadelta"),
    Contender.make("Adam", "adam"),
    Contender.make("NAdam", "nadam"),
)


def _whole(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        msg = f"Invalid {name} value: {value!r} (expected a whole number from {low} to {high})"
        raise ValueError(msg)
    return int(value)


@dataclass(frozen=True)
class Grid:
    """What a tuned comparison's learning rates depend on (the cache key of :func:`tune`): the
    network (data, model, width), the epochs, the batch size and the optimizers; never the seeds."""

    data: str
    model: str
    width: int
    epochs: int
    batch_size: int
    optimizers: tuple[Contender, ...]
    points: int = GRID_POINTS


@dataclass(frozen=True)
class Comparison:
    """A comparison to run: the network (``data``, ``model``, ``width``: None for the tutorial's,
    :data:`surfaces.network.WIDTHS`), ``epochs`` of ``batch_size`` rows, ``seeds`` seeds (0 .. S − 1,
    from 3 to 10), the ``optimizers`` and the ``mode`` ("tuned" or "defaults") that sets their
    learning rates. Checked when made: a bad request raises ValueError naming the value and the
    valid range. Frozen and hashable: the cache key of :func:`compare`."""

    data: str = "digits"
    model: str = "cnn"
    width: int | None = None
    epochs: int = 10
    batch_size: int = 32
    seeds: int = 3
    optimizers: tuple[Contender, ...] = TUTORIAL
    mode: str = "tuned"

    def __post_init__(self) -> None:
        if self.data not in DATA:
            msg = f"unknown data {self.data!r}; choose one of: {', '.join(DATA)}"
            raise ValueError(msg)
        if self.model not in MODELS:
            msg = f"unknown model {self.model!r}; choose one of: {', '.join(MODELS)}"
            raise ValueError(msg)
        if (self.data, self.model) not in WIDTHS:
            msg = f"the {self.model.upper()} does not take {self.data}: choose one of " + ", ".join(
                f"{d} {m}" for d, m in WIDTHS
            )
            raise ValueError(msg)
        width = WIDTHS[self.data, self.model] if self.width is None else _whole("width", self.width, *WIDTH_RANGE)
        object.__setattr__(self, "width", width)
        object.__setattr__(self, "epochs", _whole("epochs", self.epochs, *EPOCH_RANGE))
        object.__setattr__(self, "seeds", _whole("seeds", self.seeds, *SEED_RANGE))
        rows = self.network().data_rows
        object.__setattr__(self, "batch_size", _whole("batch_size", self.batch_size, 1, rows))
        if self.mode not in MODES:
            msg = f"Invalid mode: {self.mode!r} (expected one of: {', '.join(MODES)})"
            raise ValueError(msg)
        optimizers = tuple(self.optimizers) if isinstance(self.optimizers, (tuple, list)) else None
        low, high = CONTENDER_RANGE
        if optimizers is None or not low <= len(optimizers) <= high:
            msg = f"Invalid optimizers: expected {low} to {high} of them, got {self.optimizers!r}"
            raise ValueError(msg)
        if not all(isinstance(c, Contender) for c in optimizers):
            msg = "Invalid optimizers: each one is a Contender (a name, an optimizer and its settings)"
            raise ValueError(msg)
        names = [c.name for c in optimizers]
        if len(set(names)) != len(names):
            msg = f"Invalid optimizers: two have the same name ({', '.join(names)})"
            raise ValueError(msg)
        object.__setattr__(self, "optimizers", optimizers)

    def network(self, seed: int = 0) -> Any:
        """The network trained (its weights initialised from ``seed``)."""
        return network(self.data, self.model, seed, width=self.width)

    def start(self, seed: int) -> np.ndarray:
        """The initial weights of seed ``seed``: ``network(data, model, seed=seed).start``."""
        return initial_weights(self.network().tensors, seed)

    @property
    def steps_per_epoch(self) -> int:
        return self.network().steps_per_epoch(self.batch_size)

    @property
    def steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    @property
    def grid(self) -> Grid:
        """The tuning grid's key (the same for every number of seeds and either mode)."""
        return Grid(self.data, self.model, self.width, self.epochs, self.batch_size, self.optimizers)


def _quiet(_: float) -> None:
    """No progress to show."""


# ------------------------------------------------------------------------------ tuning


@dataclass(frozen=True, eq=False)
class Tuned:
    """One optimizer's grid: each rate's validation loss and accuracy after the epochs (seed 0),
    NaN where the run diverged, and the chosen rate, the lowest validation loss of the runs
    that did not diverge (the lowest rate if every one did: ``all_diverged``)."""

    lrs: np.ndarray  # (points,)
    validation_loss: np.ndarray  # (points,)
    validation_accuracy: np.ndarray  # (points,)
    diverged: np.ndarray  # (points,) bool
    chosen: int

    @property
    def lr(self) -> float:
        return float(self.lrs[self.chosen])

    @property
    def all_diverged(self) -> bool:
        return bool(self.diverged.all())

    @property
    def at_edge(self) -> bool:
        """Whether the chosen rate is the grid's lowest or highest (the best may lie beyond it)."""
        return self.chosen in (0, len(self.lrs) - 1) and not self.all_diverged


@dataclass(frozen=True, eq=False)
class Tuning:
    """The tuning grid of every optimizer of ``grid``, in its order."""

    grid: Grid
    optimizers: tuple[Tuned, ...]

    @property
    def rates(self) -> tuple[float, ...]:
        return tuple(t.lr for t in self.optimizers)


def tune(grid: Grid | Comparison, progress: Progress = _quiet) -> Tuning:
    """Each optimizer's learning rate chosen on its grid by the validation loss after the
    grid's epochs from seed 0's weights and batches: one batched run an optimizer (a rate a
    trajectory). Pure in ``grid``: cache it by that key."""
    if isinstance(grid, Comparison):
        grid = grid.grid
    request = Comparison(grid.data, grid.model, grid.width, grid.epochs, grid.batch_size, optimizers=grid.optimizers)
    net, steps = request.network(), request.steps
    total = len(grid.optimizers) * grid.points
    done, found = 0, []
    for contender in grid.optimizers:
        lrs = contender.grid(grid.points)
        starts = np.tile(request.start(0), (len(lrs), 1))
        t = run(
            contender.optimizer,
            net,
            start=starts,
            steps=steps,
            record="final",
            seed=0,
            batch_size=grid.batch_size,
            **contender.settings(lrs),
        )
        diverged = np.array([k is not None for k in t.diverged_at])
        loss, accuracy = np.full(len(lrs), np.nan), np.full(len(lrs), np.nan)
        for i in np.flatnonzero(~diverged).tolist():
            loss[i], accuracy[i] = net.evaluate(t.points[-1, i], "validation")
        finite = np.flatnonzero(np.isfinite(loss))
        chosen = int(finite[np.argmin(loss[finite])]) if finite.size else 0  # ties: the lower rate
        found.append(Tuned(lrs, loss, accuracy, diverged, chosen))
        done += len(lrs)
        progress(done / total)
    return Tuning(grid, tuple(found))


# ------------------------------------------------------------------------------ the comparison


@dataclass(frozen=True, eq=False)
class Band:
    """A metric over the seeds at every epoch: the median, and the lowest and highest (the
    band), over the seeds still running (NaN where none is)."""

    median: np.ndarray  # (epochs + 1,)
    low: np.ndarray
    high: np.ndarray


def band(values: np.ndarray) -> Band:
    """The median, lowest and highest of ``values`` (seeds, epochs + 1) down each column, NaN
    entries (a diverged seed's epochs) left out; NaN where a column has none."""
    median, low, high = (np.full(values.shape[1], np.nan) for _ in range(3))
    for j in range(values.shape[1]):
        column = values[:, j][np.isfinite(values[:, j])]
        if column.size:
            median[j], low[j], high[j] = np.median(column), column.min(), column.max()
    return Band(median, low, high)


@dataclass(frozen=True, eq=False)
class Curves:
    """One optimizer's results, (seeds, epochs + 1) arrays: row s is seed s, column e the
    weights after e epochs; NaN from the epoch in which a seed diverged (``diverged_at``: the
    step, None where it did not)."""

    lr: float
    train_loss: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    diverged_at: tuple[int | None, ...]
    grad_evals: np.ndarray  # (epochs + 1,) the gradient evaluations made by each epoch's end
    # Seed 0's run as the engine kept it (its weights after every epoch, frozen where it
    # diverged): what the landscape projects. None where a test builds curves by hand.
    run: Trajectory | None = None

    def values(self, metric: str) -> np.ndarray:
        if metric not in METRICS:
            msg = f"unknown metric {metric!r}; choose one of: {', '.join(METRICS)}"
            raise ValueError(msg)
        return getattr(self, metric)

    def band(self, metric: str) -> Band:
        return band(self.values(metric))

    @property
    def diverged(self) -> int:
        """How many seeds diverged."""
        return sum(k is not None for k in self.diverged_at)


@dataclass(frozen=True)
class Row:
    """One optimizer's line of the final table: after the last epoch, over the seeds that did
    not diverge, the median test accuracy and its lowest and highest, the median training and
    test losses; and how many of the seeds diverged."""

    index: int
    lr: float
    accuracy: float
    accuracy_low: float
    accuracy_high: float
    train_loss: float
    test_loss: float
    diverged: int
    seeds: int


# Kinds of difference between two optimizers, and the 2-D lesson (optviz/settings/lessons.toml,
# by its id) whose race shows the mechanism behind each: the page links it beside a difference.
LESSON_OF = {
    "momentum": "momentum",  # SGD against SGD with momentum (or Nesterov)
    "nesterov": "nesterov",  # plain momentum against Nesterov's look-ahead; Adam against NAdam
    "adaptive": "rosenbrock",  # plain SGD against a per-coordinate step (Adagrad, RMSprop, Adam, ...)
    "accumulator": "adagrad_rmsprop",  # Adagrad's growing sum against a running mean
    "adadelta": "adadelta",  # Adadelta's own step size against a learning rate
    "bias": "adam_bias",  # RMSprop against Adam and NAdam: momentum and bias correction
    "noise": "minibatches",  # the seeds' spread itself: minibatch noise
}
_SGD_FAMILY = ("plain", "momentum", "nesterov")
_ADAPTIVE = ("adagrad", "rmsprop", "adadelta", "adam", "nadam")
# The kind of each difference between two families (see family()); a pair not listed has no lesson.
KINDS = {
    frozenset(("plain", "momentum")): "momentum",
    frozenset(("plain", "nesterov")): "momentum",
    frozenset(("momentum", "nesterov")): "nesterov",
    **{frozenset((sgd, other)): "adaptive" for sgd in _SGD_FAMILY for other in _ADAPTIVE},
    **{frozenset(("adagrad", other)): "accumulator" for other in _ADAPTIVE if other != "adagrad"},
    **{frozenset(("adadelta", other)): "adadelta" for other in ("rmsprop", "adam", "nadam")},
    frozenset(("rmsprop", "adam")): "bias",
    frozenset(("rmsprop", "nadam")): "bias",
    frozenset(("adam", "nadam")): "nesterov",
}


def family(contender: Contender) -> str:
    """What a contender is, for the kinds of difference: SGD as "plain", "momentum" or
    "nesterov", the others by their optimizer's name."""
    if contender.optimizer != "sgd":
        return contender.optimizer
    hp = dict(contender.hyperparameters)
    if not hp.get("momentum", 0):
        return "plain"
    return "nesterov" if hp.get("nesterov") else "momentum"


def difference_kind(one: Contender, other: Contender) -> str | None:
    """The kind of difference between two optimizers (a key of :data:`LESSON_OF`), None when
    no lesson explains it (the same family, or optimizers no lesson covers)."""
    return KINDS.get(frozenset((family(one), family(other))))


@dataclass(frozen=True)
class Difference:
    """A difference beyond the spread of seeds: ``better``'s lowest final value is above
    ``worse``'s highest (for a loss: below its lowest), by ``gap`` between their medians."""

    better: int
    worse: int
    gap: float
    kind: str | None
    lesson: str | None


# The verdict's pairs: how the row's optimizer compares with the column's.
WITHIN, BETTER, WORSE, NO_DATA = 0, 1, -1, -2


@dataclass(frozen=True, eq=False)
class Verdict:
    """Which final results are within the spread of seeds of each other, for ``metric``.

    Two optimizers are within the spread when the ranges of their final values over the seeds
    (lowest to highest) overlap: then the seeds alone could order them either way. ``pairs``
    (n, n) holds :data:`WITHIN`, :data:`BETTER` (the row's optimizer beyond the column's),
    :data:`WORSE`, or :data:`NO_DATA` (every seed of one diverged). ``best`` is the optimizer
    with the best median, ``tied`` those within the spread of it (``best`` among them),
    ``differences`` every pair beyond the spread, best first, and ``spread`` the widest range
    of one optimizer's seeds."""

    metric: str
    best: int | None
    tied: tuple[int, ...]
    pairs: np.ndarray
    differences: tuple[Difference, ...]
    spread: float

    @property
    def all_within(self) -> bool:
        """Whether every pair is within the spread: the seeds alone could order them all."""
        return not self.differences


@dataclass(frozen=True, eq=False)
class Result:
    """A comparison's results: per optimizer its :class:`Curves`, in the request's order; the
    x axes (``epochs``, and each optimizer's ``grad_evals``); the tuning grid it was run at
    ("tuned"; None for "defaults")."""

    request: Comparison
    curves: tuple[Curves, ...]
    tuning: Tuning | None = None
    epochs: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def rates(self) -> tuple[float, ...]:
        return tuple(c.lr for c in self.curves)

    def table(self) -> tuple[Row, ...]:
        """The final table: a :class:`Row` per optimizer, in the request's order."""
        rows = []
        for index, curves in enumerate(self.curves):
            final = {metric: curves.band(metric) for metric in METRICS}
            accuracy = final["test_accuracy"]
            rows.append(
                Row(
                    index=index,
                    lr=curves.lr,
                    accuracy=float(accuracy.median[-1]),
                    accuracy_low=float(accuracy.low[-1]),
                    accuracy_high=float(accuracy.high[-1]),
                    train_loss=float(final["train_loss"].median[-1]),
                    test_loss=float(final["test_loss"].median[-1]),
                    diverged=curves.diverged,
                    seeds=self.request.seeds,
                )
            )
        return tuple(rows)

    def verdict(self, metric: str = "test_accuracy") -> Verdict:
        """Where the differences of the final ``metric`` are within the spread of seeds."""
        return verdict(self, metric)


def verdict(result: Result, metric: str = "test_accuracy") -> Verdict:
    """:meth:`Result.verdict`: the final values' ranges over the seeds compared pair by pair."""
    finals = [c.band(metric) for c in result.curves]
    median = np.array([b.median[-1] for b in finals])
    low, high = np.array([b.low[-1] for b in finals]), np.array([b.high[-1] for b in finals])
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    count = len(finals)
    pairs = np.full((count, count), WITHIN, dtype=np.int8)
    differences = []
    for i in range(count):
        for j in range(count):
            if not (np.isfinite(median[i]) and np.isfinite(median[j])):
                pairs[i, j] = NO_DATA
            elif low[i] > high[j] or high[i] < low[j]:  # the ranges do not overlap
                pairs[i, j] = BETTER if sign * (median[i] - median[j]) > 0 else WORSE
                if pairs[i, j] == BETTER:
                    kind = difference_kind(result.request.optimizers[i], result.request.optimizers[j])
                    gap = float(abs(median[i] - median[j]))
                    differences.append(Difference(i, j, gap, kind, LESSON_OF.get(kind) if kind else None))
    ranked = np.flatnonzero(np.isfinite(median))
    best = None
    tied: tuple[int, ...] = ()
    if ranked.size:
        best = int(ranked[np.argmax(sign * median[ranked])])
        tied = tuple(int(j) for j in ranked if pairs[best, j] == WITHIN)
    differences.sort(key=lambda d: (-sign * median[d.better], -d.gap))
    spreads = (high - low)[np.isfinite(median)]
    return Verdict(metric, best, tied, pairs, tuple(differences), float(spreads.max()) if spreads.size else math.nan)


def compare(request: Comparison, tuning: Tuning | None = None, progress: Progress = _quiet) -> Result:
    """Run ``request``: every optimizer from every seed's weights and batches, measured at every
    epoch. "tuned" takes its rates from ``tuning`` (:func:`tune` of ``request.grid``, cached by
    the page), made here when None; "defaults" takes torch's. ``progress`` hears the fraction
    done (of the grid and the comparison together when the grid is made here)."""
    share = 0.0  # of the progress bar, the grid's (made here) by the estimates
    if request.mode == "tuned":
        if tuning is None:
            estimate = price(request)
            share = estimate.grid / estimate.total
            tuning = tune(request.grid, lambda done: progress(share * done))
        elif tuning.grid != request.grid:
            msg = "the tuning grid given was made for another network, epochs, batch size or optimizers"
            raise ValueError(msg)
        rates = tuning.rates
    else:
        tuning, rates = None, tuple(c.default_lr for c in request.optimizers)
    net, per_epoch, seeds = request.network(), request.steps_per_epoch, request.seeds
    starts = [request.start(s) for s in range(seeds)]
    total, done = len(request.optimizers) * seeds, 0
    curves = []
    for contender, lr in zip(request.optimizers, rates, strict=True):
        measured = np.full((3, seeds, request.epochs + 1), np.nan)
        # Every seed at once, each with its own weights and batches (seed=[0, 1, ...]): the
        # engine steps them together, each exactly as its single run.
        t = run(
            contender.optimizer,
            net,
            start=np.stack(starts),
            steps=request.steps,
            record="final",
            every=per_epoch,
            seed=list(range(seeds)),
            batch_size=request.batch_size,
            **contender.settings(lr),
        )
        kept = np.array(t.kept)
        for seed, diverged in enumerate(t.diverged_at):
            alive = kept < (diverged if diverged is not None else request.steps + 1)
            measured[0, seed, alive] = t.losses[alive, seed]
            epochs = np.flatnonzero(alive)
            measured[1, seed, epochs], measured[2, seed, epochs] = net.evaluate_at(t.points[epochs, seed].T, "test")
        # By each kept epoch, over the seeds (the same for all but a rule whose evaluations a step differ).
        grad_evals = np.asarray(t.evaluations, dtype=np.float64).reshape(len(kept), -1).mean(axis=1)
        done += seeds
        progress(share + (1.0 - share) * done / total)
        budget.checkpoint()
        curves.append(Curves(float(lr), *measured, tuple(t.diverged_at), grad_evals, _first(t)))
    return Result(request, tuple(curves), tuning, np.arange(request.epochs + 1))


def _first(trajectory: Trajectory) -> Trajectory:
    """Seed 0's trajectory of a batch of seeds: its own arrays, as a single run's."""
    points, losses, grads = (
        np.ascontiguousarray(a[:, 0]) for a in (trajectory.points, trajectory.losses, trajectory.grads)
    )
    return replace(
        trajectory,
        points=points,
        losses=losses,
        grads=grads,
        diverged_at=trajectory.diverged_at[0],
        hyperparameters=row(trajectory.hyperparameters, 0),
    )


# ------------------------------------------------------------------------------ its price


@dataclass(frozen=True)
class Price:
    """What a comparison costs, in CPU seconds of this machine: its tuning grid (0 for
    "defaults"; cached apart, but priced whether cached or not: the estimate decides, never the
    state of a cache) and the comparison itself."""

    grid: float
    comparison: float

    @property
    def total(self) -> float:
        return self.grid + self.comparison


def price(request: Comparison) -> Price:
    """The estimate that admits ``request`` (:data:`optviz.core.budget.COMPARISON_SECONDS`):
    every trajectory-step and every evaluation of a set of weights, at the costs measured for
    its network (``[network]`` in optviz/core/costs.toml)."""
    network_ = (request.data, request.model, request.width)
    step = budget.network_step_seconds(*network_, request.batch_size)
    run_, evaluation = budget.network_run_seconds(*network_), budget.network_evaluation_seconds(*network_)
    runs = len(request.optimizers)
    comparison = runs * request.seeds * (run_ + request.steps * step + (request.epochs + 1) * evaluation)
    grid = 0.0
    if request.mode == "tuned":  # a batched run an optimizer, priced as its trajectories run alone
        grid = runs * request.grid.points * (run_ + request.steps * step + evaluation)
    return Price(grid, comparison)
