"""What work costs on this machine, for the budget: ``python -m benchmarks.costs [--write]``.

The budget (optviz/core/budget.py) admits every piece of work a link or a click can start by an
estimate made of the seconds measured here, never of assumed ratios. This measures, in CPU
seconds of this process (``time.process_time``: NumPy runs in it), the least of several
repeats after a warm-up:

* ``scalar``: one step of one trajectory on the race's loop (Python floats, the path kept,
  its losses included), for the slowest optimizer that steps on Python floats (elementwise):
  each catalog surface by name;
  a typed formula as a line in its operations (``Surface.operations``: its gradient's work);
  each data surface as a line in the rows a step reads (its minibatch, or every row);
* ``array``: a step of a batch with ``record="final"`` (sweeps, maps and basin maps), as what
  it costs whatever its width (NumPy's calls) and what each trajectory adds;
* ``value``: one value of f at a point of a grid (the background image, the 3-D view);
* ``state``: how much longer ``record="state"`` (the step inspector) takes than the race's loop;
* ``plan``: how much longer a run takes whose steps vary (noise, a schedule, minibatches);
* ``per_row``: how much longer a batch takes whose trajectories have their own hyperparameters
  (a hyperparameter map's cells);
* ``rule``: for each optimizer, how much longer a race step of one trajectory takes than the
  ``scalar`` figure's (at least 1): on Python floats, and on arrays, where a rule that couples
  the coordinates steps (Adafactor, a cautious mask);
* ``drape``: one point of one path laid on the 3-D surface;
* ``directions``: one point of one path split along a quadratic's eigen-directions, drawn;
* ``gif``: one frame of the GIF, and one run's share of it;
* ``text``: one point of one run written to the CSV, the JSON or the HTML export;
* ``network``: training a network (optviz.study.network's comparisons) and drawing its
  landscape (``landscape``: a 41 x 41 slice, optviz.study.landscape), for each data set and
  model: ``step``, one step of one trajectory (its minibatch's gradient and the slowest tutorial
  optimizer's update) as a line in width x batch size; ``run``, a run's own cost besides its
  steps, and ``evaluation``, one evaluation of a set of weights (the loss over every training
  row, the test loss and accuracy), each as a line in width.

It prints the table with how long it took; ``--write`` also writes it to optviz/core/costs.toml,
which the budget reads (``--only SECTION`` measures that section alone and writes it into the
table as it is, saying so on its heading) (the tests check that every registered surface and every cost the
budget asks for is in it). Measure on the machine that serves the class: the budget's
seconds are that machine's.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import re
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import optviz
import surfaces
from benchmarks.process import median
from optviz import OPTIMIZERS
from optviz.core.engine import loop
from optviz.draw import export, figures
from optviz.draw.directions_figure import directions_figure
from optviz.settings import Experiment, Run
from optviz.study.results import run_experiment

TABLE = Path(__file__).resolve().parent.parent / "optviz" / "core" / "costs.toml"
REPEATS = 3
WIDTH = 4096  # trajectories in a wide batch, as a basin map steps them
NARROW = 32  # and in a narrow one
# Typed formulas from a few operations to the largest a link may hold (500 characters).
FORMULAS = (
    "x**2 + y**2",
    "sin(3*x) * cos(3*y) + 0.1*(x**2 + y**2)",
    "(x**2 + y - 11)**2 + (x + y**2 - 7)**2 + exp(-x**2) * log(1 + y**2)",
    " + ".join(f"sin({k}*x)*cos({k}*y)" for k in range(1, 8)),
    " + ".join(f"sin({k}*x + y)*cos({k}*y - x) + tanh({k}*x*y)" for k in range(1, 9)),
    " + ".join(f"arctan(sin(x*{k})*cosh(y/{k}))" for k in range(1, 13)),
    " + ".join(f"sqrt(1 + (x - {k})**2) * log(2 + cos({k}*y)) - sinh(x/{k})" for k in range(1, 7)),
)
BATCHES = (1, 16, 64, None)  # rows a data surface's step reads; None: every row


def cpu(work: Callable[[], object], repeats: int = REPEATS) -> float:
    """The median CPU time of ``repeats`` runs of ``work``, after one to warm up (a typical run,
    not the luckiest: the budget must not promise what a busy machine cannot keep)."""
    return median(work, repeats, time.process_time)


def _catalog() -> list[str]:
    return [name for name in surfaces.names() if name != "formula" and surfaces.get(name).data_rows is None]


def _data() -> list[str]:
    return [name for name in surfaces.names() if surfaces.get(name).data_rows is not None]


def _line(sizes: list[float], seconds: list[float]) -> list[float]:
    """[base, per unit]: the least-squares line through the points (neither part below zero),
    raised until no measured point lies above it: a line to estimate by must not promise less
    than a formula of the same size was measured to cost."""
    x, y = np.asarray(sizes, dtype=float), np.asarray(seconds)
    per, base = np.polyfit(x, y, 1)
    base, per = max(float(base), float(y.min()) * 0.5), max(float(per), 0.0)
    scale = max(1.0, float(np.max(y / (base + per * x))))
    return [base * scale, per * scale]


def _lines(sizes: list[float], pairs: list[tuple[float, float]]) -> list[float]:
    """[base, base per unit, point, point per unit]: a line for each of a batch step's two parts."""
    return [*_line(sizes, [pair[0] for pair in pairs]), *_line(sizes, [pair[1] for pair in pairs])]


