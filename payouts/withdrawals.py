"""Withdrawal requests (提现): a sharer asks, a person decides, a rail pays.

The money is exact in the ledger at every step: the request moves the amount
from ``approved`` to ``withdrawing`` (so it cannot be asked for twice nor swept
by a payout batch), a refusal or a failed transfer moves it back, a paid
transfer moves it to ``paid`` with one Payout row. Nothing is ever charged: the
sharer receives exactly what they asked for (no fee field exists).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from payouts.accounts import rail_credentials
from payouts.models import PayoutMethod, PayoutSettings, Withdrawal
from payouts.rails.base import Outcome
from plumbing import database
from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.money import format_amount
from plumbing.pagination import DEFAULT_LIMIT, newest_first
from plumbing.vault import Vault
from referrals import ledger
from referrals.models import Sharer
from referrals.sharers import get_sharer
from referrals.suspension import check_not_suspended
from workspaces.models import Workspace

OPEN = ("requested", "approved", "sending")
STATUSES = (*OPEN, "paid", "refused", "failed")
DEFAULT_MIN_MINOR = 100


def settings_for(session: Session, workspace_id: int) -> PayoutSettings:
    """The workspace's limits (the defaults, unsaved, when it never set them)."""
    return session.get(PayoutSettings, workspace_id) or PayoutSettings(
        workspace_id=workspace_id, min_withdrawal_minor=DEFAULT_MIN_MINOR, max_withdrawal_minor=None,
        daily_limit_minor=None)


def settings_json(settings: PayoutSettings, currency: str) -> dict:
    def show(minor):
        return format_amount(minor, currency) if minor is not None else None
    return {"currency": currency, "min_withdrawal": show(settings.min_withdrawal_minor),
            "max_withdrawal": show(settings.max_withdrawal_minor), "daily_limit": show(settings.daily_limit_minor)}


def save_settings(session: Session, workspace_id: int, min_minor: int, max_minor: int | None,
                  daily_minor: int | None) -> PayoutSettings:
    """:raise ApiError 422: a minimum above the maximum or the daily limit, or a zero minimum."""
    errors = {}
    if min_minor < 1:
        errors["min_withdrawal"] = "must be at least one minor unit"
    if max_minor is not None and max_minor < min_minor:
        errors["max_withdrawal"] = "must not be below min_withdrawal"
    if daily_minor is not None and daily_minor < min_minor:
        errors["daily_limit"] = "must not be below min_withdrawal"
    if errors:
        raise ApiError(422, "validation_error", "The payout limits do not fit together.", errors)
    settings = session.get(PayoutSettings, workspace_id)
    if settings is None:
        settings = PayoutSettings(workspace_id=workspace_id)
        session.add(settings)
    settings.min_withdrawal_minor, settings.max_withdrawal_minor = min_minor, max_minor
    settings.daily_limit_minor, settings.updated_at = daily_minor, utcnow()
    return settings


def available(session: Session, sharer_id: int, currency: str) -> int:
    """What a sharer may withdraw now: the approved balance (never below zero)."""
    return max(ledger.bucket_balance(session, sharer_id, currency, "approved"), 0)


def balance_json(session: Session, workspace_id: int, sharer_id: int) -> dict:
    """Available and in-withdrawal amounts, in the workspace's currency, with the limits."""
    get_sharer(session, workspace_id, sharer_id)
    currency = session.get(Workspace, workspace_id).currency
    return {"available": format_amount(available(session, sharer_id, currency), currency),
            "withdrawing": format_amount(ledger.bucket_balance(session, sharer_id, currency, ledger.WITHDRAWING),
                                         currency),
            **settings_json(settings_for(session, workspace_id), currency)}


def _day_start(now: datetime, timezone: str) -> datetime:
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(ZoneInfo("UTC"))


