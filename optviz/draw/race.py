"""The race player's data: what the browser needs to draw every step of every run.

The player (``optviz/draw/assets/view.js``) receives each trajectory once, as float32 arrays,
and draws the path up to the current step and the heads on the client: a faithful animation
whose payload grows with the steps, not with their square. These builders are pure; the page
caches them and sends a run's arrays only when the browser does not have them yet (each run
has an id that changes exactly when its trajectory does).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import surfaces
from optviz.core.engine import Trajectory
from optviz.settings import Experiment, Run
from optviz.teach import inspector
from optviz.text import DEFAULT_LANGUAGE, has, say, section

ASSETS = Path(__file__).parent / "assets"
# Axes whose ranges differ more than this are drawn in a square, each at its own scale, and the
# picture says so (the player, the GIF): at one scale a raw data surface is a sliver a hundred
# pixels wide, and a wide or tall one (six-hump camel, iris) too small to read on a laptop.
MAX_ASPECT = 1.4
FLOAT32_LIMIT = 1e37  # values beyond float32's range are far off any plot: clip, don't overflow
# Paul Tol's "muted" scheme plus its pale grey: distinguishable with colour-blindness. A run keeps
# its slot, so its colour and marker, for its whole life.
PALETTE = (
    "#CC6677",
    "#332288",
    "#DDCC77",
    "#117733",
    "#88CCEE",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#555555",
)
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "triangle-down", "pentagon", "hexagon", "star", "cross", "x")


# The opacity of a run's faint path (its iterates beside a bold average, its steps' trials): view.js's FAINT.
FAINT = 0.4


def player_text(lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The race player's words (assets/view.js fills their ``{n}``, ``{step}`` and ``{steps}``)."""
    return section("player", lang)


def colour(slot: int) -> str:
    return PALETTE[slot % len(PALETTE)]


def symbol(slot: int) -> str:
    return SYMBOLS[slot % len(SYMBOLS)]


def float32_base64(values: np.ndarray) -> str:
    """Little-endian float32 bytes, base64: how the player reads an array."""
    data = np.ascontiguousarray(np.clip(values, -FLOAT32_LIMIT, FLOAT32_LIMIT), dtype="<f4")
    return base64.b64encode(data.tobytes()).decode("ascii")


class Shading(NamedTuple):
    """The surface's shading as a picture, and what its greys mean (the legend beside the race).

    ``low`` and ``high`` are the shaded values at the lightest and darkest band: f itself, or
    log10(f − f* + delta) where ``log`` (a surface spanning orders of magnitude); ``greys`` the
    bands' colours, light (low) to dark (high).
    """

    uri: str
    low: float
    high: float
    log: bool
    delta: float
    greys: tuple[str, ...]

    def legend(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "log": self.log, "delta": self.delta, "greys": list(self.greys)}


def scene_id(surf: surfaces.Surface, shading: Shading) -> str:
    """Changes with the surface and with its picture (contour lines or none, its size)."""
    return _digest(("scene", surf.name, surf.param_values, hashlib.sha256(shading.uri.encode()).hexdigest()))


def scene(surf: surfaces.Surface, shading: Shading) -> dict[str, Any]:
    """What does not move: the shaded surface and its legend, its domain and its landmarks."""
    return {
        "id": scene_id(surf, shading),
        "domain": [list(surf.domain[0]), list(surf.domain[1])],
        "background": shading.uri,
        "legend": shading.legend(),
        "data": _data(surf),
        "max_aspect": MAX_ASPECT,
        "minima": [[m.x, m.y, m.value] for m in surf.minima],
        "saddles": [[p.x, p.y, p.value] for p in surf.saddles],
        "f_star": surf.f_star,
    }


def _data(surf: surfaces.Surface) -> dict[str, Any] | None:
    """A data surface's rows and model, for the view of the data beside the race."""
    view = surf.data_view
    if view is None:
        return None
    return {
        "model": view.model,
        "feature": list(view.feature),
        "target": list(view.target),
        "centre": view.centre,
        "scale": view.scale,
    }


def race_id(experiment: Experiment) -> str:
    """Changes when a new race begins: another surface. Its parameters, the start, the steps and
    the runs change within a race (the player keeps its step)."""
    return _digest(("race", experiment.surface))


def run_id(experiment: Experiment, run: Run) -> str:
    """Changes exactly when the run's trajectory does (its name and colour are not part of it)."""
    return _digest(
        ("run", experiment.surface, experiment.surface_params, experiment.start, experiment.steps, run.trajectory_key())
    )


def run_entry(experiment: Experiment, run: Run, label: str, slot: int, trajectory: Trajectory) -> dict[str, Any]:
    """A run as the player lists it (its arrays apart: see :func:`run_arrays`): its id, name,
    colour and marker, where it diverged, what its second path is when its rule keeps a second
    point (``companion``: drawn bold or faint, and its words for the runs table), and what its
    faint points are when its rule evaluates again within a step (``probes``: their words)."""
    entry = {
        "id": run_id(experiment, run),
        "label": label,
        "colour": colour(slot),
        "symbol": slot,
        "diverged_at": trajectory.diverged_at,
    }
    spec = run.spec  # a rule around another: the record for its base
    if spec.companion is not None:
        entry["companion"] = {
            "bold": spec.companion.bold,
            "note": say(next(k for k in (f"optimizer.{n}.companion" for n in spec.words) if has(k)), experiment.lang),
        }
    if spec.looks:  # the points its steps evaluated, drawn faintly: what they are
        entry["probes"] = {"note": say(f"optimizer.{run.optimizer}.probes", experiment.lang)}
    return entry


