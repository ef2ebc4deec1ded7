"""Timing for the benchmarks: the median of a few runs."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(fn: Callable, runs: int = 5) -> tuple[float, object]:
    """(median milliseconds of ``runs`` calls of ``fn``, the last call's result)."""
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result
