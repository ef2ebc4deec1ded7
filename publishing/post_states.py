"""Where a post the platform decides on later stands: the Official Account reviews an article after
``freepublish/submit``, so the publication knows only its ``publish_id`` until ``freepublish/get``
says published (with the article's URL) or refused (originality, review, ...).

A job (in the minute's brand-account sweep) asks each adapter that offers ``publish_status`` about
published posts whose state is not final yet: first soon after publishing, then with back-off
(``POST_STATE_FIRST_SECONDS`` doubling, at most an hour), for ``POST_STATE_WINDOW_HOURS``. Safe to
run twice: asking is a read, and rows are upserted per publication.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import or_, select

from brand_accounts.models import PostState
from channels import publisher_for, publishers
from channels.base import PublishError
from plumbing import database
from plumbing.database import insert_for, utcnow
from plumbing.outbox import retry_delay
from publishing.direct_post import ask_with_token
from publishing.models import Publication
from publishing.publications import PublishFailed

log = logging.getLogger(__name__)
# States a platform may still change by itself; anything else is final.
PENDING = frozenset({"publishing", "unknown"})
MAX_WAIT_SECONDS = 3600


def due(session, now: datetime, window: timedelta) -> list[tuple[int, int, str, str, int]]:
    """``(publication id, workspace id, channel, external id, checks so far)`` to ask about now."""
    channels = [cid for cid, p in publishers().items() if hasattr(p, "publish_status")]
    rows = session.execute(
        select(Publication.id, Publication.workspace_id, Publication.channel, Publication.external_id,
               PostState.checks)
        .outerjoin(PostState, PostState.publication_id == Publication.id)
        .where(Publication.status == "published", Publication.external_id.is_not(None),
               Publication.channel.in_(channels), Publication.published_at >= now - window,
               or_(PostState.id.is_(None), PostState.next_check_at <= now))
        .order_by(Publication.id))
    return [(p, w, c, e, n or 0) for p, w, c, e, n in rows]


def poll_due(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Ask the platforms about every due post and keep the answers; counts by state (or ``failed``)."""
    now = now or utcnow()
    first = app.config["POST_STATE_FIRST_SECONDS"]
    with database.read_session(app) as session:
        rows = due(session, now, timedelta(hours=app.config["POST_STATE_WINDOW_HOURS"]))
    outcome: dict[str, int] = {}
    for pub_id, workspace_id, channel, external_id, checks in rows:
        wait = retry_delay(checks + 1, first, factor=2.0, cap_seconds=MAX_WAIT_SECONDS)
        try:
            found = _ask(app, workspace_id, channel, external_id)
        except (PublishError, PublishFailed) as exc:
            log.warning("state of publication %s: %s", pub_id, exc.message)
            wait = max(wait, timedelta(seconds=exc.retry_after or 0))
            _keep(app, pub_id, workspace_id, {"checks": checks + 1, "next_check_at": now + wait,
                                              "error": exc.message[:500]}, default_state="unknown")
            outcome["failed"] = outcome.get("failed", 0) + 1
            continue
        state = found["state"]
        _keep(app, pub_id, workspace_id, {
            "state": state, "url": found.get("article_url"), "checked_at": now, "checks": checks + 1,
            "next_check_at": now + wait if state in PENDING else None, "error": None})
        outcome[state] = outcome.get(state, 0) + 1
    return outcome


def _ask(app: Flask, workspace_id: int, channel: str, external_id: str) -> dict:
    allow_private = app.config["ALLOW_PRIVATE_TARGETS"]
    return ask_with_token(app, workspace_id, channel,
                          lambda credentials: publisher_for(channel).publish_status(external_id, credentials,
                                                                                    allow_private))


def _keep(app: Flask, pub_id: int, workspace_id: int, update: dict, default_state: str | None = None) -> None:
    with database.new_session(app) as session:
        values = {"publication_id": pub_id, "workspace_id": workspace_id, "state": default_state, **update}
        stmt = insert_for(session)(PostState).values(**values)
        session.execute(stmt.on_conflict_do_update(index_elements=["publication_id"], set_=update))
        session.commit()

