"""What the benchmarks share: the median of a few runs, scratch instance folders, a process's CPU time."""
from __future__ import annotations

import atexit
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


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


def process_stat(pid: int) -> tuple[int, str, float] | None:
    """A process's parent pid, command name and CPU seconds so far (user and system), from
    ``/proc/<pid>/stat``; None when it is gone or not ours to read."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, fields = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
    return int(fields[1]), name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
