"""The publish job and its recovery sweep. Jobs take ids, open their own sessions, are safe to run twice.

``publish`` runs at ``publish_at`` (RQ ``enqueue_at``); failures come back
with backoff (1, 5, 25 minutes by default) until ``PUBLISH_MAX_ATTEMPTS``,
then stay ``failed`` with the error. ``recover_publications`` runs every
minute and re-enqueues publications whose job was lost: due and still
waiting, or claimed by a worker that died (its claim older than the lease);
it sweeps the sellers' notices too (:func:`publishing.notice_delivery.recover`).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask, current_app
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from brand_accounts import notices as account_notices
from brand_accounts.tokens import refresh_due
from catalog.models import Campaign
from events.emit import emit
from plumbing import database, metrics, redis_client
from plumbing.database import utcnow
from plumbing.outbox import retry_delay
from publishing import notice_delivery, storage
from publishing.approvals import NotApproved, check_approved
from publishing.avatars import sweep_retired_avatars
from publishing.direct_post import has_account, send
from publishing.notices import add_notices
from publishing.post_metrics import fetch_due
from publishing.post_states import poll_due
from publishing.posts import campaign_posts
from publishing.publications import (
    Claim,
    PublishFailed,
    claim,
    current_version,
    overdue,
    record_failure,
    record_published,
)
from referrals.models import Sharer

log = logging.getLogger(__name__)

RECOVER_JOB_ID = "sharecast-recover-publications"
RECOVER_EVERY = timedelta(minutes=1)
BRAND_SWEEP_JOB_ID = "sharecast-brand-accounts-sweep"
AVATAR_SWEEP_JOB_ID = "sharecast-avatar-files-sweep"


def job_id(publication_id: int, attempt: int) -> str:
    return f"sharecast-publish-{publication_id}-{attempt}"


def enqueue(queue: Queue, publication_id: int, when: datetime, attempt: int = 1) -> None:
    """Plan ``attempt`` of a publication at ``when`` (a job id per attempt, so a retry never
    overwrites the job running it)."""
    queue.enqueue_at(when, publish, publication_id, job_id=job_id(publication_id, attempt),
                     result_ttl=86400, failure_ttl=7 * 86400,
                     description=f"publication {publication_id}, attempt {attempt}")


def publish(publication_id: int) -> str:
    """Publish one publication if it is due and nobody else holds it.

    :return: ``published``, ``retrying``, ``failed``, ``skipped`` (not ours:
        done, cancelled, not due, or claimed) or ``lost_claim`` (our claim
        expired and another worker took over).
    """
    outcome = _publish(current_app._get_current_object(), publication_id)
    metrics.PUBLICATIONS.labels(outcome).inc()
    return outcome


def _publish(app: Flask, publication_id: int) -> str:
    lease = timedelta(seconds=app.config["PUBLISH_LEASE_SECONDS"])
    with database.new_session(app) as session:
        claimed = claim(session, publication_id, utcnow(), lease,
                        timedelta(seconds=app.config["PUBLISH_EARLY_SECONDS"]))
        session.commit()
    if claimed is None:
        return "skipped"
    try:
        version, external_id = deliver(app, claimed)
    except PublishFailed as exc:
        return _failed(app, claimed, exc.message, exc.retryable, exc.retry_after)
    except Exception as exc:  # noqa: BLE001 - any crash is recorded on the row and retried
        log.exception("publication %s failed", publication_id)
        return _failed(app, claimed, f"{type(exc).__name__}: {exc}", True)
    with database.new_session(app) as session:
        if not record_published(session, claimed, utcnow(), version, external_id):
            session.rollback()
            return "lost_claim"
        announce(session, claimed, version, external_id)
        session.commit()
    return "published"


def _failed(app: Flask, claimed: Claim, error: str, retryable: bool, retry_after: float | None = None) -> str:
    # Never sooner than the channel asked (Telegram's 429 says how long to wait).
    delay = max(retry_delay(claimed.attempt, app.config["PUBLISH_RETRY_BASE_SECONDS"], factor=5.0),
                timedelta(seconds=retry_after or 0))
    with database.new_session(app) as session:
        retry_at = record_failure(session, claimed, utcnow(), error, retryable,
                                  int(app.config["PUBLISH_MAX_ATTEMPTS"]), delay)
        session.commit()
    if retry_at is None:
        return "failed"
    enqueue(redis_client.queue(app=app), claimed.publication_id, retry_at, claimed.attempt + 1)
    return "retrying"


def deliver(app: Flask, claimed: Claim) -> tuple[int, str | None]:
    """Do the publication's work; ``(content version published, external id)``.

    :raise PublishFailed: it did not go out (content edited after approval waits for approval).
    """
    with database.read_session(app) as session:
        version = current_version(session, claimed.campaign_id)
        try:
            check_approved(session, claimed.workspace_id, claimed.campaign_id, version)
        except NotApproved as exc:
            # Retryable: approving the new version in time lets the next attempt go out.
            raise PublishFailed(f"{claimed.channel}: {exc}", retryable=True) from None
    if has_account(app, claimed.workspace_id, claimed.channel):
        return version, send(app, claimed, version)
    warm_library(app, claimed, version)
    return version, None


def warm_library(app: Flask, claimed: Claim, version: int) -> int:
    """Render every sharer's post for the channel now (links, posters), so a seller
    notified of the post finds it ready. Idempotent: renders are cached by content."""
    done = 0
    with database.read_session(app) as session:
        campaign = session.get(Campaign, claimed.campaign_id)
        sharers = session.scalars(select(Sharer).where(Sharer.workspace_id == claimed.workspace_id)
                                  .order_by(Sharer.id)).all()
        for sharer in sharers:
            campaign_posts(session, lambda: database.new_session(app), storage.storage(app), campaign,
                           app.config["PUBLIC_URL"], sharer, version, claimed.channel)
            session.rollback()  # end the read transaction between sharers
            done += 1
    return done


def recover_publications() -> int:
    """Re-enqueue publications (and seller notices) whose job was lost; then plan the next sweep."""
    found = recover()
    notice_delivery.recover()
    account_notices.recover()
    # Tokens and metrics call out: their own job (one at a time by its fixed id), never in the way of recovery.
    redis_client.queue().enqueue(sweep_brand_accounts, job_id=BRAND_SWEEP_JOB_ID, result_ttl=600)
    redis_client.queue().enqueue(sweep_avatar_files, job_id=AVATAR_SWEEP_JOB_ID, result_ttl=600)
    schedule_periodic(redis_client.queue(), RECOVER_EVERY)
    return found


def sweep_brand_accounts() -> dict:
    """Refresh the brand accounts' tokens that end soon, ask where submitted posts stand (the
    Official Account's review), then fetch the due posts' metrics."""
    app = current_app._get_current_object()
    return {"tokens": refresh_due(app), "states": poll_due(app), "metrics": fetch_due(app)}


def sweep_avatar_files() -> int:
    """Delete the files of sellers' photos replaced, removed or erased a while ago (see
    :func:`publishing.avatars.sweep_retired_avatars`); safe to run twice."""
    with database.new_session() as session:
        gone = sweep_retired_avatars(session, storage.storage(), utcnow())
        session.commit()
    return gone


def recover() -> int:
    """Enqueue a publish job now for every publication whose job must have been lost."""
    now, config = utcnow(), current_app.config
    with database.read_session() as session:
        ids = overdue(session, now, timedelta(seconds=config["PUBLISH_LEASE_SECONDS"]),
                      timedelta(seconds=config["PUBLISH_LATE_SECONDS"]))
    queue = redis_client.queue()
    for publication_id in ids:
        queue.enqueue(publish, publication_id, job_id=f"sharecast-publish-{publication_id}-recover-{int(now.timestamp())}",
                      result_ttl=86400, failure_ttl=7 * 86400)
    return len(ids)


def schedule_periodic(queue: Queue, delay: timedelta = timedelta(seconds=5)) -> None:
    """(Re)plan the recovery sweep; a fixed job id keeps one plan however many workers start."""
    queue.enqueue_in(delay, recover_publications, job_id=RECOVER_JOB_ID)


def announce(session: Session, claimed: Claim, content_version: int, external_id: str | None) -> None:
    """What commits with "published": the ``post.published`` event and each seller's notice
    (outbox rows, sent after commit), so they happen exactly once with it."""
    emit(session, claimed.workspace_id, "post.published", {
        "publication_id": claimed.publication_id, "campaign_id": claimed.campaign_id,
        "channel": claimed.channel, "content_version": content_version, "external_id": external_id,
        "published_at": utcnow().isoformat()})
    add_notices(session, claimed, content_version, notice_delivery.enqueue_first)
