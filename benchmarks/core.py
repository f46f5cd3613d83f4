"""Benchmark of the optimizer core: ``python -m benchmarks.core``.

Prints, measured in this run on this machine:

* the interactive case: the eight classic runs (SGD, momentum, Nesterov, Adagrad, RMSprop,
  Adam, Adadelta, NAdam) of 1,000 steps each on Rosenbrock, against two references doing the
  same work: the plain NumPy array loop, and torch.optim stepping the same problem with the
  same analytic gradients (only when torch can be imported; it is not a dependency);
* the batched case: Adam on Rosenbrock from 10,000 starts for 500 steps, in point-steps per
  second.

Each figure is the median of several repeats after a warm-up run, so that one-off costs
(first-touch page faults of fresh memory, imports) are not counted; the first, cold run of
the batched case is printed as well.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import optviz
import surfaces
from optviz import engine
from optviz.optimizers import get as get_optimizer

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
    work()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


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
        with np.errstate(all="ignore"):
            engine._step_arrays(spec, surf, points, grads, spec.resolve(hp))


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


if __name__ == "__main__":
    main()
