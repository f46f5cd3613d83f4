"""How fast hostile formulas are refused: every entry of the tests' table, timed here.

    python -m benchmarks.expressions

Prints the slowest refusal and the median; the tests check that each is refused, this says
how soon (a shared machine's timings belong in a benchmark, not in a test). Then how long
typical formulas take to become surfaces, and what huge trig arguments cost: the gradient of
``tan(1e10*x) + y**2`` on a 200 x 200 grid (arguments from 1e10 to 3e10: every one reduced
exactly, optviz.core.portable's Payne-Hanek on arrays), against the same with the old reduction
(Python's integers, one argument at a time: what the array path does where it cannot decide)
and against ``tan(1.5*x) + y**2`` (the ordinary reduction), timed in the same run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from benchmarks.process import median
from optviz.core import portable
from surfaces.formula import from_expression
from tests.surfaces.test_expression import HOSTILE, SMOOTH


def median_ms(work: Callable[[], object], repeats: int = 7) -> float:
    """The median wall time of ``work`` in milliseconds (benchmarks.process.median)."""
    return median(work, repeats) * 1e3


def one_at_a_time(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reduction of huge arguments as it was: Python's integers, one argument at a time."""
    quadrant, y0, y1 = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    for i in range(x.shape[0]):
        quadrant.flat[i], y0.flat[i], y1.flat[i] = portable._reduce_large(float(x.flat[i]))
    return quadrant, y0, y1


def huge_trig() -> None:
    grid = np.linspace(-3.0, 3.0, 200)
    xx, yy = np.meshgrid(grid, grid)
    huge, ordinary = from_expression("tan(1e10*x)+y**2"), from_expression("tan(1.5*x)+y**2")
    vectorised = median_ms(lambda: huge.grad_fn(xx, yy))
    reference = median_ms(lambda: ordinary.grad_fn(xx, yy))
    vector_path = portable._reduce_large_array
    portable._reduce_large_array = one_at_a_time
    try:
        before = median_ms(lambda: huge.grad_fn(xx, yy), repeats=3)
    finally:
        portable._reduce_large_array = vector_path
    print("Gradient of tan(1e10*x)+y**2 on 200 x 200 points (arguments 1e10 to 3e10)")
    print(f"  reduced on arrays                {vectorised:7.1f} ms   {vectorised / reference:5.1f}x the ordinary path")
    print(f"  one argument at a time (before)  {before:7.1f} ms   {before / reference:5.1f}x the ordinary path")
    print(f"  tan(1.5*x)+y**2 (ordinary path)  {reference:7.1f} ms")


def main() -> None:
    times = []
    for text, _ in HOSTILE:
        begin = time.perf_counter()
        try:
            from_expression(text)
        except ValueError:
            pass
        else:
            msg = f"not refused: {text[:40]!r}"
            raise AssertionError(msg)
        times.append((time.perf_counter() - begin, text))
    slowest, text = max(times)
    print(f"{len(times)} hostile formulas, each refused")
    print(f"  median {statistics.median(t for t, _ in times) * 1e3:.2f} ms")
    print(f"  slowest {slowest * 1e3:.2f} ms: {text[:50]!r}")
    made = []
    for text, domain in SMOOTH:  # parsing, the symbolic gradient and the minima search
        begin = time.perf_counter()
        from_expression(text, domain=domain)
        made.append((time.perf_counter() - begin, text))
    slowest, text = max(made)
    print(f"{len(made)} formulas made into surfaces (minima searched)")
    print(f"  median {statistics.median(t for t, _ in made) * 1e3:.1f} ms")
    print(f"  slowest {slowest * 1e3:.1f} ms: {text[:50]!r}")
    huge_trig()


if __name__ == "__main__":
    main()
