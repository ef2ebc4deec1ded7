"""Sharecast: the app factory and the ``flask`` CLI.

``flask --app app serve`` runs everything (web server, worker, embedded
backends); ``flask --app app worker`` a worker alone; ``flask --app app
workspace create --name N`` bootstraps a brand.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import api
import backends
import database
import errors
import migrate
import runner
import web
from accounts import cli as account_cli
from config import Config
from credentials import routes as credential_routes
from publishing import routes as campaign_routes
from referrals import pages as link_pages
from referrals import money_routes
from referrals import redirect
from referrals import report_routes
from referrals import routes as referral_routes
from referrals.clickwriter import ClickWriter
from scheduling import routes as scheduling_routes
from webhooks import routes as webhook_routes
from workspaces import cli as workspace_cli


def create_app(test_config: dict | None = None) -> Flask:
    config = Config.load(test_config)
    app = Flask(__name__, instance_path=str(Path(config["INSTANCE_PATH"]).resolve()))
    app.config.from_mapping(config)
    app.json.ensure_ascii = False  # Chinese stays readable in every JSON answer
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    database.init_app(app)
    backends.init_app(app)
    errors.init_app(app)
    api.init_app(app)
    api.api.register_blueprint(campaign_routes.bp)
    campaign_routes.init_app(app)
    api.api.register_blueprint(referral_routes.bp)
    api.api.register_blueprint(report_routes.bp)
    api.api.register_blueprint(money_routes.bp)
    scheduling_routes.init_app(app)
    api.api.register_blueprint(webhook_routes.bp)
    api.api.register_blueprint(credential_routes.bp)
    app.register_blueprint(link_pages.bp)
    web.init_app(app)
    # The redirect layer wraps everything else, so nothing can shadow /r/<code>
    # and none of Flask's per-request work runs for it.
    redirect.init_app(app)
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    app.extensions["sharecast.click_fetch"] = lambda click_id: click_writer(app).write_now(click_id)
    workspace_cli.init_app(app)
    account_cli.init_app(app)
    migrate.init_app(app)
    runner.init_app(app)
    return app


def click_writer(app: Flask) -> ClickWriter:
    writer = app.extensions.get("sharecast.click_writer")
    if writer is None:
        writer = ClickWriter(backends.connection(app), database.engine_of(app),
                             Path(app.config["INSTANCE_PATH"]) / "click-spool", app.config["CLICK_BATCH_SIZE"])
        app.extensions["sharecast.click_writer"] = writer
    return writer
