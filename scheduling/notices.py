"""Seller notices: "a new post is in your library", by email and to the seller's own webhook.

An outbox. :func:`add_notices` runs in the publishing transaction (it is a
:data:`scheduling.notify.SELLER_NOTIFIERS` entry) and writes one row per
seller and kind, unique per (publication, sharer, kind), so "published" and
its notices commit together, once. After commit an RQ job sends each row
(:mod:`scheduling.notice_jobs`); :func:`claim` marks the attempt taken, so a
job run twice sends once. Email goes through the workspace's ``email``
channel SMTP server, addressed to the seller; a workspace without email
credentials gets the row ``skipped`` with the reason, nothing is faked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import signing
from credentials.models import ChannelCredential
from referrals.models import Sharer
from scheduling.models import SellerNotice
from scheduling.publish import Claim
from vault import Vault
from webhooks.endpoints import check_target
from webhooks.events import enqueue_after_commit

FINAL = ("succeeded", "failed", "skipped")
NO_MAIL_CREDENTIALS = ("the workspace has no email channel credentials to send with; "
                       "set them with PUT /api/v1/channels/email/credentials")
NOTICE_EVENT = "library.post_ready"


@dataclass(frozen=True)
class NoticeClaim:
    notice_id: int
    attempt: int
    kind: str
    workspace_id: int
    publication_id: int
    sharer_id: int
    message_id: str


def add_notices(session: Session, claimed: Claim, content_version: int) -> list[int]:
    """Outbox rows for every seller of the workspace who wants to hear of ``claimed`` going
    live; enqueued when the caller commits. Returns the ids of the rows to send."""
    sharers = session.execute(select(Sharer.id, Sharer.email, Sharer.notify_email, Sharer.notify_url)
                              .where(Sharer.workspace_id == claimed.workspace_id).order_by(Sharer.id)).all()
    can_mail = session.scalar(select(ChannelCredential.id).where(
        ChannelCredential.workspace_id == claimed.workspace_id, ChannelCredential.channel == "email")) is not None
    rows = []
    for sharer_id, email, notify_email, notify_url in sharers:
        wanted = [("email", None if can_mail else NO_MAIL_CREDENTIALS)] if email and notify_email else []
        wanted += [("webhook", None)] if notify_url else []
        rows += [SellerNotice(workspace_id=claimed.workspace_id, publication_id=claimed.publication_id,
                              sharer_id=sharer_id, kind=kind, status="skipped" if why else "pending",
                              last_error=why, attempts=0, message_id=signing.new_message_id())
                 for kind, why in wanted]
    session.add_all(rows)
    session.flush()
    ids = [r.id for r in rows if r.status == "pending"]
    from scheduling import notice_jobs

    enqueue_after_commit(session, notice_jobs.enqueue_first, ids)
    return ids


def claim(session: Session, notice_id: int, attempt: int, now: datetime) -> NoticeClaim | None:
    """Take attempt ``attempt`` of a notice; None when it is over or that attempt is already taken."""
    notice = session.scalar(select(SellerNotice).where(SellerNotice.id == notice_id).with_for_update())
    if notice is None or notice.status in FINAL or notice.attempts >= attempt:
        return None
    notice.attempts, notice.status, notice.next_attempt_at, notice.claimed_at = attempt, "sending", None, now
    return NoticeClaim(notice.id, attempt, notice.kind, notice.workspace_id, notice.publication_id,
                       notice.sharer_id, notice.message_id)


def record(session: Session, claimed: NoticeClaim, now: datetime, error: str | None, retryable: bool,
           delay: timedelta, max_age: timedelta) -> timedelta | None:
    """Note the attempt's outcome (``error`` None: sent); the wait before the next attempt,
    or None when the notice is over (sent, failed for good, or too old to retry)."""
    notice = session.scalar(select(SellerNotice).where(SellerNotice.id == claimed.notice_id).with_for_update())
    notice.last_error, notice.claimed_at = (error or None) and error[:2000], None
    if error is None:
        notice.status, notice.sent_at = "succeeded", now
        return None
    if not retryable or now + delay > notice.created_at + max_age:
        notice.status = "failed"
        return None
    notice.status, notice.next_attempt_at = "retrying", now + delay
    return delay


def skip(session: Session, claimed: NoticeClaim, reason: str) -> None:
    """The notice cannot be sent at all (no credentials, the seller opted out meanwhile)."""
    notice = session.get(SellerNotice, claimed.notice_id)
    notice.status, notice.last_error, notice.claimed_at = "skipped", reason, None


# What the seller reads (pure).

def notice_title(item: dict) -> str:
    return f"New post ready: {item['campaign_name']} · {item['name']}"


def notice_text(seller_name: str, item: dict, library_url: str) -> str:
    """The plain text of the email: the post ready to copy, their link, their library."""
    lines = [f"{seller_name}, a new post is live in your Sharecast library: "
             f"{item['campaign_name']} for {item['name']}.", "", "Your post, ready to copy:", "", item["text"], ""]
    if item.get("link"):
        lines.append(f"Your personal link: {item['link']}")
    lines.append(f"All your ready posts: {library_url}")
    return "\n".join(lines)


def notice_json(sharer_id: int, item: dict, library_url: str) -> dict:
    """The body of the signed webhook notice."""
    return {"type": NOTICE_EVENT, "data": {
        "sharer_id": sharer_id, "publication_id": item["publication_id"], "campaign_id": item["campaign_id"],
        "campaign_name": item["campaign_name"], "channel": item["channel"], "name": item["name"],
        "title": item["title"], "text": item["text"], "link": item["link"], "code": item["code"],
        "images": [{"url": i["url"], "width": i["width"], "height": i["height"]} for i in item["images"]],
        "published_at": item["published_at"], "content_version": item["content_version"],
        "library_url": library_url}}


# The seller's settings.

def notifications_json(sharer: Sharer, secret: str | None = None) -> dict:
    out = {"sharer_id": sharer.id, "email": sharer.notify_email, "email_address": bool(sharer.email),
           "webhook_url": sharer.notify_url}
    return {**out, "secret": secret} if secret else out


def set_notifications(session: Session, vault: Vault, sharer: Sharer, changes: dict, allow_private: bool) -> dict:
    """Apply ``email`` (bool) and/or ``webhook_url`` (a URL, or None to stop) from ``changes``.

    Setting a URL issues a fresh signing secret, answered this once. The caller commits.
    :raise ApiError 422: a URL that may not be called (shape, private address, no DNS).
    """
    if changes.get("email") is not None:
        sharer.notify_email = changes["email"]
    secret = None
    if "webhook_url" in changes:
        url = changes["webhook_url"]
        if url:
            check_target(url, allow_private, "webhook_url")
            secret = signing.new_secret()
        sharer.notify_url, sharer.notify_secret_sealed = url or None, vault.seal(secret) if secret else None
    session.flush()
    return notifications_json(sharer, secret)