def _slowest_optimizer(surf: surfaces.Surface, steps: int) -> tuple[str, float]:
    """The optimizer whose race steps on Python floats take longest here, and its seconds a
    step (a rule that steps on arrays is priced by its ``rule`` factor)."""
    elementwise = [name for name, spec in OPTIMIZERS.items() if spec.elementwise]
    timed = {name: cpu(lambda name=name: optviz.run(name, surf, steps=steps, lr=1e-4)) / steps for name in elementwise}
    name = max(timed, key=timed.get)
    return name, timed[name]


def _scalar(optimizer: str, surf: surfaces.Surface, steps: int, batch: int | None = None) -> float:
    return cpu(lambda: optviz.run(optimizer, surf, steps=steps, lr=1e-4, batch_size=batch)) / steps


def _array(optimizer: str, surf: surfaces.Surface, steps: int, batch: int | None = None) -> tuple[float, float]:
    """(seconds a step of a batch costs whatever its width, seconds per trajectory on top): a
    narrow batch (a sweep's 60 learning rates) pays NumPy's calls, a wide one its arithmetic."""
    seconds = {}
    for width in (NARROW, WIDTH):
        starts = np.tile(np.asarray(surf.default_start, dtype=np.float64), (width, 1))
        work = lambda s=starts: optviz.run(
            optimizer, surf, start=s, steps=steps, lr=1e-4, record="final", batch_size=batch
        )
        seconds[width] = cpu(work, repeats=2) / steps
    point = max((seconds[WIDTH] - seconds[NARROW]) / (WIDTH - NARROW), 0.0)
    return max(seconds[NARROW] - NARROW * point, 0.0), point


def _value(surf: surfaces.Surface, n: int = 200) -> float:
    _, _, z = figures.grid(surf, 2)  # warm the surface
    del z
    return cpu(lambda: figures.grid(surf, n), repeats=2) / (n * n)


