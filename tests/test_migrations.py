"""The migrations build exactly the schema the models describe, on the backend under test."""
from alembic import command
from alembic.script import ScriptDirectory

from plumbing import migrate


def test_one_head_and_no_drift_between_models_and_migrations(backend_urls):
    database_url, template, _redis = backend_urls
    cfg = migrate.alembic_config(database_url or f"sqlite:///{template}")
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1
    command.check(cfg)  # raises when autogenerate would find anything to add


def test_processes_starting_together_upgrade_one_after_another(postgres, tmp_path):
    """Every process migrates as it starts, and a node's processes (or several nodes) start together:
    on an empty database three upgrades at once all end well, at the newest revision."""
    import subprocess
    import sys

    from sqlalchemy import create_engine, text

    from plumbing.config import ROOT

    name = f"{postgres.url.database}_upgrades"
    server = create_engine(postgres.url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres.url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrades = [subprocess.Popen([sys.executable, "-c", "import sys; from plumbing import migrate; "
                                      "migrate.upgrade(sys.argv[1])", url], cwd=ROOT, stderr=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL) for _ in range(3)]
        errors = [p.communicate(timeout=300)[1].decode()[-2000:] for p in upgrades]
        assert [p.returncode for p in upgrades] == [0, 0, 0], errors
        engine = create_engine(url)
        try:
            assert migrate.at_head(engine)
        finally:
            engine.dispose()
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def test_an_index_build_stopped_halfway_is_built_again(app, postgres, owner, campaign, make_sharer, make_link):
    """An interrupted CREATE INDEX CONCURRENTLY leaves an invalid index of the new name: the upgrade run
    again drops it and builds it whole (IF NOT EXISTS alone would keep it, and drop the old one)."""
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError
    from test_conversions import sale

    link = make_link(campaign["id"], make_sharer("小林")["id"])
    for order in ("A-1", "A-2"):
        assert sale(owner, order, code=link["code"]).status_code == 201
    url = app.config["DATABASE_URL"]
    command.downgrade(migrate.alembic_config(url), "0bf1449dfffe")
    with postgres.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        try:  # (a unique index on the seller, who has two sales: the build fails, its index left invalid)
            conn.execute(text("CREATE UNIQUE INDEX CONCURRENTLY ix_conversions_seller_counted ON conversions (sharer_id)"))
        except IntegrityError:
            pass
        valid = "SELECT indisvalid FROM pg_index JOIN pg_class ON pg_class.oid = indexrelid WHERE relname = :name"
        assert conn.scalar(text(valid), {"name": "ix_conversions_seller_counted"}) is False
    migrate.upgrade(url)
    with postgres.connect() as conn:
        assert conn.scalar(text(valid), {"name": "ix_conversions_seller_counted"}) is True
        assert conn.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_conversions_seller_counted'")
                           ).endswith("(sharer_id, type, rejected, id, amount_minor, refunded_minor)")
        assert conn.scalar(text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_conversions_seller_sales'")) == 0


def test_partitioning_clicks_starts_with_the_oldest_clicks_month_in_utc(postgres):
    """The migration that partitions ``clicks`` makes months from the oldest click's, in UTC: from a
    session in Shanghai a click at 20:00 UTC on 31 October (04:00 on 1 November there) is October's."""
    from sqlalchemy import create_engine, text

    name = f"{postgres.url.database}_zone"
    server = create_engine(postgres.url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres.url.set(database=name, query={"options": "-c TimeZone=Asia/Shanghai"})
    cfg = migrate.alembic_config(url.render_as_string(hide_password=False))
    engine = create_engine(url)
    try:
        command.upgrade(cfg, "f81b240dbb17")
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # (no link, campaign ... rows)
            conn.execute(text("INSERT INTO clicks (id, workspace_id, link_id, campaign_id, sharer_id, channel, "
                              "clicked_at, visitor, user_agent, referrer, bot, is_unique) VALUES ('c1', 1, 1, 1, 1, "
                              "'weibo', '2026-10-31 20:00+00', 'v', '', '', false, true)"))
        command.upgrade(cfg, "a1c4e7f20b3d")
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT tableoid::regclass::text FROM clicks")) == "clicks_y2026m10"
    finally:
        engine.dispose()
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
