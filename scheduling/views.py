"""Publications as the API shows them: times as given, in UTC and in the workspace's zone."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduling.models import Publication
from scheduling.times import local, with_offset
from workspaces.models import Workspace


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def publication_json(pub: Publication, zone: str) -> dict:
    """``status`` is one of API.md's four: a claim in progress still shows as ``scheduled``."""
    return {
        "id": pub.id, "campaign_id": pub.campaign_id, "channel": pub.channel,
        "publish_at": with_offset(pub.publish_at, pub.publish_at_offset).isoformat(),
        "publish_at_utc": _iso(pub.publish_at), "publish_at_local": local(pub.publish_at, zone).isoformat(),
        "timezone": zone, "slot": pub.slot,
        "status": "scheduled" if pub.status == "publishing" else pub.status,
        "attempts": pub.attempts, "error": pub.error, "external_id": pub.external_id,
        "next_attempt_at": _iso(pub.next_attempt_at), "content_version": pub.content_version,
        "published_at": _iso(pub.published_at),
        "published_at_local": local(pub.published_at, zone).isoformat() if pub.published_at else None,
    }


def campaign_publications(session: Session, campaign_id: int, workspace_id: int) -> list[dict]:
    """Every publication of the campaign (cancelled ones too), by time."""
    zone = session.scalar(select(Workspace.timezone).where(Workspace.id == workspace_id))
    rows = session.scalars(select(Publication).where(Publication.campaign_id == campaign_id)
                           .order_by(Publication.publish_at, Publication.id))
    return [publication_json(p, zone) for p in rows]
