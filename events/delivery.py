"""Sending one delivery: claim it, sign and POST it, record the attempt.

The three steps are separate so no transaction stays open during the HTTP
call: ``claim`` (short transaction) marks the attempt as taken, so a job run
twice sends once; ``send`` is the network call; ``record`` (short
transaction) logs the attempt and decides the retry.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from events.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from plumbing import guarded_http, signing
from plumbing.database import utcnow
from plumbing.vault import Vault

FINAL = ("succeeded", "failed", "cancelled")


def oldest_waiting(session: Session) -> datetime | None:
    """When the oldest delivery not yet settled was created (None when all are)."""
    return session.scalar(select(func.min(WebhookDelivery.created_at)).where(WebhookDelivery.status.not_in(FINAL)))


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    attempt: int
    url: str
    secret: str
    message_id: str
    body: str


@dataclass(frozen=True)
class Result:
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def claim(session: Session, vault: Vault, delivery_id: int, attempt: int) -> Claim | None:
    """Take attempt ``attempt`` of a delivery; None when it is done, cancelled or already taken."""
    delivery = session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update())
    if delivery is None or delivery.status in FINAL or delivery.attempts >= attempt:
        return None
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint.deleted_at is not None:
        delivery.status, delivery.next_attempt_at = "cancelled", None
        return None
    delivery.attempts, delivery.status, delivery.next_attempt_at = attempt, "sending", None
    delivery.claimed_at = utcnow()
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    return Claim(delivery.id, attempt, endpoint.url, vault.open(endpoint.secret_sealed),
                 delivery.message_id, body)


def send(claimed: Claim, allow_private: bool, timeout: float, now: datetime) -> Result:
    """POST the claimed delivery; never raises, the failure is in the result."""
    started = time.monotonic()
    code, error = None, None
    try:
        res = signing.post_signed(claimed.url, claimed.secret, claimed.message_id, claimed.body,
                                  allow_private, timeout)
        code = res.status_code
        if not 200 <= code < 300:
            error = f"HTTP {code}: {res.text[:200]}"
    except guarded_http.TargetRefused as exc:
        error = f"refused: {exc}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    return Result(now, int((time.monotonic() - started) * 1000), code, error)


def record(session: Session, claimed: Claim, result: Result, now: datetime, delay: timedelta,
           max_age: timedelta) -> timedelta | None:
    """Log the attempt; returns ``delay`` (the wait before the next attempt), or None when
    the delivery is over (it succeeded, or the next attempt would come after ``max_age``)."""
    delivery = session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == claimed.delivery_id)
                              .with_for_update())
    session.add(WebhookAttempt(delivery_id=delivery.id, number=claimed.attempt, started_at=result.started_at,
                               duration_ms=result.duration_ms, status_code=result.status_code, error=result.error))
    delivery.last_status_code, delivery.last_error = result.status_code, result.error
    if result.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "succeeded", now, None
        return None
    if now + delay > delivery.created_at + max_age:
        delivery.status, delivery.next_attempt_at = "failed", None
        return None
    delivery.status, delivery.next_attempt_at = "retrying", now + delay
    return delay
