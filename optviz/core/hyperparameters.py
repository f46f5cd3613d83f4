"""The optimizers' hyperparameters, declared with torch.optim's names, defaults and checks.

Each is a :class:`~optviz.core.specs.Spec`: ``low``/``high`` are the values torch accepts (the
Python API accepts the same); ``ui_low``/``ui_high`` are the narrower range the app offers
and links may carry. These builders keep the declarations in optviz/core/optimizers short. What each
one means is worded in the catalogs (``hyperparameter.<name>``, or
``optimizer.<optimizer>.hyperparameter.<name>`` where one optimizer's differs).
"""

from __future__ import annotations

import math

from optviz.core.specs import Spec

Hyperparameter = Spec  # a hyperparameter is a setting like any other


def number(
    name: str,
    default: float,
    *,
    symbol: str,
    label: str | None = None,
    low: float = 0.0,
    high: float = math.inf,
    high_open: bool = False,
    ui: tuple[float, float],
    log: bool = False,
) -> Hyperparameter:
    """A numeric hyperparameter; ``label`` defaults to torch's "<name> value"."""
    return Spec(
        name=name,
        default=float(default),
        symbol=symbol,
        label=label or f"{name} value",
        low=low,
        high=high,
        high_open=high_open,
        ui_low=ui[0],
        ui_high=ui[1],
        log=log,
    )


def flag(name: str, default: bool) -> Hyperparameter:
    """A boolean hyperparameter."""
    return Spec(name=name, default=default, kind="bool")


def learning_rate(default: float) -> Hyperparameter:
    return number(
        "lr",
        default,
        symbol=r"\gamma",
        label="learning rate",
        ui=(1e-5, 10.0),
        log=True,
    )


def momentum() -> Hyperparameter:
    """torch's ``momentum`` (SGD's and RMSprop's), off by default."""
    return number("momentum", 0.0, symbol=r"\mu", ui=(0.0, 0.999))


def weight_decay(default: float = 0.0) -> Hyperparameter:
    return number(
        "weight_decay",
        default,
        symbol=r"\lambda",
        ui=(0.0, 1.0),
    )


def eps(default: float) -> Hyperparameter:
    return number(
        "eps",
        default,
        symbol=r"\epsilon",
        label="epsilon value",
        ui=(1e-12, 1.0),
        log=True,
    )


def pair(name: str, first: Hyperparameter, second: Hyperparameter, *more: Hyperparameter) -> Hyperparameter:
    """A pair of numbers given as one tuple, as torch takes ``betas`` or Rprop's ``etas`` (or three,
    as AdEMAMix's ``betas``): in a link and on the page each part is its own setting."""
    parts = (first, second, *more)
    return Spec(name=name, default=tuple(part.default for part in parts), kind="pair", parts=parts)


def betas(beta1: float = 0.9, beta2: float = 0.999, *, lowest_beta1: float = 0.0) -> Hyperparameter:
    """Adam's ``betas``; ``lowest_beta1``: the lowest beta1 the app offers, where 0 means nothing."""
    return pair(
        "betas",
        number(
            "beta1",
            beta1,
            symbol=r"\beta_1",
            label="beta parameter at index 0",
            high=1.0,
            high_open=True,
            ui=(lowest_beta1, 0.999),
        ),
        number(
            "beta2",
            beta2,
            symbol=r"\beta_2",
            label="beta parameter at index 1",
            high=1.0,
            high_open=True,
            ui=(0.5, 0.99999),
        ),
    )
