"""Emitting events: delivery rows written in the caller's transaction, sent after it commits.

``emit`` adds one delivery per subscribed endpoint to the caller's session and
plans their first attempts for when it commits (:mod:`plumbing.outbox`); a
rolled-back transaction leaves no rows and sends nothing.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from events import jobs
from events.models import WebhookDelivery, WebhookEndpoint
from plumbing import signing
from plumbing.database import utcnow
from plumbing.outbox import enqueue_after_commit

EVENTS = ("post.published", "link.clicked", "sale.attributed", "commission.created",
          "commission.reversed", "sharer.enrolled")


def emit(session: Session, workspace_id: int, event_type: str, data: dict,
         endpoints: list[WebhookEndpoint] | None = None) -> list[int]:
    """Queue ``event_type`` with ``data`` (JSON-able) for every endpoint subscribed to it.

    Runs inside the caller's transaction; the caller commits, in an app
    context (or in a session made with :func:`plumbing.outbox.session_info`)
    so the commit can enqueue. Returns the new delivery ids (none when nobody listens).
    ``endpoints`` (from :func:`live_endpoints`) saves the lookup when one change emits several events.
    :raise ValueError: an unknown event type (a programming error).
    """
    if event_type not in EVENTS:
        raise ValueError(f"unknown webhook event {event_type!r}")
    if endpoints is None:
        endpoints = live_endpoints(session, workspace_id)
    subscribed = [e for e in endpoints if event_type in e.events]
    if not subscribed:
        return []
    now = utcnow()
    envelope = {"type": event_type, "timestamp": now.isoformat(), "data": data}
    deliveries = [WebhookDelivery(workspace_id=workspace_id, endpoint_id=e.id, event=event_type,
                                  message_id=signing.new_message_id(), payload=envelope, status="pending",
                                  attempts=0, created_at=now) for e in subscribed]
    session.add_all(deliveries)
    session.flush()
    ids = [d.id for d in deliveries]
    enqueue_after_commit(session, jobs.enqueue_first, ids)
    return ids


def live_endpoints(session: Session, workspace_id: int) -> list[WebhookEndpoint]:
    """The workspace's webhook endpoints that are not deleted."""
    return list(session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.deleted_at.is_(None))))


# What the rest of the code emits, shaped from what it already has.

def emit_sale(session: Session, workspace_id: int, sale: dict, endpoints: list[WebhookEndpoint] | None = None) -> None:
    """``sale.attributed``, ``commission.created`` each, and ``sharer.enrolled`` for a new buyer.
    ``endpoints``: the live ones when the caller knows them (``[]``: none), else they are looked up."""
    if endpoints is None:
        endpoints = live_endpoints(session, workspace_id)
    emit(session, workspace_id, "sale.attributed", sale, endpoints)
    context = {"conversion_id": sale.get("id"), "order_id": sale["order_id"],
               "campaign_id": sale.get("campaign_id"), "currency": sale["currency"]}
    for commission in sale.get("commissions") or []:
        emit(session, workspace_id, "commission.created", {**commission, **context}, endpoints)
    buyer = sale.get("customer_sharer")
    if buyer and buyer.get("new"):
        emit(session, workspace_id, "sharer.enrolled", {
            "sharer_id": buyer["id"], "share_url": buyer["share_url"], "invited_by": sale.get("sharer_id"),
            "order_id": sale["order_id"], "campaign_id": sale.get("campaign_id")}, endpoints)


def emit_reversals(session: Session, workspace_id: int, order_id: str, currency: str,
                   refund_id: int, reversals: list[dict]) -> None:
    """``commission.reversed`` for each reversal a refund caused."""
    for reversal in reversals:
        emit(session, workspace_id, "commission.reversed",
             {**reversal, "order_id": order_id, "currency": currency, "refund_conversion_id": refund_id})


def emit_clicks(session: Session, clicks: list) -> None:
    """One ``link.clicked`` per workspace for a written batch of clicks: objects with the attributes
    ``id``, ``workspace_id``, ``link_id``, ``campaign_id``, ``sharer_id``, ``channel``, ``clicked_at``,
    ``is_unique`` and ``bot`` (the click writer's). A workspace's payload is built only when one of its
    endpoints listens."""
    by_workspace: dict[int, list] = {}
    for c in clicks:
        by_workspace.setdefault(c.workspace_id, []).append(c)
    for workspace_id, theirs in by_workspace.items():
        endpoints = live_endpoints(session, workspace_id)
        if not any("link.clicked" in e.events for e in endpoints):
            continue
        emit(session, workspace_id, "link.clicked", {"count": len(theirs), "clicks": [{
            "id": c.id, "link_id": c.link_id, "campaign_id": c.campaign_id, "sharer_id": c.sharer_id,
            "channel": c.channel or None, "clicked_at": _iso(c.clicked_at), "unique": bool(c.is_unique),
            "bot": bool(c.bot)} for c in theirs]}, endpoints)


def _iso(value: datetime | str) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
