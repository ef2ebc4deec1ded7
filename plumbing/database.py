"""The database: engine per app, one ORM session per request or job.

The session is the unit of work; code that touches data receives it and never
opens, commits or closes it on its own (services commit; routes and jobs own
the lifecycle). SQLite runs in WAL mode with a busy timeout, and ORM
transactions start with ``BEGIN IMMEDIATE`` so concurrent writers queue
instead of failing with "database is locked" on upgrade (waiting for the
write lock in short tries: :func:`begin_immediate`).
"""
from __future__ import annotations

import functools
import logging
import os
import re
import secrets
import select
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Table,
    bindparam,
    create_engine,
    event,
    make_url,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, DisconnectionError, InvalidRequestError, StatementError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.types import TypeDecorator

from plumbing.appstate import AppSlot

log = logging.getLogger(__name__)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def create_private_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (0600), before SQLite
    would create it world-readable (0644 under the usual umask); its -wal and -shm
    files take the database file's mode. Other URLs and existing files: nothing."""
    if not url.startswith("sqlite"):
        return
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


SQLITE_BUSY_SECONDS = 30.0
_SQLITE_BUSY_TIMEOUT = f"PRAGMA busy_timeout = {int(SQLITE_BUSY_SECONDS * 1000)}"
# How long a SQLite writer that writes transaction after transaction (the click writer) leaves the
# write lock free after each: longer than begin_immediate's longest pause, so a waiting one takes it.
SQLITE_TURN_SECONDS = 0.005


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, NORMAL sync and a busy timeout. A failed statement's
    error (and so the log of a request that failed with it) names the statement but not its values,
    which are buyers' emails, phones and addresses as often as not (``hide_parameters``)."""
    if url.startswith("sqlite"):
        create_private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
                               hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - driver hook
            # Take over transaction control from pysqlite so BEGIN IMMEDIATE works.
            dbapi_connection.isolation_level = None
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(_SQLITE_BUSY_TIMEOUT)
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - driver hook
            options = conn.get_execution_options()
            if options.get("sqlite_single_statement", False):
                return  # one statement is a transaction of its own (SQLite's autocommit)
            if options.get("sqlite_deferred", False):
                conn.exec_driver_sql("BEGIN")
            else:
                begin_immediate(conn)

        return engine
    if make_url(url).get_driver_name() != "psycopg":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True)
    engine = create_engine(url, pool_size=5, max_overflow=10, hide_parameters=True)
    event.listen(engine, "checkout", replace_if_closed_by_server)
    event.listen(engine, "begin", _note_begin)
    event.listen(engine, "before_cursor_execute", _note_statement)
    return engine


# Whether the connection's transaction ran anything but a read (PostgreSQL; see ReadEndsInCommit).
_WROTE = "sharecast.wrote"
_READ = re.compile(r"\s*(SELECT|SHOW)\b", re.IGNORECASE)


def _note_begin(conn: Connection) -> None:  # pragma: no cover - driver hook
    conn.info[_WROTE] = False


def _note_statement(conn: Connection, _cursor, statement: str, _parameters, _context,
                    _executemany) -> None:  # pragma: no cover - driver hook
    if not conn.info.get(_WROTE, True) and not _READ.match(statement):
        conn.info[_WROTE] = True  # (a CTE, DML, DDL, a raw statement: anything not plainly a read)


class ReadEndsInCommit(Session):
    """A session whose transaction only read ends with COMMIT rather than ROLLBACK when closed: the
    same to the database, but psycopg forgets every prepared statement of its connection on each
    ROLLBACK, so with reads in between (every GET, every refused request) a sale's statements were
    parsed and planned afresh on every execution, never reaching psycopg's threshold of five
    (PostgreSQL; on SQLite nothing is tracked, and a close rolls back as before). Anything but a
    plain SELECT in the transaction, objects not flushed, or a transaction the server aborted (a
    failed SELECT), and it rolls back as any session does."""

    def close(self) -> None:
        try:
            if self._read_only():
                try:
                    self.commit()
                except Exception:  # noqa: BLE001 - ended as it would have been: rolled back
                    log.warning("Ending a read-only transaction failed", exc_info=True)
                    self.rollback()
        finally:
            super().close()

    def _read_only(self) -> bool:
        """Whether the transaction open now is the one whose connection was noted, and only read."""
        began = self.info.pop(_TRANSACTION_CONNECTION, None)
        transaction = self.get_transaction()
        if began is None or transaction is None or began[0] is not transaction or not transaction.is_active:
            return False
        connection = began[1]
        if (connection.closed or connection.invalidated or connection.info.get(_WROTE, True)
                or self.new or self.dirty or self.deleted):
            return False
        # (psycopg's: in a transaction the server still runs, not one it aborted)
        return connection.connection.driver_connection.info.transaction_status.name == "INTRANS"


