"""Statements run as the driver's SQL (plumbing.database): the click writer's multi-row insert, and
PostgreSQL's own placeholders through psycopg, heard by the engine's events and failing as SQLAlchemy's."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plumbing import database
from plumbing.database import insert_rows, numbered, run_numbered
from referrals.models import Click, VisitorHour


def test_insert_rows_skips_stored_keys_and_returns_the_rows_it_inserted(app):
    with database.new_session(app) as s:
        conn = s.connection()
        keys = [(1, "a", 10), (1, "b", 10), (2, "a", 10)]
        assert sorted(insert_rows(conn, VisitorHour.__table__, keys[:2], VisitorHour.__table__.primary_key.columns)) \
            == keys[:2]
        got = insert_rows(conn, VisitorHour.__table__, keys + [(3, "c", 11)],
                          VisitorHour.__table__.primary_key.columns, page_size=2)
        assert sorted(got) == [(2, "a", 10), (3, "c", 11)]  # across two pages; stored keys skipped
        assert insert_rows(conn, VisitorHour.__table__, []) == []
        s.commit()
        assert s.query(VisitorHour).count() == 4


def test_insert_rows_converts_values_as_the_orm_does(app):
    at = datetime(2026, 6, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))  # 00:30 UTC
    with database.new_session(app) as s:
        s.add(Click(id="orm", workspace_id=1, link_id=1, campaign_id=1, sharer_id=1, channel="x", clicked_at=at,
                    visitor="v", user_agent="", referrer="", bot=False, is_unique=True, content_version=None))
        s.flush()
        insert_rows(s.connection(), Click.__table__,
                    [("rows", 1, 1, 1, 1, "x", at, "v", "", "", False, True, None)])
        stored = s.connection().exec_driver_sql(
            "SELECT id, clicked_at, bot, is_unique FROM clicks ORDER BY id").all()
        assert [tuple(r)[1:] for r in stored][0] == [tuple(r)[1:] for r in stored][1]  # the very same stored values
        assert {c.clicked_at for c in s.scalars(select(Click))} == {at}
        with pytest.raises(ValueError, match="naive"):  # UTCDateTime's rule holds here too
            insert_rows(s.connection(), Click.__table__,
                        [("naive", 1, 1, 1, 1, "x", datetime(2026, 6, 1), "v", "", "", False, True, None)])


def test_pyformat_placeholders_become_numbered_ones():
    assert numbered("SELECT %(a)s, %(b)s, %(a)s, 'x%%y' FROM t WHERE c LIKE 'z%%'") == (
        "SELECT $1, $2, $1, 'x%y' FROM t WHERE c LIKE 'z%'", ["a", "b"])
    assert numbered("SELECT 1") == ("SELECT 1", [])


def test_a_numbered_statement_is_heard_by_the_engines_events_and_fails_as_sqlalchemys(app, postgres):
    engine = postgres
    sql = "INSERT INTO visitor_hours (link_id, visitor, hour) VALUES ($1, $2, $3) RETURNING link_id"
    with database.new_session(app) as s, database.statements(engine) as seen:
        assert run_numbered(s.connection(), sql, [7, "v", 1], fetch=True) == [(7,)]
        assert seen == [sql]
        with pytest.raises(IntegrityError):  # what exec_driver_sql would raise: callers catch SQLAlchemy's errors
            run_numbered(s.connection(), sql, [7, "v", 1])
        s.rollback()
        assert s.scalar(select(VisitorHour.link_id)) is None  # still one transaction, rolled back whole


def test_numbered_statements_share_one_cursor_per_connection_made_again_after_a_failure(app, postgres):
    sql = "INSERT INTO visitor_hours (link_id, visitor, hour) VALUES ($1, $2, $3) RETURNING link_id"
    with database.new_session(app) as s:
        connection = s.connection()
        assert run_numbered(connection, sql, [7, "v", 1], fetch=True) == [(7,)]
        kept = database._raw_cursor(connection)
        assert run_numbered(connection, sql, [8, "v", 1], fetch=True) == [(8,)]
        assert database._raw_cursor(connection) is kept and not kept.closed
        with pytest.raises(IntegrityError):
            run_numbered(connection, sql, [8, "v", 1])
        s.rollback()
        # SQLAlchemy closed the failed statement's cursor: the next statement gets a new one.
        assert kept.closed
        assert run_numbered(s.connection(), sql, [9, "v", 1], fetch=True) == [(9,)]
        s.commit()
    with database.new_session(app) as s:  # (the pool's next checkout of that connection, likely)
        assert run_numbered(s.connection(), "SELECT link_id FROM visitor_hours ORDER BY link_id", [],
                            fetch=True) == [(9,)]


def test_execute_compiled_refuses_a_missing_parameter_as_sqlalchemy_does(app):
    from sqlalchemy import bindparam, update
    from sqlalchemy.exc import InvalidRequestError, StatementError

    statement = update(VisitorHour.__table__).where(VisitorHour.__table__.c.hour == bindparam("at_hour")) \
        .values(visitor=bindparam("new_visitor"))
    with database.new_session(app) as s:
        with database.statements(database.engine_of(app)) as seen:
            with pytest.raises(StatementError, match="new_visitor") as refused:
                database.execute_compiled(s, statement, {"at_hour": 10})
        assert isinstance(refused.value.orig, InvalidRequestError)  # on either backend, as SQLAlchemy's
        assert not [sql for sql in seen if sql.startswith("UPDATE")]  # nothing was sent
        database.execute_compiled(s, statement, {"at_hour": 10, "new_visitor": "b"})  # and with both, it runs


def test_execute_compiled_refuses_a_result_column_it_cannot_convert_only_when_a_row_is_read(app, postgres):
    """psycopg's Numeric converter is chosen by the column's type code: a statement returning one runs
    when nothing is fetched, and a fetch of a value says why it cannot, instead of a TypeError at
    compile time."""
    from decimal import Decimal

    from sqlalchemy import Numeric, bindparam, cast

    statement = select(cast(bindparam("amount"), Numeric(10, 2)).label("amount"), VisitorHour.__table__.c.hour) \
        .where(VisitorHour.__table__.c.hour == bindparam("hour"))
    with database.new_session(app) as s:
        s.add(VisitorHour(link_id=7, visitor="v", hour=3))
        s.flush()
        assert database.execute_compiled(s, statement, {"amount": Decimal("1.50"), "hour": 3}) == []
        with pytest.raises(NotImplementedError, match="'amount'"):
            database.execute_compiled(s, statement, {"amount": Decimal("1.50"), "hour": 3}, fetch=True)
        assert s.execute(statement, {"amount": Decimal("1.50"), "hour": 3}).all() == [(Decimal("1.50"), 3)]
        # A NULL needs no converting: it reads as None.
        assert database.execute_compiled(s, statement, {"amount": None, "hour": 3}, fetch=True) == [(None, 3)]


def test_insert_row_gives_the_object_as_a_read_of_its_row_would_and_none_on_a_conflict(app, owner):
    from referrals.models import Sharer
    from workspaces.models import Workspace

    with database.new_session(app) as s:
        workspace_id = s.scalar(select(Workspace.id))
    given = {"workspace_id": workspace_id, "name": "小林", "email": "lin@example.com", "phone": None,
             "external_id": "buyer-1", "code": "ROW1", "invited_by": None}
    with database.new_session(app) as s:
        with database.statements(database.engine_of(app)) as seen:
            made = database.insert_row(s, Sharer, given)
        assert len([sql for sql in seen if sql.startswith("INSERT")]) == 1
        assert made in s and made.id is not None
        # Python-side defaults computed, server defaults and the key returned, the rest null: no load.
        with database.statements(database.engine_of(app)) as seen:
            ours = {column.key: getattr(made, column.key) for column in Sharer.__mapper__.column_attrs}
        assert seen == []
        assert ours["source"] == "invited" and ours["notify_email"] is True and ours["created_at"].tzinfo is not None
        # A row breaking a unique constraint: None, and the transaction goes on.
        assert database.insert_row(s, Sharer, {**given, "external_id": "buyer-2"}) is None
        other = database.insert_row(s, Sharer, {**given, "external_id": "buyer-3", "code": "ROW3"})
        assert other.id != made.id
        s.commit()
    with database.new_session(app) as s:
        stored = s.get(Sharer, ours["id"])
        assert {column.key: getattr(stored, column.key) for column in Sharer.__mapper__.column_attrs} == ours
        assert s.scalar(select(Sharer.id).where(Sharer.external_id == "buyer-2")) is None


def test_as_loaded_gives_the_object_a_load_would_with_no_statement_and_the_rest_on_first_read(app, owner):
    from sqlalchemy import bindparam

    from referrals.models import Sharer
    from workspaces.models import Workspace

    suspended = datetime(2026, 11, 11, 0, 0, 1, tzinfo=timezone.utc)
    with database.new_session(app) as s:
        workspace_id = s.scalar(select(Workspace.id))
        sharer = Sharer(workspace_id=workspace_id, name="小林", email="lin@example.com", external_id="loaded-1",
                        code="LOAD1", suspended_at=suspended)
        s.add(sharer)
        s.commit()
        sharer_id = sharer.id
    read = ("id", "workspace_id", "email", "suspended_at")
    statement = select(*(getattr(Sharer, key) for key in read)).where(Sharer.id == bindparam("id"))
    with database.new_session(app) as s:
        (row,) = database.execute_compiled(s, statement, {"id": sharer_id}, fetch=True)
        with database.statements(database.engine_of(app)) as seen:
            made = database.as_loaded(s, Sharer, dict(zip(read, row)))
            # The column types' conversion of the driver's values too (an aware UTC time).
            assert (made.id, made.email, made.suspended_at) == (sharer_id, "lin@example.com", suspended)
            assert made.suspended_at.tzinfo is timezone.utc  # (psycopg's own is the session's zone)
            assert made in s and not s.new and not s.dirty
            assert database.as_loaded(s, Sharer, dict(zip(read, row))) is made  # the one the session holds
            assert s.get(Sharer, sharer_id) is made
            assert database.as_loaded(s, Sharer, dict.fromkeys(read)) is None  # an outer join's empty side
        assert seen == []
        with database.statements(database.engine_of(app)) as seen:
            assert (made.name, made.code) == ("小林", "LOAD1")  # what was not read: one statement, then none
        assert len(seen) == 1
        with database.statements(database.engine_of(app)) as seen:
            s.commit()
        assert [sql for sql in seen if sql.startswith(("INSERT", "UPDATE"))] == []
