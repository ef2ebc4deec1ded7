"""Receiving a platform's notification: verify, read, record each sale or refund once.

A notification is all or nothing: every event in it is recorded in one
transaction, or none is. Replays answer as the first delivery did (the
conversion service's idempotency), so the platform's retries change nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integrations import REGISTRY
from integrations.base import BadPayload, BadSignature, Reply
from integrations.models import Integration
from plumbing import database
from plumbing.errors import ApiError
from plumbing.money import format_amount, parse_amount
from plumbing.vault import Vault
from referrals.conversions import record_conversion
from referrals.models import Conversion
from referrals.schemas import ConversionIn


class NotFound(Exception):
    """No connected integration at this address."""


def receive(reader: Session, writer: Session, vault: Vault, provider: str, token: str, headers, body: bytes,
            now: datetime, public_url: str, write_click: Callable[[str], None]) -> Reply:
    """Handle one delivery: check and read it with ``reader`` (no write lock held, so buffered
    clicks can be written meanwhile), then record it with ``writer``, which it commits.

    :raise NotFound: unknown provider or token (answer 404).
    :return: what the platform expects: its own success answer, or 401 (bad signature),
        400 (unreadable), 409 or 422 (the conversion service refused; nothing stored).
    """
    adapter = REGISTRY.get(provider)
    row = reader.scalar(select(Integration).where(Integration.provider == provider, Integration.token == token)) \
        if adapter else None
    if row is None:
        raise NotFound(provider)
    settings = vault.open(row.sealed)
    try:
        adapter.verify(headers, body, settings, now)
    except BadSignature as exc:
        return adapter.refused(401, f"signature: {exc}")
    try:
        events = [(e, ConversionIn().load(e.conversion())) for e in adapter.events(headers, body, settings)]
    except BadPayload as exc:
        return adapter.refused(400, str(exc))
    except ValidationError as exc:
        return adapter.refused(422, f"not a valid order: {exc.messages}")
    for _event, data in events:
        if data.get("click_id"):
            write_click(data["click_id"])  # it may still wait in the buffer
    try:
        for event, data in events:
            if event.cumulative:
                data = _new_part(writer, row.workspace_id, data)
            if data is not None:
                _record(writer, row.workspace_id, data, public_url)
    except ApiError as exc:
        writer.rollback()
        return adapter.refused(exc.status, exc.message)
    writer.get(Integration, row.id).last_received_at = now
    writer.commit()
    return adapter.accepted()


def _record(session: Session, workspace_id: int, data: dict, public_url: str) -> None:
    """Record one sale or refund. A refund whose lines do not fit what was recorded of its sale
    (a platform counting its lines its own way, or a sale recorded without lines) is recorded
    without them, refunding the order as a whole: the platform's refund is never lost over its
    lines. Its re-delivery (which names the lines again) answers as that first recording did."""
    try:
        record_conversion(session, workspace_id, data, public_url)
    except ApiError as exc:  # (refused before anything was stored)
        lines_refused = any(name == "items" or name.startswith("items.") for name in exc.fields)
        if data["type"] != "refund" or not data.get("items") or not (
                lines_refused or exc.code == "conversion_conflict"):
            raise
        record_conversion(session, workspace_id, {k: v for k, v in data.items() if k != "items"}, public_url)


def _new_part(session: Session, workspace_id: int, data: dict) -> dict | None:
    """A refund given as the order's refunded total so far, as what is new since the last
    total recorded; None when nothing is (a re-delivery, or an older total arriving late)."""
    database.lock(session, f"order:{workspace_id}:{data['order_id']}")  # (the service takes it again)
    refunds = (Conversion.workspace_id == workspace_id, Conversion.type == "refund",
               Conversion.order_id == data["order_id"])
    if session.scalar(select(Conversion.id).where(*refunds, Conversion.refund_id == data["refund_id"])):
        return None
    before = session.scalar(select(func.coalesce(func.sum(Conversion.amount_minor), 0))
                            .where(*refunds, Conversion.currency == data["currency"]))
    new = parse_amount(data["amount"], data["currency"]) - before
    return {**data, "amount": format_amount(new, data["currency"])} if new > 0 else None
