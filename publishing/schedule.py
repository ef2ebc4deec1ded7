"""Scheduling a campaign: validate every requested publication, then replace and cancel.

Nothing is stored unless the whole request is valid. Replacing a channel's
scheduled publication cancels the old row (kept as history) and adds a new
one; its RQ job finds the row cancelled and does nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Campaign
from channels import REGISTRY as CHANNELS
from plumbing.database import lock
from plumbing.errors import ApiError
from publishing.approvals import require_approved
from publishing.models import ACTIVE, Publication, TimeSlot
from publishing.slots import local, next_free_slot, offset_minutes
from workspaces.models import Workspace

GRACE = timedelta(seconds=60)  # a publish_at this far in the past still counts as "now"


def _invalid(message: str, fields: dict) -> ApiError:
    return ApiError(422, "validation_error", message, fields)


def active_publications(session: Session, campaign_id: int) -> dict[str, Publication]:
    rows = session.scalars(select(Publication).where(Publication.campaign_id == campaign_id,
                                                     Publication.status.in_(ACTIVE)))
    return {p.channel: p for p in rows}


def _check_time(when: datetime, campaign: Campaign, now: datetime) -> str | None:
    """Why ``when`` cannot be a publish time for ``campaign``, or None."""
    if when < now - GRACE:
        return "is in the past"
    if campaign.starts_at and when < campaign.starts_at:
        return f"is before the campaign starts ({campaign.starts_at.isoformat()})"
    if campaign.ends_at and when >= campaign.ends_at:
        return f"is not before the campaign ends ({campaign.ends_at.isoformat()})"
    return None


def _slot_time(session: Session, campaign: Campaign, channel: str, now: datetime):
    """The next free slot of the workspace for ``channel`` (this campaign's own one may be reused)."""
    workspace = session.get(Workspace, campaign.workspace_id)
    minutes = list(session.scalars(select(TimeSlot.minute_of_day).where(
        TimeSlot.workspace_id == campaign.workspace_id)))
    if not minutes:
        return None, "the workspace has no time slots; set them with PUT /api/v1/workspace/slots"
    taken = set(session.scalars(select(Publication.publish_at).where(
        Publication.workspace_id == campaign.workspace_id, Publication.channel == channel,
        Publication.status.in_(ACTIVE), Publication.campaign_id != campaign.id)))
    found = next_free_slot(minutes, workspace.timezone, now, taken, campaign.starts_at, campaign.ends_at)
    if found is None:
        return None, "no free time slot before the campaign ends"
    return found, None


def plan(session: Session, campaign: Campaign, items: list[dict], cancel: list[int], now: datetime) -> list[dict]:
    """Each requested publication as ``{channel, publish_at, offset, slot}``, validated.

    :raise ApiError 422: ``fields`` names each bad entry (``publications.<i>.<field>``).
    :raise ApiError 409: a publication is being published right now.
    """
    if not items and not cancel:
        raise _invalid("Give at least one publication (or publications to cancel).",
                       {"publications": "must not be empty"})
    errors: dict[str, str] = {}
    seen: set[str] = set()
    planned = []
    for i, item in enumerate(items):
        channel = item["channel"]
        where = f"publications.{i}"
        if channel not in CHANNELS:
            errors[f"{where}.channel"] = f"unknown channel {channel!r}"
            continue
        if channel not in campaign.channels:
            errors[f"{where}.channel"] = f"the campaign does not use {channel}; it uses {', '.join(campaign.channels)}"
            continue
        if channel in seen:
            errors[f"{where}.channel"] = "each channel may be scheduled once per request"
            continue
        seen.add(channel)
        if (item.get("publish_at") is None) == (item.get("slot") is None):
            errors[where] = "give exactly one of publish_at or slot"
            continue
        if item.get("slot") is not None:
            found, problem = _slot_time(session, campaign, channel, now)
            if problem:
                errors[f"{where}.slot"] = problem
                continue
            planned.append({"channel": channel, "publish_at": found[0], "offset": None, "slot": found[1]})
            continue
        when = item["publish_at"]
        problem = _check_time(when, campaign, now)
        if problem:
            errors[f"{where}.publish_at"] = problem
            continue
        planned.append({"channel": channel, "publish_at": when, "offset": offset_minutes(when), "slot": None})
    if errors:
        raise _invalid("The schedule has invalid entries; nothing was changed.", errors)
    return planned


def schedule(session: Session, campaign: Campaign, items: list[dict], cancel: list[int],
             now: datetime) -> list[Publication]:
    """Validate and apply a schedule request; flushes, the caller commits and enqueues.

    A channel already scheduled is replaced; ``cancel`` lists publication ids
    of this campaign to cancel. Returns the new publications.

    :raise ApiError 404: a cancel id that is not a publication of this campaign.
    :raise ApiError 409: a publication to replace or cancel is being published now,
        or one to cancel is no longer scheduled.
    :raise ApiError 409 ``approval_required``: the workspace asks for approval and the
        campaign's current content has none (publishing/approvals.py).
    :raise ApiError 422: invalid entries (see :func:`plan`); nothing changes.
    """
    # Slots are shared by the workspace's campaigns: pick and take them one request at a time.
    lock(session, f"schedule:{campaign.workspace_id}")
    if items:
        require_approved(session, campaign)
    planned = plan(session, campaign, items, cancel, now)
    active = active_publications(session, campaign.id)
    by_id = {p.id: p for p in active.values()}
    for pub_id in cancel:
        if pub_id not in by_id:
            known = session.scalar(select(Publication.status).where(Publication.id == pub_id,
                                                                    Publication.campaign_id == campaign.id))
            if known is None:
                raise ApiError(404, "not_found", f"The campaign has no publication {pub_id}.")
            raise ApiError(409, "conflict", f"Publication {pub_id} is {known}; only a scheduled one can be cancelled.")
    to_end = [by_id[i] for i in cancel] + [active[p["channel"]] for p in planned if p["channel"] in active]
    for old in to_end:
        if old.status == "publishing":
            raise ApiError(409, "conflict", f"The {old.channel} publication is being published right now.")
        old.status, old.error = "cancelled", old.error or ("cancelled" if old.id in cancel else "replaced by a new schedule")
    session.flush()
    workspace = session.get(Workspace, campaign.workspace_id)
    new = []
    for p in planned:
        offset = p["offset"]
        if offset is None:  # a slot: shown in the workspace's zone
            offset = offset_minutes(local(p["publish_at"], workspace.timezone))
        new.append(Publication(workspace_id=campaign.workspace_id, campaign_id=campaign.id, channel=p["channel"],
                               publish_at=p["publish_at"], publish_at_offset=offset, slot=p["slot"],
                               status="scheduled", attempts=0))
    session.add_all(new)
    session.flush()
    return new


def cancel_publication(session: Session, campaign: Campaign, pub_id: int, now: datetime) -> Publication:
    """Cancel one scheduled publication. :raise ApiError 404/409: see :func:`schedule`."""
    schedule(session, campaign, [], [pub_id], now)
    return session.get(Publication, pub_id)


def set_slots(session: Session, workspace_id: int, minutes: list[int]) -> list[int]:
    """Replace the workspace's time slots; the caller commits."""
    lock(session, f"schedule:{workspace_id}")
    for row in session.scalars(select(TimeSlot).where(TimeSlot.workspace_id == workspace_id)):
        session.delete(row)
    session.flush()
    unique = sorted(set(minutes))
    session.add_all(TimeSlot(workspace_id=workspace_id, minute_of_day=m) for m in unique)
    session.flush()
    return unique


def get_slots(session: Session, workspace_id: int) -> list[int]:
    return sorted(session.scalars(select(TimeSlot.minute_of_day).where(TimeSlot.workspace_id == workspace_id)))
