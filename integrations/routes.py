"""/api/v1/integrations (owner) and the addresses platforms post to (``/hooks/<provider>/<token>``)."""
from __future__ import annotations

from flask import Blueprint as FlaskBlueprint
from flask import Response, abort, current_app, request
from marshmallow import Schema, fields

from integrations import REGISTRY, inbound
from integrations.store import connect, disconnect, overview
from plumbing import database, vault
from plumbing.api import Blueprint
from plumbing.database import utcnow
from plumbing.fields import InputSchema
from referrals import clickwriter
from workspaces.auth import current, requires

bp = Blueprint("integrations", __name__, url_prefix="/api/v1/integrations",
               description="Shops and payment platforms that report orders")
hooks = FlaskBlueprint("hooks", __name__)

MAX_NOTIFICATION_BYTES = 1024 * 1024


class SettingsIn(InputSchema):
    class Meta:
        unknown = "include"  # each platform has its own settings, validated by its adapter


class IntegrationOut(Schema):
    provider = fields.String()
    title = fields.String()
    settings = fields.List(fields.String(), metadata={"description": "the settings this platform takes"})
    connected = fields.Boolean()
    set_fields = fields.List(fields.String(), attribute="fields", data_key="fields",
                             metadata={"description": "names of the settings stored; values are never shown"})
    webhook_url = fields.String(allow_none=True, metadata={"description": "paste this on the platform's side"})
    secret = fields.String(metadata={"description": "signed_orders only: the signing secret made, shown once"})
    last_received_at = fields.DateTime(allow_none=True)


class IntegrationList(Schema):
    items = fields.List(fields.Nested(IntegrationOut))
    next_cursor = fields.String(allow_none=True)


def settings_of_each() -> str:
    """Each platform's settings, as the API describes them (from the registry)."""
    return "; ".join(f"{a.name} {{{', '.join(f + '?' * (f in a.generated) for f in a.fields)}}}"
                     for a in REGISTRY.values()) + " (?: made when absent, shown once)"


def _public_url() -> str:
    return current_app.config["PUBLIC_URL"]


@bp.get("")
@requires("owner")
@bp.response(200, IntegrationList)
def index():
    """Every platform Sharecast takes orders from, and whether this workspace connected it."""
    return {"items": overview(database.session(), current().workspace_id, _public_url()), "next_cursor": None}


@bp.put("/<provider>")
@requires("owner")
@bp.arguments(SettingsIn, description=settings_of_each())
@bp.response(200, IntegrationOut)
def put(data: dict, provider: str):
    """Connect a platform (or replace its settings; the address stays). Settings are stored
    encrypted and never shown again. :raise 404: unknown platform. :raise 422: bad settings."""
    session = database.session()
    shown_once = connect(session, vault.for_app(current_app), current().workspace_id, provider, data)
    session.commit()
    view = next(i for i in overview(session, current().workspace_id, _public_url()) if i["provider"] == provider)
    return {**view, **shown_once}


@bp.delete("/<provider>")
@requires("owner")
@bp.response(204)
def delete(provider: str):
    """Disconnect: the platform's address answers 404 from now on. :raise 404: not connected."""
    session = database.session()
    disconnect(session, current().workspace_id, provider)
    session.commit()
    return ""


@hooks.post("/hooks/<provider>/<token>")
def receive(provider: str, token: str):
    """A platform's notification (public; the platform's signature is the authentication)."""
    if (request.content_length or 0) > MAX_NOTIFICATION_BYTES:
        abort(413)
    body = request.get_data(cache=False)[:MAX_NOTIFICATION_BYTES + 1]
    if len(body) > MAX_NOTIFICATION_BYTES:
        abort(413)
    app = current_app._get_current_object()
    try:
        with database.read_session() as reader, database.new_session() as writer:
            reply = inbound.receive(reader, writer, vault.for_app(app), provider, token, request.headers, body,
                                    utcnow(), _public_url(), clickwriter.writer_for(app).write_now)
    except inbound.NotFound:
        abort(404)
    return Response(reply.body, status=reply.status, content_type=reply.content_type)
