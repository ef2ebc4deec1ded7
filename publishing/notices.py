"""Seller notices: "new posts are in your library", by email and to the seller's own webhook.

An outbox. :func:`add_notices` runs in the publishing transaction (it is a
:func:`publishing.publish_jobs.announce` calls it) and writes one row per
seller and kind, unique per (publication, sharer, kind), so "published" and
its notices commit together, once. After commit an RQ job is planned for each
row after a short gathering delay (``SELLER_NOTICE_DELAY_SECONDS``); the first
job of a seller's campaign to run sends a *digest*: :func:`claim` takes, under
row locks, every pending row of that seller, kind and campaign whose
publication is published, and gives them all the digest's ``message_id``, so
one message lists every post that went live together and the other rows' jobs
find them taken. A job run twice or at once sends once. Email goes through the
workspace's ``email`` channel SMTP server, addressed to the seller; a
workspace without email credentials gets the row ``skipped`` with the reason,
nothing is faked. Channels not in the sellers' library (the webhook) get no
notices.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from credentials.models import ChannelCredential
from events.endpoints import check_target
from plumbing import signing
from plumbing.outbox import Enqueue, enqueue_after_commit
from plumbing.vault import Vault
from publishing.library import in_library
from publishing.models import Publication, SellerNotice
from publishing.publications import Claim
from referrals.models import Sharer

FINAL = ("succeeded", "failed", "skipped")
NO_MAIL_CREDENTIALS = ("the workspace has no email channel credentials to send with; "
                       "set them with PUT /api/v1/channels/email/credentials")
NOTICE_EVENT = "library.post_ready"


@dataclass(frozen=True)
class NoticeClaim:
    """One attempt at a digest: ``notice_id`` is the row whose job sends it (the lowest id of
    the rows sharing ``message_id``), ``publication_ids`` the posts it lists (oldest first)."""

    notice_id: int
    attempt: int
    kind: str
    workspace_id: int
    campaign_id: int
    publication_ids: tuple[int, ...]
    sharer_id: int
    message_id: str


def add_notices(session: Session, claimed: Claim, content_version: int, enqueue_first: Enqueue) -> list[int]:
    """Outbox rows for every seller of the workspace who wants to hear of ``claimed`` going
    live; ``enqueue_first(queue, id)`` plans each when the caller commits. Returns the ids
    of the rows to send.

    None for a channel not in the sellers' library (the webhook).
    """
    if not in_library(claimed.channel):
        return []
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
    enqueue_after_commit(session, enqueue_first, ids)
    return ids


def _digest(session: Session, message_id: str, lock: bool = False) -> list[SellerNotice]:
    query = select(SellerNotice).where(SellerNotice.message_id == message_id).order_by(SellerNotice.id)
    return list(session.scalars(query.with_for_update() if lock else query))


def claim(session: Session, notice_id: int, attempt: int, now: datetime) -> NoticeClaim | None:
    """Take attempt ``attempt`` of the digest led by notice ``notice_id``.

    On the first attempt the digest gathers every pending row of the same seller, kind and
    campaign whose publication is published; a retry sends the same rows again under the
    same message id. The rows are locked in id order (no deadlock between two jobs of one
    seller). None when the notice is over, that attempt is already taken, or the row was
    gathered into another row's digest.
    """
    notice = session.get(SellerNotice, notice_id)
    if notice is None:
        return None
    campaign_id = session.scalar(select(Publication.campaign_id).where(Publication.id == notice.publication_id))
    candidates = (select(SellerNotice.id).join(Publication, Publication.id == SellerNotice.publication_id)
                  .where(SellerNotice.sharer_id == notice.sharer_id, SellerNotice.kind == notice.kind,
                         Publication.campaign_id == campaign_id, SellerNotice.status.not_in(FINAL)))
    rows = {r.id: r for r in session.scalars(
        select(SellerNotice).where(or_(SellerNotice.id == notice_id, SellerNotice.id.in_(candidates)))
        .order_by(SellerNotice.id).with_for_update().execution_options(populate_existing=True))}
    notice = rows.get(notice_id)
    if notice is None or notice.status in FINAL or notice.attempts >= attempt:
        return None
    if session.scalar(select(SellerNotice.id).where(SellerNotice.message_id == notice.message_id,
                                                    SellerNotice.id < notice.id).limit(1)) is not None:
        return None  # gathered into another digest, whose job sends it
    if notice.attempts == 0:  # a new digest: every pending row of this seller's campaign, published
        published = set(session.scalars(select(Publication.id).where(
            Publication.id.in_([r.publication_id for r in rows.values()]), Publication.status == "published")))
        members = [r for r in rows.values() if r.id == notice_id or (
            r.status == "pending" and r.attempts == 0 and r.publication_id in published)]
    else:
        members = [r for r in rows.values() if r.message_id == notice.message_id]
    for row in members:
        row.attempts, row.status, row.next_attempt_at, row.claimed_at = attempt, "sending", None, now
        row.message_id = notice.message_id
    return NoticeClaim(notice.id, attempt, notice.kind, notice.workspace_id, campaign_id,
                       tuple(r.publication_id for r in members), notice.sharer_id, notice.message_id)


def record(session: Session, claimed: NoticeClaim, now: datetime, error: str | None, retryable: bool,
           delay: timedelta, max_age: timedelta) -> timedelta | None:
    """Note the attempt's outcome (``error`` None: sent) on every row of the digest; the wait
    before the next attempt, or None when it is over (sent, failed for good, or too old to retry)."""
    rows = _digest(session, claimed.message_id, lock=True)
    oldest = min(r.created_at for r in rows)
    if error is None:
        status, wait = "succeeded", None
    elif not retryable or now + delay > oldest + max_age:
        status, wait = "failed", None
    else:
        status, wait = "retrying", delay
    for row in rows:
        row.last_error, row.claimed_at, row.status = (error or None) and error[:2000], None, status
        if status == "succeeded":
            row.sent_at = now
        if status == "retrying":
            row.next_attempt_at = now + delay
    return wait


def skip(session: Session, claimed: NoticeClaim, reason: str) -> None:
    """The digest cannot be sent at all (no credentials, the seller opted out meanwhile)."""
    for row in _digest(session, claimed.message_id, lock=True):
        row.status, row.last_error, row.claimed_at = "skipped", reason, None


# What the seller reads (pure).

def notice_title(items: list[dict]) -> str:
    first = items[0]
    if len(items) == 1:
        return f"New post ready: {first['campaign_title']} · {first['name']}"
    return f"New posts ready: {first['campaign_title']} · {', '.join(i['name'] for i in items)}"


def notice_text(seller_name: str, items: list[dict], library_url: str) -> str:
    """The plain text of the email: every post ready to copy with their link, their library."""
    first = items[0]
    if len(items) == 1:
        lines = [f"{seller_name}, a new post is live in your Sharecast library: "
                 f"{first['campaign_title']} for {first['name']}.", "", "Your post, ready to copy:", ""]
    else:
        lines = [f"{seller_name}, {len(items)} new posts are live in your Sharecast library: "
                 f"{first['campaign_title']} for {', '.join(i['name'] for i in items)}.", "",
                 "Your posts, ready to copy:", ""]
    for item in items:
        if len(items) > 1:
            lines += [f"— {item['name']} —", ""]
        lines += [item["text"], ""]
        if item.get("link"):
            lines += [f"Your personal link: {item['link']}", ""]
    lines.append(f"All your ready posts: {library_url}")
    return "\n".join(lines)


def notice_json(sharer_id: int, items: list[dict], library_url: str) -> dict:
    """The body of the signed webhook notice: one per campaign go-live, every post in ``posts``."""
    first = items[0]
    return {"type": NOTICE_EVENT, "data": {
        "sharer_id": sharer_id, "campaign_id": first["campaign_id"], "campaign_name": first["campaign_name"],
        "campaign_title": first["campaign_title"],
        "code": first["code"], "library_url": library_url,
        "posts": [{"publication_id": item["publication_id"], "channel": item["channel"], "name": item["name"],
                   "title": item["title"], "text": item["text"], "link": item["link"],
                   "images": [{"url": i["url"], "width": i["width"], "height": i["height"]} for i in item["images"]],
                   "published_at": item["published_at"], "content_version": item["content_version"]}
                  for item in items]}}


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
