"""Benchmark of the page: ``python3 -m benchmarks.app``.

For the default experiment and for the largest one allowed (10 runs x 5,000 steps), prints
the time to compute the runs, the time to build the figures, and the JSON size of the main
figure; then the time of a whole script run of the default page (AppTest, caches cleared,
the core warm), against a rerun that hits the cache, measured in the same run.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import plotly.io as pio
import streamlit as st
from streamlit.testing.v1 import AppTest

from optviz import figures
from optviz.experiment import DEFAULT, MAX_RUNS, STEPS, Experiment, Run
from optviz.results import run_experiment

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def median_ms(work, repeats: int = 5) -> float:
    work()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def report(title: str, experiment: Experiment) -> None:
    surf = experiment.build_surface()
    image = figures.background(surf)
    trajectories = run_experiment(experiment)
    compute = median_ms(lambda: run_experiment(experiment))

    def build():
        return (
            figures.main_figure(experiment, surf, trajectories, image),
            figures.loss_figure(experiment, surf, trajectories),
            figures.surface_3d_figure(experiment, surf, trajectories),
        )

    build_time = median_ms(build)
    size = len(pio.to_json(build()[0], validate=False))
    print(f"{title}: {len(experiment.runs)} runs x {experiment.steps:,} steps on {surf.name}")
    print(f"  compute the runs   {compute:7.1f} ms")
    print(f"  build the figures  {build_time:7.1f} ms")
    print(f"  main figure JSON   {size / 1e6:7.2f} MB (target: under 2 MB)")


def whole_script() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()  # imports, first compilation of everything

    def cold() -> None:
        st.cache_data.clear()
        at.run()

    fresh = median_ms(cold)
    cached = median_ms(at.run)
    print("Default page, whole script run (AppTest):")
    print(f"  caches cleared (core warm)  {fresh:7.1f} ms (target: under 300 ms)")
    print(f"  rerun, cache hit            {cached:7.1f} ms")


def main() -> None:
    report("Default experiment", DEFAULT)
    largest = Experiment.make(
        "rosenbrock", steps=STEPS.high, runs=[Run.make("sgd", lr=1e-4 * (i + 1), momentum=0.9) for i in range(MAX_RUNS)]
    )
    report("Largest experiment", largest)
    whole_script()


if __name__ == "__main__":
    main()
