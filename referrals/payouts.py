"""Payout runs and their batches: what POST /payouts made, listed and exported for finance."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plumbing.errors import ApiError
from plumbing.money import format_amount
from plumbing.pagination import DEFAULT_LIMIT, newest_first
from referrals import ledger
from referrals.models import Payout, PayoutBatch, Sharer

CSV_COLUMNS = ("batch_id", "payout_id", "sharer_id", "name", "email", "phone", "amount", "currency")


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


def batch_rows(session: Session, workspace_id: int, batch_id: int) -> list[list]:
    """Every payout of a batch as rows of CSV_COLUMNS for the finance team (amounts as Decimals,
    so a spreadsheet reads them as numbers; see ``csvexport``).

    :raise ApiError 404: no such batch in this workspace.
    """
    batch = get_batch(session, workspace_id, batch_id)
    rows = _payout_rows(session, list(session.scalars(select(Payout).where(Payout.batch_id == batch.id)
                                                      .order_by(Payout.id))))
    return [[batch.id, *(Decimal(row[c]) if c == "amount" else row[c] for c in CSV_COLUMNS[1:])] for row in rows]
