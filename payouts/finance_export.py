"""The finance team's withdrawal export: every withdrawal asked in a period, with what paying a bank
transfer needs and each seller's total paid in the calendar year (for the yearly tax filing).

Bank-rail withdrawals are paid by hand from this file, so their rows carry the full bank details
(opened from the vault); every other rail is shown masked, as everywhere. The yearly total counts
every payout the seller received in the year (withdrawals and payout runs alike), in the
workspace's time zone, so it matches what the seller was paid, whichever way.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from payouts.models import Withdrawal
from plumbing.csvexport import csv_response
from plumbing.errors import ApiError
from plumbing.money import format_amount
from plumbing.vault import Vault
from referrals.contact_views import record_contact_views
from referrals.models import Payout, Sharer
from workspaces.models import Workspace

COLUMNS = ("withdrawal_id", "out_no", "status", "requested_at", "finished_at", "sharer_id", "name", "email",
           "phone", "rail", "account", "bank_name", "account_number", "holder_name", "amount", "currency",
           "rail_ref", "rail_status", "reason", "year", "year_total_paid")
UTC = ZoneInfo("UTC")
MAX_DAYS = 366


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The export's days (inclusive): this calendar year so far by default.

    :raise ApiError 422: an end before the start, or more than a year.
    """
    start = start or date(today.year, 1, 1)
    end = end or today
    if end < start:
        raise ApiError(422, "validation_error", "The period ends before it starts.", {"to": "must not be before from"})
    if (end - start).days >= MAX_DAYS:
        raise ApiError(422, "validation_error", "Export at most a year at a time.", {"to": "at most 366 days after from"})
    return start, end


def year_totals(session: Session, workspace_id: int, currency: str, sharer_ids: set[int], years: set[int],
                zone: ZoneInfo) -> dict[tuple[int, int], int]:
    """``{(sharer_id, year): minor units of currency paid}`` over every payout of those sellers in those years."""
    totals: dict[tuple[int, int], int] = defaultdict(int)
    if not sharer_ids or not years:
        return totals
    lo, hi = _start_of(date(min(years), 1, 1), zone), _start_of(date(max(years) + 1, 1, 1), zone)
    for sharer_id, amount, when in session.execute(select(Payout.sharer_id, Payout.amount_minor, Payout.created_at).where(
            Payout.workspace_id == workspace_id, Payout.currency == currency, Payout.sharer_id.in_(sharer_ids),
            Payout.created_at >= lo,
            Payout.created_at < hi)):
        totals[sharer_id, when.astimezone(zone).year] += amount
    return totals


def export_rows(session: Session, vault: Vault, workspace_id: int, start: date, end: date) -> list[list]:
    """Rows of COLUMNS for the withdrawals asked from ``start`` to ``end`` (the workspace's days), oldest
    first; amounts as Decimals so a spreadsheet reads numbers."""
    workspace = session.get(Workspace, workspace_id)
    zone = ZoneInfo(workspace.timezone)
    found = list(session.scalars(select(Withdrawal).where(
        Withdrawal.workspace_id == workspace_id, Withdrawal.created_at >= _start_of(start, zone),
        Withdrawal.created_at < _start_of(end + timedelta(days=1), zone)).order_by(Withdrawal.id)))
    sharers = {s.id: s for s in session.scalars(select(Sharer).where(Sharer.id.in_({w.sharer_id for w in found})))}

    def year_of(w: Withdrawal) -> int:
        return (w.finished_at if w.status == "paid" else w.created_at).astimezone(zone).year

    totals = year_totals(session, workspace_id, workspace.currency, set(sharers), {year_of(w) for w in found}, zone)
    rows = []
    for w in found:
        sharer = sharers[w.sharer_id]
        bank = vault.open(w.account_sealed) if w.rail == "bank" else {}
        year = year_of(w)
        rows.append([w.id, w.out_no, w.status, w.created_at.astimezone(zone).isoformat(),
                     w.finished_at.astimezone(zone).isoformat() if w.finished_at else None, w.sharer_id,
                     sharer.name, sharer.email, sharer.phone, w.rail, w.masked_account, bank.get("bank_name"),
                     bank.get("account_number"), bank.get("holder_name"),
                     Decimal(format_amount(w.amount_minor, w.currency)), w.currency, w.rail_ref, w.rail_status,
                     w.reason, year, Decimal(format_amount(totals.get((w.sharer_id, year), 0), w.currency))])
    return rows


def download(session: Session, vault: Vault, workspace_id: int, start: date | None, end: date | None,
             now: datetime, *, user_id: int | None = None, api_key_id: int | None = None) -> Response:
    """The export of a period (default this year so far) as a CSV download; who was shown the full
    contacts and bank accounts is kept (``contact_views``), as for the payout batch export.

    :raise ApiError 422: an end before the start, or more than a year.
    """
    workspace = session.get(Workspace, workspace_id)
    start, end = period(start, end, now.astimezone(ZoneInfo(workspace.timezone)).date())
    rows = export_rows(session, vault, workspace_id, start, end)
    if rows:
        sharer = COLUMNS.index("sharer_id")
        record_contact_views(session, workspace_id, sorted({row[sharer] for row in rows}), user_id=user_id,
                             api_key_id=api_key_id)
        session.commit()
    return csv_response(f"withdrawals-{start}-{end}.csv", COLUMNS, rows)  # contacts and accounts: no-store