def request_withdrawal(session: Session, vault: Vault, workspace_id: int, sharer_id: int, amount_minor: int,
                       now: datetime) -> Withdrawal:
    """Open a request for ``amount_minor`` of the workspace's currency; the caller commits.

    :raise ApiError 404: no such sharer. :raise ApiError 409: a suspended sharer, no payout method,
        a rail the brand has not set up, or a request already open.
    :raise ApiError 422: below the minimum, above the maximum, the daily limit or the balance.
    """
    database.lock(session, f"withdrawal:{sharer_id}")
    check_not_suspended(get_sharer(session, workspace_id, sharer_id))
    workspace = session.get(Workspace, workspace_id)
    currency = workspace.currency
    method = session.get(PayoutMethod, sharer_id)
    if method is None:
        raise ApiError(409, "no_payout_method", "Set how you are paid before asking for a withdrawal.")
    if rail_credentials(session, vault, workspace_id, method.rail) is None:
        raise ApiError(409, "rail_not_configured", f"This programme does not pay by {method.rail} yet; "
                                                   "choose another payout method.")
    if session.scalar(select(Withdrawal.id).where(Withdrawal.open_sharer_id == sharer_id)) is not None:
        raise ApiError(409, "withdrawal_open", "A withdrawal request is already open; wait for it to finish.")
    settings = settings_for(session, workspace_id)
    limit = {"amount": None}
    if amount_minor < settings.min_withdrawal_minor:
        limit["amount"] = f"must be at least {format_amount(settings.min_withdrawal_minor, currency)}"
    elif settings.max_withdrawal_minor is not None and amount_minor > settings.max_withdrawal_minor:
        limit["amount"] = f"must be at most {format_amount(settings.max_withdrawal_minor, currency)}"
    elif amount_minor > available(session, sharer_id, currency):
        limit["amount"] = f"must be at most your available {format_amount(available(session, sharer_id, currency), currency)}"
    elif settings.daily_limit_minor is not None:
        today = session.scalar(select(func.coalesce(func.sum(Withdrawal.amount_minor), 0)).where(
            Withdrawal.sharer_id == sharer_id, Withdrawal.created_at >= _day_start(now, workspace.timezone),
            Withdrawal.status.not_in(("refused", "failed"))))
        if today + amount_minor > settings.daily_limit_minor:
            left = max(settings.daily_limit_minor - int(today), 0)
            limit["amount"] = f"must be at most {format_amount(left, currency)} more today (the daily limit)"
    if limit["amount"]:
        raise ApiError(422, "validation_error", f"The amount {limit['amount']}.", limit)
    withdrawal = Withdrawal(workspace_id=workspace_id, sharer_id=sharer_id, open_sharer_id=sharer_id,
                            currency=currency, amount_minor=amount_minor, rail=method.rail,
                            masked_account=method.masked, account_sealed=method.sealed, status="requested",
                            out_no=f"tmp{secrets.token_hex(12)}",  # unique until the id is known
                            created_at=now)
    session.add(withdrawal)
    session.flush()
    withdrawal.out_no = f"SCW{workspace_id:06d}{withdrawal.id:012d}"  # letters and digits, ≤ 32: every rail takes it
    ledger.hold_for_withdrawal(session, workspace_id, sharer_id, currency, amount_minor, f"withdrawal {withdrawal.id}")
    return withdrawal


def get_withdrawal(session: Session, workspace_id: int, withdrawal_id: int, *, for_update: bool = False) -> Withdrawal:
    """:raise ApiError 404: no such withdrawal in this workspace."""
    query = select(Withdrawal).where(Withdrawal.id == withdrawal_id, Withdrawal.workspace_id == workspace_id)
    found = session.scalar(query.with_for_update() if for_update else query)
    if found is None:
        raise ApiError(404, "not_found", "No such withdrawal.")
    return found


def approve(session: Session, workspace_id: int, withdrawal_id: int, by: str, now: datetime) -> Withdrawal:
    """Approve a requested withdrawal (the send job goes after commit); the caller commits.

    :raise ApiError 404: no such withdrawal. :raise ApiError 409: not waiting for a decision, or the
        sharer is suspended.
    """
    withdrawal = get_withdrawal(session, workspace_id, withdrawal_id, for_update=True)
    if withdrawal.status != "requested":
        raise ApiError(409, "not_requested", f"This withdrawal is {withdrawal.status}, not waiting for a decision.")
    check_not_suspended(session.get(Sharer, withdrawal.sharer_id))
    withdrawal.status, withdrawal.decided_at, withdrawal.decided_by = "approved", now, by
    return withdrawal


