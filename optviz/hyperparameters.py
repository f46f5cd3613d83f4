"""Hyperparameter specifications: defaults, valid ranges, UI ranges, help, and validation.

Validation follows torch.optim's constructors ("Invalid learning rate: -1.0"), with one
deliberate difference: NaN is rejected everywhere (torch's ``sgd`` lets ``lr=nan`` through).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# A numeric hyperparameter is one number, or one number per trajectory of a batch.
Number = float | np.ndarray
Value = Number | bool | tuple[Number, Number]


@dataclass(frozen=True)
class Hyperparameter:
    """One keyword argument of an optimizer, named as in torch.optim.

    ``low``/``high`` are the values torch accepts (the Python API accepts the same);
    ``ui_low``/``ui_high`` are the narrower range the app offers and accepts from links.
    ``parts`` is set for a pair such as ``betas``: each part is a numeric Hyperparameter.
    """

    name: str
    default: Value
    help: str
    symbol: str = ""  # LaTeX symbol in the update rule
    label: str = ""  # how the error message names it: "Invalid <label>: <value>"
    low: float = 0.0
    high: float = math.inf
    high_open: bool = False  # True when ``high`` itself is excluded, as for betas in [0, 1)
    ui_low: float = 0.0
    ui_high: float = 1.0
    log: bool = False  # offer it on a log scale in the UI
    parts: tuple[Hyperparameter, ...] = ()

    @property
    def kind(self) -> str:
        """'bool', 'pair' or 'float'."""
        if self.parts:
            return "pair"
        return "bool" if isinstance(self.default, bool) else "float"

    def check(self, value: object) -> Value:
        """Validate ``value``; return it as a float, bool, 1-D float array or pair thereof."""
        if self.kind == "bool":
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            msg = f"Invalid {self.name} value: {value!r} (expected True or False)"
            raise ValueError(msg)
        if self.kind == "pair":
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != len(self.parts):
                msg = f"Invalid {self.name} value: {value!r} (expected a pair of numbers)"
                raise ValueError(msg)
            return tuple(part.check(v) for part, v in zip(self.parts, value, strict=True))
        return self._check_number(value)

    def _check_number(self, value: object) -> Number:
        if isinstance(value, (bool, np.bool_, str, bytes)):
            msg = f"Invalid {self.label}: {value!r} (expected a number)"
            raise ValueError(msg)
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            msg = f"Invalid {self.label}: {value!r} (expected a number)"
            raise ValueError(msg) from None
        if array.ndim > 1:
            msg = f"Invalid {self.label}: expected a number or a 1-D array, got shape {array.shape}"
            raise ValueError(msg)
        upper = array < self.high if self.high_open else array <= self.high
        bad = ~((self.low <= array) & upper)  # NaN fails both comparisons
        if bad.any():
            first = array.flat[int(np.argmax(bad))] if array.ndim else float(array)
            where = f" (at index {int(np.argmax(bad))})" if array.ndim else ""
            msg = f"Invalid {self.label}: {float(first)}{where}"
            raise ValueError(msg)
        return float(array) if array.ndim == 0 else array

    def range_text(self) -> str:
        """The valid range, for help texts and error messages."""
        close = ")" if self.high_open else "]"
        return f"[{self.low:g}, {self.high:g}{close}"


def number(
    name: str,
    default: float,
    help: str,
    *,
    symbol: str,
    label: str | None = None,
    high: float = math.inf,
    high_open: bool = False,
    ui: tuple[float, float],
    log: bool = False,
) -> Hyperparameter:
    """A numeric hyperparameter; ``label`` defaults to torch's "<name> value"."""
    return Hyperparameter(
        name=name,
        default=float(default),
        help=help,
        symbol=symbol,
        label=label or f"{name} value",
        high=high,
        high_open=high_open,
        ui_low=ui[0],
        ui_high=ui[1],
        log=log,
    )


def flag(name: str, default: bool, help: str) -> Hyperparameter:
    """A boolean hyperparameter."""
    return Hyperparameter(name=name, default=default, help=help)


def learning_rate(default: float) -> Hyperparameter:
    return number(
        "lr",
        default,
        "Learning rate: the size of each step.",
        symbol=r"\gamma",
        label="learning rate",
        ui=(1e-5, 10.0),
        log=True,
    )


def weight_decay(default: float = 0.0) -> Hyperparameter:
    return number(
        "weight_decay",
        default,
        "L2 penalty: pulls the parameters towards the origin.",
        symbol=r"\lambda",
        ui=(0.0, 1.0),
    )


def eps(default: float) -> Hyperparameter:
    return number(
        "eps",
        default,
        "Added to the denominator for numerical stability.",
        symbol=r"\epsilon",
        label="epsilon value",
        ui=(1e-12, 1.0),
        log=True,
    )


def betas(beta1: float = 0.9, beta2: float = 0.999) -> Hyperparameter:
    parts = (
        number(
            "beta1",
            beta1,
            "Decay of the running mean of gradients (momentum).",
            symbol=r"\beta_1",
            label="beta parameter at index 0",
            high=1.0,
            high_open=True,
            ui=(0.0, 0.999),
        ),
        number(
            "beta2",
            beta2,
            "Decay of the running mean of squared gradients.",
            symbol=r"\beta_2",
            label="beta parameter at index 1",
            high=1.0,
            high_open=True,
            ui=(0.5, 0.99999),
        ),
    )
    return Hyperparameter(
        name="betas",
        default=(beta1, beta2),
        help="Decay rates of the first and second moment estimates.",
        parts=parts,
    )
