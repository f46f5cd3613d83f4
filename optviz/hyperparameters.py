"""The optimizers' hyperparameters, declared with torch.optim's names, defaults and checks.

Each is a :class:`~optviz.specs.Spec`: ``low``/``high`` are the values torch accepts (the
Python API accepts the same); ``ui_low``/``ui_high`` are the narrower range the app offers
and links may carry. These builders keep the declarations in optimizers.py short.
"""

from __future__ import annotations

import math

from optviz.specs import Spec

Hyperparameter = Spec  # a hyperparameter is a setting like any other


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
    return Spec(
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
    return Spec(name=name, default=default, help=help, kind="bool")


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
    return Spec(
        name="betas",
        default=(beta1, beta2),
        help="Decay rates of the first and second moment estimates.",
        kind="pair",
        parts=parts,
    )
