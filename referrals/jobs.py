"""Background jobs of the referral side. Jobs take ids, open their own session,
are safe to run twice, and run in the worker's app context."""
from __future__ import annotations

from datetime import timedelta

from rq import Queue, get_current_job
from sqlalchemy import select

from plumbing import database, redis_client
from plumbing.database import utcnow
from referrals.grades import evaluate
from referrals.ledger import approve_due
from referrals.models import Grade

APPROVE_JOB_ID = "sharecast-approve-due-commissions"
APPROVE_EVERY = timedelta(minutes=10)
GRADES_JOB_ID = "sharecast-evaluate-grades"
GRADES_EVERY = timedelta(hours=1)


def approve_due_commissions() -> int:
    """Approve every commission whose holding period is over; then plan the next run."""
    with database.new_session() as session:
        done = approve_due(session, None, utcnow())
        session.commit()
    job = get_current_job()
    if job is not None:
        job.meta["approved"] = len(done)
        job.save_meta()
    schedule_periodic(redis_client.queue(), APPROVE_EVERY)
    return len(done)


def evaluate_grades() -> int:
    """Re-grade the sharers of every workspace that has grades; then plan the next run. Safe to run twice."""
    changed = 0
    with database.new_session() as session:
        for workspace_id in session.scalars(select(Grade.workspace_id).distinct()).all():
            changed += len(evaluate(session, workspace_id, utcnow()))
            session.commit()
    redis_client.queue().enqueue_in(GRADES_EVERY, evaluate_grades, job_id=GRADES_JOB_ID)
    return changed


def schedule_periodic(queue: Queue, delay: timedelta = timedelta(seconds=5)) -> None:
    """(Re)plan the approval and grading jobs; fixed job ids keep one plan however many workers start."""
    queue.enqueue_in(delay, approve_due_commissions, job_id=APPROVE_JOB_ID)
    queue.enqueue_in(delay, evaluate_grades, job_id=GRADES_JOB_ID)
