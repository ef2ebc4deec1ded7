"""The periodic job that freezes ended contests and books their prizes. Safe to run twice."""
from __future__ import annotations

from datetime import timedelta

from rq import Queue

from plumbing import database, redis_client
from plumbing.database import utcnow
from teams.contests import ended_unfinalized, finalize

FINALIZE_JOB_ID = "sharecast-finalize-contests"
FINALIZE_EVERY = timedelta(minutes=5)


def finalize_ended_contests() -> int:
    """Finalize every contest past its end (each in its own transaction); then plan the next run."""
    now = utcnow()
    with database.new_session() as session:
        due = ended_unfinalized(session, now)
    for workspace_id, contest_id in due:
        with database.new_session() as session:
            finalize(session, workspace_id, contest_id, now)
            session.commit()
    schedule_periodic(redis_client.queue(), FINALIZE_EVERY)
    return len(due)


def schedule_periodic(queue: Queue, delay: timedelta = timedelta(seconds=5)) -> None:
    """(Re)plan the job; a fixed job id keeps one plan however many workers start."""
    queue.enqueue_in(delay, finalize_ended_contests, job_id=FINALIZE_JOB_ID)
