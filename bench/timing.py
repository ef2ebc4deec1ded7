"""What the benchmarks share: the median of a few runs, and scratch instance folders."""
from __future__ import annotations

import atexit
import shutil
import statistics
import tempfile
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


def scratch_folder(prefix: str = "sharecast-bench-") -> str:
    """A new temporary folder (an instance folder for one run: its SQLite file, the embedded
    Redis's append-only file), removed with everything in it when this process exits. A run of
    bench_redirect.py leaves about a gigabyte there. (The embedded Redis a run starts is stopped
    first: its exit hook is registered later, and ``atexit`` runs the latest first.)"""
    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
