from __future__ import annotations

import re

from alembic import context
from sqlalchemy import create_engine, pool

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


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          include_name=include_name)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
