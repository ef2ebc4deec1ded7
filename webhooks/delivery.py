"""Sending one delivery: claim it, sign and POST it, record the attempt.

The three steps are separate so no transaction stays open during the HTTP
call: ``claim`` (short transaction) marks the attempt as taken, so a job run
twice sends once; ``send`` is the network call; ``record`` (short
transaction) logs the attempt and decides the retry. ``retry_delay`` is the
pure backoff schedule.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

import outbound
import signing
from database import utcnow
from vault import Vault
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

FINAL = ("succeeded", "failed", "cancelled")


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


def retry_delay(attempt: int, base_seconds: float, cap_seconds: float) -> timedelta:
    """Wait after failed attempt ``attempt`` (1-based): base × 4^(attempt-1), at most the cap."""
    return timedelta(seconds=min(base_seconds * 4 ** (attempt - 1), cap_seconds))


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
    except outbound.TargetRefused as exc:
        error = f"refused: {exc}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    return Result(now, int((time.monotonic() - started) * 1000), code, error)


def record(session: Session, claimed: Claim, result: Result, now: datetime, base_seconds: float,
           cap_seconds: float, max_age: timedelta) -> timedelta | None:
    """Log the attempt; returns the wait before the next one, or None when the delivery is over."""
    delivery = session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == claimed.delivery_id)
                              .with_for_update())
    session.add(WebhookAttempt(delivery_id=delivery.id, number=claimed.attempt, started_at=result.started_at,
                               duration_ms=result.duration_ms, status_code=result.status_code, error=result.error))
    delivery.last_status_code, delivery.last_error = result.status_code, result.error
    if result.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "succeeded", now, None
        return None
    delay = retry_delay(claimed.attempt, base_seconds, cap_seconds)
    if now + delay > delivery.created_at + max_age:
        delivery.status, delivery.next_attempt_at = "failed", None
        return None
    delivery.status, delivery.next_attempt_at = "retrying", now + delay
    return delay


def stuck(session: Session, model, now: datetime, lease: timedelta, late: timedelta) -> list[tuple[int, int]]:
    """``(id, next attempt number)`` of outbox rows whose job must have been lost.

    ``model`` is an outbox table with ``status``, ``attempts``, ``created_at``,
    ``claimed_at`` and ``next_attempt_at`` (webhook deliveries, seller notices):
    pending a while after it was written (the enqueue after commit failed), sending
    for longer than the lease (the worker died mid-send), or retrying well past its
    planned time (the delayed job was lost).
    """
    rows = session.execute(select(model.id, model.attempts).where(or_(
        and_(model.status == "pending", model.created_at < now - late),
        and_(model.status == "sending", model.claimed_at < now - lease),
        and_(model.status == "retrying", model.next_attempt_at < now - late))).order_by(model.id))
    return [(row_id, attempts + 1) for row_id, attempts in rows]
