"""Connecting a platform: its settings validated by its adapter, sealed, and an inbound address."""
from __future__ import annotations

import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from integrations import REGISTRY
from integrations.base import Adapter
from integrations.models import Integration, IntegrationDelivery
from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.vault import Vault


def adapter_for(provider: str) -> Adapter:
    """:raise ApiError 404: no such integration."""
    if provider not in REGISTRY:
        raise ApiError(404, "not_found", f"No such integration; one of {', '.join(REGISTRY)}.")
    return REGISTRY[provider]


def inbound_url(public_url: str, row: Integration) -> str:
    return f"{public_url}/hooks/{row.provider}/{row.token}"


def connect(session: Session, vault: Vault, workspace_id: int, provider: str, given: dict) -> dict:
    """Store (or replace) the platform's settings; the inbound address stays the same. The caller commits.

    :return: the settings Sharecast made (e.g. a signing secret), to show this once.

    :raise ApiError 404: unknown provider. :raise ApiError 422: settings the adapter refuses.
    """
    adapter = adapter_for(provider)
    try:
        clean = adapter.validate(given)
    except ValueError as exc:
        raise ApiError(422, "validation_error", f"The {adapter.title} settings are invalid.", exc.args[0]) from None
    row = find(session, workspace_id, provider)
    if row is None:
        row = Integration(workspace_id=workspace_id, provider=provider, token=secrets.token_urlsafe(24))
        session.add(row)
    row.sealed, row.field_names, row.updated_at = vault.seal(clean), sorted(clean), utcnow()
    session.flush()
    return {k: clean[k] for k in adapter.generated if not given.get(k)}


def find(session: Session, workspace_id: int, provider: str) -> Integration | None:
    return session.scalar(select(Integration).where(Integration.workspace_id == workspace_id,
                                                    Integration.provider == provider))


def disconnect(session: Session, workspace_id: int, provider: str) -> None:
    """Forget the platform: its address answers 404 at once. :raise ApiError 404: not connected."""
    row = find(session, workspace_id, provider)
    if row is None:
        raise ApiError(404, "not_found", "This integration is not connected.")
    session.execute(delete(IntegrationDelivery).where(IntegrationDelivery.integration_id == row.id))
    session.delete(row)


def deliveries(session: Session, integration_id: int, limit: int = 10) -> list[IntegrationDelivery]:
    """The integration's latest deliveries, newest first (the console's log)."""
    return list(session.scalars(select(IntegrationDelivery).where(IntegrationDelivery.integration_id == integration_id)
                                .order_by(IntegrationDelivery.id.desc()).limit(limit)))


def overview(session: Session, workspace_id: int, public_url: str) -> list[dict]:
    """Every integration, connected or not, with its inbound address when connected."""
    rows = {r.provider: r for r in session.scalars(select(Integration).where(Integration.workspace_id == workspace_id))}
    return [{"provider": name, "title": adapter.title, "settings": list(adapter.fields),
             "connected": name in rows, "id": rows[name].id if name in rows else None,
             "fields": rows[name].field_names if name in rows else [],
             "webhook_url": inbound_url(public_url, rows[name]) if name in rows else None,
             "last_received_at": rows[name].last_received_at if name in rows else None}
            for name, adapter in REGISTRY.items()]
