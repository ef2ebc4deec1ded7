"""Sharecast: the app factory and its processes.

``create_app()`` builds the Flask app. The ``flask`` CLI runs the processes:

* ``flask --app app serve``: everything on one machine, supervised: the
  embedded Redis (unless ``REDIS_URL`` is set), the web server, an RQ worker
  and the click writer. A child that dies is restarted with backoff while the
  others keep running; only SIGTERM/SIGINT stops them all.
* ``flask --app app web``: the web server alone (granian), after migrating.
* ``flask --app app worker``: an RQ worker with its scheduler; jobs run in this
  app's context.
* ``flask --app app click-writer``: moves buffered clicks into the database.
"""
from __future__ import annotations

import gc
import os
import signal
import sys
from pathlib import Path

import click
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from accounts import cli as account_cli
from brand_accounts import routes as brand_account_routes
from catalog import routes as product_routes
from credentials import routes as credential_routes
from credentials import wechat_routes
from events import jobs as event_jobs
from events import routes as event_routes
from figures import routes as figure_routes
from integrations import routes as integration_routes
from integrations import sharer_routes
from payouts import jobs as payout_jobs
from payouts import routes as payout_routes
from plumbing import api, database, embedded_redis, errors, logs, metrics, migrate, redis_client
from plumbing.config import ROOT, Config
from plumbing.supervisor import Child, Supervisor
from plumbing.worker import AppWorker, die_with_parent
from publishing import approval_routes, publish_jobs, schedule_routes
from publishing import routes as campaign_routes
from referrals import (
    clickwriter,
    compliance_routes,
    grade_routes,
    import_routes,
    money_routes,
    program_routes,
    redirect,
    report_routes,
    risk_routes,
    snippet,
)
from referrals import jobs as referral_jobs
from referrals import routes as referral_routes
from teams import jobs as team_jobs
from teams import routes as team_routes
from web import avatar_api, contact_api, ops, pages, phone_sign_in_api
from workspaces import cli as workspace_cli
from workspaces import key_routes


def create_app(test_config: dict | None = None) -> Flask:
    config = Config.load(test_config)
    app = Flask(__name__, instance_path=str(Path(config["INSTANCE_PATH"]).resolve()))
    app.config.from_mapping(config)
    app.json.ensure_ascii = False  # Chinese stays readable in every JSON answer
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)  # secrets, database, spool
    logs.init_app(app)
    database.init_app(app)
    redis_client.init_app(app)
    errors.init_app(app)
    api.init_app(app)
    api.api.register_blueprint(campaign_routes.bp)
    campaign_routes.init_app(app)
    api.api.register_blueprint(product_routes.bp)
    api.api.register_blueprint(referral_routes.bp)
    api.api.register_blueprint(report_routes.bp)
    api.api.register_blueprint(money_routes.bp)
    api.api.register_blueprint(program_routes.bp)
    api.api.register_blueprint(grade_routes.bp)
    api.api.register_blueprint(import_routes.bp)
    api.api.register_blueprint(sharer_routes.bp)
    api.api.register_blueprint(risk_routes.bp)
    api.api.register_blueprint(compliance_routes.bp)
    api.api.register_blueprint(team_routes.bp)
    api.api.register_blueprint(figure_routes.bp)
    schedule_routes.init_app(app)
    api.api.register_blueprint(approval_routes.bp)
    api.api.register_blueprint(event_routes.bp)
    api.api.register_blueprint(credential_routes.bp)
    api.api.register_blueprint(key_routes.bp)
    api.api.register_blueprint(integration_routes.bp)
    app.register_blueprint(integration_routes.hooks)
    app.register_blueprint(snippet.bp)
    api.api.register_blueprint(wechat_routes.bp)
    api.api.register_blueprint(phone_sign_in_api.bp)
    api.api.register_blueprint(avatar_api.bp)
    api.api.register_blueprint(contact_api.bp)
    api.api.register_blueprint(brand_account_routes.bp)
    api.api.register_blueprint(payout_routes.bp)
    pages.init_app(app)
    ops.init_app(app)
    # The redirect layer wraps everything else, so nothing can shadow /r/<code>
    # and none of Flask's per-request work runs for it.
    redirect.init_app(app)
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    workspace_cli.init_app(app)
    account_cli.init_app(app)
    migrate.init_app(app)
    init_processes(app)
    return app


def web_app() -> Flask:
    """``create_app()`` in a granian worker process, which dies with granian's main process.

    granian forks its workers before they load the app; a worker that gets SIGTERM in
    that window runs the handler it inherited from the main process and ignores it,
    so granian is also told to kill a worker that has not stopped within
    ``WEB_KILL_TIMEOUT`` seconds (see ``web_server_argv``)."""
    die_with_parent(signal.SIGKILL)
    app = create_app()
    # The app's hundreds of thousands of startup objects (routes, schemas, models) live
    # as long as the process: moved out of the collector's sight, a full collection no
    # longer stalls every thread of the worker for a good part of a second.
    gc.collect()
    gc.freeze()
    return app


WEB_KILL_TIMEOUT = 10


def web_server_argv(host: str, port: int, workers: int) -> list[str]:
    """granian serving ``web_app()``: requests are read by its Rust event loop, so a
    slow client holds a socket, never a Python thread (see README, "The web server")."""
    return [sys.executable, "-m", "granian", "--interface", "wsgi", "--factory", "app:web_app",
            "--host", host, "--port", str(port), "--workers", str(workers),
            "--blocking-threads", os.environ.get("SHARECAST_WEB_THREADS", "4"),
            "--workers-kill-timeout", str(WEB_KILL_TIMEOUT),
            "--respawn-failed-workers", "--no-ws", "--log-level", "warning"]