def measure() -> dict[str, Any]:
    table: dict[str, Any] = {mode: {"catalog": {}, "data": {}} for mode in ("scalar", "array", "value")}
    # The slowest optimizer on the slowest catalog surface prices every race step.
    slowest, worst = "sgd", 0.0
    for name in _catalog():
        surf = surfaces.get(name)
        optimizer, seconds = _slowest_optimizer(surf, 1500)
        table["scalar"]["catalog"][name] = [seconds, 0.0]
        if seconds > worst:
            slowest, worst = optimizer, seconds
        base, point = (max(pair) for pair in zip(*(_array(opt, surf, 40) for opt in (optimizer, "adam")), strict=True))
        table["array"]["catalog"][name] = [base, 0.0, point, 0.0]
        table["value"]["catalog"][name] = [_value(surf), 0.0]
    formulas = [surfaces.get("formula", f=text) for text in FORMULAS]
    ops = [f.operations for f in formulas]
    table["scalar"]["formula"] = _line(ops, [_scalar(slowest, f, 300) for f in formulas])
    table["array"]["formula"] = _lines(ops, [_array(slowest, f, 8) for f in formulas])
    table["value"]["formula"] = _line(ops, [_value(f, 120) for f in formulas])
    for name in _data():
        surf = surfaces.get(name)
        rows = [b or surf.data_rows for b in BATCHES]
        table["scalar"]["data"][name] = _line(rows, [_scalar(slowest, surf, 300, b) for b in BATCHES])
        table["array"]["data"][name] = _lines(rows, [_array(slowest, surf, 4, b) for b in BATCHES])
        table["value"]["data"][name] = [_value(surf, 120), 0.0]  # a value reads every row
    table["state"] = {"factor": _state_factor()}
    table["plan"] = {"factor": _plan_factor(slowest)}
    table["per_row"] = _per_row_factors()
    table["rule"] = _rule_factors(slowest)
    table["build"] = _build()
    table["drape"], table["gif"], table["text"] = _figures_and_exports()
    table["directions"] = _directions()
    table["network"] = _network()
    return table


def _state_factor() -> float:
    """How much longer the inspector's record="state" takes than the race's loop (the most, over
    the optimizers, on the valley)."""
    surf = surfaces.get("valley")
    ratios = []
    for name in OPTIMIZERS:
        path = cpu(lambda name=name: optviz.run(name, surf, steps=1500, lr=1e-4))
        state = cpu(lambda name=name: optviz.run(name, surf, steps=1500, lr=1e-4, record="state"))
        ratios.append(state / path)
    return float(max(ratios))


def _plan_factor(optimizer: str) -> float:
    """How much longer a run takes whose steps vary (gradient noise and a schedule: the step plan's
    functions) than a plain one, on the race's loop and on arrays (the most of the two)."""
    surf = surfaces.get("valley")
    varied = {"noise": 0.5, "schedule": optviz.schedule("CosineAnnealingLR", T_max=100)}
    ratios = []
    narrow, wide = (np.tile(np.asarray(surf.default_start, dtype=np.float64), (n, 1)) for n in (NARROW, WIDTH))
    for start, steps, record in ((None, 1500, "path"), (narrow, 200, "final"), (wide, 40, "final")):
        plain = cpu(lambda s=start, n=steps, r=record: optviz.run(optimizer, surf, start=s, steps=n, lr=1e-4, record=r))
        plan = cpu(
            lambda s=start, n=steps, r=record: optviz.run(
                optimizer, surf, start=s, steps=n, lr=1e-4, record=r, **varied
            )
        )
        ratios.append(plan / plain)
    return float(max(ratios))


def _rule_factors(slowest: str, steps: int = 1500) -> dict[str, list[float]]:
    """For each optimizer, [on Python floats, on arrays]: its race step's seconds on Rosenbrock
    over ``slowest``'s on Python floats (the ``scalar`` figures' optimizer), at least 1. A rule
    steps on arrays when it is not elementwise, or its settings couple the coordinates."""
    surf = surfaces.get("rosenbrock")

    def step(name: str, scalar_batch: int, **options: Any) -> float:
        def work() -> None:
            saved, loop.SCALAR_BATCH = loop.SCALAR_BATCH, scalar_batch
            try:
                optviz.run(name, surf, steps=steps, lr=1e-4, **options)
            finally:
                loop.SCALAR_BATCH = saved

        return cpu(work) / steps

    base = step(slowest, loop.SCALAR_BATCH)
    factors = {}
    for name, spec in OPTIMIZERS.items():
        floats = step(name, loop.SCALAR_BATCH) if spec.elementwise else step(name, 0)
        # On arrays with what sends a rule there: the cautious mask, where it has one.
        coupled = {"cautious": True} if "cautious" in spec.defaults() else {}
        factors[name] = [max(floats / base, 1.0), max(step(name, 0, **coupled) / base, 1.0)]
    return factors


