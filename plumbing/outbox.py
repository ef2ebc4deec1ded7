"""The transactional outbox shared by every "send this after commit" table.

Rows (webhook deliveries, seller notices, ...) are written in the caller's
transaction; :func:`enqueue_after_commit` notes which job to plan for each, and
the jobs are enqueued only once that session commits (never if it rolls back).
A failed enqueue, or a worker that dies mid-send, leaves a row that
:func:`recover` finds and plans again. Retries wait :func:`retry_delay`.

An outbox table has ``status`` (``pending``, ``sending``, ``retrying`` or a
final state), ``attempts``, ``created_at``, ``claimed_at`` and ``next_attempt_at``.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import redis
from flask import current_app
from rq import Queue
from sqlalchemy import and_, event, or_, select
from sqlalchemy.orm import Session

from plumbing import database, redis_client

log = logging.getLogger(__name__)

_PENDING = "sharecast.outbox.pending"
_REDIS = "sharecast.outbox.redis"

Enqueue = Callable[[Queue, int], None]


def retry_delay(attempt: int, base_seconds: float, cap_seconds: float | None = None,
                factor: float = 4.0) -> timedelta:
    """The wait after failed attempt ``attempt`` (1-based): base × factor^(attempt-1), at most the cap.

    The one backoff formula: publications use factor 5 (1, 5, 25 minutes by
    default), outbox deliveries factor 4 with a cap.
    """
    seconds = base_seconds * factor ** (attempt - 1)
    return timedelta(seconds=min(seconds, cap_seconds) if cap_seconds is not None else seconds)


def session_info(connection: redis.Redis) -> dict:
    """``info`` for a session opened outside an app context (the click writer), naming
    the Redis its commits enqueue on."""
    return {_REDIS: connection}


def enqueue_after_commit(session: Session, enqueue: Enqueue, ids: list[int]) -> None:
    """Call ``enqueue(queue, id)`` for each id once ``session`` commits; never if it rolls back."""
    session.info.setdefault(_PENDING, []).extend((enqueue, i) for i in ids)


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    try:
        queue = _queue_for(session)
        for enqueue, row_id in pending:
            enqueue(queue, row_id)
    except Exception:  # noqa: BLE001 - the rows are committed; the periodic sweep sends them later
        log.exception("could not enqueue after commit: %s", [(e.__qualname__, i) for e, i in pending])


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _queue_for(session: Session) -> Queue:
    connection = session.info.get(_REDIS)
    if connection is not None:
        return Queue("default", connection=connection)
    return redis_client.queue()


def enqueue_attempt(queue: Queue, job, job_id: str, description: str, delay: timedelta | None, *args) -> None:
    """Plan an attempt ``job(*args)`` now or after ``delay``; one job id per attempt,
    so a retry never overwrites the job running it."""
    options = {"job_id": job_id, "result_ttl": 3600, "failure_ttl": 7 * 86400, "description": description}
    if delay is None:
        queue.enqueue(job, *args, **options)
    else:
        queue.enqueue_in(delay, job, *args, **options)


def stuck(session: Session, model, now: datetime, lease: timedelta, late: timedelta) -> list[tuple[int, int]]:
    """``(id, next attempt number)`` of outbox rows whose job must have been lost: pending
    a while after they were written (the enqueue after commit failed), sending for
    longer than the lease (the worker died mid-send), or retrying well past their
    planned time (the delayed job was lost)."""
    rows = session.execute(select(model.id, model.attempts).where(or_(
        and_(model.status == "pending", model.created_at < now - late),
        and_(model.status == "sending", model.claimed_at < now - lease),
        and_(model.status == "retrying", model.next_attempt_at < now - late))).order_by(model.id))
    return [(row_id, attempts + 1) for row_id, attempts in rows]


def recover(model, enqueue_row: Callable[[Queue, int, int], None], now: datetime) -> int:
    """Call ``enqueue_row(queue, id, attempt)`` for every stuck row of ``model`` (judged as
    of ``now``, with the app's ``OUTBOX_LEASE_SECONDS`` and ``OUTBOX_LATE_SECONDS``);
    how many there were. Runs in an app context (a job)."""
    config = current_app.config
    with database.read_session() as session:
        found = stuck(session, model, now, timedelta(seconds=config["OUTBOX_LEASE_SECONDS"]),
                      timedelta(seconds=config["OUTBOX_LATE_SECONDS"]))
    queue = redis_client.queue()
    for row_id, attempt in found:
        enqueue_row(queue, row_id, attempt)
    return len(found)