def redirect_children(host: str, port: int, workers: int, env: dict[str, str]) -> list[Child]:
    """The event-loop redirect server's processes, one per core unless ``workers`` says: they share the port."""
    argv = [sys.executable, "-m", "flask", "--app", "app", "redirect-server", "--host", host, "--port", str(port),
            "--workers", "1"]
    return [Child(f"redirects-{n}", argv, env=env, cwd=str(ROOT)) for n in range(1, (workers or os.cpu_count() or 1) + 1)]


def init_processes(app: Flask) -> None:
    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    @click.option("--workers", default=0, type=int, help="web worker processes (default: one per core)")
    @click.option("--redirect-port", default=0, type=int, envvar="SHARECAST_REDIRECT_PORT",
                  help="also run the event-loop redirect server on this port (README, \"The redirect server\")")
    def serve(host: str, port: int, workers: int, redirect_port: int) -> None:
        """Run the web server, a worker and the click writer (and the embedded Redis), supervised."""
        migrate.upgrade(app.config["DATABASE_URL"])
        instance = Path(app.config["INSTANCE_PATH"]).resolve()
        env = dict(os.environ, DATABASE_URL=app.config["DATABASE_URL"], SECRET_KEY=app.config["SECRET_KEY"],
                   SHARECAST_INSTANCE=str(instance), SHARECAST_SKIP_MIGRATIONS="1")
        # Every child writes its counters where one scrape adds them up (plumbing/metrics.py).
        env.setdefault(metrics.MULTIPROC_ENV, str(metrics.prepare_folder(instance / "metrics")))
        if not os.environ.get("SHARECAST_PUBLIC_URL"):
            # Links and QR codes must point where this server actually listens.
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            env["SHARECAST_PUBLIC_URL"] = f"http://{shown}:{port}"
        children = []
        if not os.environ.get("REDIS_URL"):
            # serve owns the embedded Redis: it (re)starts it in place, and every child
            # keeps the same socket URL across its restarts.
            url = embedded_redis.url_for(instance)
            children.append(Child("redis", embedded_redis.command(instance), cwd=str(instance),
                                  ready=lambda: embedded_redis.answers(url),
                                  before_start=lambda: _clear_stale_socket(instance)))
            env["REDIS_URL"] = url
        flask_cmd = [sys.executable, "-m", "flask", "--app", "app"]
        children += [
            Child("web", web_server_argv(host, port, workers or os.cpu_count() or 1), env=env, cwd=str(ROOT)),
            Child("worker", [*flask_cmd, "worker"], env=env, cwd=str(ROOT)),
            Child("click-writer", [*flask_cmd, "click-writer"], env=env, cwd=str(ROOT)),
        ]
        if redirect_port:
            children += redirect_children(host, redirect_port, workers, env)
        click.echo(f"Sharecast on http://{host}:{port} (redis {env.get('REDIS_URL')})", err=True)
        Supervisor(children).run()

    @app.cli.command("web")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    @click.option("--workers", default=0, type=int, help="web worker processes (default: one per core)")
    def web_server(host: str, port: int, workers: int) -> None:
        """Migrate, then run the web server (granian) in this process's place."""
        _migrate_unless_skipped(app)
        argv = web_server_argv(host, port, workers or os.cpu_count() or 1)
        os.execv(argv[0], argv)

    @app.cli.command("redirect-server")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5001, show_default=True, type=int)
    @click.option("--workers", default=0, type=int, help="processes sharing the port (default: one per core)")
    def redirect_server(host: str, port: int, workers: int) -> None:
        """Serve /r/<code> on an event loop, supervised (README, "The redirect server")."""
        _migrate_unless_skipped(app)
        redis_client.ensure_server(app)
        if workers == 1:
            from referrals import redirect_server as server

            server.run(server.server_for(app), host, port)
            return
        env = dict(os.environ, REDIS_URL=app.config["REDIS_URL"], SHARECAST_SKIP_MIGRATIONS="1")
        Supervisor(redirect_children(host, port, workers, env)).run()

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Work until the queues are empty, then stop.")
    def worker(burst: bool) -> None:
        """Run an RQ worker with its scheduler; every job runs in this app's context."""
        _migrate_unless_skipped(app)
        redis_client.ensure_server(app)
        queue = redis_client.queue(app=app)
        for periodic in (referral_jobs, publish_jobs, event_jobs, payout_jobs, team_jobs):
            periodic.schedule_periodic(queue)
        AppWorker(app, [queue], connection=redis_client.connection(app),
                  maintenance_interval=app.config["WORKER_MAINTENANCE_SECONDS"]).work(with_scheduler=True, burst=burst)

    @app.cli.command("click-writer")
    def click_writer() -> None:
        """Move buffered clicks (Redis stream and spool files) into the database until SIGTERM."""
        _migrate_unless_skipped(app)
        redis_client.ensure_server(app)
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
        writer = clickwriter.writer_for(app)
        os.nice(app.config["CLICK_WRITER_NICE"])
        # As in the web workers: the startup objects out of the collector's sight, so the
        # full collections a batch's thousands of new objects set off stay short.
        gc.collect()
        gc.freeze()
        writer.run(lambda: bool(stopping))


def _migrate_unless_skipped(app: Flask) -> None:
    if not os.environ.get("SHARECAST_SKIP_MIGRATIONS"):
        migrate.upgrade(app.config["DATABASE_URL"])


def _clear_stale_socket(instance: Path) -> None:
    sock = embedded_redis.socket_path(instance)
    if sock.exists() and not embedded_redis.answers(f"unix://{sock}", timeout=0.2):
        sock.unlink()
