"""Claiming, doing and recording one publication. The job shell is publishing.publish_jobs.

Exactly once: a job claims the row with a conditional UPDATE (scheduled →
publishing, with a fresh claim token, or a stale claim older than the lease
taken over), does the work outside any transaction, and records the outcome
only while its token still holds. Copy-ready kit channels commit "published"
together with the sellers' notification and the webhook event, so they go out
exactly once. API channels send with the publication's stable key (receivers
that deduplicate see one post even if a worker died after sending).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from brand_accounts.models import PostMetric, PostState
from catalog.models import Campaign
from channels import publisher_for
from publishing.models import Publication
from publishing.slots import local, with_offset
from workspaces.models import Workspace


@dataclass(frozen=True)
class Claim:
    publication_id: int
    token: str
    attempt: int
    workspace_id: int
    campaign_id: int
    channel: str


class PublishFailed(Exception):
    """The publication did not go out. ``retryable``: trying later may succeed;
    ``retry_after``: the channel's own advice (seconds), when it gave one."""

    def __init__(self, message: str, retryable: bool = True, retry_after: float | None = None):
        super().__init__(message)
        self.message, self.retryable, self.retry_after = message, retryable, retry_after


def claim(session: Session, publication_id: int, now: datetime, lease: timedelta,
          early: timedelta = timedelta(seconds=2)) -> Claim | None:
    """Take the publication for this job, or None when it is not ours to do (done,
    cancelled, not due yet, or held by a live claim). ``early`` tolerates clocks
    that differ between machines. The caller commits at once."""
    token = secrets.token_hex(16)
    due = now + early
    result = session.execute(
        update(Publication).where(
            Publication.id == publication_id, Publication.publish_at <= due,
            or_(and_(Publication.status == "scheduled",
                     or_(Publication.next_attempt_at.is_(None), Publication.next_attempt_at <= due)),
                and_(Publication.status == "publishing", Publication.claimed_at < now - lease)))
        .values(status="publishing", claim_token=token, claimed_at=now, attempts=Publication.attempts + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    pub = session.get(Publication, publication_id, populate_existing=True)
    return Claim(pub.id, token, pub.attempts, pub.workspace_id, pub.campaign_id, pub.channel)


def _held(claimed: Claim):
    return (Publication.id == claimed.publication_id, Publication.claim_token == claimed.token,
            Publication.status == "publishing")


def record_published(session: Session, claimed: Claim, now: datetime, content_version: int,
                     external_id: str | None) -> bool:
    """Mark the publication published if our claim still holds; False when it was taken over."""
    result = session.execute(update(Publication).where(*_held(claimed)).values(
        status="published", published_at=now, content_version=content_version, external_id=external_id,
        error=None, next_attempt_at=None, claim_token=None).execution_options(synchronize_session=False))
    return result.rowcount == 1


def record_failure(session: Session, claimed: Claim, now: datetime, error: str, retryable: bool,
                   max_attempts: int, delay: timedelta) -> datetime | None:
    """Note the error; plan a retry (status back to scheduled) or fail for good.

    :return: when to try again, or None when the publication failed for good
        (or the claim was taken over meanwhile).
    """
    retry_at = now + delay if retryable and claimed.attempt < max_attempts else None
    values = {"error": error[:2000], "claim_token": None}
    values.update({"status": "scheduled", "next_attempt_at": retry_at} if retry_at else {"status": "failed"})
    result = session.execute(update(Publication).where(*_held(claimed)).values(**values)
                             .execution_options(synchronize_session=False))
    return retry_at if result.rowcount == 1 else None


def current_version(session: Session, campaign_id: int) -> int:
    return session.scalar(select(Campaign.content_version).where(Campaign.id == campaign_id))


def overdue(session: Session, now: datetime, lease: timedelta, late: timedelta) -> list[int]:
    """Publications whose job must have been lost: due a while ago and still waiting,
    or claimed by a worker that has not finished within the lease (killed)."""
    return list(session.scalars(select(Publication.id).where(or_(
        and_(Publication.status == "scheduled", Publication.publish_at <= now - late,
             or_(Publication.next_attempt_at.is_(None), Publication.next_attempt_at <= now - late)),
        and_(Publication.status == "publishing", Publication.claimed_at < now - lease)))))


# Publications as the API shows them: times as given, in UTC and in the workspace's zone.

def _iso(value) -> str | None:
    return value.isoformat() if value else None


def metrics_json(row: PostMetric | None) -> dict | None:
    """A publication's latest figures as the API shows them."""
    if row is None:
        return None
    return {"likes": row.likes, "reposts": row.reposts, "replies": row.replies, "views": row.views,
            "fetched_at": row.fetched_at.isoformat() if row.fetched_at else None, "error": row.error}


def state_json(row: PostState | None) -> dict | None:
    """Where the post stands on the platform, for one reviewed later (the Official Account)."""
    if row is None:
        return None
    return {"state": row.state, "url": row.url, "checked_at": _iso(row.checked_at), "error": row.error}


def publication_json(pub: Publication, zone: str, metrics: PostMetric | None = None,
                     state: PostState | None = None) -> dict:
    """``status`` is one of API.md's four: a claim in progress still shows as ``scheduled``.
    ``delivered_to`` says what publishing does there: ``account`` (posted to the brand's own
    account through the channel's API) or ``library`` (copy-ready: it goes live in the
    sellers' content library, and sellers post it themselves)."""
    posted_to = ("account" if pub.external_id else "library") if pub.status == "published" else None
    return {
        # Once published, where it went; before, where the channel's publishing goes (an API channel
        # with no account connected still fills the libraries: see ``posted_to``).
        "delivered_to": posted_to or ("library" if publisher_for(pub.channel) is None else "account"),
        "id": pub.id, "campaign_id": pub.campaign_id, "channel": pub.channel,
        "publish_at": with_offset(pub.publish_at, pub.publish_at_offset).isoformat(),
        "publish_at_utc": _iso(pub.publish_at), "publish_at_local": local(pub.publish_at, zone).isoformat(),
        "timezone": zone, "slot": pub.slot,
        "status": "scheduled" if pub.status == "publishing" else pub.status,
        "attempts": pub.attempts, "error": pub.error, "external_id": pub.external_id,
        "next_attempt_at": _iso(pub.next_attempt_at), "content_version": pub.content_version,
        "published_at": _iso(pub.published_at),
        # Which of the two happened: the brand's own account (it has the post's id there) or
        # the sellers' libraries only (a kit channel, or no account connected).
        "posted_to": posted_to,
        # How the post did on the brand's account (periodic job, publishing/post_metrics.py).
        "metrics": metrics_json(metrics),
        # Where the platform stands on it, when it decides later (publishing/post_states.py):
        # ``state`` (``publishing``, ``published``, ``failed_review``, ...) and the post's ``url``.
        "platform_state": state_json(state),
        "published_at_local": local(pub.published_at, zone).isoformat() if pub.published_at else None,
    }


def campaign_publications(session: Session, campaign_id: int, workspace_id: int) -> list[dict]:
    """Every publication of the campaign (cancelled ones too), by time."""
    zone = session.scalar(select(Workspace.timezone).where(Workspace.id == workspace_id))
    rows = session.execute(select(Publication, PostMetric, PostState).where(Publication.campaign_id == campaign_id)
                           .outerjoin(PostMetric, PostMetric.publication_id == Publication.id)
                           .outerjoin(PostState, PostState.publication_id == Publication.id)
                           .order_by(Publication.publish_at, Publication.id))
    return [publication_json(p, zone, m, st) for p, m, st in rows]
