"""A seller's change of payout method waits for the sign-in code texted to their phone.

Whoever holds a seller's session or key could otherwise send the seller's money to
their own account. So a seller's new method is kept aside (sealed, masked) and a
sign-in code goes to the number already on the seller's record, through the same
codes and sender as phone sign-in (accounts.phone_codes, accounts.sms): six digits,
five minutes, used once, five tries. The change becomes the payout method only when
that code is entered; a wrong, expired or used code changes nothing. Staff set a
method at once (accounts.set_payout_method).

A seller without a phone number adds one first (the profile page checks it with a
code too). Codes are texted at most once a minute and five times an hour per seller.
Since whoever holds a session could also put their own number on the profile first,
a change of payout method is refused for two days after the phone number changed.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from accounts import phone_codes
from accounts.phone_codes import LIFETIME, Outcome
from payouts.accounts import apply_payout_method, sealed_account
from payouts.models import PayoutMethod, PayoutMethodChange
from plumbing import database
from plumbing.errors import ApiError
from plumbing.vault import Vault
from referrals.identity import mask_phone
from referrals.sharers import get_sharer

RESEND_AFTER = timedelta(minutes=1)
WINDOW = timedelta(hours=1)
MAX_CODES_PER_WINDOW = 5
PHONE_SETTLE = timedelta(hours=48)


def pending_change(session: Session, sharer_id: int, now: datetime) -> PayoutMethodChange | None:
    """The sharer's change still waiting for its code (None when none, confirmed or expired)."""
    change = session.get(PayoutMethodChange, sharer_id)
    if change is None or change.confirmed_at is not None or change.expires_at <= now:
        return None
    return change


def propose_change(session: Session, vault: Vault, secret: str, workspace_id: int, sharer_id: int,
                   rail_name: str, account: dict, now: datetime) -> tuple[PayoutMethodChange, str]:
    """Keep a seller's new payout method aside and make the code that confirms it: ``(change, code)``.
    The caller commits, then texts the code (accounts.sms.enqueue_sign_in_code).

    :raise ApiError 404: no such sharer or rail. :raise ApiError 422: a bad account.
    :raise ApiError 409: the seller has no phone number to text a code to (``phone_required``), or it
        changed less than two days ago (``phone_recently_changed``).
    :raise ApiError 429: a code was texted less than a minute ago, or five this hour.
    """
    database.lock(session, f"payout-method:{sharer_id}")
    sharer = get_sharer(session, workspace_id, sharer_id)
    sealed, masked = sealed_account(vault, rail_name, account)
    if not sharer.phone:
        raise ApiError(409, "phone_required", "Add your mobile number first (on your profile): a change of "
                                              "payout method is confirmed with a code texted to it.")
    if sharer.phone_changed_at is not None and now - sharer.phone_changed_at < PHONE_SETTLE:
        settled = sharer.phone_changed_at + PHONE_SETTLE
        raise ApiError(409, "phone_recently_changed",
                       "Your phone number changed less than two days ago: for your safety, payout details can "
                       f"change again from {settled.isoformat(timespec='minutes')}.",
                       {"retry_after": int((settled - now).total_seconds()) + 1})
    change = session.get(PayoutMethodChange, sharer_id)
    if change is not None and change.confirmed_at is None and now - change.sent_at < RESEND_AFTER:
        wait = int((change.sent_at + RESEND_AFTER - now).total_seconds()) + 1
        raise ApiError(429, "code_too_soon", f"A code was texted less than a minute ago; ask again in {wait} s.",
                       {"retry_after": wait})
    fresh_window = change is None or now - change.window_started_at >= WINDOW
    if not fresh_window and change.codes_sent >= MAX_CODES_PER_WINDOW:
        raise ApiError(429, "too_many_codes", "Five codes were texted this hour; try again later.")
    code = phone_codes.issue_code(session, secret, sharer.phone, now)
    if change is None:
        change = PayoutMethodChange(sharer_id=sharer_id, workspace_id=workspace_id)
        session.add(change)
    if fresh_window:
        change.window_started_at, change.codes_sent = now, 0
    change.rail, change.sealed, change.masked, change.phone = rail_name, sealed, masked, sharer.phone
    change.sent_at, change.expires_at, change.confirmed_at = now, now + LIFETIME, None
    change.codes_sent += 1
    return change, code


REFUSALS = {
    Outcome.WRONG: (400, "invalid_code", "This code is not right. Check the SMS and try again."),
    Outcome.EXPIRED: (400, "code_expired", "This code has expired or was used already. Ask for a new one."),
    Outcome.TOO_MANY: (429, "too_many_attempts", "Too many wrong tries. Ask for a new code."),
}


def confirm_change(session: Session, secret: str, workspace_id: int, sharer_id: int, code: str,
                   now: datetime) -> tuple[PayoutMethod | None, ApiError | None]:
    """Make the waiting change the payout method if ``code`` is the one texted for it: ``(method, None)``,
    or ``(None, refusal)`` for a wrong code (``invalid_code`` 400), one expired or used (``code_expired``
    400) or too many wrong tries (``too_many_attempts`` 429). The caller commits either way (a wrong
    code spends one of its tries), then raises the refusal.

    :raise ApiError 404: no such sharer. :raise ApiError 409: no change waiting (``no_pending_change``).
    """
    database.lock(session, f"payout-method:{sharer_id}")
    get_sharer(session, workspace_id, sharer_id)
    change = pending_change(session, sharer_id, now)
    if change is None:
        raise ApiError(409, "no_pending_change", "No change of payout method is waiting for a code; "
                                                 "set the new method again.")
    outcome = phone_codes.check_code(session, secret, change.phone, code.strip(), now)
    if outcome is not Outcome.OK:
        return None, ApiError(*REFUSALS[outcome])
    change.confirmed_at = now
    return apply_payout_method(session, workspace_id, sharer_id, change.rail, change.sealed, change.masked), None


def pending_json(change: PayoutMethodChange | None) -> dict | None:
    if change is None:
        return None
    return {"rail": change.rail, "account": change.masked, "code_sent_to": mask_phone(change.phone),
            "expires_at": change.expires_at}
