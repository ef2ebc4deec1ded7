"""Every sharer's posters, rendered in the background by RQ jobs.

The planner (:func:`missing_sharers`) finds the sharers whose posters for the
current content version are not stored yet, so a build resumes where the last
one stopped; :func:`enqueue` splits them into chunks, one job each. A job
(:func:`render_sharer_posters`) takes ids, opens its own sessions, renders
only what is missing and reports progress in ``job.meta["done"]``: running it
twice, or two at once, does no harm.
"""
from __future__ import annotations

from flask import Flask, current_app
from rq import Queue, get_current_job
from rq.job import Job
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Campaign
from channels import REGISTRY
from channels.content import SharerVoice
from plumbing import database
from publishing.posts import plan, post_link, voices_for
from publishing.renders import Renderer
from publishing.storage import storage
from publishing.versions import get_version
from referrals.identity import poster_name
from referrals.models import Link, LinkClickTotal, Sharer

CHUNK = 100
JOB_TIMEOUT = 1800


def channels_of(snapshot: dict) -> list[str]:
    return [c for c in snapshot["channels"] if c in REGISTRY]


def most_active_sharers(session: Session, workspace_id: int, n: int) -> list[int]:
    """The ``n`` sharers of the workspace with the most clicks on all their links (ties: oldest first)."""
    return list(session.scalars(
        select(LinkClickTotal.sharer_id).where(LinkClickTotal.workspace_id == workspace_id)
        .group_by(LinkClickTotal.sharer_id).order_by(func.sum(LinkClickTotal.clicks).desc(), LinkClickTotal.sharer_id)
        .limit(n)))


def missing_sharers(session: Session, renderer: Renderer, campaign: Campaign, version_number: int, public: str,
                    only: list[int] | None = None) -> tuple[list[int], int]:
    """(ids of the workspace's sharers missing a poster for this version, how many sharers were looked at).

    ``only``: look at these sharers alone (see :func:`most_active_sharers`); the others' posters
    are drawn when first asked for.
    """
    channels = channels_of(renderer.snapshot)
    links = select(Link).where(Link.campaign_id == campaign.id, Link.product_id.is_(None))
    sharer_rows = (select(Sharer.id, Sharer.name, Sharer.display_name, Sharer.source, Sharer.code, Sharer.avatar_key)
                   .where(Sharer.workspace_id == campaign.workspace_id).order_by(Sharer.id))
    if only is not None:
        links, sharer_rows = links.where(Link.sharer_id.in_(only)), sharer_rows.where(Sharer.id.in_(only))
    codes = {(link.sharer_id, link.channel): link.code for link in session.scalars(links)}
    sharers = session.execute(sharer_rows).all()
    slots = plan(renderer, channels, dict.fromkeys(channels))
    missing: set[int] = set()
    keys: dict[str, int] = {}
    for sharer_id, real_name, display_name, source, code, avatar in sharers:
        name = poster_name(real_name, display_name, source)
        for channel in channels:
            link = codes.get((sharer_id, channel))
            if link is None:  # no link yet, so certainly no poster
                missing.add(sharer_id)
                break
            voice = SharerVoice(name=name, link=post_link(public, link, version_number), code=code,
                                avatar=avatar or "")
            for slot in slots[channel]:
                if slot.poster:
                    keys[renderer.key(slot, voice)] = sharer_id
    renderer.load_known(session, list(keys))
    missing.update(keys[k] for k in renderer.missing(list(keys)))
    return sorted(missing), len(sharers)


def enqueue(queue: Queue, campaign_id: int, version: int, sharer_ids: list[int], chunk: int = CHUNK) -> list[Job]:
    """One job per ``chunk`` sharers; ids name the campaign, version and sharer range."""
    jobs = []
    for start in range(0, len(sharer_ids), chunk):
        ids = sharer_ids[start:start + chunk]
        jobs.append(queue.enqueue(render_sharer_posters, campaign_id, version, ids, job_timeout=JOB_TIMEOUT,
                                  job_id=f"sharecast-posters-{campaign_id}-{version}-{ids[0]}-{ids[-1]}",
                                  description=f"posters of campaign {campaign_id} v{version}, {len(ids)} sharers",
                                  result_ttl=3600, failure_ttl=86400))
    return jobs


def render_sharer_posters(campaign_id: int, version: int, sharer_ids: list[int]) -> int:
    """Render the missing posters of ``sharer_ids`` at content ``version``; returns sharers done.

    Does nothing once the campaign has a newer version (the build is stale;
    posts of the old version are still rendered on demand).
    """
    return _render(current_app._get_current_object(), campaign_id, version, sharer_ids)


def _render(app: Flask, campaign_id: int, version_number: int, sharer_ids: list[int]) -> int:
    job = get_current_job()
    read = database.read_session(app)
    try:
        campaign = read.get(Campaign, campaign_id)
        if campaign is None or campaign.content_version != version_number:
            return 0
        version = get_version(read, campaign, version_number)
        renderer = Renderer(version.snapshot, storage(app))
        channels = channels_of(version.snapshot)
        sharers = read.scalars(select(Sharer).where(Sharer.id.in_(sharer_ids),
                                                    Sharer.workspace_id == campaign.workspace_id)
                               .order_by(Sharer.id)).all()
        public = app.config["PUBLIC_URL"]
        writer = database.new_session
        for done, sharer in enumerate(sharers, 1):
            voices = voices_for(read, writer, campaign, sharer, channels, public, version_number)
            wanted = [(slot, voices[c]) for c, slots in plan(renderer, channels, voices).items()
                      for slot in slots if slot.poster]
            renderer.load_known(read, [renderer.key(slot, voice) for slot, voice in wanted])
            for slot, voice in wanted:
                renderer.image(slot, voice)
            with writer() as write:
                renderer.save(write)
                write.commit()
            read.commit()  # end the read snapshot: the next sharer sees what other jobs stored
            if job is not None:
                job.meta["done"] = done
                job.save_meta()
        return len(sharers)
    finally:
        read.close()