_TRANSACTION_CONNECTION = "sharecast.transaction_connection"


@event.listens_for(ReadEndsInCommit, "after_begin")
def _keep_connection(session: Session, _transaction, connection: Connection) -> None:
    """The root transaction and its connection (a later transaction of the session has its own)."""
    session.info[_TRANSACTION_CONNECTION] = (session.get_transaction(), connection)


def begin_immediate(connection: Connection, timeout: float = SQLITE_BUSY_SECONDS) -> None:
    """``BEGIN IMMEDIATE`` on a SQLite connection: its write transaction, once no other holds the
    database's one write lock, trying again every 0.5 to 4 ms for up to ``timeout`` seconds.

    SQLite's own waiting (its busy timeout) sleeps up to 100 ms between tries, so a writer that has
    waited a while misses the short moments between another's transactions (the click writer's,
    back to back at peak) and waits on through many of them. Polling this finely, it takes the
    first (the click writer leaves one after each of its transactions). The engine's events hear
    of the BEGIN once, as of any statement.

    :raise OperationalError: SQLAlchemy's, when the lock stayed taken for ``timeout`` seconds
        (SQLite's "database is locked", as its busy timeout would have raised).
    """
    raw = connection.connection.driver_connection
    # Heard by the engine's statement events, as when SQLAlchemy sent it (statement counts stay true).
    connection.dispatch.before_cursor_execute(connection, None, "BEGIN IMMEDIATE", (), None, False)
    begun = False
    try:
        raw.execute("PRAGMA busy_timeout = 0")
        deadline = time.monotonic() + timeout
        pause = 0.0005
        while not begun:
            try:
                raw.execute("BEGIN IMMEDIATE")
                begun = True
            except sqlite3.OperationalError as exc:
                # Any busy code (the extended ones too: SQLITE_BUSY_SNAPSHOT when another committed
                # between this BEGIN's read and its lock, SQLITE_BUSY_RECOVERY), as SQLite's own wait.
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() + pause > deadline:
                    raise DBAPIError.instance("BEGIN IMMEDIATE", (), exc, sqlite3.Error) from exc
                time.sleep(pause)
                pause = min(pause * 2, 0.004)
        connection.dispatch.after_cursor_execute(connection, None, "BEGIN IMMEDIATE", (), None, False)
    except BaseException:
        if begun:  # no write lock left on a pooled connection outside a transaction SQLAlchemy knows of
            raw.rollback()
        raise
    finally:
        raw.execute(_SQLITE_BUSY_TIMEOUT)  # SQLite's own busy timeout back, whatever happened (an interrupt too)


def replace_if_closed_by_server(dbapi_connection, _record, _proxy) -> None:
    """The pool's checkout hook on PostgreSQL: a connection the server has ended since it was
    last used (a restart, a failover, ``pg_terminate_backend``, an idle timeout) is replaced
    before a statement runs on it, so the first request after a restart does not fail.

    A server sends nothing on an idle connection until it ends it (its last error message,
    then the end of the stream), so input waiting on the socket of a pooled connection means
    it is gone. Looking costs a zero-timeout ``poll``, where ``pool_pre_ping`` costs a round
    trip to the server on every checkout. A connection that died without a word (the server's
    machine lost) still fails its first statement: SQLAlchemy then drops every connection of
    the pool opened before, so only that request fails (see README, "Database connections").

    :raise DisconnectionError: input is waiting; the pool opens a new connection instead.
    """
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server has closed this connection")


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL statements ``engine`` runs meanwhile (to count them: tests, benchmarks)."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def insert_for(engine_or_session: Engine | Session):
    """The dialect's ``insert`` (with ``on_conflict_do_nothing``/``do_update``)."""
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert


