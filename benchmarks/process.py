"""What a process spends: its CPU time (every thread) and its peak resident memory (Linux).

Shared by the benchmarks that measure work in a fresh process (benchmarks.core's basin map,
benchmarks.links' links and exports).
"""

from __future__ import annotations

import resource
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
