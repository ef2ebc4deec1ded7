"""Background jobs of the referral side. Jobs take ids, open their own session,
are safe to run twice, and run in the worker's app context."""
from __future__ import annotations

from datetime import timedelta

from rq import Queue, get_current_job

from plumbing import database, redis_client
from plumbing.database import utcnow
from referrals.ledger import approve_due
from referrals.reviews import expire

APPROVE_JOB_ID = "sharecast-approve-due-commissions"
APPROVE_EVERY = timedelta(minutes=10)


def approve_due_commissions() -> int:
    """Decide the risk holds nobody reviewed in time, approve every commission whose holding
    period is over; then plan the next run."""
    with database.new_session() as session:
        expire(session, utcnow())
        done = approve_due(session, None, utcnow())
        session.commit()
    job = get_current_job()
    if job is not None:
        job.meta["approved"] = len(done)
        job.save_meta()
    schedule_periodic(redis_client.queue(), APPROVE_EVERY)
    return len(done)


def schedule_periodic(queue: Queue, delay: timedelta = timedelta(seconds=5)) -> None:
    """(Re)plan the approval job; a fixed job id keeps one plan however many workers start."""
    queue.enqueue_in(delay, approve_due_commissions, job_id=APPROVE_JOB_ID)
