"""Settling a withdrawal from a rail's notification (WeChat Pay's transfer batch callback, PayPal's
Payouts webhooks), so it does not wait for the follow-up poll. Safe to receive twice: a settled
withdrawal is left alone."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from payouts.accounts import rail_credentials
from payouts.models import Withdrawal
from payouts.rails.paypal import PayPal
from payouts.rails.wechat_notify import NotificationError, outcome_of, read_notification
from payouts.withdrawals import record_outcome
from plumbing.errors import ApiError
from plumbing.vault import Vault


def settle_wechat(session: Session, vault: Vault, workspace_id: int, headers, body: str,
                  now: datetime) -> tuple[Withdrawal, bool]:
    """Read a signed, encrypted transfer notification and apply it: ``(withdrawal, follow_up)``,
    ``follow_up`` True when the batch finished with a failed detail (its reason is read by the
    follow-up job) or said something not final. The caller commits.

    :raise ApiError 404: the workspace has no WeChat Pay rail with an APIv3 key, or no such withdrawal.
    :raise ApiError 401: a notification not believed (signature, time, decryption, merchant).
    """
    credentials = rail_credentials(session, vault, workspace_id, "wechat")
    if not credentials or not credentials.get("api_v3_key"):
        raise ApiError(404, "not_found", "No WeChat Pay rail with an APIv3 key here.")
    try:
        batch = read_notification(credentials, headers, body)
    except NotificationError as exc:
        raise ApiError(401, "bad_notification", str(exc)) from None
    withdrawal = session.scalar(select(Withdrawal).where(
        Withdrawal.workspace_id == workspace_id, Withdrawal.rail == "wechat",
        Withdrawal.out_no == batch["out_batch_no"]).with_for_update())
    if withdrawal is None:
        raise ApiError(404, "not_found", "No such transfer.")
    if withdrawal.status not in ("approved", "sending"):
        return withdrawal, False  # settled already (a repeated notification, or the poll was first)
    outcome = outcome_of(batch, withdrawal.amount_minor)
    if outcome is None:
        return withdrawal, True
    withdrawal.status = "sending"  # it landed, whatever our last answer from the rail was
    record_outcome(session, withdrawal, outcome, now)
    return withdrawal, False


PAYPAL_EVENTS = ("PAYMENT.PAYOUTSBATCH.", "PAYMENT.PAYOUTS-ITEM.")


def _paypal_out_no(event: dict) -> str | None:
    """The sender_item_id (item events) or sender_batch_id (batch events) an event is about."""
    resource = event.get("resource") if isinstance(event.get("resource"), dict) else {}
    item = resource.get("payout_item") if isinstance(resource.get("payout_item"), dict) else {}
    header = resource.get("batch_header") if isinstance(resource.get("batch_header"), dict) else {}
    sender = header.get("sender_batch_header") if isinstance(header.get("sender_batch_header"), dict) else {}
    found = item.get("sender_item_id") or sender.get("sender_batch_id")
    return found if isinstance(found, str) else None


def paypal_notification(session: Session, vault: Vault, workspace_id: int, headers, body: str,
                        allow_private: bool) -> int | None:
    """Read a PayPal Payouts webhook (PAYMENT.PAYOUTSBATCH.* / PAYMENT.PAYOUTS-ITEM.*) once PayPal has
    verified its signature: the id of the open withdrawal it is about (the follow-up job then reads the
    item's status from PayPal), or None for an event about nothing open here (settled already, or a
    payout the brand made elsewhere: answered 200 so PayPal does not send it again).

    :raise ApiError 404: the workspace has no PayPal rail with a webhook id.
    :raise ApiError 401: PayPal did not verify the notification (FAILURE, or not asked: headers missing).
    """
    credentials = rail_credentials(session, vault, workspace_id, "paypal")
    if not credentials or not credentials.get("webhook_id"):
        raise ApiError(404, "not_found", "No PayPal rail with a webhook id here.")
    event = PayPal().verify_notification(credentials, headers, body, allow_private)
    if event is None:
        raise ApiError(401, "bad_notification", "PayPal did not verify this notification.")
    if not str(event.get("event_type", "")).startswith(PAYPAL_EVENTS):
        return None
    out_no = _paypal_out_no(event)
    withdrawal_id = session.scalar(select(Withdrawal.id).where(
        Withdrawal.workspace_id == workspace_id, Withdrawal.rail == "paypal", Withdrawal.out_no == out_no,
        Withdrawal.status.in_(("approved", "sending")))) if out_no else None
    return withdrawal_id
