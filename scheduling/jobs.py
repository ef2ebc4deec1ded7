"""The publish job and its recovery sweep. Jobs take ids, open their own sessions, are safe to run twice.

``publish`` runs at ``publish_at`` (RQ ``enqueue_at``); failures come back
with backoff (1, 5, 25 minutes by default) until ``PUBLISH_MAX_ATTEMPTS``,
then stay ``failed`` with the error. ``recover_publications`` runs every
minute and re-enqueues publications whose job was lost: due and still
waiting, or claimed by a worker that died (its claim older than the lease);
it sweeps the sellers' notices too (:func:`scheduling.notice_jobs.recover`).
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

from flask import Flask
from rq import Queue
from sqlalchemy import select

import backends
import database
from runner import job_app
from channels import PUBLISHERS
from database import utcnow
from publishing import storage
from publishing.models import Campaign
from referrals.models import Sharer
from scheduling import notify
from scheduling.publish import (Claim, PublishFailed, claim, current_version, overdue, record_failure,
                                record_published)
from scheduling.times import retry_delay

log = logging.getLogger(__name__)

DEFAULTS = {"PUBLISH_MAX_ATTEMPTS": 4, "PUBLISH_RETRY_BASE_SECONDS": 60.0, "PUBLISH_LEASE_SECONDS": 600.0,
            "PUBLISH_LATE_SECONDS": 60.0, "PUBLISH_EARLY_SECONDS": 2.0}
RECOVER_JOB_ID = "sharecast-recover-publications"
RECOVER_EVERY = timedelta(minutes=1)


def setting(app: Flask, name: str) -> float:
    """``app.config[name]``, else ``$SHARECAST_<name>``, else the default."""
    value = app.config.get(name, os.environ.get(f"SHARECAST_{name}"))
    return float(value if value is not None else DEFAULTS[name])


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
    app = job_app()
    with app.app_context():
        return _publish(app, publication_id)


def _publish(app: Flask, publication_id: int) -> str:
    lease = timedelta(seconds=setting(app, "PUBLISH_LEASE_SECONDS"))
    with database.new_session(app) as session:
        claimed = claim(session, publication_id, utcnow(), lease,
                        timedelta(seconds=setting(app, "PUBLISH_EARLY_SECONDS")))
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
        notify.published(session, claimed, version, external_id)
        session.commit()
    return "published"


def _failed(app: Flask, claimed: Claim, error: str, retryable: bool, retry_after: float | None = None) -> str:
    # Never sooner than the channel asked (Telegram's 429 says how long to wait).
    delay = max(retry_delay(claimed.attempt, setting(app, "PUBLISH_RETRY_BASE_SECONDS")),
                timedelta(seconds=retry_after or 0))
    with database.new_session(app) as session:
        retry_at = record_failure(session, claimed, utcnow(), error, retryable,
                                  int(setting(app, "PUBLISH_MAX_ATTEMPTS")), delay)
        session.commit()
    if retry_at is None:
        return "failed"
    enqueue(backends.queue(app=app), claimed.publication_id, retry_at, claimed.attempt + 1)
    return "retrying"


def deliver(app: Flask, claimed: Claim) -> tuple[int, str | None]:
    """Do the publication's work; ``(content version published, external id)``.

    :raise PublishFailed: it did not go out.
    """
    with database.read_session(app) as session:
        version = current_version(session, claimed.campaign_id)
    if claimed.channel in PUBLISHERS:
        from scheduling.api_channels import send

        return version, send(app, claimed, version)
    warm_library(app, claimed, version)
    return version, None


def warm_library(app: Flask, claimed: Claim, version: int) -> int:
    """Render every sharer's post for the channel now (links, posters), so a seller
    notified of the post finds it ready. Idempotent: renders are cached by content."""
    from publishing.posts import campaign_posts

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
    from scheduling import notice_jobs

    app = job_app()
    found = recover(app)
    notice_jobs.recover(app)
    schedule_periodic(backends.queue(app=app), RECOVER_EVERY)
    return found


def recover(app: Flask) -> int:
    """Enqueue a publish job now for every publication whose job must have been lost."""
    now = utcnow()
    with database.read_session(app) as session:
        ids = overdue(session, now, timedelta(seconds=setting(app, "PUBLISH_LEASE_SECONDS")),
                      timedelta(seconds=setting(app, "PUBLISH_LATE_SECONDS")))
    queue = backends.queue(app=app)
    for publication_id in ids:
        queue.enqueue(publish, publication_id, job_id=f"sharecast-publish-{publication_id}-recover-{int(now.timestamp())}",
                      result_ttl=86400, failure_ttl=7 * 86400)
    return len(ids)


def schedule_periodic(queue: Queue, delay: timedelta = timedelta(seconds=5)) -> None:
    """(Re)plan the recovery sweep; a fixed job id keeps one plan however many workers start."""
    queue.enqueue_in(delay, recover_publications, job_id=RECOVER_JOB_ID)

