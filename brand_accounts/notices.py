"""Telling the brand's staff that an account needs connecting again: an outbox row per incident,
written with the ``needs_reconnect`` change, emailed after commit through the workspace's SMTP
credentials to its owners and marketers (console accounts). Jobs take ids and are safe to run twice:
a row is claimed by a conditional update per attempt, and its ``message_id`` is the same on every
attempt."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app
from rq import Queue
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.models import STAFF_ROLES, User
from brand_accounts.models import AccountNotice, BrandAccount
from channels import publisher_for
from channels.base import OutgoingPost, PublishError
from credentials.store import load_credentials
from plumbing import database, outbox, redis_client, signing, vault
from plumbing.database import insert_for, utcnow

MAX_ATTEMPTS = 5


def add_notice(session: Session, row: BrandAccount) -> None:
    """The notice for ``row`` turning ``needs_reconnect``, once per incident (the connection, known
    by when it was last connected or refreshed); planned when the caller commits."""
    since = row.refreshed_at or row.connected_at
    incident = since.isoformat() if since else "unknown"
    stmt = insert_for(session)(AccountNotice).values(
        workspace_id=row.workspace_id, channel=row.channel, incident=incident, reason=(row.error or "")[:500],
        status="pending", attempts=0, message_id=signing.new_message_id(), created_at=utcnow())
    notice_id = session.execute(stmt.on_conflict_do_nothing(
        index_elements=["workspace_id", "channel", "incident"]).returning(AccountNotice.id)).scalar()
    if notice_id is not None:
        outbox.enqueue_after_commit(session, enqueue_first, [notice_id])


def enqueue_first(queue: Queue, notice_id: int) -> None:
    enqueue(queue, notice_id, 1)


def enqueue(queue: Queue, notice_id: int, attempt: int, delay: timedelta | None = None) -> None:
    outbox.enqueue_attempt(queue, send_account_notice, f"sharecast-account-notice-{notice_id}-{attempt}",
                           f"account notice {notice_id}, attempt {attempt}", delay, notice_id, attempt)


def send_account_notice(notice_id: int, attempt: int = 1) -> str:
    """Attempt ``attempt``: ``succeeded``, ``retrying``, ``failed`` or ``skipped`` (taken, over, or unsendable)."""
    app = current_app._get_current_object()
    now = utcnow()
    with database.new_session(app) as session:
        taken = session.execute(update(AccountNotice).where(
            AccountNotice.id == notice_id, AccountNotice.attempts < attempt,
            AccountNotice.status.in_(("pending", "retrying", "sending"))).values(
            status="sending", attempts=attempt, claimed_at=now, next_attempt_at=None)).rowcount
        session.commit()
    if not taken:
        return "skipped"
    error, retryable = _deliver(app, notice_id)
    with database.new_session(app) as session:
        row = session.get(AccountNotice, notice_id)
        if error is None:
            row.status, row.sent_at, row.last_error = "succeeded", utcnow(), None
        elif retryable is None:
            row.status, row.last_error = "skipped", error
        elif retryable and attempt < MAX_ATTEMPTS:
            delay = outbox.retry_delay(attempt, 60.0)
            row.status, row.last_error, row.next_attempt_at = "retrying", error[:2000], utcnow() + delay
            session.commit()
            enqueue(redis_client.queue(app=app), notice_id, attempt + 1, delay)
            return "retrying"
        else:
            row.status, row.last_error = "failed", error[:2000]
        row.claimed_at = None
        status = row.status
        session.commit()
    return status


def _deliver(app: Flask, notice_id: int) -> tuple[str | None, bool | None]:
    """``(error or None, retryable)``; ``retryable`` None: it cannot be sent at all."""
    with database.read_session(app) as session:
        notice = session.get(AccountNotice, notice_id)
        emails = list(session.scalars(select(User.email).where(User.workspace_id == notice.workspace_id,
                                                               User.role.in_(STAFF_ROLES)).order_by(User.id)))
        credentials = load_credentials(session, vault.for_app(app), notice.workspace_id, "email")
        channel, reason, message_id = notice.channel, notice.reason, notice.message_id
    if credentials is None:
        return "the workspace has no email credentials", None
    if not emails:
        return "the workspace has no owner or marketer account to tell", None
    accounts_url = f"{app.config['PUBLIC_URL']}/console/accounts"
    post = OutgoingPost(title=notice_subject(channel), text=notice_text(channel, reason, accounts_url),
                        link=accounts_url, key=message_id)
    try:
        publisher_for("email").publish(post, {**credentials, "to": emails}, app.config["ALLOW_PRIVATE_TARGETS"])
    except PublishError as exc:
        return exc.message, exc.retryable
    return None, True


def notice_subject(channel: str) -> str:
    return f"Reconnect the brand's {channel} account / 请重新连接品牌的 {channel} 账号"


def notice_text(channel: str, reason: str, accounts_url: str) -> str:
    """The email's body, in English and Chinese (staff may read either; the workspace has no language)."""
    return (f"The brand's {channel} account needs connecting again: {reason or 'the platform refused it'}.\n"
            f"Until an owner reconnects it, posts for {channel} go to the sellers' libraries only "
            f"or fail.\nReconnect: {accounts_url}\n\n"
            f"品牌的 {channel} 账号需要重新连接。在所有者重新连接之前，{channel} 的帖子只会进入卖家素材库或发布失败。\n"
            f"重新连接：{accounts_url}\n")


def recover() -> int:
    """Plan again notices whose job was lost (the minute's sweep)."""
    return outbox.recover(AccountNotice, enqueue, utcnow())
