"""Scheduling, time slots, the sellers' library and feeds: routes validate and call one service."""
from __future__ import annotations

from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app

from catalog.campaigns import get_campaign
from plumbing import database, redis_client, vault
from plumbing.api import Blueprint, api
from plumbing.database import utcnow
from plumbing.errors import ApiError
from publishing import publish_jobs as jobs
from publishing import storage
from publishing.feed import atom_feed
from publishing.library import (
    grab_json,
    issue_feed_token,
    library_items,
    library_publications,
    record_grab,
    sharer_for_feed,
)
from publishing.notices import notifications_json, set_notifications
from publishing.routes import campaign_view
from publishing.schedule import cancel_publication, get_slots, schedule, set_slots
from publishing.schedule_schemas import (
    FeedOut,
    GrabIn,
    GrabOut,
    LibraryOut,
    LibraryQuery,
    NotificationsIn,
    NotificationsOut,
    ScheduleIn,
    SlotsIn,
    SlotsOut,
)
from publishing.schemas import CampaignOut
from publishing.slots import parse_slot, slot_text
from referrals.sharers import get_sharer
from workspaces.auth import current, requires
from workspaces.models import Workspace

bp = Blueprint("scheduling", __name__, url_prefix="/api/v1", description="Scheduling and the sellers' library")
feeds = FlaskBlueprint("feeds", __name__)
ID = "int(min=1, max=2147483647)"


def _enqueue(publications) -> None:
    queue = redis_client.queue()
    for pub in publications:
        jobs.enqueue(queue, pub.id, pub.publish_at)


@bp.post(f"/campaigns/<{ID}:campaign_id>/schedule")
@requires("owner", "marketer")
@bp.arguments(ScheduleIn)
@bp.response(200, CampaignOut)
def schedule_campaign(data: dict, campaign_id: int):
    """Schedule publications (``publish_at`` or ``"slot": "next"``); a channel scheduled
    again is rescheduled; ``cancel`` lists publication ids to cancel. All or nothing.

    :raise 404: unknown campaign or publication. :raise 409: a publication is going out now.
    :raise 422: unknown or unused channel, a past time, a time outside the campaign's
        dates, a channel twice, an empty request, no free slot.
    """
    session = database.session()
    campaign = get_campaign(session, current().workspace_id, campaign_id)
    new = schedule(session, campaign, data["publications"], data["cancel"], utcnow())
    session.commit()
    _enqueue(new)
    return campaign_view(session, campaign)


@bp.delete(f"/campaigns/<{ID}:campaign_id>/publications/<{ID}:publication_id>")
@requires("owner", "marketer")
@bp.response(200, CampaignOut)
def cancel(campaign_id: int, publication_id: int):
    """Cancel a scheduled publication. :raise 404: unknown. :raise 409: not scheduled (any more)."""
    session = database.session()
    campaign = get_campaign(session, current().workspace_id, campaign_id)
    cancel_publication(session, campaign, publication_id, utcnow())
    session.commit()
    return campaign_view(session, campaign)


def _slots_json(session, workspace_id: int) -> dict:
    return {"slots": [slot_text(m) for m in get_slots(session, workspace_id)],
            "timezone": session.get(Workspace, workspace_id).timezone}


@bp.get("/workspace/slots")
@requires("owner", "marketer")
@bp.response(200, SlotsOut)
def read_slots():
    """The workspace's posting times, in its time zone."""
    return _slots_json(database.session(), current().workspace_id)


@bp.put("/workspace/slots")
@requires("owner", "marketer")
@bp.arguments(SlotsIn)
@bp.response(200, SlotsOut)
def write_slots(data: dict):
    """Replace the posting times (``"HH:MM"``, the workspace's zone). :raise 422: a bad time."""
    minutes, errors = [], {}
    for i, value in enumerate(data["slots"]):
        try:
            minutes.append(parse_slot(value))
        except ValueError as exc:
            errors[f"slots.{i}"] = str(exc)
    if errors:
        raise ApiError(422, "validation_error", "The slots have invalid times.", errors)
    session = database.session()
    set_slots(session, current().workspace_id, minutes)
    session.commit()
    return _slots_json(session, current().workspace_id)