def insert_rows(connection: Connection, table: Table, rows: list[tuple], returning: Iterable[Column] = (),
                page_size: int = 1000) -> list[tuple]:
    """Insert ``rows`` (tuples of hashable values for ``table``'s columns, in their order), skipping
    those whose key is stored already; the ``returning`` columns of the rows inserted.

    One multi-row ``INSERT … ON CONFLICT DO NOTHING`` a page, run as the driver's SQL. For the
    click writer's batches: SQLAlchemy's ``executemany`` spends ~10 µs a row converting its
    parameters, where here each column's converter (its type's bind processor, as SQLAlchemy
    would run it) runs once per distinct value and the rest is left to the driver's C code.
    psycopg gets PostgreSQL's own ``$n`` placeholders (:func:`run_numbered`): turning a page's
    thousands of ``%s`` into them is Python, ~80 µs a row.
    """
    dialect = connection.dialect
    converters = [(i, processor, {}) for i, column in enumerate(table.columns)
                  if (processor := column.type._cached_bind_processor(dialect)) is not None]
    returning_names = tuple(column.name for column in returning)
    out: list[tuple] = []
    for start in range(0, len(rows), page_size):
        page = rows[start:start + page_size]
        values: list = []
        for row in page:
            if converters:
                row = list(row)
                for i, processor, seen in converters:
                    value = row[i]
                    try:
                        row[i] = seen[value]
                    except KeyError:
                        row[i] = seen[value] = processor(value)
            values.extend(row)
        sql = _insert_rows_sql(table, len(page), returning_names, dialect)
        if dialect.driver == "psycopg":
            out.extend(run_numbered(connection, sql, values, fetch=bool(returning_names)))
        else:
            result = connection.exec_driver_sql(sql, tuple(values))
            if returning_names:
                out.extend(result.all())
    return out


@functools.lru_cache(maxsize=64)
def _insert_rows_sql(table: Table, count: int, returning: tuple, dialect: Any) -> str:
    """``insert_rows``' statement for ``count`` rows (a full page's is made once); psycopg's with
    numbered placeholders (:func:`run_numbered`)."""
    quote = dialect.identifier_preparer
    width = len(table.columns)
    if dialect.driver == "psycopg":
        groups = (f"({', '.join(f'${row * width + i + 1}' for i in range(width))})" for row in range(count))
    else:
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        groups = (f"({', '.join([mark] * width)})" for _ in range(count))
    sql = (f"INSERT INTO {quote.format_table(table)} ({', '.join(quote.format_column(c) for c in table.columns)}) "
           f"VALUES {', '.join(groups)} ON CONFLICT DO NOTHING")
    if returning:
        sql += f" RETURNING {', '.join(quote.quote(name) for name in returning)}"
    return sql


def insert_row(session: Session, model: type, values: dict) -> Any:
    """Insert one ``model`` row unless it breaks a unique constraint: the new object (in the
    session), or None when it would have. One statement, no savepoint (the transaction stays
    usable, unlike after an IntegrityError).

    A Core statement built once per model and set of given columns, run as its compiled SQL
    (:func:`execute_compiled`): the columns' Python-side defaults are computed here, and what
    the database fills in (the key, server defaults) comes back and, with ``values``, becomes
    the object, as if loaded. An ORM INSERT ... RETURNING of the entity cost three times the
    CPU; ``session.execute`` of the same Core statement 355 µs a row on PostgreSQL, this 280."""
    dialect = session.get_bind().dialect
    shape = _insert_returning(model, dialect.name == "postgresql", frozenset(values))
    filled = {key: _python_default(default) for key, default in shape.defaults}
    rows = execute_compiled(session, shape.statement, {f"v_{key}": value for key, value in {**values, **filled}.items()},
                            fetch=True)
    if not rows:
        return None
    returned = dict(zip((key for _, key in shape.returned), rows[0]))
    obj = model(**values, **filled, **shape.empty, **returned)
    try:
        adopt(session, obj)
    except InvalidRequestError:  # a stale object with this key (a reused SQLite rowid): refresh it
        obj = session.merge(obj, load=False)
    return obj


def as_loaded(session: Session, model: type, values: dict) -> Any:
    """The ``model`` object whose columns (by attribute key) are ``values``, as if the session had
    loaded it: the one it holds already for that key, if any, else a new one put in it (no SQL).
    A column missing from ``values`` is loaded when first read, as a deferred one is. None when
    the primary key is (the row of an outer join that found none). For the few objects a hot
    statement reads as plain columns: the ORM's load of an entity costs several times this."""
    mapper = model.__mapper__
    key = tuple(values[name] for name in _primary_keys(model))
    if None in key:
        return None
    held = session.identity_map.get(mapper.identity_key_from_primary_key(key))
    if held is not None:
        return held
    # Made as the ORM's loader makes one (no constructor: its attribute events and validators are
    # for new objects); the columns not given are marked expired, to be loaded on first read.
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    adopt(session, obj)
    return obj