def refuse(session: Session, workspace_id: int, withdrawal_id: int, reason: str, by: str,
           now: datetime) -> Withdrawal:
    """Refuse a requested withdrawal with a reason the sharer reads; the money goes back.

    :raise ApiError 404: no such withdrawal. :raise ApiError 409: not waiting for a decision.
    """
    withdrawal = get_withdrawal(session, workspace_id, withdrawal_id, for_update=True)
    if withdrawal.status != "requested":
        raise ApiError(409, "not_requested", f"This withdrawal is {withdrawal.status}, not waiting for a decision.")
    withdrawal.decided_at, withdrawal.decided_by = now, by
    _close(session, withdrawal, "refused", reason, now)
    return withdrawal


def _close(session: Session, withdrawal: Withdrawal, status: str, reason: str | None, now: datetime) -> None:
    if status in ("refused", "failed"):
        ledger.release_withdrawal(session, withdrawal.workspace_id, withdrawal.sharer_id, withdrawal.currency,
                                  withdrawal.amount_minor, f"withdrawal {withdrawal.id} {status}")
    else:
        payout = ledger.settle_withdrawal(session, withdrawal.workspace_id, withdrawal.sharer_id, withdrawal.currency,
                                          withdrawal.amount_minor, now, f"withdrawal {withdrawal.id}")
        withdrawal.payout_id = payout.id
    withdrawal.status, withdrawal.reason, withdrawal.open_sharer_id, withdrawal.finished_at = status, reason, None, now


def record_outcome(session: Session, withdrawal: Withdrawal, outcome: Outcome, now: datetime) -> None:
    """Apply what the rail said to a withdrawal being sent (row locked by the caller)."""
    withdrawal.rail_status = outcome.rail_status[:32] or withdrawal.rail_status
    withdrawal.rail_ref = outcome.rail_ref or withdrawal.rail_ref
    if outcome.state == "paid":
        _close(session, withdrawal, "paid", None, now)
    elif outcome.state == "failed":
        _close(session, withdrawal, "failed", outcome.reason or outcome.rail_status, now)
    elif outcome.state == "resend":
        withdrawal.status = "approved"  # never landed: the next send repeats the same out_no
    else:
        withdrawal.status = "sending"


def due_for_follow_up(session: Session, now: datetime, wait: timedelta) -> list[int]:
    """Ids of withdrawals the reconciliation job should look at: approved (their send job
    may have been lost) or sending (the rail has not said paid or failed) for ``wait``."""
    return list(session.scalars(select(Withdrawal.id).where(
        Withdrawal.status.in_(("approved", "sending")),
        func.coalesce(Withdrawal.sent_at, Withdrawal.decided_at) < now - wait).order_by(Withdrawal.id)))


def withdrawal_json(w: Withdrawal, sharer_name: str | None = None) -> dict:
    return {"id": w.id, "sharer_id": w.sharer_id, "sharer_name": sharer_name,
            "amount": format_amount(w.amount_minor, w.currency), "currency": w.currency, "rail": w.rail,
            "account": w.masked_account, "status": w.status, "reason": w.reason, "out_no": w.out_no,
            "rail_status": w.rail_status, "payout_id": w.payout_id, "created_at": w.created_at,
            "decided_at": w.decided_at, "finished_at": w.finished_at}


def list_withdrawals(session: Session, workspace_id: int, *, sharer_id: int | None = None,
                     status: str | None = None, cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> dict:
    """The workspace's (or one sharer's) withdrawals, newest first.

    :raise ApiError 404: a sharer of another workspace. :raise ApiError 422: a bad cursor.
    """
    query = select(Withdrawal).where(Withdrawal.workspace_id == workspace_id)
    if sharer_id is not None:
        get_sharer(session, workspace_id, sharer_id)
        query = query.where(Withdrawal.sharer_id == sharer_id)
    if status is not None:
        query = query.where(Withdrawal.status == status)
    page, next_cursor = newest_first(session, query, Withdrawal.created_at, Withdrawal.id, cursor, limit)
    names = dict(session.execute(select(Sharer.id, Sharer.name).where(Sharer.id.in_({w.sharer_id for w in page}))).all())
    return {"items": [withdrawal_json(w, names.get(w.sharer_id)) for w in page], "next_cursor": next_cursor}
