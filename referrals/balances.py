"""Balances from a checkpoint: each sharer's ledger lines summed up to a horizon (LedgerBalance,
LedgerHorizon), plus their lines after it.

The ledger is append-only, so the lines up to an id that no transaction can still be writing never
change: the checkpoint job (:func:`advance`) sums them once into each sharer's LedgerBalance and
moves the horizon past them, in one transaction; a balance reads the two and the sharer's lines
after the horizon in one statement (one snapshot), from indexes alone (:func:`sums`). A balance
then costs the same after a million lines as after ten. Sales never write a balance row, so a
seller's many sales at once do not queue on one.

Which lines can no transaction still be writing? A line's id is drawn from the table's sequence as
it is inserted, after its transaction took the table's ROW EXCLUSIVE lock, held to its end. On
PostgreSQL the job takes SHARE on ``ledger_entries`` for a moment, which waits for the writers in
flight (for at most ``LOCK_WAIT_MS``; new writers wait behind it as long) and reads the highest
id: every line up to it is committed, and every later line will have a higher id (the sequence is
the table's own, with a cache of 1, PostgreSQL's default: a per-session cache would hand out lower
ids later, and ``tests/test_ledger_balances.py`` checks it is 1). On SQLite one writer runs at a time, and a line
not yet committed has an id above every committed one.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import Table, func, select, text, union_all
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from plumbing import database
from plumbing.database import utcnow
from referrals.models import LedgerBalance, LedgerEntry, LedgerHorizon, Sharer

log = logging.getLogger(__name__)

HORIZON_ID = 1  # the horizon's one row
STEP = 50_000  # ids summed a transaction: an old ledger is caught up in short steps, not one long one
LOCK_WAIT_MS = 50  # the longest the job waits for ledger writers in flight (and new ones wait for it)
LOCK_TRIES = 3
_PAGE = 1000  # balance rows an upsert statement


def _horizon():
    """The horizon's id, as a scalar subquery (0 before any: every line is after it)."""
    return func.coalesce(select(LedgerHorizon.through_id).where(LedgerHorizon.id == HORIZON_ID)
                         .scalar_subquery(), 0)


def sums(keys: tuple[str, ...], where: Callable[[Table], list]) -> Select:
    """Money by ``keys`` (columns both tables have: ``sharer_id``, ``workspace_id``, ``currency``,
    ``bucket``), as a ``total`` column: the balances plus the lines after the horizon, of the rows
    that ``where(table)`` selects in either table."""
    kept, lines = LedgerBalance.__table__, LedgerEntry.__table__
    both = union_all(
        select(*(kept.c[k] for k in keys), kept.c.amount_minor).where(*where(kept)),
        select(*(lines.c[k] for k in keys), lines.c.amount_minor).where(*where(lines), lines.c.id > _horizon()),
    ).subquery()
    columns = [both.c[k] for k in keys]
    return select(*columns, func.sum(both.c.amount_minor).label("total")).group_by(*columns)


def _settled_through() -> int | None:
    """The highest ledger id below which no transaction can still be writing a line (see the
    module's doc); None when writers in flight outlasted every wait."""
    highest = select(func.coalesce(func.max(LedgerEntry.id), 0))
    with database.single_read() as connection:
        if connection.dialect.name != "postgresql":  # (a read: SQLite's write lock is not needed)
            return int(connection.scalar(highest))
    with database.new_session() as session:
        return _settled_under_lock(session, highest)


def _settled_under_lock(session: Session, highest: Select) -> int | None:
    """PostgreSQL: ``highest`` read under SHARE on ``ledger_entries`` (see the module's doc)."""
    for attempt in range(LOCK_TRIES):
        try:
            session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'"))
            session.execute(text("LOCK TABLE ledger_entries IN SHARE MODE"))
            top = int(session.scalar(highest))
            session.commit()  # the lock is held for no longer than the read
            return top
        except OperationalError as exc:
            session.rollback()
            if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available: wait and try again
                raise
            time.sleep(0.1 * (attempt + 1))
    log.info("Ledger checkpoint: writers in flight outlasted %d waits of %d ms; next run", LOCK_TRIES, LOCK_WAIT_MS)
    return None


def advance(step: int = STEP) -> int:
    """Sum the ledger lines no transaction can still be writing into their sharers' balances, and
    move the horizon past them, ``step`` ids a transaction; the lines summed. Safe to run twice and
    at once: each step locks the horizon's row and starts from where it stands."""
    top = _settled_through()
    moved = 0
    while top is not None:
        with database.new_session() as session:
            horizon = _locked_horizon(session)
            start = horizon.through_id
            if start >= top:
                break
            end = min(top, start + step)
            moved += _sum_into_balances(session, start, end)
            horizon.through_id, horizon.moved_at = end, utcnow()
            session.commit()
    return moved


def _locked_horizon(session: Session) -> LedgerHorizon:
    """The horizon's row, locked to the end of the transaction; made at 0 if missing (its
    migration makes it: a database emptied since)."""
    locked = select(LedgerHorizon).where(LedgerHorizon.id == HORIZON_ID).with_for_update()
    horizon = session.scalars(locked).one_or_none()
    if horizon is None:
        session.execute(database.insert_for(session)(LedgerHorizon).values(
            id=HORIZON_ID, through_id=0, moved_at=utcnow()).on_conflict_do_nothing())
        horizon = session.scalars(locked).one()
    return horizon


def _sum_into_balances(session: Session, start: int, end: int) -> int:
    """Add the lines with ids in (start, end] to their sharers' balances; how many lines."""
    lines, sharers = LedgerEntry.__table__.c, Sharer.__table__.c
    # (a balance's workspace is its sharer's, whatever a line says: one row a key, however grouped)
    keys = (lines.sharer_id, lines.currency, lines.bucket, sharers.workspace_id)
    rows = session.execute(select(*keys, func.sum(lines.amount_minor), func.count())
                           .join_from(LedgerEntry.__table__, Sharer.__table__, sharers.id == lines.sharer_id)
                           .where(lines.id > start, lines.id <= end).group_by(*keys)).all()
    insert = database.insert_for(session)
    for at in range(0, len(rows), _PAGE):
        upsert = insert(LedgerBalance).values([
            {"sharer_id": sharer_id, "currency": currency, "bucket": bucket, "workspace_id": workspace_id,
             "amount_minor": int(total)} for sharer_id, currency, bucket, workspace_id, total, _ in rows[at:at + _PAGE]])
        session.execute(upsert.on_conflict_do_update(
            index_elements=["sharer_id", "currency", "bucket"],
            set_={"amount_minor": LedgerBalance.amount_minor + upsert.excluded.amount_minor}))
    return sum(count for *_, count in rows)
