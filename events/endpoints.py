"""Registering, listing and deleting webhook endpoints; reading their delivery log."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from events.emit import EVENTS
from events.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from plumbing import guarded_http, signing
from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.vault import Vault


def check_target(url: str, allow_private: bool, field: str = "url") -> None:
    """:raise ApiError 422: the URL may not be called (shape, private address, no DNS)."""
    try:
        guarded_http.check_url(url, allow_private)
    except guarded_http.TargetRefused as exc:
        raise ApiError(422, "validation_error", f"The URL cannot be used: {exc}.", {field: str(exc)}) from None


def register_endpoint(session: Session, vault: Vault, workspace_id: int, url: str, events: list[str],
                      allow_private: bool) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown to the caller once); the caller commits.

    :raise ApiError 422: unknown events, or a URL that may not be called.
    """
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise ApiError(422, "validation_error", "Unknown or missing events.",
                       {"events": f"choose from {', '.join(EVENTS)}"})
    check_target(url, allow_private)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(workspace_id=workspace_id, url=url, events=sorted(set(events), key=EVENTS.index),
                               secret_sealed=vault.seal(secret), created_at=utcnow())
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def get_endpoint(session: Session, workspace_id: int, endpoint_id: int) -> WebhookEndpoint:
    """:raise ApiError 404: no such (undeleted) endpoint in this workspace."""
    endpoint = session.scalar(select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.workspace_id == workspace_id,
        WebhookEndpoint.deleted_at.is_(None)))
    if endpoint is None:
        raise ApiError(404, "not_found", "No such webhook endpoint.")
    return endpoint


def list_endpoints(session: Session, workspace_id: int) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.deleted_at.is_(None))
        .order_by(WebhookEndpoint.id)))


def delete_endpoint(session: Session, workspace_id: int, endpoint_id: int) -> None:
    """Stop sending to the endpoint; its log stays. :raise ApiError 404: no such endpoint."""
    get_endpoint(session, workspace_id, endpoint_id).deleted_at = utcnow()


def list_deliveries(session: Session, workspace_id: int, endpoint_id: int, before: int | None,
                    limit: int) -> tuple[list[tuple[WebhookDelivery, list[WebhookAttempt]]], int | None]:
    """Newest deliveries first, each with its attempts; and the cursor for older ones."""
    get_endpoint(session, workspace_id, endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    rows = list(session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    attempts: dict[int, list[WebhookAttempt]] = {d.id: [] for d in rows}
    if rows:
        for a in session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(attempts))
                                 .order_by(WebhookAttempt.number)):
            attempts[a.delivery_id].append(a)
    return [(d, attempts[d.id]) for d in rows], (rows[-1].id if more else None)
