"""Hypothesis strategies generated from the settings' specs: what the app may hold.

Nothing here is written per setting: a new surface parameter, hyperparameter or page setting
is drawn from its :class:`~optviz.core.specs.Spec` the moment it is declared.
"""

import math

from hypothesis import reject
from hypothesis import strategies as st

import surfaces
from optviz import OPTIMIZERS
from optviz.core.specs import Spec
from optviz.settings import MAX_RUNS, NAME, SETTINGS, Experiment, Run

# Formulas a person might type (the formula surface's text parameter).
FORMULAS = ("x**2 + 3*y**2", "sin(3*x) * cos(3*y) + 0.1*(x**2 + y**2)", "(x**2 + y - 11)**2 + (x + y**2 - 7)**2")


def numbers(low, high, *, log=False, exclude_max=False):
    """Floats in [low, high] (or [low, high)), log-uniform too where the scale is logarithmic."""
    plain = st.floats(low, high, exclude_max=exclude_max, allow_nan=False)
    if not log or low <= 0 or exclude_max:
        return plain
    exponents = st.floats(math.log10(low), math.log10(high), allow_nan=False)
    return plain | exponents.map(lambda e: float(f"{10**e:.3g}")).filter(lambda v: low <= v <= high)


def values(spec: Spec, *, app: bool = True):
    """Every value ``spec`` accepts (within the app's range by default)."""
    fixed = {
        "bool": st.booleans,
        "choice": lambda: st.sampled_from(spec.choices),
        "choices": lambda: st.sets(st.sampled_from(spec.choices)).map(
            lambda chosen: tuple(c for c in spec.choices if c in chosen)
        ),
        "pair": lambda: st.tuples(*(values(part, app=app) for part in spec.parts)),
        "text": lambda: _texts(spec),
    }
    if spec.kind in fixed:
        return fixed[spec.kind]()
    low, high = (spec.app_low, spec.app_high) if app else (spec.low, spec.high)
    if spec.kind == "int":
        return st.integers(int(low), int(high))
    return numbers(low, high, log=spec.log, exclude_max=spec.high_open and high == spec.high)


def _texts(spec: Spec):
    """A typed formula (text a surface accepts), where the setting holds one that long; else any
    printable text it holds (a class code, a teacher link's key)."""
    formulas = [formula for formula in FORMULAS if len(formula) <= spec.high]
    if len(formulas) == len(FORMULAS):
        return st.sampled_from(formulas)
    printable = st.characters(min_codepoint=32, max_codepoint=0x2FFF).filter(str.isprintable)
    return st.text(printable, max_size=int(spec.high)).map(str.strip)  # a link reads a value stripped


@st.composite
def runs(draw, optimizer=None):
    name = draw(st.sampled_from(sorted(OPTIMIZERS))) if optimizer is None else optimizer
    spec = OPTIMIZERS[name]
    chosen = {}
    if spec.specialise is not None:  # a rule around another (SAM): its base first, its settings then
        chosen["base"] = draw(st.sampled_from(spec.hyperparameter("base").choices))
        spec = spec.for_values(chosen)
    chosen |= {
        hp.name: draw(values(hp)) for hp in spec.hyperparameters if hp.name not in chosen and draw(st.booleans())
    }
    repaired, _ = spec.repair(chosen)
    label = draw(names()) if draw(st.booleans()) else ""
    slot = draw(st.integers(0, MAX_RUNS - 1)) if draw(st.booleans()) else None
    return Run.make(name, name=label, slot=slot, **repaired)


def names():
    """A person's name for a run: any printable text, punctuation and Chinese included."""
    characters = st.characters(categories=["L", "N", "P", "S", "Zs"]).filter(str.isprintable)
    return st.text(characters, max_size=int(NAME.high)).map(str.strip)


@st.composite
def experiments(draw):
    name = draw(st.sampled_from(surfaces.names()))
    params = {p.name: draw(values(p)) for p in surfaces.entry(name).param_specs if draw(st.booleans())}
    try:
        surf = surfaces.get(name, **params)
    except ValueError:  # a formula's plot with no width (x0 >= x1): not an experiment
        reject()
    (x0, x1), (y0, y1) = surf.domain
    start = (draw(numbers(x0, x1)), draw(numbers(y0, y1))) if draw(st.booleans()) else None
    settings = {spec.name: draw(values(spec)) for spec in SETTINGS if draw(st.booleans())}
    chosen_runs = draw(st.lists(runs(), max_size=MAX_RUNS))
    return Experiment.make(name, surface_params=params, start=start, runs=chosen_runs, **settings)