@functools.cache
def _primary_keys(model: type) -> tuple[str, ...]:
    mapper = model.__mapper__
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)


def insert_object(session: Session, obj: Any) -> None:
    """INSERT a new ``obj`` whose primary key is set, as one Core statement, and put it in the
    session as if loaded: an ORM flush of one object cost about three times the CPU. Column
    defaults are applied here, so no attribute is left to load. Raises what the INSERT raises
    (an IntegrityError leaves ``obj`` out of the session)."""
    if session.autoflush:  # (as a flush would: what it refers to may still be pending)
        session.flush()
    values = new_row(obj)
    session.execute(_insert_plain(type(obj)), values)
    adopt(session, obj)


def new_row(obj: Any) -> dict:
    """The column values (by column name) of a new ``obj`` about to be inserted as they are, its
    column defaults applied to it first (``insert_object``; or a statement of one's own, then
    :func:`adopt`). A default that is a SQL expression is left to the database (read again if used)."""
    table, state = obj.__table__, obj.__dict__
    values = {}
    for column, key in zip(table.columns, _attribute_keys(type(obj))):
        default = column.default
        if key not in state or (state[key] is None and default is not None):  # (None takes the default, as in a flush)
            if default is not None and not (default.is_scalar or default.is_callable):
                continue  # a SQL expression: the database computes it (read again if used)
            setattr(obj, key, None if default is None else _python_default(default))
        values[column.name] = state[key]
    return values


def _python_default(default: Any) -> Any:
    """The value of a column's Python-side default (a scalar, or a callable's result)."""
    return default.arg(None) if default.is_callable else default.arg


def adopt(session: Session, obj: Any) -> None:
    """Put ``obj``, just inserted from :func:`new_row`'s values, in the session as if loaded (no SQL)."""
    make_transient_to_detached(obj)
    session.add(obj)  # (detached → persistent)


@dataclass(frozen=True)
class Rider:
    """Writes that can ride in another INSERT as its data-modifying WITHs on PostgreSQL (one
    statement, one round trip for all: :func:`chained`), and run by themselves elsewhere.

    ``writes``: a function (cached: it is part of the statement's cache key) giving the INSERTs as
    ``(statement, name)`` pairs, whose parameters are named bindparams found in ``params``;
    ``alone``: runs them without another statement to ride in."""
    writes: Callable[[], tuple]
    params: dict
    alone: Callable[[], None]

    def check_params(self, outer: Iterable[str], dialect: Any) -> None:
        """Refuse to ride in a statement whose own parameters are ``outer`` when the two share a
        name (one would take the other's value) or when ``params`` lacks one the writes need as
        compiled for ``dialect`` (it would be unbound, or take the outer statement's value of that
        name).

        :raise ValueError: naming the parameters."""
        shared = set(outer) & self.params.keys()
        missing = frozenset().union(*(_compiled(write, dialect).required for write, _ in self.writes())) \
            - self.params.keys()
        if shared or missing:
            raise ValueError(f"a rider's parameters must be its own and complete: shared {sorted(shared)}, "
                             f"missing {sorted(missing)}")


def chained(writes: Sequence[tuple[Any, str]]) -> Any:
    """PostgreSQL: the last of ``writes`` (``(statement, name)`` pairs) as one statement that runs
    the others first, as its data-modifying WITHs under their names (foreign keys are checked at
    the statement's end, so any order will do)."""
    *before, (last, _) = writes
    return last.add_cte(*(statement.cte(name) for statement, name in before))


def whole_row_insert(table: Table, prefix: str = "") -> Any:
    """An INSERT of one row of ``table``, each column's value the parameter ``<prefix><column name>``
    (a prefix keeps apart the rows of one :func:`chained` statement)."""
    return table.insert().values({column.name: bindparam(f"{prefix}{column.name}", type_=column.type)
                                  for column in table.columns})


