"""The periodic job that freezes ended contests and books their prizes, and books the bonuses of
ended targets. Safe to run twice."""
from __future__ import annotations

from datetime import timedelta

from rq import Queue

from plumbing import database, redis_client
from plumbing.database import utcnow
from teams import targets
from teams.contests import ended_unfinalized, finalize

FINALIZE_JOB_ID = "sharecast-finalize-contests"
FINALIZE_EVERY = timedelta(minutes=5)


def finalize_ended_contests() -> int:
    """Finalize every contest and target past its end (each in its own transaction); then plan the
    next run. Returns how many were finalized."""
    now = utcnow()
    with database.new_session() as session:
        due = [(finalize, *row) for row in ended_unfinalized(session, now)]
        due += [(targets.finalize, *row) for row in targets.ended_unfinalized(session, now)]
    for finalize_one, workspace_id, item_id in due:
        with database.new_session() as session:
            finalize_one(session, workspace_id, item_id, now)
            session.commit()
    schedule_periodic(redis_client.queue(), FINALIZE_EVERY)
    return len(due)


def schedule_periodic(queue: Queue, delay: timedelta = timedelta(seconds=5)) -> None:
    """(Re)plan the job; a fixed job id keeps one plan however many workers start."""
    queue.enqueue_in(delay, finalize_ended_contests, job_id=FINALIZE_JOB_ID)
