"""The migrations build exactly the schema the models describe, on the backend under test."""
from alembic import command
from alembic.script import ScriptDirectory

from plumbing import migrate


def test_one_head_and_no_drift_between_models_and_migrations(backend_urls):
    database_url, template, _redis = backend_urls
    cfg = migrate.alembic_config(database_url or f"sqlite:///{template}")
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1
    command.check(cfg)  # raises when autogenerate would find anything to add
