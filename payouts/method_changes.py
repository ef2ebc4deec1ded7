"""A seller's change of payout method waits for a one-time code sent to them: texted to their phone,
or, for a seller with no phone number, emailed to their address.

Whoever holds a seller's session or key could otherwise send the seller's money to
their own account. So a seller's new method is kept aside (sealed, masked) and a
code goes to the contact already on the seller's record, through the same codes as
phone sign-in (accounts.phone_codes: six digits, five minutes, used once, five tries)
and the same senders (accounts.sms; the workspace's email, credentials.mail, as for
sign-in links). The change becomes the payout method only when that code is entered;
a wrong, expired or used code changes nothing. Staff set a method at once
(accounts.set_payout_method).

A seller with neither a phone number nor an email address adds one first (the profile
checks either before using it). Codes are sent at most once a minute and five times an
hour per seller. Since whoever holds a session could also put their own number or
address on the profile first, a change of payout method is refused for two days after
the phone number or the email address changed.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from accounts import phone_codes, sms
from accounts.phone_codes import LIFETIME, Outcome
from credentials import mail
from credentials.store import load_credentials
from payouts.accounts import apply_payout_method, sealed_account
from payouts.models import PayoutMethod, PayoutMethodChange
from plumbing import database
from plumbing.errors import ApiError
from plumbing.vault import Vault
from referrals.identity import mask_email, mask_phone
from referrals.sharers import get_sharer

RESEND_AFTER = timedelta(minutes=1)
WINDOW = timedelta(hours=1)
MAX_CODES_PER_WINDOW = 5
PHONE_SETTLE = timedelta(hours=48)  # after a new phone number or email address


def pending_change(session: Session, sharer_id: int, now: datetime) -> PayoutMethodChange | None:
    """The sharer's change still waiting for its code (None when none, confirmed or expired)."""
    change = session.get(PayoutMethodChange, sharer_id)
    if change is None or change.confirmed_at is not None or change.expires_at <= now:
        return None
    return change


def propose_change(session: Session, vault: Vault, secret: str, workspace_id: int, sharer_id: int,
                   rail_name: str, account: dict, now: datetime) -> tuple[PayoutMethodChange, str]:
    """Keep a seller's new payout method aside and make the code that confirms it: ``(change, code)``.
    The caller commits, then sends the code (:func:`send_code`): by SMS to the seller's phone, or, for
    a seller without one, by email to their address.

    :raise ApiError 404: no such sharer or rail. :raise ApiError 422: a bad account.
    :raise ApiError 409: the seller has neither a phone number nor an email address to send a code to
        (``phone_required``), or one of them changed less than two days ago (``phone_recently_changed``,
        ``email_recently_changed``), or, for a seller without a phone, the workspace has no email
        channel to send the code through (``email_unavailable``).
    :raise ApiError 429: a code was sent less than a minute ago, or five this hour.
    """
    database.lock(session, f"payout-method:{sharer_id}")
    sharer = get_sharer(session, workspace_id, sharer_id)
    sealed, masked = sealed_account(vault, rail_name, account)
    if not sharer.phone and not sharer.email:
        raise ApiError(409, "phone_required", "Add your mobile number or email address first (on your profile): "
                                              "a change of payout method is confirmed with a code sent to it.")
    for changed_at, refusal, what in ((sharer.phone_changed_at, "phone_recently_changed", "phone number"),
                                      (sharer.email_changed_at, "email_recently_changed", "email address")):
        if changed_at is not None and now - changed_at < PHONE_SETTLE:
            settled = changed_at + PHONE_SETTLE
            raise ApiError(409, refusal,
                           f"Your {what} changed less than two days ago: for your safety, payout details can "
                           f"change again from {settled.isoformat(timespec='minutes')}.",
                           {"retry_after": int((settled - now).total_seconds()) + 1})
    if not sharer.phone and load_credentials(session, vault, workspace_id, "email") is None:
        raise ApiError(409, "email_unavailable", "The programme cannot send email yet, so no code can reach you: "
                                                 "add your mobile number on your profile, or ask the brand.")
    change = session.get(PayoutMethodChange, sharer_id)
    if change is not None and change.confirmed_at is None and now - change.sent_at < RESEND_AFTER:
        wait = int((change.sent_at + RESEND_AFTER - now).total_seconds()) + 1
        raise ApiError(429, "code_too_soon", f"A code was sent less than a minute ago; ask again in {wait} s.",
                       {"retry_after": wait})
    fresh_window = change is None or now - change.window_started_at >= WINDOW
    if not fresh_window and change.codes_sent >= MAX_CODES_PER_WINDOW:
        raise ApiError(429, "too_many_codes", "Five codes were sent this hour; try again later.")
    email = None if sharer.phone else sharer.email
    code = phone_codes.issue_code(session, secret, _code_key(sharer.phone, email), now)
    if change is None:
        change = PayoutMethodChange(sharer_id=sharer_id, workspace_id=workspace_id)
        session.add(change)
    if fresh_window:
        change.window_started_at, change.codes_sent = now, 0
    change.rail, change.sealed, change.masked, change.phone, change.email = rail_name, sealed, masked, sharer.phone, email
    change.sent_at, change.expires_at, change.confirmed_at = now, now + LIFETIME, None
    change.codes_sent += 1
    return change, code


def _code_key(phone: str | None, email: str | None) -> str:
    return phone or phone_codes.email_key(email)


def send_code(change: PayoutMethodChange, code: str, name: str, brand: str, page_url: str) -> None:
    """Send the code :func:`propose_change` made (after the commit): a text to the phone, or an email
    (in the request's language, through the workspace's SMTP, as sign-in links) naming the page to enter it."""
    if change.phone:
        sms.enqueue_sign_in_code(change.phone, code)
        return
    subject = _("Your code to change how %(brand)s pays you", brand=brand)
    text = _("Hello %(name)s,\n\nYour code is %(code)s. Enter it within five minutes on the page where you "
             "changed how you are paid:\n%(link)s\n\nIf you did not ask for it, do not share the code: "
             "nothing changes without it.", name=name, code=code, link=page_url)
    mail.enqueue_sign_in_link(change.workspace_id, change.email, subject, text, page_url)


REFUSALS = {
    Outcome.WRONG: (400, "invalid_code", "This code is not right. Check the message and try again."),
    Outcome.EXPIRED: (400, "code_expired", "This code has expired or was used already. Ask for a new one."),
    Outcome.TOO_MANY: (429, "too_many_attempts", "Too many wrong tries. Ask for a new code."),
}


def confirm_change(session: Session, secret: str, workspace_id: int, sharer_id: int, code: str,
                   now: datetime) -> tuple[PayoutMethod | None, ApiError | None]:
    """Make the waiting change the payout method if ``code`` is the one sent for it: ``(method, None)``,
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
    outcome = phone_codes.check_code(session, secret, _code_key(change.phone, change.email), code.strip(), now)
    if outcome is not Outcome.OK:
        return None, ApiError(*REFUSALS[outcome])
    change.confirmed_at = now
    return apply_payout_method(session, workspace_id, sharer_id, change.rail, change.sealed, change.masked), None


def pending_json(change: PayoutMethodChange | None) -> dict | None:
    if change is None:
        return None
    return {"rail": change.rail, "account": change.masked, "sent_by": "sms" if change.phone else "email",
            "code_sent_to": mask_phone(change.phone) if change.phone else mask_email(change.email),
            "expires_at": change.expires_at}