def execute_compiled(session: Session, statement: Any, params: dict, fetch: bool = False) -> list:
    """Run ``statement`` (a Core statement built once, whose parameters are all named
    ``bindparam``\\ s) with ``params``: compiled once per dialect and run as its SQL text,
    each value through its column type as ``session.execute`` would pass it. For the
    statements of the sale at peak: ``session.execute`` of a statement with many
    parameters spends more on finding its compiled form (the statement's cache key)
    than on sending it. Flushes first, as an ORM statement would. A driver whose parameters
    are not named ``%(name)s`` (pg8000's, SQLite's) gets the statement through ``session.execute``.
    ``fetch``: the rows it returns (else none are read)."""
    if session.autoflush:
        session.flush()
    connection = session.connection()
    if connection.dialect.paramstyle != "pyformat":
        result = session.execute(statement, params)
        return result.all() if fetch else []
    form, values = _bound_values(statement, connection.dialect, params)
    if form.positional is None:
        rows = connection.exec_driver_sql(form.sql, values).all() if fetch else []
    else:
        rows = run_numbered(connection, form.positional[0], values, fetch=fetch)
    return _converted(form, rows)


def _bound_values(statement: Any, dialect: Any, params: dict) -> tuple[_Form, Any]:
    """``statement``'s compiled form for ``dialect`` and the driver's values for ``params``, each
    through its column type: by name, or in the order of the numbered placeholders (psycopg).
    :raise StatementError: a required parameter is missing (as SQLAlchemy's own execution says)."""
    form = _compiled(statement, dialect)
    if not form.required <= params.keys():
        missing = min(form.required - params.keys())
        cause = InvalidRequestError(f"A value is required for bind parameter {missing!r}")
        raise StatementError(str(cause), form.sql, params, cause)
    values = {**form.constants, **params}
    processors = form.processors
    values = {key: processors[key](value) if key in processors else value for key, value in values.items()}
    return form, values if form.positional is None else [values[name] for name in form.positional[1]]


def _converted(form: _Form, rows: list) -> list:
    """``rows`` as the driver gave them, with the result columns through their column types."""
    if form.results and rows:
        rows = [_through(row, form.results) for row in rows]
    return rows


def _through(row: tuple, results: tuple[tuple[int, Any], ...]) -> tuple:
    """``row`` with each of the ``results`` columns (index, converter) converted."""
    row = list(row)
    for index, convert in results:
        row[index] = convert(row[index])
    return tuple(row)


def run_numbered(connection: Connection, sql: str, values: list, fetch: bool = False) -> list[tuple]:
    """psycopg only: run ``sql``, whose placeholders are PostgreSQL's own (``$1``, ``$2`` …), with
    ``values`` through a ``RawCursor`` on ``connection``'s DBAPI connection (so inside its
    transaction); its rows when ``fetch``. psycopg turns ``%s`` placeholders into those in Python
    on every call of a statement over 50 parameters or 4 KiB (it caches only smaller ones): a
    tenth of a sale's CPU, most of a click batch's. The engine's cursor events hear of it as of
    any statement, and an error comes out as SQLAlchemy's (a lost connection invalidated), as
    from ``exec_driver_sql``."""
    cursor = _raw_cursor(connection)
    try:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, False)
        cursor.execute(sql, values)
        rows = cursor.fetchall() if fetch else []
        connection.dispatch.after_cursor_execute(connection, cursor, sql, values, None, False)
        return rows
    except BaseException as error:  # as SQLAlchemy's own execution: an interrupt invalidates the connection too
        connection._handle_dbapi_exception(error, sql, values, cursor, None)  # raises SQLAlchemy's error (and closes it)
        raise


def _raw_cursor(connection: Connection) -> Any:
    """The ``RawCursor`` (of the psycopg module) kept for ``connection``'s DBAPI connection: a new
    cursor per statement cost a new set of loaders for its result's columns (one for each JSON
    column), about 40 µs of a sale's context read. Kept in the pool's ``info`` for the DBAPI
    connection, which goes with it; made again once closed (SQLAlchemy closes a cursor whose
    statement failed)."""
    dbapi_connection = connection.connection.dbapi_connection
    info = connection.connection.info
    cursor = info.get("sharecast.raw_cursor")
    if cursor is None or cursor.closed or cursor.connection is not dbapi_connection:
        cursor = info["sharecast.raw_cursor"] = connection.dialect.dbapi.RawCursor(dbapi_connection)
    return cursor


_PYFORMAT = re.compile(r"%(?:%|\(([^)]*)\)s)")


