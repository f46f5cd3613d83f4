"""The network page's settings: what ``surface=network:data=digits,model=cnn`` in a link asks for.

The tutorial's own test (:mod:`surfaces.network`): the same optimizers train a small network,
compared over seeds. Its settings are one :class:`~optviz.core.specs.Spec` row each, read from
and written to the link as the surface's items (``network:data=iris,model=mlp,epochs=20``), so a
link and the sidebar obey one set of rules, as the race's settings do.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from optviz.core.specs import Problem, Spec
from surfaces.network import DATA, MODELS, WIDTH_RANGE, WIDTHS

NAME = "network"  # its name in a link's surface=

# One row a setting. width 0: the model's own (WIDTHS: 32 hidden units, 8 filters, 8 on iris).
DATA_SPEC = Spec("data", "digits", kind="choice", choices=DATA)
MODEL = Spec("model", "cnn", kind="choice", choices=MODELS)
WIDTH = Spec("width", 0, kind="int", low=0, high=WIDTH_RANGE[1])
EPOCHS = Spec("epochs", 10, kind="int", low=1, high=30)
BATCH = Spec("batch", 32, kind="int", low=8, high=256, step=8)
SEEDS = Spec("seeds", 3, kind="int", low=3, high=10)
# tuned: each optimizer at the learning rate its grid chose by validation loss; defaults: torch's.
MODE = Spec("mode", "tuned", kind="choice", choices=("tuned", "defaults"))
# The landscape's plane: the PCA plane of the runs' iterates, or Li et al.'s filter-normalised one.
PLANE = Spec("plane", "pca", kind="choice", choices=("pca", "filter"))
# The curves' x axis: epochs, or gradient evaluations (a fair axis for methods that look twice a step).
AXIS = Spec("axis", "epoch", kind="choice", choices=("epoch", "grad_evals"))
# The run the landscape is centred on: its number in the comparison, 0 for the one with the
# best median final test accuracy. The page compares the tutorial's eight optimizers
# (optviz.study.network.TUTORIAL; tests/settings/test_network_page.py holds the two equal).
OPTIMIZERS = 8
CENTRE = Spec("centre", 0, kind="int", low=0, high=OPTIMIZERS)
SPECS: tuple[Spec, ...] = (DATA_SPEC, MODEL, WIDTH, EPOCHS, BATCH, SEEDS, MODE, PLANE, AXIS, CENTRE)


@dataclass(frozen=True)
class NetworkPage:
    """The network page's settings, validated (:meth:`make`): equal pages compare equal."""

    data: str = DATA_SPEC.default
    model: str = MODEL.default
    width: int = WIDTH.default
    epochs: int = EPOCHS.default
    batch: int = BATCH.default
    seeds: int = SEEDS.default
    mode: str = MODE.default
    plane: str = PLANE.default
    axis: str = AXIS.default
    centre: int = CENTRE.default

    @classmethod
    def make(cls, **values: Any) -> NetworkPage:
        """Validate every value within what the page offers; raise ValueError (a setting out of
        range, an unknown choice, the CNN on iris, which has no images)."""
        by_name = {spec.name: spec for spec in SPECS}
        unknown = sorted(set(values) - set(by_name))
        if unknown:
            msg = f"the network page has no setting {unknown[0]!r} (its settings: {', '.join(by_name)})"
            raise ValueError(msg)
        checked = {name: by_name[name].check(value, app=True) for name, value in values.items()}
        page = replace(cls(), **checked)
        if (page.data, page.model) not in WIDTHS:
            msg = "the CNN takes images: choose data 'digits' for it"
            raise ValueError(msg)
        return page

    def models(self) -> tuple[str, ...]:
        """The models its data can take: the CNN needs images."""
        return tuple(m for m in MODEL.choices if (self.data, m) in WIDTHS)

    @property
    def hidden_width(self) -> int:
        """The width the network is built with: the setting's, or the model's own for 0."""
        return self.width or WIDTHS[self.data, self.model]

    def items(self) -> tuple[tuple[str, Any], ...]:
        """The settings that differ from the defaults, data and model always (a link names its network)."""
        defaults = NetworkPage()
        return tuple(
            (f.name, getattr(self, f.name))
            for f in fields(self)
            if f.name in ("data", "model") or getattr(self, f.name) != getattr(defaults, f.name)
        )

    def text(self) -> str:
        """Its form in a link: ``network:data=digits,model=cnn,epochs=20``."""
        by_name = {spec.name: spec for spec in SPECS}
        return NAME + ":" + ",".join(f"{name}={by_name[name].text(value)}" for name, value in self.items())


def read(values: dict[str, Any], problems: list[Problem]) -> NetworkPage:
    """The page from values read off a link (each already valid alone, as the link reader
    checks them one by one); a CNN asked for on iris becomes the MLP, with a problem."""
    try:
        return NetworkPage.make(**values)
    except ValueError:
        problems.append(Problem.of("network_cnn_images", data=values.get("data", DATA_SPEC.default)))
        return NetworkPage.make(**{**values, "model": "mlp"})
