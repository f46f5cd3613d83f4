"""How fast hostile formulas are refused: every entry of the tests' table, timed here.

    python -m benchmarks.expressions

Prints the slowest refusal and the median; the tests check that each is refused, this says
how soon (a shared machine's timings belong in a benchmark, not in a test).
"""

from __future__ import annotations

import statistics
import time

from surfaces.expression import from_expression
from tests.test_expression import HOSTILE, SMOOTH


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


if __name__ == "__main__":
    main()
