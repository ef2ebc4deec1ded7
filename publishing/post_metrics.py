"""How each post on the brand's own accounts did: likes, reposts, replies, views, fetched by a
periodic job from every platform whose adapter offers ``metrics``.

A post is asked about every ``METRICS_EVERY_SECONDS`` while it is younger than
``METRICS_WINDOW_DAYS``. One request per (workspace, channel) and up to 100 posts;
a failure backs off per post (the platform's ``retry_after`` when it gave one),
an expired token is renewed once. Safe to run twice: rows are upserted per publication.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import or_, select

from brand_accounts.models import PostMetric
from channels import publisher_for, publishers
from channels.base import PostMetrics, PublishError
from plumbing import database
from plumbing.database import insert_for, utcnow
from plumbing.outbox import retry_delay
from publishing.direct_post import ask_with_token
from publishing.models import Publication
from publishing.publications import PublishFailed

log = logging.getLogger(__name__)
BATCH = 100


def due(session, now: datetime, window: timedelta) -> list[tuple[int, int, str, str]]:
    """``(publication id, workspace id, channel, external id)`` of posts to ask about now."""
    channels = [cid for cid, p in publishers().items() if hasattr(p, "metrics")]
    rows = session.execute(
        select(Publication.id, Publication.workspace_id, Publication.channel, Publication.external_id)
        .outerjoin(PostMetric, PostMetric.publication_id == Publication.id)
        .where(Publication.status == "published", Publication.external_id.is_not(None),
               Publication.channel.in_(channels), Publication.published_at >= now - window,
               or_(PostMetric.id.is_(None), PostMetric.next_fetch_at <= now))
        .order_by(Publication.id))
    return [tuple(r) for r in rows]


def fetch_due(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Ask each platform about its due posts and keep the answers. :return: counts by outcome."""
    now = now or utcnow()
    config = app.config
    every = timedelta(seconds=config["METRICS_EVERY_SECONDS"])
    with database.read_session(app) as session:
        rows = due(session, now, timedelta(days=config["METRICS_WINDOW_DAYS"]))
    groups: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for pub_id, workspace_id, channel, external_id in rows:
        groups[(workspace_id, channel)].append((pub_id, external_id))
    outcome: dict[str, int] = defaultdict(int)
    for (workspace_id, channel), posts in groups.items():
        for start in range(0, len(posts), BATCH):
            batch = posts[start:start + BATCH]
            try:
                found = _ask(app, workspace_id, channel, [e for _, e in batch])
            except (PublishError, PublishFailed) as exc:
                log.warning("metrics for %s in workspace %s: %s", channel, workspace_id, exc.message)
                _record_failure(app, workspace_id, batch, now, every, exc.message, exc.retry_after)
                outcome["failed"] += len(batch)
                continue
            _record(app, workspace_id, batch, found, now, every)
            for _, external_id in batch:
                outcome["fetched" if external_id in found else "missing"] += 1
    return dict(outcome)


def _ask(app: Flask, workspace_id: int, channel: str, external_ids: list[str]) -> dict[str, PostMetrics]:
    allow_private = app.config["ALLOW_PRIVATE_TARGETS"]
    return ask_with_token(app, workspace_id, channel,
                          lambda credentials: publisher_for(channel).metrics(external_ids, credentials, allow_private))


def _upsert(session, values: dict, update: dict) -> None:
    stmt = insert_for(session)(PostMetric).values(**values)
    session.execute(stmt.on_conflict_do_update(index_elements=["publication_id"], set_=update))


def _record(app: Flask, workspace_id: int, batch, found: dict[str, PostMetrics], now: datetime,
            every: timedelta) -> None:
    with database.new_session(app) as session:
        for pub_id, external_id in batch:
            m = found.get(external_id)
            figures = {"likes": m.likes, "reposts": m.reposts, "replies": m.replies, "views": m.views} if m else {}
            update = {**figures, "fetched_at": now if m else None, "next_fetch_at": now + every, "failures": 0,
                      "error": None if m else "the platform no longer shows this post"}
            if not m:
                update.pop("fetched_at")
            _upsert(session, {"publication_id": pub_id, "workspace_id": workspace_id, **update}, update)
        session.commit()


def _record_failure(app: Flask, workspace_id: int, batch, now: datetime, every: timedelta, error: str,
                    retry_after: float | None) -> None:
    with database.new_session(app) as session:
        failures = dict(session.execute(select(PostMetric.publication_id, PostMetric.failures).where(
            PostMetric.publication_id.in_([p for p, _ in batch]))).all())
        for pub_id, _ in batch:
            count = failures.get(pub_id, 0) + 1
            wait = max(retry_delay(count, every.total_seconds() / 4, cap_seconds=86400),
                       timedelta(seconds=retry_after or 0))
            update = {"failures": count, "error": error[:500], "next_fetch_at": now + wait}
            _upsert(session, {"publication_id": pub_id, "workspace_id": workspace_id, **update}, update)
        session.commit()
