"""The sellers' content library: ready posts in each seller's voice, grabs, feed tokens.

Nothing is copied per seller: a live publication plus the seller makes a
post, rendered by :func:`publishing.posts.campaign_posts` at the content
version that went live (renders are cached by content, so only the first
look at a seller's poster draws it; the publish job warms them).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalog.models import Campaign
from channels import REGISTRY
from plumbing.errors import ApiError
from publishing.models import ACTIVE, FeedToken, Grab, Publication
from publishing.posts import Writer, campaign_posts
from publishing.storage import Storage
from referrals.links import get_or_create_link
from referrals.models import Sharer


def library_channels() -> list[str]:
    """The channels sellers share by hand (``in_library``): the only ones in their library, feed and notices."""
    return [c for c, channel in REGISTRY.items() if channel.spec.in_library]


def in_library(channel: str) -> bool:
    return channel in REGISTRY and REGISTRY[channel].spec.in_library


def _latest_per_channel(rows: list[Publication]) -> list[Publication]:
    """One publication per (campaign, channel): the newest (a republish replaces the older post)."""
    chosen: dict[tuple[int, str], Publication] = {}
    for pub in rows:
        key = (pub.campaign_id, pub.channel)
        if key not in chosen or (pub.published_at or pub.publish_at) > (chosen[key].published_at or chosen[key].publish_at):
            chosen[key] = pub
    return list(chosen.values())


def library_publications(session: Session, workspace_id: int, now: datetime, state: str | None = None,
                         channel: str | None = None, campaign_id: int | None = None) -> list[tuple[str, Publication, Campaign]]:
    """``(state, publication, campaign)`` for the workspace's live and upcoming posts, live first.

    Live: published, campaign not ended (newest first). Upcoming: scheduled (soonest first).
    Only channels sellers share by hand (see :func:`library_channels`).
    """
    query = (select(Publication, Campaign).join(Campaign, Campaign.id == Publication.campaign_id)
             .where(Publication.workspace_id == workspace_id, Publication.channel.in_(library_channels()),
                    or_(Campaign.ends_at.is_(None), Campaign.ends_at > now)))
    if channel:
        query = query.where(Publication.channel == channel)
    if campaign_id:
        query = query.where(Publication.campaign_id == campaign_id)
    rows = session.execute(query).all()
    campaigns = {c.id: c for _, c in rows}
    out = []
    if state in (None, "live"):
        live = _latest_per_channel([p for p, _ in rows if p.status == "published"])
        live.sort(key=lambda p: (p.published_at, p.id), reverse=True)
        out += [("live", p, campaigns[p.campaign_id]) for p in live]
    if state in (None, "upcoming"):
        upcoming = sorted((p for p, _ in rows if p.status in ACTIVE), key=lambda p: (p.publish_at, p.id))
        out += [("upcoming", p, campaigns[p.campaign_id]) for p in upcoming]
    return out


def library_items(session: Session, writer: Writer, store: Storage, public: str, sharer: Sharer,
                  entries: list[tuple[str, Publication, Campaign]]) -> list[dict]:
    """The seller's post for each entry (one render pass per campaign and content version)."""
    entries = [e for e in entries if in_library(e[1].channel)]
    groups: dict[tuple[int, int | None], list[tuple[str, Publication]]] = {}
    for state, pub, _ in entries:
        version = pub.content_version if state == "live" else None
        groups.setdefault((pub.campaign_id, version), []).append((state, pub))
    campaigns = {c.id: c for _, _, c in entries}
    posts: dict[int, dict] = {}
    for (campaign_id, version), members in groups.items():
        channels = {pub.channel for _, pub in members}
        only = next(iter(channels)) if len(channels) == 1 else None
        rendered = campaign_posts(session, writer, store, campaigns[campaign_id], public, sharer, version, only)
        by_channel = {item["channel"]: item for item in rendered["items"]}
        for state, pub in members:
            if pub.channel in by_channel:
                posts[pub.id] = library_item(state, pub, campaigns[campaign_id], by_channel[pub.channel],
                                             rendered["content_version"])
    return [posts[pub.id] for _, pub, _ in entries if pub.id in posts]


def library_item(state: str, pub: Publication, campaign: Campaign, post: dict, version: int) -> dict:
    return {
        "publication_id": pub.id, "campaign_id": campaign.id, "campaign_name": campaign.name,
        # What sellers see: the campaign's name is the marketers' own (the form promises it stays private).
        "campaign_title": campaign.title,
        "channel": pub.channel, "name": post["name"], "state": state,
        "text": post["text"], "title": post["title"], "hashtags": post["hashtags"],
        "images": post["images"], "link": post["link"], "code": post["code"],
        "publish_at": pub.publish_at.isoformat(),
        "published_at": pub.published_at.isoformat() if pub.published_at else None,
        "content_version": version,
    }


def record_grab(session: Session, sharer: Sharer, campaign_id: int, channel: str,
                content_version: int | None) -> Grab:
    """Note that ``sharer`` took the live post of ``campaign_id`` on ``channel``; flushes.

    :raise ApiError 404: no live post of that campaign on that channel in the seller's workspace
        (a channel not in the library, such as the webhook, has none).
    :raise ApiError 422: a content version the campaign never had.
    """
    pub = None if not in_library(channel) else session.scalar(select(Publication).where(
        Publication.workspace_id == sharer.workspace_id, Publication.campaign_id == campaign_id,
        Publication.channel == channel, Publication.status == "published")
        .order_by(Publication.published_at.desc(), Publication.id.desc()).limit(1))
    if pub is None:
        raise ApiError(404, "not_found", "No live post of that campaign on that channel.")
    campaign = session.get(Campaign, campaign_id)
    version = content_version or pub.content_version or campaign.content_version
    if not 1 <= version <= campaign.content_version:
        raise ApiError(422, "validation_error", "Unknown content version.",
                       {"content_version": f"between 1 and {campaign.content_version}"})
    link, _ = get_or_create_link(session, sharer.workspace_id, campaign_id, sharer.id, channel)
    grab = Grab(workspace_id=sharer.workspace_id, sharer_id=sharer.id, campaign_id=campaign_id,
                publication_id=pub.id, channel=channel, content_version=version, link_id=link.id)
    session.add(grab)
    session.flush()
    return grab


def grab_json(grab: Grab) -> dict:
    return {"id": grab.id, "sharer_id": grab.sharer_id, "campaign_id": grab.campaign_id,
            "publication_id": grab.publication_id, "channel": grab.channel,
            "content_version": grab.content_version, "link_id": grab.link_id,
            "grabbed_at": grab.grabbed_at.isoformat()}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed_token(session: Session, sharer: Sharer) -> str:
    """A new feed secret for ``sharer`` (the old one stops working); flushes. Shown once."""
    token = secrets.token_urlsafe(32)
    row = session.get(FeedToken, sharer.id)
    if row is None:
        session.add(FeedToken(sharer_id=sharer.id, workspace_id=sharer.workspace_id, token_hash=_token_hash(token)))
    else:
        row.token_hash = _token_hash(token)
    session.flush()
    return token


def sharer_for_feed(session: Session, token: str) -> Sharer | None:
    if not token or len(token) > 100:
        return None
    sharer_id = session.scalar(select(FeedToken.sharer_id).where(FeedToken.token_hash == _token_hash(token)))
    return session.get(Sharer, sharer_id) if sharer_id else None
