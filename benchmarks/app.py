"""Benchmark of the page: ``python3 -m benchmarks.app``.

For the default experiment and for the largest one allowed (10 runs x 5,000 steps), prints
the time to compute the runs, to encode the race's arrays and to build the loss and 3-D
figures, and the size of the race's payload; then the time of a whole script run of the
default page (AppTest, caches cleared, the core warm), against a rerun that hits the cache,
measured in the same run. benchmarks/page.py measures the page in a browser.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from benchmarks.process import median
from optviz.draw import figures, race
from optviz.settings import DEFAULT, MAX_RUNS, STEPS, Experiment, Run
from optviz.study.results import run_experiment

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def median_ms(work: Callable[[], object], repeats: int = 5) -> float:
    """The median wall time of ``work`` in milliseconds (benchmarks.process.median)."""
    return median(work, repeats) * 1e3


def report(title: str, experiment: Experiment) -> None:
    surf = experiment.build_surface()
    image = figures.background(surf)
    trajectories = run_experiment(experiment)
    compute = median_ms(lambda: run_experiment(experiment))

    def race_payload():
        return [race.run_arrays(t) for t in trajectories], race.scene(surf, image)

    encode = median_ms(race_payload)
    loss = median_ms(lambda: figures.loss_figure(experiment, surf, trajectories))
    three_d = median_ms(lambda: figures.surface_3d_figure(experiment, surf, trajectories))
    size = len(json.dumps(race_payload()))
    print(f"{title}: {len(experiment.runs)} runs x {experiment.steps:,} steps on {surf.name}")
    print(f"  compute the runs          {compute:7.1f} ms")
    print(f"  encode the race's arrays  {encode:7.1f} ms")
    print(f"  build the loss figure     {loss:7.1f} ms")
    print(f"  build the 3-D figure      {three_d:7.1f} ms")
    print(f"  race payload (JSON)       {size / 1e6:7.2f} MB (target: under 1 MB)")


def whole_script() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()  # imports, first compilation of everything

    def cold() -> None:
        st.cache_data.clear()
        st.cache_resource.clear()
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
