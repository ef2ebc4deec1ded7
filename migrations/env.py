from __future__ import annotations

import logging
import re
import time

from alembic import context
from sqlalchemy import Connection, create_engine, pool, text

# Every model module, imported so Base.metadata knows all tables.
import accounts.models  # noqa: F401
import brand_accounts.models  # noqa: F401
import catalog.models  # noqa: F401
import credentials.models  # noqa: F401
import events.models  # noqa: F401
import integrations.models  # noqa: F401
import payouts.models  # noqa: F401
import publishing.models  # noqa: F401
import referrals.models  # noqa: F401
import teams.models  # noqa: F401
import workspaces.models  # noqa: F401
from plumbing.database import Base

config = context.config
target_metadata = Base.metadata
PARTITION = re.compile(r"clicks_(y\d{4}m\d{2}|default)")


def include_name(name, type_, parent_names) -> bool:
    """The monthly partitions of ``clicks`` (PostgreSQL) are made by the retention job, not the models."""
    return not (type_ == "table" and name and PARTITION.fullmatch(name))


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


# One upgrade at a time on PostgreSQL: every process migrates as it starts, and nodes start together.
_LOCK_KEY = {"key": "sharecast:migrations"}
_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))")
log = logging.getLogger("alembic.env")


def _wait_for_lock(connection: Connection) -> bool:
    """On PostgreSQL, take the upgrade's session advisory lock on the upgrade's own connection (so it
    lives exactly as long as the work), polling with no transaction left open between tries: a
    statement waiting for the lock would hold a snapshot, which a CREATE INDEX CONCURRENTLY of the
    upgrade under way waits out while that upgrade holds the lock (a deadlock). False on SQLite."""
    if connection.dialect.name != "postgresql":
        return False
    waited = False
    while not connection.scalar(_TRY_LOCK, _LOCK_KEY):
        connection.commit()
        if not waited:
            log.info("Waiting for another process's upgrade of this database")
            waited = True
        time.sleep(0.2)
    connection.commit()
    return True


def _unlock(connection: Connection) -> None:
    try:
        connection.rollback()  # (after a failed migration)
        connection.scalar(_UNLOCK, _LOCK_KEY)
        connection.commit()
    except Exception:  # noqa: BLE001 - the connection's end releases it; the migration's own error wins
        log.warning("Could not release the upgrade lock; closing the connection will", exc_info=True)


def run_migrations_online() -> None:
    """Under the lock of :func:`_wait_for_lock`: a process starting while another upgrades waits for
    it, then reads the revision it left, instead of running the same statements again and failing."""
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        locked = _wait_for_lock(connection)
        try:
            context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                              include_name=include_name)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if locked:
                _unlock(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