def _per_row_factors() -> dict[str, float]:
    """For each optimizer, how much longer a batch takes whose trajectories each have their own
    two hyperparameters (a hyperparameter map's cells: the learning rate and the first of the
    others, beta1 for Adam, each spread over its range as a map spreads it) than one whose
    trajectories share them, on Rosenbrock."""
    surf = surfaces.get("rosenbrock")
    starts = np.tile(np.asarray(surf.default_start, dtype=np.float64), (WIDTH, 1))
    factors = {}
    for name, spec in OPTIMIZERS.items():
        if not spec.batched:  # each trajectory stepped on its own: its own settings cost nothing more
            factors[name] = 1.0
            continue
        parts = [p for hp in spec.hyperparameters for p in hp.parts or (hp,) if p.kind == "float" and p.name != "lr"]
        values: dict[str, Any] = {"lr": np.geomspace(1e-5, 1e-3, WIDTH)}
        if parts:
            other = parts[0]
            column = np.linspace(other.app_low, other.app_high, WIDTH)
            owner = next(hp for hp in spec.hyperparameters if other in (hp.parts or (hp,)))
            values[owner.name] = (column, *(np.full(WIDTH, d) for d in owner.default[1:])) if owner.parts else column
        shared = cpu(lambda n=name: optviz.run(n, surf, start=starts, steps=100, lr=1e-4, record="final"), repeats=2)
        own = cpu(lambda n=name, v=values: optviz.run(n, surf, start=starts, steps=100, record="final", **v), repeats=2)
        factors[name] = max(own / shared, 1.0)
    return factors


def _build() -> dict[str, Any]:
    """What making a surface costs the first time (it is cached after): a typed formula's
    parsing, derivatives and minima search, by its operations; each data surface's model, its
    data read and its minimum found."""
    from surfaces import data, formula  # noqa: PLC0415  (their caches are cleared to time the making)

    def fresh(make: Callable[[], object]) -> float:
        def once() -> None:
            formula._cached_surface.cache_clear()
            for cached in (data.columns, data.tips, data.iris):
                cached.cache_clear()
            make()

        return cpu(once, repeats=2)

    ops = [surfaces.get("formula", f=text).operations for text in FORMULAS]
    made = [fresh(lambda text=text: surfaces.get("formula", f=text)) for text in FORMULAS]
    build: dict[str, Any] = {"formula": _line(ops, made), "data": {}}
    for name in _data():
        build["data"][name] = fresh(lambda name=name: surfaces.get(name))
    return build


def _figures_and_exports() -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    def experiment(runs: int, steps: int) -> tuple[Experiment, surfaces.Surface, list]:
        chosen = tuple(Run.make("adam", lr=0.01 * (i + 1)) for i in range(runs))
        made = Experiment.make("rosenbrock", runs=chosen, steps=steps)
        return made, made.build_surface(), run_experiment(made)

    small, large = experiment(2, 500), experiment(8, 5000)  # the longest race a link may ask for
    points = [len(e.runs) * (e.steps + 1) for e, _, _ in (small, large)]
    drape = [cpu(lambda e=e, s=s, t=t: figures.surface_3d_figure(e, s, t), repeats=2) for e, s, t in (small, large)]
    drape_per_point = max((drape[1] - drape[0]) / (points[1] - points[0]), 0.0)
    gif = {}
    frames = 30
    one = cpu(lambda: export.race_gif(*small[:1], small[2], small[1], max_frames=frames), repeats=1)
    many = cpu(lambda: export.race_gif(*large[:1], large[2], large[1], max_frames=frames), repeats=1)
    gif["run_frame"] = max((many - one) / (frames * (len(large[0].runs) - len(small[0].runs))), 0.0)
    gif["frame"] = max(one / frames - gif["run_frame"] * len(small[0].runs), 0.0)
    background = figures.background(large[1], 60)
    text = max(
        cpu(lambda: export.trajectories_csv(large[0], large[2]), repeats=2),
        cpu(lambda: export.trajectories_json(large[0], large[2]), repeats=2),
        cpu(lambda: export.race_html(large[0], large[2], background), repeats=2),
    )
    return {"point": drape_per_point}, gif, {"point": text / points[1]}


