"""Keeping a few child processes up: ``flask serve``'s process model.

Each child runs in a process group of its own (a new session), so when it dies
everything it started (a web server's workers, RQ's scheduler) is killed with
its group and no orphan survives it; children also die with the supervisor
(``PR_SET_PDEATHSIG``), even when it is killed with SIGKILL. A child that exits
is restarted after a backoff that doubles while it keeps dying young (up to
``max_backoff``) and resets once it has stayed up. Only SIGTERM or SIGINT to the
supervisor stops everything: children are asked with SIGTERM in reverse start
order (a child the later ones waited for, the embedded Redis, once they have
stopped), and their groups are killed after ``stop_timeout``.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from plumbing.worker import die_with_parent

log = logging.getLogger("sharecast.supervisor")


@dataclass
class Child:
    """One supervised process: its command line, and optionally a readiness check that must
    pass before the children after it start (the embedded Redis before its clients)."""

    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    cwd: str | None = None
    ready: Callable[[], bool] | None = None
    before_start: Callable[[], None] | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 0.0
    restart_at: float | None = None


class Supervisor:
    def __init__(self, children: list[Child], min_backoff: float = 0.5, max_backoff: float = 30.0,
                 healthy_after: float = 10.0, stop_timeout: float = 20.0, ready_timeout: float = 60.0):
        self.children = children
        self.min_backoff, self.max_backoff = min_backoff, max_backoff
        self.healthy_after, self.stop_timeout, self.ready_timeout = healthy_after, stop_timeout, ready_timeout
        self._stopping = False
        self._pid = os.getpid()

    # -- running

    def run(self) -> int:
        """Start every child, keep them up until SIGTERM/SIGINT, then stop them all. Returns 0."""
        previous = {sig: signal.signal(sig, self._request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for child in self.children:
                if self._stopping:
                    break
                self._start(child)
                self._wait_ready(child)
            while not self._stopping:
                self._tick(time.monotonic())
                time.sleep(0.1)
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _request_stop(self, *_args) -> None:
        self._stopping = True

    def _tick(self, now: float) -> None:
        for child in self.children:
            process = child.process
            if process is not None and process.poll() is not None:
                self._reap(child, now)
            elif process is None and child.restart_at is not None and now >= child.restart_at:
                child.restart_at = None
                child.restarts += 1
                self._start(child)

    def _reap(self, child: Child, now: float) -> None:
        code = child.process.returncode
        _kill_group(child.process.pid)  # whatever it started dies with it
        lived = now - child.started_at
        child.backoff = (self.min_backoff if lived >= self.healthy_after or not child.backoff
                         else min(child.backoff * 2, self.max_backoff))
        child.process, child.restart_at = None, now + child.backoff
        log.warning("%s exited (%s) after %.1f s; restarting in %.1f s", child.name, _describe(code), lived,
                    child.backoff)

    def _start(self, child: Child) -> None:
        if child.before_start is not None:
            child.before_start()
        supervisor = self._pid

        def _child_setup() -> None:  # in the child, after setsid, before exec
            die_with_parent(signal.SIGTERM)
            if os.getppid() != supervisor:  # the supervisor died before prctl took effect
                os._exit(1)

        child.process = subprocess.Popen(child.argv, env=child.env, cwd=child.cwd, start_new_session=True,
                                         preexec_fn=_child_setup, stdin=subprocess.DEVNULL)
        child.started_at = time.monotonic()
        log.info("%s started (pid %s)", child.name, child.process.pid)

    def _wait_ready(self, child: Child) -> None:
        if child.ready is None:
            return
        deadline = time.monotonic() + self.ready_timeout
        while not self._stopping and time.monotonic() < deadline:
            if child.ready():
                return
            if child.process.poll() is not None:
                raise RuntimeError(f"{child.name} exited ({_describe(child.process.returncode)}) while starting")
            time.sleep(0.05)
        if not self._stopping:
            raise RuntimeError(f"{child.name} was not ready within {self.ready_timeout:.0f} s")

    # -- stopping

    def _stop_all(self) -> None:
        """Stop the children in reverse start order, a child the ones after it waited for (``ready``:
        the embedded Redis) only once they have stopped, so that none of them loses it on its way out."""
        later: list[Child] = []
        for child in reversed(self.children):
            if child.ready is not None:
                self._stop(later)
                later = []
            later.append(child)
        self._stop(later)

    def _stop(self, children: list[Child]) -> None:
        """SIGTERM to each child's group at once; a group still there after ``stop_timeout`` is killed."""
        running = [c for c in children if c.process is not None]
        for child in running:
            if child.process.poll() is None:
                try:
                    os.killpg(child.process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + self.stop_timeout
        for child in running:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s; killing it", child.name, self.stop_timeout)
            _kill_group(child.process.pid)
            child.process.wait()


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _describe(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"status {code}"
