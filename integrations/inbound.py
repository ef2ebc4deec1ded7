"""Receiving a platform's notification: verify, read, record each sale or refund once.

A notification is all or nothing: every event in it is recorded in one
transaction, or none is. Replays answer as the first delivery did (the
conversion service's idempotency), so the platform's retries change nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from integrations import REGISTRY
from integrations.base import BadPayload, BadSignature, Reply
from integrations.models import Integration, IntegrationDelivery
from plumbing import database
from plumbing.errors import ApiError
from plumbing.money import format_amount, parse_amount
from plumbing.vault import Vault
from referrals.conversions import Outcome, record_conversion
from referrals.models import Conversion
from referrals.schemas import ConversionIn

KEEP_DELIVERIES = 50  # per integration, newest first: what the console's delivery log shows


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
        return _refused(writer, adapter, row.id, now, 401, f"signature: {exc}")
    try:
        events = [(e, ConversionIn().load(e.conversion())) for e in adapter.events(headers, body, settings)]
    except BadPayload as exc:
        return _refused(writer, adapter, row.id, now, 400, str(exc))
    except ValidationError as exc:
        return _refused(writer, adapter, row.id, now, 422, f"not a valid order: {exc.messages}")
    for _event, data in events:
        if data.get("click_id"):
            write_click(data["click_id"])  # it may still wait in the buffer
    orders = []
    try:
        for event, data in events:
            if event.cumulative:
                data = _new_part(writer, row.workspace_id, data)
            if data is not None:
                orders.append(_order_seen(data, _record(writer, row.workspace_id, data, public_url)))
    except ApiError as exc:
        writer.rollback()
        return _refused(writer, adapter, row.id, now, exc.status, exc.message)
    writer.get(Integration, row.id).last_received_at = now
    _log(writer, row.id, now, 200, None, orders)
    writer.commit()
    return adapter.accepted()


def _refused(writer: Session, adapter, integration_id: int, now: datetime, status: int, why: str) -> Reply:
    """The platform's refusal answer, the delivery logged (nothing else stored)."""
    _log(writer, integration_id, now, status, why, [])
    writer.commit()
    return adapter.refused(status, why)


def _log(session: Session, integration_id: int, now: datetime, status: int, outcome: str | None,
         orders: list[dict]) -> None:
    """Log one delivery and drop the integration's deliveries beyond the newest ``KEEP_DELIVERIES``."""
    session.add(IntegrationDelivery(integration_id=integration_id, received_at=now, status=status,
                                    outcome=outcome[:300] if outcome else None, orders=orders))
    session.flush()
    newest = select(IntegrationDelivery.id).where(IntegrationDelivery.integration_id == integration_id) \
        .order_by(IntegrationDelivery.id.desc()).limit(KEEP_DELIVERIES)
    session.execute(delete(IntegrationDelivery).where(IntegrationDelivery.integration_id == integration_id,
                                                      IntegrationDelivery.id.not_in(newest.scalar_subquery())))


def _order_seen(data: dict, outcome: Outcome) -> dict:
    """What the delivery log shows of one recorded sale or refund."""
    body = outcome.body
    return {"type": data["type"], "order_id": data["order_id"], "amount": body.get("amount", data["amount"]),
            "currency": body.get("currency", data.get("currency")), "attributed": bool(body.get("attributed")),
            "sharer_id": body.get("sharer_id"), "replay": outcome.status == 200}


def _record(session: Session, workspace_id: int, data: dict, public_url: str) -> Outcome:
    """Record one sale or refund. A refund whose lines do not fit what was recorded of its sale
    (a platform counting its lines its own way, or a sale recorded without lines) is recorded
    without them, refunding the order as a whole: the platform's refund is never lost over its
    lines. Its re-delivery (which names the lines again) answers as that first recording did."""
    try:
        return record_conversion(session, workspace_id, data, public_url)
    except ApiError as exc:  # (refused before anything was stored)
        lines_refused = any(name == "items" or name.startswith("items.") for name in exc.fields)
        if data["type"] != "refund" or not data.get("items") or not (
                lines_refused or exc.code == "conversion_conflict"):
            raise
        return record_conversion(session, workspace_id, {k: v for k, v in data.items() if k != "items"}, public_url)


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
