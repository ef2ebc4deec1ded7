"""The RQ worker: every job runs inside the Flask app's context.

Jobs take ids, open their own sessions and read ``current_app``; none builds an
app of its own. The worker forks a work horse per job (RQ's default): the horse
drops the database connections it inherited (they belong to the parent), and,
like every process the worker forks (the horse, RQ's scheduler), dies with the
worker: nothing outlives a worker killed with SIGKILL.
"""
from __future__ import annotations

import ctypes
import os
import signal

from flask import Flask
from rq import Worker

from plumbing import database, metrics

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask Linux to send ``sig`` to this process when its parent dies (no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return


class AppWorker(Worker):
    """An RQ worker that runs each job in ``app``'s context."""

    def __init__(self, app: Flask, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app
        parent = os.getpid()

        def _in_child() -> None:
            # Runs in every child this worker forks: the horse and the scheduler.
            if os.getppid() == parent:
                die_with_parent()

        os.register_at_fork(after_in_child=_in_child)

    def main_work_horse(self, job, queue):
        # The pooled connections were opened by the parent; sharing them would mix
        # two processes' traffic on one socket. Drop them without closing them.
        database.engine_of(self.app).dispose(close=False)
        super().main_work_horse(job, queue)

    def handle_job_failure(self, job, queue, *args, **kwargs):
        metrics.JOB_FAILURES.labels(job.func_name.rsplit(".", 1)[-1] if job.func_name else "unknown").inc()
        return super().handle_job_failure(job, queue, *args, **kwargs)

    def perform_job(self, job, queue, execution) -> bool:
        with self.app.app_context():
            return super().perform_job(job, queue, execution)
