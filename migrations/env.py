from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

# Every model module, imported so Base.metadata knows all tables.
import accounts.models  # noqa: F401
import catalog.models  # noqa: F401
import credentials.models  # noqa: F401
import events.models  # noqa: F401
import publishing.models  # noqa: F401
import referrals.models  # noqa: F401
import teams.models  # noqa: F401
import workspaces.models  # noqa: F401
from plumbing.database import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
