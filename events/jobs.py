"""The delivery job and its periodic sweep. Jobs take ids, open their own sessions, are
safe to run twice, and run in the worker's app context (``current_app``)."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from rq import Queue

from events import delivery
from events.models import WebhookDelivery
from plumbing import database, outbox, redis_client, vault
from plumbing.database import utcnow

RECOVER_JOB_ID = "sharecast-recover-webhooks"
RECOVER_EVERY = timedelta(minutes=1)


def job_id(delivery_id: int, attempt: int) -> str:
    return f"sharecast-webhook-{delivery_id}-{attempt}"


def enqueue(queue: Queue, delivery_id: int, attempt: int, delay: timedelta | None = None) -> None:
    """Plan attempt ``attempt`` of a delivery, now or after ``delay``."""
    outbox.enqueue_attempt(queue, deliver, job_id(delivery_id, attempt),
                           f"webhook delivery {delivery_id}, attempt {attempt}", delay, delivery_id, attempt)


def enqueue_first(queue: Queue, delivery_id: int) -> None:
    enqueue(queue, delivery_id, 1)


def deliver(delivery_id: int, attempt: int = 1) -> str:
    """Make attempt ``attempt`` of a delivery and plan the next one if it failed.

    :return: what happened: ``skipped`` (done, cancelled or taken already),
        ``succeeded``, ``retrying`` or ``failed``.
    """
    config = current_app.config
    with database.new_session() as session:
        claimed = delivery.claim(session, vault.for_app(current_app), delivery_id, attempt)
        session.commit()
    if claimed is None:
        return "skipped"
    result = delivery.send(claimed, config["ALLOW_PRIVATE_TARGETS"], config["DELIVERY_TIMEOUT_SECONDS"], utcnow())
    with database.new_session() as session:
        delay = delivery.record(session, claimed, result, utcnow(), retry_delay(attempt),
                                timedelta(seconds=config["DELIVERY_MAX_AGE_SECONDS"]))
        session.commit()
    if result.ok:
        return "succeeded"
    if delay is None:
        return "failed"
    enqueue(redis_client.queue(), delivery_id, attempt + 1, delay)
    return "retrying"


def retry_delay(attempt: int) -> timedelta:
    """The wait after failed attempt ``attempt`` of an outbox delivery (webhooks and seller notices)."""
    config = current_app.config
    return outbox.retry_delay(attempt, config["DELIVERY_RETRY_BASE_SECONDS"], config["DELIVERY_RETRY_CAP_SECONDS"])


def recover_deliveries() -> int:
    """The periodic sweep: re-enqueue deliveries whose job was lost; then plan the next sweep."""
    found = recover()
    schedule_periodic(redis_client.queue(), RECOVER_EVERY)
    return found


def recover() -> int:
    """Enqueue the next attempt now of every delivery stuck in pending, sending or retrying."""
    return outbox.recover(WebhookDelivery, enqueue, utcnow())


def schedule_periodic(queue: Queue, delay: timedelta = timedelta(seconds=5)) -> None:
    """(Re)plan the sweep; a fixed job id keeps one plan however many workers start."""
    queue.enqueue_in(delay, recover_deliveries, job_id=RECOVER_JOB_ID)