def _directions() -> dict[str, float]:
    """The convergence by direction's cost per point of a path (its projections and its figure)."""

    def experiment(runs: int, steps: int) -> tuple[Experiment, surfaces.Surface, list]:
        chosen = tuple(Run.make("sgd", lr=0.01 * (i + 1), momentum=0.5) for i in range(runs))
        made = Experiment.make("valley", runs=chosen, steps=steps)
        return made, made.build_surface(), run_experiment(made)

    small, large = experiment(2, 500), experiment(8, 5000)
    points = [len(e.runs) * (e.steps + 1) for e, _, _ in (small, large)]
    seconds = [cpu(lambda e=e, s=s, t=t: directions_figure(e, s, t), repeats=2) for e, s, t in (small, large)]
    return {"point": max((seconds[1] - seconds[0]) / (points[1] - points[0]), seconds[1] / points[1])}


# Each network's (width, batch size) measured: around its default width, batch 32.
NETWORK_SIZES = {
    ("digits", "cnn"): ((8, 8), (8, 32), (8, 128), (4, 32), (16, 32)),
    ("digits", "mlp"): ((32, 8), (32, 32), (32, 128), (16, 32), (64, 32)),
    ("iris", "mlp"): ((8, 8), (8, 32), (8, 105), (4, 32), (16, 32)),
}


def _network() -> dict[str, Any]:
    """A network's training, per data set and model: ``step``, one step of one trajectory, as a
    line in width x batch size; ``run``, what a run costs besides its steps (its start checked
    and measured on every training row, its end measured), as a line in width; ``evaluation``,
    one set of weights measured on every training row and on the test rows, as a line in width.

    A step is the slope between a run of 40 steps and one of 160, a run's own cost the rest of
    the run of 40; for the tutorial optimizer slowest at the default size, one trajectory a run,
    as a comparison runs them (its tuning grid steps seven at once, for a little less each)."""
    from optviz.study.network import TUTORIAL  # noqa: PLC0415  (the tutorial's optimizers)
    from surfaces.network import WIDTHS, network  # noqa: PLC0415

    def timed(contender: Any, data: str, model: str, width: int, batch: int) -> tuple[float, float]:
        """(seconds a step, seconds of the run besides its steps)."""
        net = network(data, model, width=width)
        settings = contender.settings(contender.default_lr * 0.1)
        seconds = {
            steps: cpu(
                lambda n=steps: optviz.run(
                    contender.optimizer, net, steps=n, record="final", batch_size=batch, **settings
                ),
                repeats=2,
            )
            for steps in (40, 160)
        }
        step = max((seconds[160] - seconds[40]) / 120, 0.0)
        return step, max(seconds[40] - 40 * step, 0.0)

    table: dict[str, Any] = {"step": {}, "run": {}, "evaluation": {}, "landscape": {}}
    for (data, model), sizes in NETWORK_SIZES.items():
        key, default = f"{data}_{model}", WIDTHS[data, model]
        slowest = max(TUTORIAL, key=lambda c: timed(c, data, model, default, 32)[0])
        found = [timed(slowest, data, model, w, b) for w, b in sizes]
        table["step"][key] = _line([w * b for w, b in sizes], [step for step, _ in found])
        table["run"][key] = _line([w for w, _ in sizes], [run for _, run in found])
        widths = sorted({w for w, _ in sizes})
        seconds = []
        for width in widths:
            net = network(data, model, width=width)
            theta = np.ascontiguousarray(net.start[:, None])
            seconds.append(cpu(lambda n=net, t=theta: (n.loss_at(t), n.evaluate(t[:, 0], "test")), repeats=5))
        table["evaluation"][key] = _line(widths, seconds)
        table["landscape"][key] = _line(widths, [_landscape_seconds(data, model, width) for width in widths])
    return table