def numbered(sql: str) -> tuple[str, list[str]]:
    """Pure: ``sql`` with ``%(name)s`` placeholders (and ``%%``) in PostgreSQL's own form (``$n``,
    ``%``), and the names in the order of their numbers (a name used twice keeps its number)."""
    order: dict[str, int] = {}

    def number(match: re.Match) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        return f"${order.setdefault(name, len(order) + 1)}"

    return _PYFORMAT.sub(number, sql), list(order)


@dataclass(frozen=True)
class _Form:
    """A statement compiled for one dialect (see :func:`_compiled`)."""
    statement: Any  # kept, so that no other statement can be given its id while the entry stands
    sql: str
    processors: dict  # the parameters' converters (``SQLCompiler._bind_processors``)
    constants: dict  # the values of the constants written into it (``"pending"`` becomes a parameter too)
    positional: tuple[str, list[str]] | None  # psycopg: the SQL with numbered placeholders, their names
    required: frozenset[str]  # the parameters a caller must give
    results: tuple[tuple[int, Any], ...]  # the result columns whose type converts the driver's value


# By the statement's id and the dialect's class (its SQL and converters differ by driver).
# Meant for statements built once.
_compiled_forms: dict[tuple[int, type], _Form] = {}


def _compiled(statement: Any, dialect: Any) -> _Form:
    """``statement``'s SQL for ``dialect`` and what running it as such needs (:func:`numbered`)."""
    key = (id(statement), type(dialect))
    found = _compiled_forms.get(key)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        constants = {name: bind.effective_value for bind, name in compiled.bind_names.items() if not bind.required}
        required = frozenset(name for bind, name in compiled.bind_names.items() if bind.required)
        results = tuple((index, convert) for index, column in enumerate(compiled._result_columns)
                        if (convert := _result_converter(column[3], column[0], dialect)))
        found = _compiled_forms[key] = _Form(statement, compiled.string, dict(compiled._bind_processors), constants,
                                             numbered(compiled.string) if dialect.driver == "psycopg" else None,
                                             required, results)
    return found


def _result_converter(column_type: Any, name: str, dialect: Any) -> Any:
    """What ``column_type`` does to the driver's value of a result column (None: nothing), as its
    result processor. Some pick theirs by the driver's type code of the column, known only from a
    result's description (psycopg's ``Numeric`` and ``Float``), which ``execute_compiled`` does not
    ask for: such a column's value is refused when a row is read, clearly (a statement that fetches
    nothing runs, and a NULL reads as None)."""
    try:
        return column_type._cached_result_processor(dialect, None)
    except TypeError:  # (it needed the type code)
        def refuse(value: Any) -> Any:
            if value is None:  # (NULL needs no converting)
                return None
            raise NotImplementedError(
                f"execute_compiled cannot convert the result column {name!r} ({column_type!r}) without the driver's "
                "type code: read it through session.execute, or as a type whose converter needs none")
        return refuse


@functools.cache
def _insert_plain(model: type):
    return model.__table__.insert()


@functools.cache
def _attribute_keys(model: type) -> list[str]:
    """The attribute names of ``model``'s table columns, in column order."""
    return [model.__mapper__.get_property_by_column(column).key for column in model.__table__.columns]


@dataclass(frozen=True)
class _InsertShape:
    """``insert_row``'s statement for one model and set of given columns (bound as ``v_<key>``), the
    columns whose Python-side default it computes (bound likewise), those the database returns
    (column, attribute key), and those left out, which are null."""
    statement: Any
    defaults: tuple
    returned: tuple
    empty: dict


@functools.cache
def _insert_returning(model: type, postgres: bool, given: frozenset[str]) -> _InsertShape:
    table = model.__table__
    sent, defaults, returned, empty = {}, [], [], {}
    for column, key in zip(table.columns, _attribute_keys(model)):
        default = column.default
        if key in given or (default is not None and (default.is_scalar or default.is_callable)):
            sent[column] = bindparam(f"v_{key}", type_=column.type)
            if key not in given:
                defaults.append((key, default))
        elif column.primary_key or default is not None or column.server_default is not None:
            returned.append((column, key))
        else:
            empty[key] = None
    statement = ((postgresql if postgres else sqlite).insert(table).values(sent).on_conflict_do_nothing()
                 .returning(*(column for column, _ in returned)))
    return _InsertShape(statement, tuple(defaults), tuple(returned), empty)


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def lock(session: Session, key: str) -> None:
    """Hold a transaction-scoped lock on ``key`` (released at commit or rollback).

    PostgreSQL takes an advisory lock; SQLite needs none, because every
    writing transaction there begins IMMEDIATE and so runs alone. A rehearsal
    (a dry run, see ``rehearsal``) takes none either: it keeps nothing, and holding
    them to its end would keep live writers waiting (or, as a dry run's rows take
    them in no set order, deadlock with one).
    """
    if session.info.get(_REHEARSAL) or session.get_bind().dialect.name != "postgresql":
        return
    if _lock_with_begin(session.connection(), key) is None:
        session.execute(_ADVISORY_LOCK, {"key": key})


