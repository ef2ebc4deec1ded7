"""Sellers' sign-in links by email, through the workspace's own SMTP server.

The request composes the message (in the visitor's language) and enqueues
this job, so the page answers at once and alike whether or not the address
is known. Sending the same link twice is harmless, so a retried job is safe.
"""
from __future__ import annotations

import logging

from flask import current_app

from channels import publisher_for
from channels.base import OutgoingPost, PublishError
from credentials.store import load_credentials
from plumbing import database, redis_client, vault

log = logging.getLogger(__name__)


def send_sign_in_link(workspace_id: int, to: str, subject: str, text: str, link: str) -> str:
    """Email ``text`` (which carries ``link``) to ``to``; ``sent`` or ``skipped``/``failed`` and why."""
    with database.read_session() as session:
        credentials = load_credentials(session, vault.for_app(current_app), workspace_id, "email")
    if credentials is None:
        log.warning("sign-in link for workspace %s not sent: no SMTP credentials", workspace_id)
        return "skipped: the workspace has no email (SMTP) credentials"
    post = OutgoingPost(text=text, title=subject, link=link)
    try:
        publisher_for("email").publish(post, {**credentials, "to": [to]}, current_app.config["ALLOW_PRIVATE_TARGETS"])
    except PublishError as exc:
        log.warning("sign-in link for workspace %s not sent: %s", workspace_id, exc.message)
        return f"failed: {exc.message}"
    return "sent"


def enqueue_sign_in_link(workspace_id: int, to: str, subject: str, text: str, link: str) -> None:
    redis_client.queue().enqueue(send_sign_in_link, workspace_id, to, subject, text, link,
                                 description="seller sign-in link", result_ttl=3600, failure_ttl=86400)