def run_arrays(trajectory: Trajectory, upto: int | None = None) -> dict[str, str]:
    """A trajectory as the player reads it: x, y and f − f* at every step (up to step ``upto``
    only, when given), float32; ``cx``, ``cy``, ``cgap``, the rule's second point at every step
    and f − f* there, when it keeps one (``Optimizer.companion``); and ``px``, ``py``, ``ps``, every point its steps
    evaluated besides the iterates and the step that evaluated it, when it evaluates again
    within a step (``Optimizer.looks``: LBFGS's iterations and line search, SAM's perturbed point).

    f − f* rather than f: float32 keeps its small values near a minimum (f itself, near
    f* = −78.33, would lose them), so the loss per step can be drawn from the same arrays.
    """
    rows = slice(None if upto is None else upto + 1)
    arrays = {
        "x": float32_base64(trajectory.points[rows, 0]),
        "y": float32_base64(trajectory.points[rows, 1]),
        "gap": float32_base64(trajectory.losses[rows] - trajectory.surface.f_star),
    }
    if trajectory.companion is not None:  # and f − f* there, for the 3-D view's trail of it
        with np.errstate(all="ignore"):
            second_gap = trajectory.surface.value(trajectory.companion[rows]) - trajectory.surface.f_star
        arrays |= {
            "cx": float32_base64(trajectory.companion[rows, 0]),
            "cy": float32_base64(trajectory.companion[rows, 1]),
            "cgap": float32_base64(second_gap),
        }
    if trajectory.probes is not None:  # every further evaluation's point and the step that made it
        made = trajectory.probes.steps <= (trajectory.steps if upto is None else upto)
        arrays |= {
            "px": float32_base64(trajectory.probes.points[made, 0]),
            "py": float32_base64(trajectory.probes.points[made, 1]),
            "ps": float32_base64(trajectory.probes.steps[made].astype(np.float64)),
        }
    return arrays


def _digest(value: object) -> str:
    return hashlib.blake2b(repr(value).encode(), digest_size=12).hexdigest()


def loss_reference(trace: dict[str, Any], run: str) -> dict[str, Any]:
    """A loss-per-step line (optviz.draw.figures.loss_figure) as the player's arrays rebuild it.

    The line is f − f* at steps 0 .. n-1 raised to a floor, and for a diverged run perhaps one
    more point, where it meets the top edge: the browser has f − f* already, so only n, the
    floor and that last point need to travel. (The lowest drawn value serves as the floor:
    raising every value to it changes exactly the values that were raised to the floor.)
    """
    x, y = (np.frombuffer(base64.b64decode(trace[k]["bdata"]), dtype=trace[k]["dtype"]) for k in ("x", "y"))
    tail = [float(x[-1]), float(y[-1])] if x.size and x[-1] != x.size - 1 else None
    n = x.size - (1 if tail else 0)
    return {"run": run, "n": n, "floor": float(y[:n].min()) if n else 0.0, "tail": tail}


def drawn_aspect(surf: surfaces.Surface) -> tuple[float, float | None]:
    """The plot's width over its height, and how many times one axis is stretched against the
    other when they are drawn at different scales (None at one scale)."""
    (x0, x1), (y0, y1) = surf.domain
    ratio = (x1 - x0) / (y1 - y0)
    if 1 / MAX_ASPECT <= ratio <= MAX_ASPECT:
        return ratio, None
    return 1.0, max(ratio, 1 / ratio)


def arrows(trajectory: Trajectory) -> dict[str, str]:
    """The vectors the race draws at each step, float32 base64 as the player reads them.

    The gradient (``gx``, ``gy``) and the velocity (``vx``, ``vy``, only when the run keeps
    one). The step needs nothing more: it goes from the path's point k - 1 to point k, which
    the player has. For a rule that divides by accumulated squares, the effective step size
    per coordinate over the run's learning rate (``ex``, ``ey``: 1 where a coordinate moves as
    plain gradient descent would), which the player draws as a rectangle's sides.
    """
    found = inspector.vectors(trajectory)
    arrays = {"gx": found.gradient[:, 0], "gy": found.gradient[:, 1]}
    if found.velocity is not None:
        arrays |= {"vx": found.velocity[:, 0], "vy": found.velocity[:, 1]}
    if found.effective is not None:
        with np.errstate(divide="ignore", invalid="ignore"):  # a learning rate of 0: nothing to draw (NaN)
            relative = found.effective / trajectory.hyperparameters["lr"]
        arrays |= {"ex": relative[:, 0], "ey": relative[:, 1]}
    return {name: float32_base64(values) for name, values in arrays.items()}
