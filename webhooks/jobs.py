"""The delivery job. Takes ids, opens its own sessions, safe to run twice."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, has_app_context
from rq import Queue

import database
import vault
from database import utcnow
from runner import worker_app
from webhooks import delivery

DEFAULTS = {
    "WEBHOOK_RETRY_BASE_SECONDS": 30.0,
    "WEBHOOK_RETRY_CAP_SECONDS": 6 * 3600.0,
    "WEBHOOK_MAX_AGE_SECONDS": 3 * 86400.0,
    "WEBHOOK_TIMEOUT_SECONDS": 15.0,
}


def setting(app: Flask, name: str) -> float:
    return float(app.config.get(name, DEFAULTS[name]))


def job_id(delivery_id: int, attempt: int) -> str:
    return f"sharecast-webhook-{delivery_id}-{attempt}"


def enqueue(queue: Queue, delivery_id: int, attempt: int, delay: timedelta | None = None) -> None:
    """Plan attempt ``attempt`` of a delivery, now or after ``delay``."""
    options = {"job_id": job_id(delivery_id, attempt), "result_ttl": 3600, "failure_ttl": 7 * 86400,
               "description": f"webhook delivery {delivery_id}, attempt {attempt}"}
    if delay is None:
        queue.enqueue(deliver, delivery_id, attempt, **options)
    else:
        queue.enqueue_in(delay, deliver, delivery_id, attempt, **options)


def deliver(delivery_id: int, attempt: int = 1) -> str:
    """Make attempt ``attempt`` of a delivery and plan the next one if it failed.

    :return: what happened: ``skipped`` (done, cancelled or taken already),
        ``succeeded``, ``retrying`` or ``failed``.
    """
    app = current_app._get_current_object() if has_app_context() else worker_app()
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
