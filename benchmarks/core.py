"""Benchmark of the optimizer core: ``python -m benchmarks.core``.

Prints, measured in this run on this machine:

* the interactive case: the eight classic runs (SGD, momentum, Nesterov, Adagrad, RMSprop,
  Adam, Adadelta, NAdam) of 1,000 steps each on Rosenbrock, against two references doing the
  same work: the plain NumPy array loop, and torch.optim stepping the same problem with the
  same analytic gradients (only when torch can be imported; it is not a dependency);
* the batched case: Adam on Rosenbrock from 10,000 starts for 500 steps, in point-steps per
  second, with its path (record="path") and with record="final";
* what sweeps and maps run (record="final"): the 200 x 200 basin map (Adam on Himmelblau, 500
  steps, tolerance 1e-3) with the peak memory of a fresh process that runs only it, and a
  50-value learning-rate sweep of the eight classic runs (one batched call per run, 1,000 steps
  from Rosenbrock's default start);

each against a hand-written NumPy loop for Adam on Rosenbrock that works in place on
preallocated arrays, timed for the same number of point-steps (its ratio is printed).

Each figure is the median of several repeats after a warm-up run, so that one-off costs
(first-touch page faults of fresh memory, imports) are not counted; the first, cold run of
the batched case is printed as well.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

import optviz
import surfaces
from benchmarks.process import median
from optviz.core.engine.loop import Arrays, advance
from optviz.core.optimizers import get as get_optimizer

CLASSIC_RUNS: list[tuple[str, str, dict]] = [
    ("SGD", "sgd", {"lr": 1e-3}),
    ("SGD momentum", "sgd", {"lr": 1e-3, "momentum": 0.9}),
    ("Nesterov", "sgd", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", "adagrad", {"lr": 0.1}),
    ("RMSprop", "rmsprop", {"lr": 1e-2}),
    ("Adam", "adam", {"lr": 0.05}),
    ("Adadelta", "adadelta", {}),
    ("NAdam", "nadam", {"lr": 0.05}),
]
START = (-1.5, 2.0)


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    """The median wall time of ``work`` in seconds (benchmarks.process.median)."""
    return median(work, repeats)


def optviz_runs(steps: int) -> None:
    for _, name, hp in CLASSIC_RUNS:
        optviz.run(name, "rosenbrock", start=START, steps=steps, **hp)


def numpy_reference_runs(steps: int) -> None:
    """The plain array loop (the engine's path for large batches), one trajectory per run."""
    surf = surfaces.get("rosenbrock")
    for _, name, hp in CLASSIC_RUNS:
        spec = get_optimizer(name)
        points = np.empty((steps + 1, 2, 1))
        grads = np.empty_like(points)
        points[0, :, 0] = START
        resolved = spec.resolve(hp)
        with np.errstate(all="ignore"):
            advance(Arrays(spec, surf, points[0], resolved, points=points, grads=grads), steps, resolved)


def torch_runs(steps: int) -> Callable[[], None] | None:
    try:
        import torch  # noqa: PLC0415  (optional: only for this comparison)
    except ImportError:
        return None
    surf = surfaces.get("rosenbrock")
    classes = {
        "sgd": torch.optim.SGD,
        "adagrad": torch.optim.Adagrad,
        "rmsprop": torch.optim.RMSprop,
        "adam": torch.optim.Adam,
        "adadelta": torch.optim.Adadelta,
        "nadam": torch.optim.NAdam,
    }

    def work() -> None:
        for _, name, hp in CLASSIC_RUNS:
            param = torch.tensor(START, dtype=torch.float64, requires_grad=True)
            opt = classes[name]([param], **hp)
            path = [param.detach().numpy().copy()]
            for _ in range(steps):
                param.grad = torch.from_numpy(surf.grad(param.detach().numpy()))
                opt.step()
                path.append(param.detach().numpy().copy())
            surf.value(np.array(path))

    return work


def in_place_adam(starts: np.ndarray, steps: int, lr: float = 0.01) -> np.ndarray:
    """The reference: Adam on Rosenbrock (a = 1, b = 100) written by hand, in place on
    preallocated (2, B) arrays, without losses or divergence checks."""
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    params = np.ascontiguousarray(starts.T)
    x, y = params
    grad, m, v, t = np.empty_like(params), np.zeros_like(params), np.zeros_like(params), np.empty_like(params)
    r, u = np.empty_like(x), np.empty_like(x)
    for k in range(1, steps + 1):
        np.multiply(x, x, out=r)
        np.subtract(y, r, out=r)
        np.subtract(1.0, x, out=grad[0])
        np.multiply(grad[0], -2.0, out=grad[0])
        np.multiply(x, 400.0, out=u)
        np.multiply(u, r, out=u)
        np.subtract(grad[0], u, out=grad[0])
        np.multiply(r, 200.0, out=grad[1])
        np.subtract(grad, m, out=t)
        np.multiply(t, 1 - beta1, out=t)
        np.add(m, t, out=m)
        np.multiply(v, beta2, out=v)
        np.multiply(grad, 1 - beta2, out=t)
        np.multiply(t, grad, out=t)
        np.add(v, t, out=v)
        np.sqrt(v, out=t)
        np.divide(t, (1 - beta2**k) ** 0.5, out=t)
        np.add(t, eps, out=t)
        np.multiply(m, lr / (1 - beta1**k), out=grad)
        np.divide(grad, t, out=grad)
        np.subtract(params, grad, out=params)
    return params


def grid(n: int, domain: tuple[tuple[float, float], tuple[float, float]]) -> np.ndarray:
    (x0, x1), (y0, y1) = domain
    return np.array([(x, y) for y in np.linspace(y0, y1, n) for x in np.linspace(x0, x1, n)])


def basin_map() -> object:
    starts = grid(200, surfaces.get("himmelblau").domain)
    return optviz.run("adam", "himmelblau", start=starts, steps=500, lr=0.05, record="final", tolerance=1e-3)


def lr_sweep() -> None:
    from optviz.settings import DEFAULT_RUNS  # noqa: PLC0415  (the app's eight classic runs)

    lrs = np.geomspace(1e-4, 1.0, 50)
    starts = np.tile(surfaces.get("rosenbrock").default_start, (50, 1))
    for run in DEFAULT_RUNS:
        hp = {**run.values(), "lr": lrs}
        optviz.run(run.optimizer, "rosenbrock", start=starts, steps=1000, record="final", tolerance=1e-3, **hp)


def peak_memory_mb(function: str | None) -> float:
    """Peak resident memory of a fresh Python process that imports optviz and runs
    ``benchmarks.core.<function>()`` once (nothing: None), in MB (benchmarks.process.peak_mb)."""
    code = (
        "import benchmarks.core as b\n"
        + (f"b.{function}()\n" if function else "")
        + "from benchmarks.process import peak_mb\nprint(peak_mb())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    steps = 1000
    print(f"Interactive case: {len(CLASSIC_RUNS)} runs x {steps:,} steps on Rosenbrock")
    ours = median_seconds(lambda: optviz_runs(steps), args.repeats)
    reference = median_seconds(lambda: numpy_reference_runs(steps), args.repeats)
    print(f"  optviz.run                     {ours * 1e3:8.1f} ms")
    print(f"  plain NumPy loop (reference)   {reference * 1e3:8.1f} ms   optviz is {reference / ours:5.1f}x faster")
    torch_work = torch_runs(steps)
    if torch_work is None:
        print("  torch.optim                    not importable here; install torch to compare")
    else:
        import torch  # noqa: PLC0415

        torch_time = median_seconds(torch_work, max(1, args.repeats // 2))
        print(
            f"  torch.optim {torch.__version__:<18} {torch_time * 1e3:8.1f} ms   "
            f"optviz is {torch_time / ours:5.1f}x faster (target: 10x)"
        )

    batch, batch_steps = 10_000, 500
    starts = np.random.default_rng(0).uniform((-2.0, -1.0), (2.0, 3.0), size=(batch, 2))

    def batched() -> object:
        return optviz.run("adam", "rosenbrock", start=starts, steps=batch_steps, lr=0.01)

    t0 = time.perf_counter()
    batched()
    cold = time.perf_counter() - t0
    warm = median_seconds(batched, args.repeats)
    work = batch * batch_steps
    print(f"Batched case: Adam on Rosenbrock, {batch:,} starts x {batch_steps} steps")
    print(f"  warm: {warm * 1e3:7.1f} ms = {work / warm:.2e} point-steps/s (target: 2e7)")
    print(f"  cold: {cold * 1e3:7.1f} ms = {work / cold:.2e} point-steps/s (first run: fresh memory)")

    loop = median_seconds(lambda: in_place_adam(starts, batch_steps), args.repeats)

    def reference_for(point_steps: int) -> float:  # the 10,000-start loop's rate
        return loop * point_steps / work

    final = median_seconds(
        lambda: optviz.run("adam", "rosenbrock", start=starts, steps=batch_steps, lr=0.01, record="final"),
        args.repeats,
    )
    print(f"  in-place NumPy loop (reference)  {loop * 1e3:7.1f} ms = {work / loop:.2e} point-steps/s")
    print(f"  record='path'                    {warm * 1e3:7.1f} ms   {warm / loop:4.2f}x the in-place loop")
    print(
        f"  record='final'                   {final * 1e3:7.1f} ms   {final / loop:4.2f}x the in-place loop (target: 1.5x)"
    )

    print("Sweeps and maps (record='final')")
    map_time = median_seconds(basin_map, args.repeats)
    map_starts = grid(200, surfaces.get("himmelblau").domain)
    map_loop = median_seconds(lambda: in_place_adam(map_starts, 500), args.repeats)
    print(
        f"  basin map 200 x 200, Adam on Himmelblau, 500 steps: {map_time * 1e3:7.1f} ms   "
        f"{map_time / map_loop:4.2f}x the in-place loop of 40,000 x 500 (target: 500 ms)"
    )
    baseline, peak = peak_memory_mb(None), peak_memory_mb("basin_map")
    print(f"    peak memory of a fresh process: {peak:6.1f} MB ({baseline:.1f} MB after the imports; target: 300 MB)")
    sweep_work = 8 * 50 * 1000
    sweep_time = median_seconds(lr_sweep, args.repeats)
    print(
        f"  lr sweep, 50 values x 8 classic runs, 1,000 steps:  {sweep_time * 1e3:7.1f} ms   "
        f"{sweep_time / reference_for(sweep_work):4.2f}x the in-place loop's time for as many point-steps "
        "(target: 300 ms)"
    )


if __name__ == "__main__":
    main()
