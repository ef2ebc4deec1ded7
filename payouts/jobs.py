"""Sending approved withdrawals and following up on the ones not settled yet.

Jobs take ids, open their own sessions, are safe to run twice and run in the
worker's app context. A withdrawal is claimed (approved → sending) in its own
transaction before the rail is called, so two jobs never send it at once; a
worker that dies after the call leaves it ``sending``, and the follow-up asks the
rail about the same out_no instead of paying again.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from rq import Queue
from sqlalchemy import select

from payouts.accounts import rail_credentials
from payouts.models import Withdrawal
from payouts.rails.base import Outcome, Transfer
from payouts.rails.registry import RAILS
from payouts.withdrawals import due_for_follow_up, record_outcome
from plumbing import database, outbox, redis_client, vault
from plumbing.database import utcnow

FOLLOW_UP_JOB_ID = "sharecast-follow-up-withdrawals"


def notify_url(public_url: str, workspace_id: int, rail: str) -> str | None:
    """Where a rail that notifies posts a transfer's outcome (WeChat Pay); None for the others."""
    return f"{public_url}/api/v1/payouts/rails/wechat/notify/{workspace_id}" if rail == "wechat" else None


def enqueue_follow_up(queue: Queue, withdrawal_id: int) -> None:
    outbox.enqueue_attempt(queue, follow_up, f"sharecast-withdrawal-follow-up-{withdrawal_id}-{utcnow().timestamp():.0f}",
                           f"follow up withdrawal {withdrawal_id}", None, withdrawal_id)


def enqueue_send(queue: Queue, withdrawal_id: int) -> None:
    outbox.enqueue_attempt(queue, send_withdrawal, f"sharecast-withdrawal-{withdrawal_id}-{utcnow().timestamp():.0f}",
                           f"send withdrawal {withdrawal_id}", None, withdrawal_id)


def _locked(session, withdrawal_id: int) -> Withdrawal | None:
    return session.scalar(select(Withdrawal).where(Withdrawal.id == withdrawal_id).with_for_update())


def _transfer(session, w: Withdrawal) -> tuple[dict | None, Transfer]:
    box = vault.for_app(current_app)
    credentials = rail_credentials(session, box, w.workspace_id, w.rail)
    return credentials, Transfer(out_no=w.out_no, amount_minor=w.amount_minor, currency=w.currency,
                                 account=box.open(w.account_sealed), remark=f"Sharecast withdrawal {w.id}",
                                 notify_url=notify_url(current_app.config["PUBLIC_URL"], w.workspace_id, w.rail),
                                 rail_ref=w.rail_ref)


def _apply(withdrawal_id: int, outcome: Outcome) -> str:
    with database.new_session() as session:
        w = _locked(session, withdrawal_id)
        if w is None or w.status != "sending":
            return "skipped"
        record_outcome(session, w, outcome, utcnow())
        session.commit()
        return w.status


def send_withdrawal(withdrawal_id: int) -> str:
    """Send an approved withdrawal through its rail; answers its status after (or ``skipped``)."""
    with database.new_session() as session:
        w = _locked(session, withdrawal_id)
        if w is None or w.status != "approved":
            return "skipped"
        credentials, transfer = _transfer(session, w)
        w.status, w.attempts, w.sent_at = "sending", w.attempts + 1, utcnow()
        rail = w.rail
        session.commit()
    if credentials is None:  # the brand removed the rail: nothing was sent, ask again later
        return _apply(withdrawal_id, Outcome("pending", "RAIL_NOT_CONFIGURED"))
    return _apply(withdrawal_id, RAILS[rail].send(credentials, transfer, current_app.config["ALLOW_PRIVATE_TARGETS"]))


def follow_up(withdrawal_id: int) -> str:
    """Ask the rail about a withdrawal being sent; send one that never landed again (same out_no)."""
    with database.new_session() as session:
        w = session.get(Withdrawal, withdrawal_id)
        if w is None or w.status not in ("approved", "sending"):
            return "skipped"
        if w.status == "approved":
            status = "approved"
        else:
            credentials, transfer = _transfer(session, w)
            status, rail = w.status, w.rail
    if status == "sending":
        if credentials is None:
            return "sending"
        status = _apply(withdrawal_id, RAILS[rail].query(credentials, transfer,
                                                         current_app.config["ALLOW_PRIVATE_TARGETS"]))
    return send_withdrawal(withdrawal_id) if status == "approved" else status


def follow_up_all() -> dict[int, str]:
    """Follow up every withdrawal left approved or sending past PAYOUT_FOLLOW_UP_SECONDS."""
    wait = timedelta(seconds=current_app.config["PAYOUT_FOLLOW_UP_SECONDS"])
    with database.read_session() as session:
        ids = due_for_follow_up(session, utcnow(), wait)
    return {withdrawal_id: follow_up(withdrawal_id) for withdrawal_id in ids}


def follow_up_withdrawals() -> int:
    """The periodic job: follow up, then plan the next run."""
    done = follow_up_all()
    schedule_periodic(redis_client.queue(), timedelta(seconds=current_app.config["PAYOUT_FOLLOW_UP_SECONDS"]))
    return len(done)


def schedule_periodic(queue: Queue, delay: timedelta = timedelta(seconds=5)) -> None:
    """(Re)plan the follow-up; a fixed job id keeps one plan however many workers start."""
    queue.enqueue_in(delay, follow_up_withdrawals, job_id=FOLLOW_UP_JOB_ID)
