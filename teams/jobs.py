"""The periodic job that freezes ended contests and books their prizes, and books the bonuses of
ended targets. Safe to run twice."""
from __future__ import annotations

import logging
from datetime import timedelta

from rq import Queue

from plumbing import database, metrics, redis_client
from plumbing.database import utcnow
from teams import targets
from teams.contests import ended_unfinalized, finalize

log = logging.getLogger(__name__)

FINALIZE_JOB_ID = "sharecast-finalize-contests"
FINALIZE_EVERY = timedelta(minutes=5)


def finalize_ended_contests() -> int:
    """Finalize every contest and target past its end (each in its own transaction); then plan the
    next run, whatever happened. One that raises is rolled back, logged and counted in
    ``sharecast_job_failures``; the others go on, and the next run tries it again.
    Returns how many were finalized."""
    try:
        now = utcnow()
        with database.new_session() as session:
            due = [(finalize, "contest", *row) for row in ended_unfinalized(session, now)]
            due += [(targets.finalize, "target", *row) for row in targets.ended_unfinalized(session, now)]
        done = 0
        for finalize_one, kind, workspace_id, item_id in due:
            try:
                with database.new_session() as session:
                    finalize_one(session, workspace_id, item_id, now)
                    session.commit()
                done += 1
            except Exception:
                log.exception("finalizing %s %s of workspace %s failed", kind, item_id, workspace_id)
                metrics.JOB_FAILURES.labels("finalize_ended_contests").inc()
        return done
    finally:
        schedule_periodic(redis_client.queue(), FINALIZE_EVERY)


def schedule_periodic(queue: Queue, delay: timedelta = timedelta(seconds=5)) -> None:
    """(Re)plan the job; a fixed job id keeps one plan however many workers start."""
    queue.enqueue_in(delay, finalize_ended_contests, job_id=FINALIZE_JOB_ID)
