"""What happens in the same transaction as "published": the webhook event and seller notices.

Both are written in the publishing transaction, so they happen exactly once
with it: ``post.published`` is a webhook delivery row, and each seller's
notice (email, their own webhook) an outbox row; all are sent after commit.
:data:`SELLER_NOTIFIERS` lists the notifiers: callables ``(session, claim,
content_version)`` adding their outbox rows to the session.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from database import utcnow
from scheduling.notices import add_notices
from scheduling.publish import Claim
from webhooks.events import emit

SELLER_NOTIFIERS: list[Callable[[Session, Claim, int], object]] = [add_notices]


def published(session: Session, claimed: Claim, content_version: int, external_id: str | None) -> None:
    emit(session, claimed.workspace_id, "post.published", {
        "publication_id": claimed.publication_id, "campaign_id": claimed.campaign_id,
        "channel": claimed.channel, "content_version": content_version, "external_id": external_id,
        "published_at": utcnow().isoformat()})
    notify_sellers(session, claimed, content_version)


def notify_sellers(session: Session, claimed: Claim, content_version: int) -> None:
    """Tell every seller a new post is in their library (see :data:`SELLER_NOTIFIERS`)."""
    for notifier in SELLER_NOTIFIERS:
        notifier(session, claimed, content_version)
