"""``flask serve`` and ``flask worker``: the processes that make up Sharecast.

serve = migrations, then gunicorn (the production WSGI server) and one worker,
sharing the embedded Redis this process owns; Ctrl-C or SIGTERM stops all.
worker = an RQ worker with its scheduler, plus the click writer in a child
process (clicks are far too many for one RQ job each).
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time


import click
from flask import Flask

import backends
import migrate
from config import ROOT



def init_app(app: Flask) -> None:
    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    @click.option("--workers", default=0, type=int, help="web worker processes (default: 2 per core)")
    def serve(host: str, port: int, workers: int) -> None:
        """Run the web server (gunicorn) and a worker until interrupted."""
        migrate.upgrade(app.config["DATABASE_URL"])
        env = dict(os.environ, REDIS_URL=app.config["REDIS_URL"], DATABASE_URL=app.config["DATABASE_URL"],
                   SECRET_KEY=app.config["SECRET_KEY"], SHARECAST_INSTANCE=str(app.config["INSTANCE_PATH"]),
                   SHARECAST_SKIP_MIGRATIONS="1")
        if workers:
            env["WEB_CONCURRENCY"] = str(workers)
        if not os.environ.get("SHARECAST_PUBLIC_URL"):
            # Links and QR codes must point where this server actually listens.
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            env["SHARECAST_PUBLIC_URL"] = f"http://{shown}:{port}"
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                "--bind", f"{host}:{port}", "app:create_app()"], cwd=ROOT, env=env)
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=ROOT, env=env)
        click.echo(f"Sharecast on http://{host}:{port} (redis {app.config['REDIS_URL']})", err=True)
        stop = {"now": False}

        def _stop(*_):
            stop["now"] = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        try:
            while not stop["now"] and web.poll() is None and worker.poll() is None:
                time.sleep(0.2)
        finally:
            for proc in (web, worker):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in (web, worker):
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if not stop["now"]:
            raise SystemExit(f"a process stopped unexpectedly (web {web.returncode}, worker {worker.returncode})")

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Work until the queues are empty, then stop.")
    def worker(burst: bool) -> None:
        """Run an RQ worker (with scheduler) and the click writer."""
        from rq import Worker

        from referrals import jobs
        from scheduling import jobs as publish_jobs
        from webhooks import jobs as webhook_jobs

        if not os.environ.get("SHARECAST_SKIP_MIGRATIONS"):
            migrate.upgrade(app.config["DATABASE_URL"])
        os.environ["REDIS_URL"] = app.config["REDIS_URL"]
        writer = WriterSupervisor()
        writer.start()
        jobs.schedule_periodic(backends.queue(app=app))
        publish_jobs.schedule_periodic(backends.queue(app=app))
        webhook_jobs.schedule_periodic(backends.queue(app=app))
        try:
            Worker([backends.queue(app=app)], connection=backends.connection(app)).work(
                with_scheduler=True, burst=burst)
        finally:
            writer.stop()


_worker_app = None


def worker_app() -> Flask:
    """One app per worker process, made on first use, for jobs that run outside an app context."""
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    return _worker_app


def job_app() -> Flask:
    """The app a job runs in: the current one (tests, CLI) or this worker's."""
    from flask import current_app, has_app_context

    return current_app._get_current_object() if has_app_context() else worker_app()


class WriterSupervisor(threading.Thread):
    """Keeps one click-writer process alive beside the RQ worker, restarting it if it dies."""

    def __init__(self, check_every: float = 2.0):
        super().__init__(name="click-writer-supervisor", daemon=True)
        self._check_every = check_every
        self._stopping = threading.Event()
        self._process = None

    def _spawn(self):
        process = multiprocessing.get_context("spawn").Process(target=_run_click_writer, name="click-writer",
                                                               daemon=True)
        process.start()
        return process

    def run(self) -> None:
        self._process = self._spawn()
        while not self._stopping.wait(self._check_every):
            if not self._process.is_alive():
                click.echo(f"click writer exited ({self._process.exitcode}); starting another", err=True)
                self._process = self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join(5)


def _run_click_writer() -> None:
    from app import click_writer, create_app

    parent = os.getppid()
    app = create_app()
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("now", True))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    # A worker killed with SIGKILL cannot stop us; an orphan stops by itself.
    click_writer(app).run(lambda: stop["now"] or os.getppid() != parent)
