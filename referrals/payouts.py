"""Payout runs and their batches: what POST /payouts made, listed and exported for finance."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plumbing import database
from plumbing.errors import ApiError
from plumbing.money import format_amount
from plumbing.pagination import DEFAULT_LIMIT, newest_first
from referrals import ledger
from referrals.models import Payout, PayoutBatch, Sharer
from workspaces.models import Workspace

STREAM_ROWS = 500  # rows per fetch of a streamed export
CSV_COLUMNS = ("batch_id", "payout_id", "sharer_id", "name", "email", "phone", "amount", "currency", "year",
               "year_total_paid")


def run_payouts(session: Session, workspace_id: int, now: datetime) -> dict:
    """Pay every positive approved balance now, as one batch; the caller commits.

    :return: ``{"items": [payout...], "next_cursor": None, "batch_id": int | None}``
        (no batch when nothing was due).
    """
    made = ledger.pay_all(session, workspace_id, now)
    return {"items": [{"id": p.id, "batch_id": p.batch_id, "sharer_id": p.sharer_id, "currency": p.currency,
                       "amount": format_amount(p.amount_minor, p.currency)} for p in made],
            "next_cursor": None, "batch_id": made[0].batch_id if made else None}


def _totals(session: Session, batch_ids: list[int]) -> dict[int, list[dict]]:
    totals: dict[int, list[dict]] = {batch_id: [] for batch_id in batch_ids}
    for batch_id, currency, minor in session.execute(
            select(Payout.batch_id, Payout.currency, func.sum(Payout.amount_minor))
            .where(Payout.batch_id.in_(batch_ids)).group_by(Payout.batch_id, Payout.currency)
            .order_by(Payout.batch_id, Payout.currency)):
        totals[batch_id].append({"currency": currency, "amount": format_amount(int(minor), currency)})
    return totals


def _batch_json(batch: PayoutBatch, totals: list[dict]) -> dict:
    return {"id": batch.id, "created_at": batch.created_at, "count": batch.count, "totals": totals}


def list_batches(session: Session, workspace_id: int, *, cursor: str | None = None,
                 limit: int = DEFAULT_LIMIT) -> dict:
    """The workspace's payout batches, newest first: id, created_at, count, totals per currency.

    :raise ApiError 422: a cursor this list did not give.
    """
    batches, next_cursor = newest_first(session, select(PayoutBatch).where(PayoutBatch.workspace_id == workspace_id),
                                        PayoutBatch.created_at, PayoutBatch.id, cursor, limit)
    totals = _totals(session, [b.id for b in batches])
    return {"items": [_batch_json(b, totals[b.id]) for b in batches], "next_cursor": next_cursor}


def get_batch(session: Session, workspace_id: int, batch_id: int) -> PayoutBatch:
    """:raise ApiError 404: no such batch in this workspace."""
    batch = session.scalar(select(PayoutBatch).where(PayoutBatch.id == batch_id,
                                                     PayoutBatch.workspace_id == workspace_id))
    if batch is None:
        raise ApiError(404, "not_found", "No such payout batch.")
    return batch


def _payout_rows(session: Session, payouts: list[Payout]) -> list[dict]:
    sharers = {s.id: s for s in session.scalars(select(Sharer).where(Sharer.id.in_({p.sharer_id for p in payouts})))}
    return [{"payout_id": p.id, "sharer_id": p.sharer_id, "name": sharers[p.sharer_id].name,
             "email": sharers[p.sharer_id].email, "phone": sharers[p.sharer_id].phone,
             "amount": format_amount(p.amount_minor, p.currency), "currency": p.currency} for p in payouts]


def batch_payouts(session: Session, workspace_id: int, batch_id: int, *, cursor: str | None = None,
                  limit: int = DEFAULT_LIMIT) -> dict:
    """A batch (as in list_batches) and a page of its payouts: sharer id, name, email, phone, amount, currency.

    :raise ApiError 404: no such batch in this workspace.
    :raise ApiError 422: a cursor this list did not give.
    """
    batch = get_batch(session, workspace_id, batch_id)
    payouts, next_cursor = newest_first(session, select(Payout).where(Payout.batch_id == batch.id),
                                        Payout.created_at, Payout.id, cursor, limit)
    return {**_batch_json(batch, _totals(session, [batch.id])[batch.id]), "items": _payout_rows(session, payouts),
            "next_cursor": next_cursor}


def batch_rows(app: Flask, batch_id: int) -> Iterator[list]:
    """Every payout of batch ``batch_id`` as rows of CSV_COLUMNS for the finance team (amounts as
    Decimals, so a spreadsheet reads them as numbers; see ``csvexport``). ``year`` is the batch's
    calendar year in the programme's time zone and ``year_total_paid`` what the sharer was paid in
    that currency that year up to and including this batch (payout runs and withdrawals alike: both
    are payouts), the figure a finance team reports per person.

    A generator for a streamed download: it reads one query, a few hundred rows at a time, in its
    own session (the request's is gone by the time the body is sent), so a batch of any size holds
    a few hundred rows in memory. Check the batch with :func:`get_batch` first.
    """
    with database.read_session(app) as session:
        batch = session.get(PayoutBatch, batch_id)
        zone = ZoneInfo(session.get(Workspace, batch.workspace_id).timezone)
        year = batch.created_at.astimezone(zone).year
        year_start = datetime(year, 1, 1, tzinfo=zone).astimezone(timezone.utc)
        paid = (select(Payout.sharer_id, Payout.currency, func.sum(Payout.amount_minor).label("minor"))
                .where(Payout.workspace_id == batch.workspace_id, Payout.created_at >= year_start,
                       (Payout.batch_id <= batch_id) | (Payout.batch_id.is_(None) & (Payout.created_at <= batch.created_at)))
                .group_by(Payout.sharer_id, Payout.currency).subquery())
        rows = session.execute(
            select(Payout.id, Payout.sharer_id, Sharer.name, Sharer.email, Sharer.phone, Payout.amount_minor,
                   Payout.currency, paid.c.minor).join(Sharer, Sharer.id == Payout.sharer_id)
            .join(paid, (paid.c.sharer_id == Payout.sharer_id) & (paid.c.currency == Payout.currency))
            .where(Payout.batch_id == batch_id).order_by(Payout.id).execution_options(yield_per=STREAM_ROWS))
        for p_id, sharer_id, name, email, phone, amount, currency, year_minor in rows:
            yield [batch_id, p_id, sharer_id, name, email, phone, Decimal(format_amount(amount, currency)), currency,
                   year, Decimal(format_amount(int(year_minor), currency))]


def batch_contact_sharers(session: Session, batch_id: int) -> Iterator[list[int]]:
    """The sharers of a batch with an email or phone (what its CSV shows), a few hundred ids at a time."""
    ids = session.scalars(
        select(Payout.sharer_id).join(Sharer, Sharer.id == Payout.sharer_id)
        .where(Payout.batch_id == batch_id, (func.coalesce(Sharer.email, "") != "") | (func.coalesce(Sharer.phone, "") != ""))
        .distinct().execution_options(yield_per=STREAM_ROWS))
    return (list(part) for part in ids.partitions())