def _landscape_seconds(data: str, model: str, width: int) -> float:
    """One landscape of the page: a 41 x 41 slice of the training loss on a filter-normalised
    plane around a run's end, and the run projected (a PCA plane costs about as much)."""
    from optviz.study.landscape import landscape  # noqa: PLC0415
    from surfaces.network import network  # noqa: PLC0415

    net = network(data, model, width=width)
    run = optviz.run("sgd", net, steps=20, batch_size=16, lr=0.05, record="final", every=5)
    return cpu(lambda: landscape(net, run), repeats=2)


def _cpu_name() -> str:
    """The CPU's model, as Linux names it (or the platform's name elsewhere)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip().replace('"', "'")
    return platform.platform()


def toml_text(table: dict[str, Any], took: float) -> str:
    """The table as optviz/core/costs.toml."""

    def value(v: Any) -> str:
        return "[" + ", ".join(f"{x:.4g}" for x in v) + "]" if isinstance(v, list) else f"{v:.4g}"

    lines = [
        "# What work costs, in CPU seconds of the machine below: written by `python -m benchmarks.costs --write`",
        "# (its docstring says what each figure is). optviz.core.budget estimates every piece of work from these.",
        "# Size is a formula's operations, a data surface's rows read per step (0 for a catalog surface).",
        "# scalar [a, b]: a race step (Python floats), a + b size; value [a, b]: f at one point of a grid;",
        "# array [a, b, c, d]: a step of a batch of w trajectories, (a + b size) + w (c + d size).",
        "",
        "[measured]",
        f'on = "{datetime.date.today().isoformat()}"',
        f'machine = "{_cpu_name()}"',
        f"seconds = {took:.0f}",
    ]
    for section, entries in table.items():
        plain = {key: v for key, v in entries.items() if not isinstance(v, dict)}
        lines += ["", f"[{section}]", *(f"{key} = {value(v)}" for key, v in plain.items())]
        for key, inner in entries.items():
            if isinstance(inner, dict):
                lines += ["", f"[{section}.{key}]", *(f"{name} = {value(v)}" for name, v in inner.items())]
    return "\n".join(lines) + "\n"


SECTIONS = {"directions": _directions, "network": _network}  # what --only may measure alone


def _headings(text: str) -> dict[str, str]:
    """The comments on the table's section headings (``[directions]  # measured alone ...``)."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"^\[([\w.]+)\]\s+(#.*)$", line)
        if match:
            found[match[1]] = match[2]
    return found


def with_section(name: str, measured: dict[str, Any]) -> str:
    """The table as written now, with section ``name`` measured alone in place of its figures
    (its heading says so; the others keep theirs)."""
    old = TABLE.read_text()
    with TABLE.open("rb") as file:
        table = tomllib.load(file)
    took = table.pop("measured")["seconds"]
    table[name] = measured
    alone = f"# measured alone on {datetime.date.today().isoformat()} (python -m benchmarks.costs --only {name})"
    notes = {**_headings(old), name: alone + ", the rest of the table as before"}
    text = toml_text(table, took)
    lines = []
    for line in text.splitlines():
        heading = line[1:-1] if line.startswith("[") and line.endswith("]") else None
        lines.append(f"{line}  {notes[heading]}" if heading in notes else line)
    # the date and machine of the whole table are those of its last full measurement
    text = "\n".join(lines) + "\n"
    return re.sub(r'(?m)^on = ".*"$', f'on = "{_old_date(old)}"', text, count=1)


def _old_date(text: str) -> str:
    match = re.search(r'(?m)^on = "(.*)"$', text)
    return match[1] if match else datetime.date.today().isoformat()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write the table to optviz/core/costs.toml")
    parser.add_argument("--only", choices=sorted(SECTIONS), help="measure this section alone, the rest as written")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    if args.only:
        text = with_section(args.only, SECTIONS[args.only]())
        sys.stdout.write(text)
        if args.write:
            TABLE.write_text(text)
            sys.stdout.write(f"\nwritten to {TABLE}\n")
        return 0
    table = measure()
    text = toml_text(table, time.perf_counter() - began)
    sys.stdout.write(text)
    if args.write:
        TABLE.write_text(text)
        sys.stdout.write(f"\nwritten to {TABLE}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
