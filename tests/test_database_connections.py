"""Pooled PostgreSQL connections the server has ended (a restart, a failover, an administrator's
``pg_terminate_backend``) are replaced at checkout, without a round trip per request: the first
request after a restart answers as if nothing happened."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, select, text

from plumbing import database
from referrals.models import Conversion


def pooled_backends(engine, count: int) -> list[int]:
    """Check out ``count`` connections at once, note their server processes, give them back to the pool."""
    held = [engine.connect() for _ in range(count)]
    pids = [conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() for conn in held]
    for conn in held:
        conn.close()
    return pids


def end_backends(url, pids: list[int]) -> None:
    """What a restart does to the app's connections: each server process says goodbye and exits."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for pid in pids:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            deadline = time.time() + 10
            while time.time() < deadline and conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"), {"pids": pids}).scalar():
                time.sleep(0.02)
    finally:
        admin.dispose()


def test_the_first_requests_after_the_server_ends_every_connection_answer(app, postgres, owner, make_sharer):
    sharer = make_sharer()
    pids = pooled_backends(postgres, 3)
    end_backends(postgres.url, pids)
    for _ in range(4):  # each request checks out a connection the server ended, until none is left
        res = owner.get(f"/api/v1/sharers/{sharer['id']}/earnings")
        assert res.status_code == 200, res.json
        assert res.json["pending"] == "0.00"
    assert set(pooled_backends(postgres, 3)).isdisjoint(pids)


def test_a_sale_after_the_server_ends_the_connections_is_recorded_once(app, postgres, owner, campaign, make_sharer,
                                                                       make_link):
    link = make_link(campaign["id"], make_sharer()["id"])
    end_backends(postgres.url, pooled_backends(postgres, 3))
    res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": "AFTER-RESTART", "amount": "10.00",
                                             "code": link["code"], "customer": {"external_id": "c1"}})
    assert res.status_code == 201, res.json
    with database.new_session(app) as s:
        assert s.scalars(select(Conversion.order_id)).all() == ["AFTER-RESTART"]


def test_a_healthy_pooled_connection_is_used_again(app, postgres):
    first = pooled_backends(postgres, 2)
    assert sorted(pooled_backends(postgres, 2)) == sorted(first)  # the same server processes: none replaced


def _hours_read():
    """A read for :func:`database.locked_read`: how many visitor-hour marks the hour ``hour`` has."""
    from sqlalchemy import bindparam, func

    from referrals.models import VisitorHour

    table = VisitorHour.__table__
    return select(func.count()).select_from(table).where(table.c.hour == bindparam("hour"))


_HOURS = _hours_read()
# The transaction's first lock, alone or with a read piped after it.
_TAKING_THE_LOCK = pytest.mark.parametrize(
    "take", [lambda s, key: database.lock(s, key), lambda s, key: database.locked_read(s, key, _HOURS, {"hour": 41})],
    ids=["lock", "lock and read"])


@_TAKING_THE_LOCK
def test_a_connection_lost_at_the_transactions_first_lock_fails_as_sqlalchemy_reports_it(app, postgres, take):
    """The order's lock goes with its BEGIN in one round trip (a psycopg pipeline, outside SQLAlchemy's
    execution): a connection ended between checkout and that lock still fails as any statement
    does, as a lost connection SQLAlchemy has invalidated, and the next transaction is served."""
    from sqlalchemy.exc import OperationalError

    with database.new_session(app) as s:
        pid = s.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        s.commit()  # (checked out again below, without the checkout's look at the socket)
        connection = s.connection()
        end_backends(postgres.url, [pid])
        with pytest.raises(OperationalError) as failed:
            take(s, "order:1:LOST")
        assert failed.value.connection_invalidated
        assert connection.invalidated
    with database.new_session(app) as s:
        database.lock(s, "order:1:NEXT")
        held = s.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                              "AND pid = pg_backend_pid()")).scalar()
        assert held == 1
        s.commit()


