"""Alembic migrations, applied on start (serve, web, worker, click-writer) and in tests."""
from __future__ import annotations

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy.engine import Engine

from plumbing import database
from plumbing.config import ROOT


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest schema; safe to run twice."""
    database.create_private_sqlite_file(url)
    command.upgrade(alembic_config(url), "head")


def at_head(engine: Engine) -> bool:
    """Whether the database behind ``engine`` has every migration applied."""
    heads = set(ScriptDirectory.from_config(alembic_config(str(engine.url))).get_heads())
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads


def init_app(app: Flask) -> None:
    group = click.Group("db", help="Database schema.")

    @group.command("upgrade")
    def _upgrade() -> None:
        """Apply all migrations."""
        upgrade(app.config["DATABASE_URL"])
        click.echo("database is up to date")

    @group.command("revision")
    @click.option("-m", "--message", required=True)
    def _revision(message: str) -> None:
        """Autogenerate a migration from the models (for developers)."""
        command.revision(alembic_config(app.config["DATABASE_URL"]), message=message, autogenerate=True)

    app.cli.add_command(group)
