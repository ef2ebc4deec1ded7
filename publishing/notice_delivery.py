"""The seller-notice job and its sweep. Jobs take ids, open their own sessions, are safe to run twice.

The first attempt waits ``SELLER_NOTICE_DELAY_SECONDS`` (default 60) so that the
notices of a campaign going live on several channels at once gather into one
digest per seller (see :func:`publishing.notices.claim`).

Retries back off like webhook deliveries (the ``DELIVERY_RETRY_*`` settings,
up to ``DELIVERY_MAX_AGE_SECONDS``); the sweep runs with the publications'
recovery sweep and re-enqueues notices whose job was lost.
"""
from __future__ import annotations

import json
from datetime import timedelta

from flask import Flask, current_app
from rq import Queue

from catalog.models import Campaign
from channels import publisher_for
from channels.base import OutgoingPost, PublishError
from credentials.store import load_credentials
from events import delivery
from events.jobs import retry_delay
from plumbing import database, outbox, redis_client, vault
from plumbing.database import utcnow
from publishing import notices, storage
from publishing.direct_post import outgoing_images
from publishing.library import library_items
from publishing.models import Publication, SellerNotice
from referrals.models import Sharer


def job_id(notice_id: int, attempt: int) -> str:
    return f"sharecast-notice-{notice_id}-{attempt}"


def enqueue(queue: Queue, notice_id: int, attempt: int, delay: timedelta | None = None) -> None:
    """Plan attempt ``attempt`` of a notice, now or after ``delay``."""
    outbox.enqueue_attempt(queue, send_notice, job_id(notice_id, attempt), f"seller notice {notice_id}, attempt {attempt}",
                    delay, notice_id, attempt)


def gathering_delay() -> timedelta | None:
    """How long a first attempt waits for the rest of its digest (None: not at all)."""
    seconds = current_app.config["SELLER_NOTICE_DELAY_SECONDS"]
    return timedelta(seconds=seconds) if seconds > 0 else None


def enqueue_first(queue: Queue, notice_id: int) -> None:
    enqueue(queue, notice_id, 1, gathering_delay())


def send_notice(notice_id: int, attempt: int = 1) -> str:
    """Make attempt ``attempt`` of a notice and plan the next one if it failed.

    :return: ``skipped`` (over, taken already, or cannot be sent), ``succeeded``,
        ``retrying`` or ``failed``.
    """
    return _send(current_app._get_current_object(), notice_id, attempt)


def _send(app: Flask, notice_id: int, attempt: int) -> str:
    with database.new_session(app) as session:
        claimed = notices.claim(session, notice_id, attempt, utcnow())
        session.commit()
    if claimed is None:
        return "skipped"
    try:
        error, retryable = _deliver(app, claimed)
    except _Skip as exc:
        with database.new_session(app) as session:
            notices.skip(session, claimed, str(exc))
            session.commit()
        return "skipped"
    with database.new_session(app) as session:
        delay = notices.record(session, claimed, utcnow(), error, retryable,
                               retry_delay(attempt),
                               timedelta(seconds=app.config["DELIVERY_MAX_AGE_SECONDS"]))
        session.commit()
    if error is None:
        return "succeeded"
    if delay is None:
        return "failed"
    enqueue(redis_client.queue(app=app), notice_id, attempt + 1, delay)
    return "retrying"


class _Skip(Exception):
    """The notice cannot be sent at all; the message is the reason recorded."""


def _deliver(app: Flask, claimed: notices.NoticeClaim) -> tuple[str | None, bool]:
    """Send the digest; ``(error or None, whether trying again may help)``.

    :raise _Skip: the seller no longer wants it, or there is no way to send it.
    """
    public = app.config["PUBLIC_URL"]
    allow_private = app.config["ALLOW_PRIVATE_TARGETS"]
    store = storage.storage(app)
    with database.read_session(app) as session:
        sharer = session.get(Sharer, claimed.sharer_id)
        campaign = session.get(Campaign, claimed.campaign_id)
        pubs = [session.get(Publication, p) for p in claimed.publication_ids]
        pubs.sort(key=lambda p: (p.published_at or p.publish_at, p.id))
        items = library_items(session, lambda: database.new_session(app), store, public, sharer,
                              [("live", pub, campaign) for pub in pubs])
        if not items:
            raise _Skip("none of the posts is in the sellers' library")
        library_url = f"{public}/seller/?campaign={campaign.id}"  # the seller portal's Today page
        if len(items) == 1:
            library_url += f"&channel={items[0]['channel']}"
        if claimed.kind == "email":
            if not (sharer.email and sharer.notify_email):
                raise _Skip("the seller turned email notices off or has no email address")
            credentials = load_credentials(session, vault.for_app(app), claimed.workspace_id, "email")
            if credentials is None:
                raise _Skip(notices.NO_MAIL_CREDENTIALS)
        else:
            if not sharer.notify_url:
                raise _Skip("the seller removed their webhook")
            url, secret = sharer.notify_url, vault.for_app(app).open(sharer.notify_secret_sealed)
    if claimed.kind == "email":
        images = [image for item in items for image in item["images"]]
        post = OutgoingPost(text=notices.notice_text(sharer.name, items, library_url),
                            title=notices.notice_title(items), images=outgoing_images(store, images),
                            link=items[0]["link"], key=claimed.message_id)
        try:
            publisher_for("email").publish(post, {**credentials, "to": [sharer.email]}, allow_private)
        except PublishError as exc:
            return exc.message, exc.retryable
        return None, True
    body = json.dumps({**notices.notice_json(sharer.id, items, library_url), "timestamp": utcnow().isoformat()},
                      separators=(",", ":"), ensure_ascii=False)
    result = delivery.send(delivery.Claim(claimed.notice_id, claimed.attempt, url, secret, claimed.message_id, body),
                           allow_private, app.config["DELIVERY_TIMEOUT_SECONDS"], utcnow())
    return result.error, True  # None when it went through


def recover() -> int:
    """Enqueue the next attempt now of every notice stuck in pending, sending or retrying (the
    thresholds counted after the gathering delay, so the sweep never cuts a gathering short). A row gathered into another's digest is
    enqueued too when late, and its job finds it taken."""
    return outbox.recover(SellerNotice, enqueue, utcnow() - (gathering_delay() or timedelta()))
