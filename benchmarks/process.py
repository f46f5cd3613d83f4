"""What a process spends: its CPU time (every thread) and its peak resident memory (Linux),
and the median time of repeated work.

Shared by the benchmarks (benchmarks.core's basin map, benchmarks.links' links and exports,
the medians of benchmarks.app, benchmarks.core, benchmarks.costs and benchmarks.expressions).
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB: Linux's VmHWM, which starts afresh
    with each new program (``ru_maxrss`` would keep a forking parent's peak)."""
    return _status_kb("VmHWM") / 1024


def resident_mb() -> float:
    """This process's resident memory now, in MB (VmRSS)."""
    return _status_kb("VmRSS") / 1024


def reset_peak() -> bool:
    """Start the peak afresh from what is resident now (Linux 4.0 and later: ``clear_refs``
    with 5); False where the kernel refuses, and the peak then counts from the process's start."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds() -> float:
    """User and system CPU time of this process so far, every thread's, in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _status_kb(field: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    msg = f"{field} not in {_STATUS}"
    raise RuntimeError(msg)


def median(work: Callable[[], object], repeats: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """The median of ``repeats`` timings of ``work`` by ``clock`` (wall time by default; pass
    ``time.process_time`` for CPU time), in seconds, after one run to warm up."""
    work()
    times = []
    for _ in range(repeats):
        began = clock()
        work()
        times.append(clock() - began)
    return statistics.median(times)
