"""SQLite's one write lock: a writer waiting for it takes it between another's transactions
(plumbing.database.begin_immediate), and gives up as SQLite would after its timeout."""
from __future__ import annotations

import sqlite3
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
                    transactions.append(hold)  # (counted as it starts: the waiter reads the count inside its own)
                    conn.execute(text("INSERT INTO t VALUES ('busy')"))
                    held.set()
                    time.sleep(hold)
                hold = 0.05
                time.sleep(database.SQLITE_TURN_SECONDS)

    thread = threading.Thread(target=busy)
    thread.start()
    try:
        assert held.wait(5)
        with engine.begin() as conn:  # waits through the long one, then the short ones' turns
            conn.execute(text("INSERT INTO t VALUES ('waiter')"))
            waited = len(transactions) - 1
    finally:
        done.set()
        thread.join(10)
    # (SQLite's own wait lets a dozen or more go first here; a slow machine's late wake-up, one or two)
    assert waited <= 3, f"the waiting writer let {waited} short transactions go first"


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


class _Raw:
    """A SQLite connection that answers BEGIN IMMEDIATE as ``answers`` say (an error, or None: begun)."""

    def __init__(self, answers):
        self.answers, self.sent, self.rolled_back = list(answers), [], False

    def execute(self, sql):
        self.sent.append(sql)
        if sql == "BEGIN IMMEDIATE" and self.answers and (error := self.answers.pop(0)) is not None:
            raise error

    def rollback(self):
        self.rolled_back = True


class _Connection:
    def __init__(self, raw, after=None):
        from types import SimpleNamespace

        self.connection = SimpleNamespace(driver_connection=raw)
        self.dispatch = SimpleNamespace(before_cursor_execute=lambda *a: None,
                                        after_cursor_execute=after or (lambda *a: None))


def _busy(code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = code
    return error


def test_the_extended_busy_codes_are_waited_out_too_and_other_errors_are_not():
    # SQLITE_BUSY_SNAPSHOT: another writer committed between this BEGIN's read and its lock.
    raw = _Raw([_busy(sqlite3.SQLITE_BUSY_SNAPSHOT), _busy(sqlite3.SQLITE_BUSY_RECOVERY), None])
    database.begin_immediate(_Connection(raw))
    assert raw.sent.count("BEGIN IMMEDIATE") == 3 and raw.sent[-1] == "PRAGMA busy_timeout = 30000"
    raw = _Raw([_busy(sqlite3.SQLITE_IOERR)])
    with pytest.raises(OperationalError):
        database.begin_immediate(_Connection(raw))
    assert raw.sent.count("BEGIN IMMEDIATE") == 1 and raw.sent[-1] == "PRAGMA busy_timeout = 30000"


def test_a_failure_after_the_begin_leaves_no_lock_and_the_busy_timeout_back():
    def refuses(*_):
        raise KeyboardInterrupt

    raw = _Raw([None])
    with pytest.raises(KeyboardInterrupt):
        database.begin_immediate(_Connection(raw, after=refuses))
    assert raw.rolled_back and raw.sent[-1] == "PRAGMA busy_timeout = 30000"