@_TAKING_THE_LOCK
def test_the_transactions_first_lock_refused_by_the_server_raises_that_refusal(app, postgres, take):
    """A refusal that comes back with the piped lock's answer (here a lock timeout), with or without
    a read piped after it, is raised as SQLAlchemy raises the driver's errors, naming what the
    server said."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    impatient = create_engine(postgres.url, connect_args={"options": "-c lock_timeout=100"})
    try:
        with database.new_session(app) as holder:
            database.lock(holder, "order:1:HELD")
            with Session(impatient) as s:
                with pytest.raises(OperationalError, match="lock timeout"):
                    take(s, "order:1:HELD")
            holder.rollback()
        with Session(impatient) as s:
            take(s, "order:1:HELD")  # released: taken at once
            s.commit()
    finally:
        impatient.dispose()


def test_the_transactions_first_lock_goes_with_its_begin(app, postgres, monkeypatch):
    """One round trip for BEGIN and the lock (a psycopg pipeline); a lock later in the transaction
    is a statement of its own."""
    import psycopg

    opened = []
    pipeline = psycopg.Connection.pipeline

    def counted(self):
        opened.append(self.info.transaction_status)
        return pipeline(self)

    monkeypatch.setattr(psycopg.Connection, "pipeline", counted)
    with database.new_session(app) as s:
        database.lock(s, "order:1:FIRST")
        database.lock(s, "customer:1:7")
        held = s.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                              "AND pid = pg_backend_pid()")).scalar()
        s.commit()
    assert opened == [psycopg.pq.TransactionStatus.IDLE] and held == 2


def test_a_read_sent_with_the_lock_runs_once_the_lock_is_granted_and_sees_what_its_holder_committed(app, postgres):
    """``locked_read`` sends the BEGIN, the lock and the read at once (one round trip): the server
    still runs the read only once the lock is granted, with a snapshot taken then."""
    import threading

    from referrals.models import VisitorHour

    read = []
    with database.new_session(app) as holder:
        database.lock(holder, "order:1:HELD")
        holder.add(VisitorHour(link_id=1, visitor="v", hour=41))
        holder.flush()

        def reader():
            with database.new_session(app) as s:
                read.append(database.locked_read(s, "order:1:HELD", _HOURS, {"hour": 41}))
                s.commit()

        thread = threading.Thread(target=reader)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive() and not read  # waiting for the lock
        holder.commit()
    thread.join(10)
    assert read == [[(1,)]]


@pytest.mark.parametrize("evidence", ["code", "coupon"])
def test_a_sales_lock_goes_with_its_begin_and_a_code_sales_read_with_them(app, postgres, owner, campaign, make_sharer,
                                                                          make_link, monkeypatch, evidence):
    """A sale by link code: its BEGIN, the order's lock and its one read are sent in one psycopg
    pipeline, the write a round trip of its own. A sale by coupon reads the coupon's sharer first:
    the lock goes with the BEGIN before that read, and is not taken again for the context's."""
    import psycopg
    from sqlalchemy import event

    sharer = make_sharer()
    link = make_link(campaign["id"], sharer["id"])
    piped, seen = [], []
    pipeline = psycopg.Connection.pipeline

    def counted(self):
        piped.append(self.info.transaction_status)
        return pipeline(self)

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, conn.connection.driver_connection._pipeline is not None, str(parameters)))

    monkeypatch.setattr(psycopg.Connection, "pipeline", counted)
    event.listen(postgres, "before_cursor_execute", note)
    try:
        res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": f"PIPED-{evidence}", "amount": "10.00",
                                                 evidence: link["code"] if evidence == "code" else sharer["code"],
                                                 "customer": {"external_id": f"c-{evidence}"}})
    finally:
        event.remove(postgres, "before_cursor_execute", note)
    assert res.status_code == 201, res.json
    assert res.json["sharer_id"] == sharer["id"]
    assert piped == [psycopg.pq.TransactionStatus.IDLE]
    order_locks = [piped_now for sql, piped_now, values in seen if "pg_advisory_xact_lock" in sql and "order:" in values]
    assert order_locks == [True], seen  # once, with the BEGIN
    in_pipeline = [piped_now for _, piped_now, _ in seen]
    assert in_pipeline[:2] == ([True, True] if evidence == "code" else [True, False]), seen
    assert not any(in_pipeline[2:]), seen  # the write, and all after, on their own


def _prepared_on(raw) -> int:
    """The statements prepared on the psycopg connection ``raw`` (idle in the pool), asked on it."""
    try:
        return raw.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0]
    finally:
        raw.rollback()


def test_a_session_that_only_read_keeps_its_connections_prepared_statements(app, postgres):
    """psycopg forgets a connection's prepared statements on ROLLBACK: a read-only session ends in
    COMMIT instead, so statements run five times stay prepared across requests that only read."""
    with app.app_context():
        s = database.read_session()
        for _ in range(6):  # psycopg prepares a statement at its fifth run
            s.execute(select(Conversion.id).where(Conversion.order_id == "nothing")).all()
        raw = s.connection().connection.dbapi_connection
        s.close()
        assert _prepared_on(raw) >= 1


def test_a_session_that_wrote_and_did_not_commit_still_rolls_back(app, postgres, owner, make_sharer):
    """Anything but a plain read (a flush, a raw UPDATE, a CTE) and the close rolls back, as always."""
    from referrals.models import Sharer

    sharer_id = make_sharer("小林")["id"]
    with app.app_context():
        for write in (lambda s: s.get(Sharer, sharer_id).__setattr__("name", "flushed") or s.flush(),
                      lambda s: s.execute(text("UPDATE sharers SET name = 'raw' WHERE id = :id"), {"id": sharer_id}),
                      lambda s: s.execute(text("WITH x AS (UPDATE sharers SET name = 'cte' WHERE id = :id RETURNING id) "
                                               "SELECT * FROM x"), {"id": sharer_id})):
            s = database.new_session()
            s.execute(select(Sharer.id)).all()
            write(s)
            s.close()
            with database.new_session() as check:
                assert check.get(Sharer, sharer_id).name == "小林"


def test_changes_never_flushed_and_a_failed_read_end_in_rollback_and_a_reused_session_closes(
        app, postgres, owner, make_sharer):
    """The close commits only a transaction that is the one begun, alive on the server, and that only
    read: objects changed but not flushed are not written by it; a SELECT the server refused ends
    in ROLLBACK (no commit hooks run); a session used again after its commit closes cleanly."""
    from sqlalchemy import event

    from referrals.models import Sharer

    sharer_id = make_sharer("小林")["id"]
    with app.app_context():
        s = database.new_session()
        s.execute(select(Sharer.id)).all()
        s.get(Sharer, sharer_id).name = "never flushed"
        s.close()
        commits = []
        s = database.new_session()
        event.listen(s, "after_commit", lambda session: commits.append(session))
        with pytest.raises(Exception, match="division by zero"):
            s.execute(text("SELECT 1 / 0"))
        s.close()
        assert commits == []
        s = database.new_session()
        s.execute(select(Sharer.id)).all()
        s.commit()
        s.begin()  # (a transaction with no connection yet: the one noted was the first's)
        s.close()
        with database.new_session() as check:
            assert check.get(Sharer, sharer_id).name == "小林"