def locked_read(session: Session, key: str, statement: Any, params: dict) -> list:
    """:func:`lock` on ``key``, then the rows of ``statement`` (as :func:`execute_compiled` runs it).
    As the transaction's first statements on PostgreSQL through psycopg, the BEGIN, the lock and
    the read are sent at once: one round trip, where one after the other cost three (two when the
    lock goes with the BEGIN). The server runs the read once the lock is granted, with a snapshot
    taken then, so it sees all that the lock's previous holder committed."""
    if not session.info.get(_REHEARSAL) and session.get_bind().dialect.name == "postgresql":
        if session.autoflush:
            session.flush()
        rows = _lock_with_begin(session.connection(), key, (statement, params))
        if rows is not None:
            return rows
    lock(session, key)
    return execute_compiled(session, statement, params, fetch=True)


def _lock_with_begin(connection, key: str, read: tuple[Any, dict] | None = None) -> list | None:
    """The lock as the transaction's first statement, sent with its BEGIN (psycopg sends BEGIN and
    waits for it before the first statement: two round trips; in a pipeline both go at once), and
    with them ``read`` (a statement and its parameters), whose rows it returns ([] without one).
    None, having sent nothing, when it is not the first statement or psycopg cannot pipeline.
    A failure is raised as SQLAlchemy raises any statement's."""
    if connection.dialect.driver != "psycopg" or not _pipelines_supported():
        return None
    import psycopg

    driver = connection.connection.driver_connection
    if driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return None
    form = _compiled(_ADVISORY_LOCK, connection.dialect)
    read_form, values = _bound_values(read[0], connection.dialect, read[1]) if read else (None, None)
    try:
        with driver.pipeline():
            run_numbered(connection, form.positional[0], [key])
            rows = run_numbered(connection, read_form.positional[0], values, fetch=True) if read_form else []
    except psycopg.Error as exc:
        if driver.closed:  # lost: run again as any statement runs, so SQLAlchemy drops it as every lost one
            connection.execute(_ADVISORY_LOCK, {"key": key})
        # The server refused it (a lock timeout, say): raised as SQLAlchemy raises the driver's errors.
        raise DBAPIError.instance(form.sql, {"key": key}, exc, psycopg.Error) from exc
    return _converted(read_form, rows) if read_form else rows


@functools.cache
def _pipelines_supported() -> bool:
    """Whether psycopg's libpq can pipeline (14 and later; the binary package bundles one)."""
    from psycopg import Pipeline

    return Pipeline.is_supported()


@dataclass(frozen=True)
class _Bound:
    engine: Engine
    sessions: sessionmaker
    read_sessions: sessionmaker
    single_reads: Engine


_bound: AppSlot[_Bound] = AppSlot("database")
_APP = "sharecast.app"


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    # Reads need no write lock: on SQLite they start with a plain (deferred) BEGIN.
    info = {_APP: app}  # for commit hooks that run outside an app context (jobs, CLI, tests)
    reads = engine.execution_options(sqlite_deferred=True)
    # One statement needs no transaction: that saves the BEGIN and ROLLBACK (round trips on PostgreSQL).
    single = (engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql"
              else engine.execution_options(sqlite_single_statement=True))
    _bound.set(app, _Bound(engine, sessionmaker(engine, class_=ReadEndsInCommit, expire_on_commit=False, info=info),
                           sessionmaker(reads, class_=ReadEndsInCommit, expire_on_commit=False, info=info),
                           single))
    app.teardown_appcontext(close_session)


def app_of(session: Session) -> Flask | None:
    """The app whose session factory made ``session`` (None for a session made by hand)."""
    return session.info.get(_APP)


def engine_of(app: Flask) -> Engine:
    return _bound.get(app).engine


def engine() -> Engine:
    return engine_of(current_app)


def new_session(app: Flask | None = None) -> Session:
    """A fresh session for a job or a CLI command; the caller closes it."""
    return _bound.get(app).sessions()


