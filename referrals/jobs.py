"""Background jobs of the referral side. Jobs take ids, open their own session,
are safe to run twice, and run in the worker's app context."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from rq import Queue, get_current_job
from rq.exceptions import NoSuchJobError
from sqlalchemy import select

from plumbing import database, redis_client
from plumbing.database import utcnow
from referrals import balances, clickwriter, retention
from referrals.csv_imports import run_import
from referrals.grades import evaluate
from referrals.imports import COLUMNS, REQUIRED, import_rows
from referrals.ledger import approve_due
from referrals.models import Grade, SalesImport
from referrals.reviews import expire, expired

APPROVE_JOB_ID = "sharecast-approve-due-commissions"
APPROVE_EVERY = timedelta(minutes=10)
GRADES_JOB_ID = "sharecast-evaluate-grades"
GRADES_EVERY = timedelta(hours=1)


def approve_due_commissions() -> int:
    """Decide the risk holds nobody reviewed in time (each in its own transaction), approve every
    commission whose holding period is over (in another); then plan the next run.

    Apart, so that no transaction holds a workspace's awards lock (a rejection takes it) while it
    locks commissions: a refund locks its sale's commissions and then the awards lock."""
    with database.new_session() as session:
        due = expired(session, utcnow())
    for review_id in due:
        with database.new_session() as session:
            expire(session, review_id, utcnow())
            session.commit()
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


CLICKS_JOB_ID = "sharecast-maintain-clicks"
CLICKS_EVERY = timedelta(hours=6)


def maintain_clicks() -> dict:
    """Make next months' click partitions and drop raw clicks past retention; then plan the next run."""
    engine = database.engine_of(current_app)
    with engine.begin() as conn:
        made = retention.ensure_partitions(conn, utcnow())
        kept = retention.retain(conn, utcnow(), current_app.config["CLICK_RETENTION_MONTHS"])
    redis_client.queue().enqueue_in(CLICKS_EVERY, maintain_clicks, job_id=CLICKS_JOB_ID)
    return {"partitions_made": made, "partitions_dropped": kept.partitions_dropped,
            "clicks_deleted": kept.clicks_deleted, "visitor_hours_deleted": kept.visitor_hours_deleted}


LEDGER_JOB_ID = "sharecast-checkpoint-ledger"
LEDGER_EVERY = timedelta(seconds=30)


def checkpoint_ledger() -> int:
    """Sum the settled ledger lines into sharers' balances (``balances.advance``); then plan the
    next run. A balance reads the lines after the checkpoint, so between runs it reads at most
    LEDGER_EVERY of a sharer's lines. Safe to run twice."""
    moved = balances.advance()
    redis_client.queue().enqueue_in(LEDGER_EVERY, checkpoint_ledger, job_id=LEDGER_JOB_ID)
    return moved


def schedule_periodic(queue: Queue, delay: timedelta = timedelta(seconds=5)) -> None:
    """(Re)plan the approval, grading, click upkeep and ledger checkpoint jobs in ``delay``, each
    unless it is planned sooner already (a worker's start, and each approval run, plan again any a
    lost worker dropped; none is put off: the checkpoint's 30 s stay 30 s); fixed job ids keep one
    plan however many workers start."""
    for job, job_id in ((approve_due_commissions, APPROVE_JOB_ID), (checkpoint_ledger, LEDGER_JOB_ID),
                        (evaluate_grades, GRADES_JOB_ID), (maintain_clicks, CLICKS_JOB_ID)):
        _plan_within(queue, delay, job, job_id)


def _plan_within(queue: Queue, delay: timedelta, job, job_id: str) -> None:
    """Plan ``job`` under ``job_id`` in ``delay``, unless it is planned to run sooner already."""
    try:
        planned = queue.scheduled_job_registry.get_scheduled_time(job_id)
    except NoSuchJobError:
        planned = None
    if planned is None or planned > utcnow() + delay:
        queue.enqueue_in(delay, job, job_id=job_id)


def run_sales_import(import_id: int) -> None:
    """Import a kept CSV file of sales and refunds (``SalesImport``, see ``csv_imports.run_import``).
    Safe to run twice: a sale or refund recorded twice is recorded once."""
    app = current_app._get_current_object()

    def import_file(session, found, rows, first_line, progress):
        return import_rows(session, found.workspace_id, rows, app.config["PUBLIC_URL"], found.dry_run,
                           clickwriter.writer_for(app).write_now, first_line, progress)["results"]

    run_import(SalesImport, import_id, COLUMNS, REQUIRED, import_file)
