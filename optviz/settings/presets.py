"""The runs offered ready-made: the classic optimizers with a sensible learning rate each, and a
surface's own version of them."""

from __future__ import annotations

import surfaces
from optviz.settings.experiment import Run

# The classic optimizers offered as presets: label -> run with a sensible learning rate (a
# surface may set another where this one would diverge or barely move: see presets()).
PRESETS: dict[str, Run] = {
    "SGD": Run.make("sgd", lr=1e-3),
    "SGD with momentum": Run.make("sgd", lr=1e-3, momentum=0.9),
    "Nesterov": Run.make("sgd", lr=1e-3, momentum=0.9, nesterov=True),
    "Adagrad": Run.make("adagrad", lr=0.5),
    "RMSprop": Run.make("rmsprop", lr=0.01),
    "Adam": Run.make("adam", lr=0.05),
    "Adadelta": Run.make("adadelta"),
    "NAdam": Run.make("nadam", lr=0.05),
    "AdamW": Run.make("adamw", lr=0.05),
    "RAdam": Run.make("radam", lr=0.05),
    "Adamax": Run.make("adamax", lr=0.05),
    "Adafactor": Run.make("adafactor", lr=0.05),  # relative: 5% of the parameters' size a step
    "Prodigy": Run.make("prodigy"),  # lr 1: it finds its own step size
    "ADOPT": Run.make("adopt", lr=0.05),  # Adam's: its steps are about lr long too
    "AdEMAMix": Run.make("ademamix", lr=0.05),
    "Rprop": Run.make("rprop", lr=0.01),
    "ASGD": Run.make("asgd", lr=1e-3, t0=20.0),  # SGD's rate, averaged from step 20: the average shows
    "Lion": Run.make("lion", lr=0.01),  # a fifth of Adam's: every step is lr long
    # A bit more than SGD's: x, the answer, trails behind the z that takes the steps.
    "SGD (schedule-free)": Run.make("sgd_schedulefree", lr=0.01),
    "AdamW (schedule-free)": Run.make("adamw_schedulefree", lr=0.05),  # Adam's
    # torch's defaults, with its line search: each step up to 20 iterations, each trying lengths.
    "LBFGS": Run.make("lbfgs", line_search_fn="strong_wolfe"),
    # Around SGD with momentum, the paper's: each step's gradient from a point rho uphill.
    "SAM": Run.make("sam", lr=1e-3, momentum=0.9),
}


# A preset that takes another's learning rate on every surface: SAM steps as SGD with momentum does.
RATE_OF = {"SAM": "SGD with momentum"}


def presets(surf: surfaces.Surface) -> dict[str, Run]:
    """The presets for ``surf``: the general ones, with the surface's own learning rates."""
    return {
        label: Run.make(
            run.optimizer,
            **{**dict(run.hyperparameters), "lr": surf.learning_rate(RATE_OF.get(label, label), run.values()["lr"])},
        )
        for label, run in PRESETS.items()
    }
