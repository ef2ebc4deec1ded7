"""Prometheus metrics (``prometheus_client``): the counters every process bumps, and
the exposition that ``GET /metrics`` answers.

Under ``flask serve`` each process (granian's workers, the RQ worker and its work
horses, the click writer) writes its counters to files in one folder
(``PROMETHEUS_MULTIPROC_DIR``, set by ``serve`` to ``instance/metrics`` and emptied
at start); a scrape adds them up. Without that variable, as in tests and a lone
``flask web``, the counters live in the process. Figures that are a state rather
than a count (queue depths, the click writer's lag, webhook delivery lag) are read
at scrape time by collectors the caller passes to :func:`exposition`.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.registry import REGISTRY, Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REDIRECTS = Counter("sharecast_redirects", "Answers of /r/<code> by outcome (found: a redirect sent, its click "
                    "durable first)", ["outcome"])
REDIRECT_FOUND = REDIRECTS.labels("found")
REDIRECT_NOT_FOUND = REDIRECTS.labels("not_found")
REDIRECT_UNAVAILABLE = REDIRECTS.labels("unavailable")
CLICKS_BUFFERED = Counter("sharecast_clicks_buffered", "Clicks buffered by the web processes", ["to"])
CLICKS_TO_REDIS = CLICKS_BUFFERED.labels("redis")
CLICKS_TO_SPOOL = CLICKS_BUFFERED.labels("spool")
CLICKS_REFUSED = Counter("sharecast_clicks_refused", "Clicks put neither in Redis nor in the spool "
                         "(Redis away and the disk full or read-only): their redirects were refused")
CLICKS_WRITTEN = Counter("sharecast_clicks_written", "Clicks written to the database by the click writer")
JOB_FAILURES = Counter("sharecast_job_failures", "Background jobs that raised", ["job"])
PUBLICATIONS = Counter("sharecast_publications", "Publication attempts by outcome", ["outcome"])


def prepare_folder(folder: Path) -> Path:
    """An empty folder for the processes' metric files (old processes' files removed)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def exposition(collectors: Iterable[Collector] = ()) -> tuple[bytes, str]:
    """The text format of every process's counters plus ``collectors``' figures."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Default())
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Default(Collector):
    """This process's own metrics (the global registry), inside a scrape-local registry."""

    def collect(self):
        return REGISTRY.collect()
