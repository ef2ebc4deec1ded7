"""One-time codes: six digits, five minutes, single use, five tries. Sent by SMS to sign in or to
confirm a number (keyed by the number); the same codes, keyed by :func:`email_key`, confirm a change
of payout details for a seller reached only by email.

A code is stored as HMAC-SHA256(secret, phone + code), never in clear, so a
copy of the table gives nothing away. Checking spends an attempt with a
conditional UPDATE before comparing, so parallel guesses cannot exceed the cap;
a right code is used up with another conditional UPDATE, so two tabs racing
cannot both sign in with it. Rate limits per number and per address sit on the
routes (web/phone_sign_in.py).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.models import PhoneCode
from plumbing.database import utcnow
from referrals.models import Sharer

LIFETIME = timedelta(minutes=5)
MAX_ATTEMPTS = 5
DIGITS = 6


class Outcome(Enum):
    OK = "ok"
    WRONG = "wrong"  # not the code (an attempt spent)
    EXPIRED = "expired"  # no live code for the number: never sent, expired, used or out of tries
    TOO_MANY = "too_many"


def _hash(secret: str, phone: str, code: str) -> str:
    return hmac.new(secret.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def email_key(email: str) -> str:
    """What an emailed code is kept under (the ``phone`` column's 32 characters): the address's digest."""
    return "mail:" + hashlib.sha256(email.encode()).hexdigest()[:27]


def issue_code(session: Session, secret: str, phone: str, now: datetime | None = None) -> str:
    """A new code for ``phone`` (E.164); earlier live codes of the number stop working. The caller commits."""
    now = now or utcnow()
    session.execute(update(PhoneCode).where(PhoneCode.phone == phone, PhoneCode.used_at.is_(None))
                    .values(used_at=now))
    code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
    session.add(PhoneCode(phone=phone, code_hash=_hash(secret, phone, code), expires_at=now + LIFETIME,
                          created_at=now))
    session.flush()
    return code


def check_code(session: Session, secret: str, phone: str, code: str, now: datetime | None = None) -> Outcome:
    """Spend one attempt on ``code`` for ``phone``; OK uses the code up. The caller commits."""
    now = now or utcnow()
    row = session.scalar(select(PhoneCode).where(PhoneCode.phone == phone, PhoneCode.used_at.is_(None),
                                                 PhoneCode.expires_at > now)
                         .order_by(PhoneCode.created_at.desc(), PhoneCode.id.desc()).limit(1))
    if row is None:
        return Outcome.EXPIRED
    spent = session.execute(update(PhoneCode).where(PhoneCode.id == row.id, PhoneCode.attempts < MAX_ATTEMPTS,
                                                    PhoneCode.used_at.is_(None))
                            .values(attempts=PhoneCode.attempts + 1)
                            .execution_options(synchronize_session=False)).rowcount
    if spent != 1:
        return Outcome.TOO_MANY
    shaped = len(code) == DIGITS and code.isdigit()
    if not shaped or not hmac.compare_digest(row.code_hash, _hash(secret, phone, code)):
        return Outcome.WRONG
    used = session.execute(update(PhoneCode).where(PhoneCode.id == row.id, PhoneCode.used_at.is_(None))
                           .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    return Outcome.OK if used == 1 else Outcome.EXPIRED


def sharers_by_phone(session: Session, phone: str) -> list[Sharer]:
    """Every sharer (in any workspace) with this number, oldest first."""
    return list(session.scalars(select(Sharer).where(Sharer.phone == phone).order_by(Sharer.id)))
