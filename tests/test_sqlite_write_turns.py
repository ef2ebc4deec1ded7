"""SQLite's one write lock: a writer waiting for it takes it between another's transactions
(plumbing.database.begin_immediate), and gives up as SQLite would after its timeout."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from plumbing import database


@pytest.fixture
def engine(tmp_path):
    engine = database.make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (who TEXT)"))
    yield engine
    engine.dispose()


def test_a_waiting_writer_takes_the_lock_between_a_busy_writers_transactions(engine):
    """A writer that has waited a while (its first wait outlasts a long transaction) then meets
    50 ms transactions back to back but for the click writer's short turn: it gets in at the first
    turn, not many transactions later (SQLite's own busy wait sleeps 100 ms between tries by then,
    and misses a 5 ms opening nineteen times in twenty)."""
    done = threading.Event()
    held = threading.Event()
    transactions = []

    def busy() -> None:
        with engine.connect() as conn:
            hold = 0.6
            while not done.is_set():
                with conn.begin():
                    conn.execute(text("INSERT INTO t VALUES ('busy')"))
                    held.set()
                    time.sleep(hold)
                transactions.append(hold)
                hold = 0.05
                time.sleep(database.SQLITE_TURN_SECONDS)

    thread = threading.Thread(target=busy)
    thread.start()
    try:
        held.wait(5)
        with engine.begin() as conn:  # waits through the long one, then the short ones' turns
            conn.execute(text("INSERT INTO t VALUES ('waiter')"))
            waited = len(transactions) - 1
    finally:
        done.set()
        thread.join(10)
    assert waited <= 1, f"the waiting writer let {waited} short transactions go first"


def test_a_lock_held_past_the_timeout_fails_as_sqlalchemy_reports_it_and_the_busy_timeout_comes_back(engine):
    with engine.connect() as holder, holder.begin():
        holder.execute(text("INSERT INTO t VALUES ('holder')"))
        with engine.connect() as waiter:
            started = time.monotonic()
            with pytest.raises(OperationalError, match="database is locked"):
                database.begin_immediate(waiter, timeout=0.2)
            assert 0.15 <= time.monotonic() - started < 5  # (its last pause may fall short of the deadline)
            raw = waiter.connection.driver_connection
            assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
            assert not raw.in_transaction


def test_the_begin_is_heard_by_the_statement_events_once(engine):
    with database.statements(engine) as seen, engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES ('x')"))
    assert seen == ["BEGIN IMMEDIATE", "INSERT INTO t VALUES ('x')"]
