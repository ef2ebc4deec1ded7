"""Alembic migrations, applied on start (serve, web, worker, click-writer) and in tests."""
from __future__ import annotations

import functools

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from plumbing import database
from plumbing.config import ROOT


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@functools.cache
def heads() -> frozenset[str]:
    """The newest revisions, read once a process: Alembic reads them by running every migration file
    (50 ms), which a check on every start, ``workspace create`` and ``/readyz`` would pay each time."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest schema; safe to run twice (a database at the
    newest schema costs one query, and Alembic is not started)."""
    database.create_private_sqlite_file(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        current = at_head(engine)
    finally:
        engine.dispose()
    if not current:
        command.upgrade(alembic_config(url), "head")


def at_head(engine: Engine) -> bool:
    """Whether the database behind ``engine`` has every migration applied."""
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads()


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


# (to_regclass: the name as CREATE and DROP resolve it, on the search path; NULL when there is none)
_INVALID_INDEX = text("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(:name)")


def replace_index(table: str, create: tuple[str, list[str]], drop: str) -> None:
    """In a migration: create one index of ``table``, then drop the other, so its rows are never
    without one. On PostgreSQL both CONCURRENTLY, outside the migration's transaction, so writes go
    on while a large table is indexed; safe to run again after an upgrade stopped halfway (a build
    that was interrupted leaves an invalid index, dropped here and built again; no other upgrade runs
    meanwhile, see migrations/env.py)."""
    from alembic import op

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            if not op.get_context().as_sql and bind.scalar(_INVALID_INDEX, {"name": create[0]}):
                op.drop_index(create[0], table_name=table, postgresql_concurrently=True, if_exists=True)
            op.create_index(create[0], table, create[1], postgresql_concurrently=True, if_not_exists=True)
            op.drop_index(drop, table_name=table, postgresql_concurrently=True, if_exists=True)
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(create[0], create[1], unique=False)
        batch_op.drop_index(drop)