_REHEARSAL = "sharecast.rehearsal"  # a session's info key: a dry run's session (see ``lock``)
# A SQLite database larger than this is rehearsed on in place (see ``rehearsal``): copying it would
# cost more than the wait it saves.
REHEARSAL_COPY_LIMIT = 1 << 30
_STALE_COPY_SECONDS = 24 * 3600


class _CopySession(Session):
    """A session bound to an engine made on its first statement (see ``rehearsal``)."""

    def __init__(self, make_bind, **kwargs):
        super().__init__(**kwargs)
        self._make_bind = make_bind

    def get_bind(self, *args, **kwargs):  # noqa: ARG002 - one bind whatever the statement
        return self._make_bind()


@contextmanager
def rehearsal(app: Flask | None = None) -> Iterator[Session]:
    """A session for work that is rolled back at its end (a dry run of an import).

    On SQLite it works on a copy of the database, taken when the session first reads (so what the
    caller wrote to the database just before, such as the clicks a file names, is in it) and
    deleted at the end: the copy's write lock is the one held for the whole run, not the
    database's, so sales, clicks and sign-ins go on meanwhile (a dry run of 2,000 sales held the
    lock for about 30 s, SQLite's busy timeout). The copy is made with SQLite's online backup,
    a consistent snapshot that writers do not wait for; it lies beside the database (same
    disk, same owner-only mode). A database over ``REHEARSAL_COPY_LIMIT`` bytes, an in-memory
    one, and PostgreSQL (row locks only) rehearse in a session of their own as usual.
    """
    bound = _bound.get(app)
    engine = bound.engine
    name = engine.url.database if engine.dialect.name == "sqlite" else None
    path = Path(name) if name and name != ":memory:" and not name.startswith("file:") else None
    size = path.stat().st_size if path is not None and path.exists() else None
    if size is None or size > REHEARSAL_COPY_LIMIT:
        if size is not None:
            log.warning("a dry run works in place, holding the database's write lock to its end: the database "
                        "is over %d bytes", REHEARSAL_COPY_LIMIT)
        with bound.sessions() as session:
            session.info[_REHEARSAL] = True
            yield session
        return
    _forget_stale_copies(path)
    copy_path = path.with_name(f"{path.name}.rehearsal-{os.getpid()}-{secrets.token_hex(4)}")
    made: list[Engine] = []

    def copy_engine() -> Engine:
        if not made:
            create_private_sqlite_file(f"sqlite:///{copy_path}")
            source = engine.raw_connection()
            try:
                target = sqlite3.connect(copy_path)
                try:
                    source.driver_connection.backup(target)
                finally:
                    target.close()
            finally:
                source.close()
            made.append(make_engine(f"sqlite:///{copy_path}"))
        return made[0]

    session = _CopySession(copy_engine, expire_on_commit=False,
                           info={**(bound.sessions.kw.get("info") or {}), _REHEARSAL: True})
    try:
        yield session
    finally:
        session.close()
        for copy in made:
            copy.dispose()
        for leftover in (copy_path, *(Path(f"{copy_path}-{end}") for end in ("wal", "shm", "journal"))):
            leftover.unlink(missing_ok=True)


def _forget_stale_copies(path: Path) -> None:
    """Delete rehearsal copies a killed process left (a day old: no dry run runs that long)."""
    for leftover in path.parent.glob(f"{path.name}.rehearsal-*"):
        try:
            if time.time() - leftover.stat().st_mtime > _STALE_COPY_SECONDS:
                leftover.unlink()
        except OSError:
            pass


def read_session(app: Flask | None = None) -> Session:
    """A fresh session for reading only (no SQLite write lock); the caller closes it."""
    return _bound.get(app).read_sessions()


def single_read(app: Flask | None = None) -> Connection:
    """A fresh connection for one reading statement, run without a transaction around it on either
    backend (several statements would each see their own snapshot); the caller closes it. A Core connection, not a
    session: for a statement that loads no objects the ORM's execution costs more than the
    statement (a quarter of the earnings GET's CPU, see bench/bench_get.py)."""
    return _bound.get(app).single_reads.connect()


def session() -> Session:
    """The request's session, opened on first use and closed at teardown.

    GET and HEAD requests read without taking SQLite's write lock.
    """
    if "db_session" not in g:
        g.db_session = read_session() if request.method in ("GET", "HEAD") else new_session()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()
