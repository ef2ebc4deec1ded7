"""/api/v1/webhooks: endpoints (owner only) and their delivery log."""
from __future__ import annotations

from flask import current_app

from events.endpoints import delete_endpoint, list_deliveries, list_endpoints, register_endpoint
from events.schemas import DeliveryList, DeliveryQuery, EndpointCreated, EndpointIn, EndpointList
from plumbing import database, vault
from plumbing.api import Blueprint
from plumbing.pagination import OnePageQuery
from workspaces.auth import current, requires

bp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks", description="Outgoing webhooks")


def _endpoint(e) -> dict:
    return {"id": e.id, "url": e.url, "events": e.events, "created_at": e.created_at}


@bp.post("")
@requires("owner")
@bp.arguments(EndpointIn)
@bp.response(201, EndpointCreated)
def create(data: dict):
    """Register an endpoint; answers its signing secret, shown this once.

    :raise 422: unknown events; a URL that is not http(s), does not resolve,
        or reaches a private address.
    """
    session = database.session()
    endpoint, secret = register_endpoint(session, vault.for_app(current_app), current().workspace_id,
                                         data["url"], data["events"], current_app.config["ALLOW_PRIVATE_TARGETS"])
    session.commit()
    return {**_endpoint(endpoint), "secret": secret}


@bp.get("")
@requires("owner")
@bp.arguments(OnePageQuery, location="query")
@bp.response(200, EndpointList)
def index(_query: dict):
    """The workspace's endpoints (never their secrets)."""
    items = [_endpoint(e) for e in list_endpoints(database.session(), current().workspace_id)]
    return {"items": items, "next_cursor": None}


@bp.delete("/<int(min=1, max=2147483647):endpoint_id>")
@requires("owner")
@bp.response(204)
def delete(endpoint_id: int):
    """Stop sending to an endpoint (pending retries are cancelled). :raise 404: no such endpoint."""
    session = database.session()
    delete_endpoint(session, current().workspace_id, endpoint_id)
    session.commit()


@bp.get("/<int(min=1, max=2147483647):endpoint_id>/deliveries")
@requires("owner")
@bp.arguments(DeliveryQuery, location="query")
@bp.response(200, DeliveryList)
def deliveries(query: dict, endpoint_id: int):
    """The delivery log, newest first: event, status, attempts, last response, next retry.

    :raise 404: no such endpoint.
    """
    rows, cursor = list_deliveries(database.session(), current().workspace_id, endpoint_id,
                                   query["cursor"], query["limit"])
    items = [{**{c: getattr(d, c) for c in ("id", "event", "message_id", "status", "attempts", "last_status_code",
                                             "last_error", "next_attempt_at", "created_at", "delivered_at")},
              "attempt_log": attempts} for d, attempts in rows]
    return {"items": items, "next_cursor": str(cursor) if cursor else None}