def _seller():
    me = current()
    return get_sharer(database.session(), me.workspace_id, me.sharer_id)


@bp.get("/library")
@requires("seller")
@bp.arguments(LibraryQuery, location="query")
@bp.response(200, LibraryOut)
def library(query: dict):
    """The seller's ready posts in their own voice: live first (newest first), then upcoming."""
    session = database.session()
    sharer = _seller()
    entries = library_publications(session, sharer.workspace_id, utcnow(), query["state"], query["channel"],
                                   query["campaign_id"])
    items = library_items(session, database.new_session, storage.storage(), current_app.config["PUBLIC_URL"],
                          sharer, entries)
    return {"items": items, "next_cursor": None}


@bp.post("/library/grabs")
@requires("seller")
@bp.arguments(GrabIn)
@bp.response(201, GrabOut)
def grab(data: dict):
    """Record that the seller took a live post. :raise 404: no such live post. :raise 422: bad version."""
    session = database.session()
    grabbed = record_grab(session, _seller(), data["campaign_id"], data["channel"], data["content_version"])
    session.commit()
    return grab_json(grabbed)


@bp.post("/library/feed")
@requires("seller")
@bp.response(201, FeedOut)
def new_feed():
    """A new secret Atom feed address for the seller (the previous one stops working)."""
    session = database.session()
    token = issue_feed_token(session, _seller())
    session.commit()
    return {"url": f"{current_app.config['PUBLIC_URL']}/feeds/{token}.atom"}


@feeds.get("/feeds/<token>.atom")
def feed(token: str) -> Response:
    """The seller's live posts as Atom; the secret in the URL is the only credential.

    :raise 404: unknown token.
    """
    session = database.session()
    sharer = sharer_for_feed(session, token)
    if sharer is None:
        raise ApiError(404, "not_found", "No such feed.")
    entries = library_publications(session, sharer.workspace_id, utcnow(), "live")
    items = library_items(session, database.new_session, storage.storage(), current_app.config["PUBLIC_URL"],
                          sharer, entries)
    public = current_app.config["PUBLIC_URL"]
    body = atom_feed(f"{public}/feeds/sharer-{sharer.id}", f"{sharer.name} · Sharecast", f"{public}/feeds/{token}.atom",
                     max((p.published_at for _, p, _ in entries), default=utcnow()), items)
    return Response(body, mimetype="application/atom+xml",
                    headers={"Cache-Control": "private, max-age=60", "Referrer-Policy": "no-referrer"})


@bp.put("/sharers/<int(min=1, max=2147483647):sharer_id>/notifications")
@requires("owner", "marketer", "seller")
@bp.arguments(NotificationsIn)
@bp.response(200, NotificationsOut)
def put_notifications(data: dict, sharer_id: int):
    """How the seller hears of new posts: ``email`` on or off, and/or their own ``webhook_url``
    (a new signing secret is answered once). :raise 403: another seller's.
    :raise 404: unknown sharer. :raise 422: a URL that may not be called.
    """
    current().check_acts_for(sharer_id)
    session = database.session()
    sharer = get_sharer(session, current().workspace_id, sharer_id)
    out = set_notifications(session, vault.for_app(current_app), sharer, data,
                            current_app.config["ALLOW_PRIVATE_TARGETS"])
    session.commit()
    return out


@bp.get("/sharers/<int(min=1, max=2147483647):sharer_id>/notifications")
@requires("owner", "marketer", "seller")
@bp.response(200, NotificationsOut)
def get_notifications(sharer_id: int):
    """The seller's notification settings (never the secret). :raise 403/404: as for PUT."""
    current().check_acts_for(sharer_id)
    return notifications_json(get_sharer(database.session(), current().workspace_id, sharer_id))


def init_app(app) -> None:
    api.register_blueprint(bp)
    app.register_blueprint(feeds)
