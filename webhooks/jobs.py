"""The delivery job and its periodic sweep. Jobs take ids, open their own sessions, are safe to run twice."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from rq import Queue

import database
import vault
from database import utcnow
from runner import job_app
from webhooks import delivery
from webhooks.models import WebhookDelivery

DEFAULTS = {
    "WEBHOOK_RETRY_BASE_SECONDS": 30.0,
    "WEBHOOK_RETRY_CAP_SECONDS": 6 * 3600.0,
    "WEBHOOK_MAX_AGE_SECONDS": 3 * 86400.0,
    "WEBHOOK_TIMEOUT_SECONDS": 15.0,
    # The sweep: a "sending" attempt older than the lease lost its worker; "pending" or
    # "retrying" rows this late past their time lost their job.
    "WEBHOOK_LEASE_SECONDS": 300.0,
    "WEBHOOK_LATE_SECONDS": 60.0,
}
RECOVER_JOB_ID = "sharecast-recover-webhooks"
RECOVER_EVERY = timedelta(minutes=1)


def setting(app: Flask, name: str) -> float:
    return float(app.config.get(name, DEFAULTS[name]))


def job_id(delivery_id: int, attempt: int) -> str:
    return f"sharecast-webhook-{delivery_id}-{attempt}"


def enqueue(queue: Queue, delivery_id: int, attempt: int, delay: timedelta | None = None) -> None:
    """Plan attempt ``attempt`` of a delivery, now or after ``delay``."""
    enqueue_attempt(queue, deliver, job_id(delivery_id, attempt), f"webhook delivery {delivery_id}, attempt {attempt}",
                    delay, delivery_id, attempt)


def enqueue_attempt(queue: Queue, job, job_id: str, description: str, delay: timedelta | None, *args) -> None:
    """Plan an outbox attempt ``job(*args)`` now or after ``delay``; one job id per attempt,
    so a retry never overwrites the job running it."""
    options = {"job_id": job_id, "result_ttl": 3600, "failure_ttl": 7 * 86400, "description": description}
    if delay is None:
        queue.enqueue(job, *args, **options)
    else:
        queue.enqueue_in(delay, job, *args, **options)


def deliver(delivery_id: int, attempt: int = 1) -> str:
    """Make attempt ``attempt`` of a delivery and plan the next one if it failed.

    :return: what happened: ``skipped`` (done, cancelled or taken already),
        ``succeeded``, ``retrying`` or ``failed``.
    """
    app = job_app()
    with app.app_context():
        return _deliver(app, delivery_id, attempt)


def _deliver(app: Flask, delivery_id: int, attempt: int) -> str:
    import backends

    with database.new_session(app) as session:
        claimed = delivery.claim(session, vault.for_app(app), delivery_id, attempt)
        session.commit()
    if claimed is None:
        return "skipped"
    now = utcnow()
    result = delivery.send(claimed, app.config["ALLOW_PRIVATE_TARGETS"], setting(app, "WEBHOOK_TIMEOUT_SECONDS"), now)
    with database.new_session(app) as session:
        delay = delivery.record(session, claimed, result, utcnow(), setting(app, "WEBHOOK_RETRY_BASE_SECONDS"),
                                setting(app, "WEBHOOK_RETRY_CAP_SECONDS"),
                                timedelta(seconds=setting(app, "WEBHOOK_MAX_AGE_SECONDS")))
        session.commit()
    if result.ok:
        return "succeeded"
    if delay is None:
        return "failed"
    enqueue(backends.queue(app=app), delivery_id, attempt + 1, delay)
    return "retrying"


def recover_deliveries() -> int:
    """The periodic sweep: re-enqueue deliveries whose job was lost; then plan the next sweep."""
    import backends

    app = job_app()
    found = recover(app)
    schedule_periodic(backends.queue(app=app), RECOVER_EVERY)
    return found


def recover(app: Flask) -> int:
    """Enqueue the next attempt now of every delivery stuck in pending, sending or retrying."""
    return recover_outbox(app, WebhookDelivery, enqueue)


def recover_outbox(app: Flask, model, enqueue_row, now=None) -> int:
    """Call ``enqueue_row(queue, id, attempt)`` for every stuck row of an outbox table
    (see :func:`webhooks.delivery.stuck`), judged as of ``now``; how many there were."""
    import backends

    with database.read_session(app) as session:
        found = delivery.stuck(session, model, now or utcnow(), timedelta(seconds=setting(app, "WEBHOOK_LEASE_SECONDS")),
                               timedelta(seconds=setting(app, "WEBHOOK_LATE_SECONDS")))
    queue = backends.queue(app=app)
    for row_id, attempt in found:
        enqueue_row(queue, row_id, attempt)
    return len(found)


def schedule_periodic(queue: Queue, delay: timedelta = timedelta(seconds=5)) -> None:
    """(Re)plan the sweep; a fixed job id keeps one plan however many workers start."""
    queue.enqueue_in(delay, recover_deliveries, job_id=RECOVER_JOB_ID)
