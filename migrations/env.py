from __future__ import annotations

import re
import time
from contextlib import contextmanager

from alembic import context
from sqlalchemy import Engine, create_engine, pool, text

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


@contextmanager
def _one_upgrade_at_a_time(engine: Engine):
    """On PostgreSQL, a session advisory lock on a connection of its own, taken by polling outside any
    transaction: a waiting statement would hold a snapshot, which CREATE INDEX CONCURRENTLY in the
    upgrade under way waits out, while that upgrade holds what the statement waits for (a deadlock)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock:
        while not lock.scalar(_TRY_LOCK, _LOCK_KEY):
            time.sleep(0.2)
        try:
            yield
        finally:
            lock.scalar(_UNLOCK, _LOCK_KEY)


def run_migrations_online() -> None:
    """Under :func:`_one_upgrade_at_a_time`: a process starting while another upgrades waits for it,
    then reads the revision it left, instead of running the same statements again and failing."""
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with _one_upgrade_at_a_time(engine), engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          include_name=include_name)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
