"""Timing for the benchmarks: the median of a few runs."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(fn: Callable, runs: int = 5, clock: Callable[[], float] = time.perf_counter) -> tuple[float, object]:
    """(median milliseconds of ``runs`` calls of ``fn``, the last call's result). ``clock=time.process_time``
    counts this process's CPU time only: steadier on a machine others are loading."""
    times, result = [], None
    for _ in range(runs):
        t = clock()
        result = fn()
        times.append((clock() - t) * 1000)
    return statistics.median(times), result
