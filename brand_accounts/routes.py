"""/api/v1/accounts: connect the brand's own accounts (OAuth), list them, disconnect."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, redirect, request
from marshmallow import Schema, fields, validate

from brand_accounts.tokens import accounts, disconnect, finish_connect, start_connect
from plumbing import database
from plumbing.api import Blueprint
from plumbing.errors import ApiError
from plumbing.fields import InputSchema
from workspaces.auth import current, requires

bp = Blueprint("brand_accounts", __name__, url_prefix="/api/v1/accounts", description="Brand accounts")


class AccountOut(Schema):
    channel = fields.String()
    connected = fields.Boolean()
    status = fields.String(metadata={"description": "connected, needs_reconnect or not_connected"})
    error = fields.String(allow_none=True, metadata={"description": "why the account needs connecting again"})
    expires_at = fields.DateTime(allow_none=True, metadata={"description": "the access token's end (refreshed before)"})
    connected_at = fields.DateTime(allow_none=True)
    refreshed_at = fields.DateTime(allow_none=True)


class AccountList(Schema):
    items = fields.List(fields.Nested(AccountOut))


class ConnectOut(Schema):
    authorize_url = fields.String(metadata={"description": "send the browser here; it comes back to the callback"})


class ConnectIn(InputSchema):
    instance = fields.String(load_default=None, validate=validate.Length(min=1, max=300), metadata={
        "description": "Mastodon only: the instance the account is on (``mastodon.social``, "
                       "``https://fosstodon.org`` or ``@brand@fosstodon.org``); Sharecast registers its app "
                       "there the first time. Without it, the instance configured for the deployment."})


class CallbackIn(InputSchema):
    state = fields.String(load_default="")
    code = fields.String(load_default="")
    error = fields.String(load_default=None)
    error_description = fields.String(load_default=None)


@bp.get("")
@requires("owner", "marketer")
@bp.response(200, AccountList)
def index():
    """Every channel connected by OAuth, with its account's state."""
    return {"items": accounts(database.session(), current().workspace_id)}


@bp.post("/<channel>/connect")
@requires("owner")
@bp.arguments(ConnectIn, required=False)
@bp.response(200, ConnectOut)
def connect(args: dict, channel: str):
    """Start connecting the brand's account: the platform's authorization URL (with ``state`` and PKCE).

    :raise 404: unknown channel. :raise 422: a channel not connected by OAuth, or no app registration;
        a Mastodon ``instance`` that is not one, cannot be reached or would not register Sharecast
        (``invalid_instance``), or none given where none is configured (``instance_required``).
    """
    return {"authorize_url": start_connect(current_app, current().workspace_id, channel, request.remote_addr,
                                           instance=(args or {}).get("instance"))}


@bp.get("/<channel>/callback")
@bp.arguments(CallbackIn, location="query")
@bp.response(200, AccountOut)
@bp.alt_response(303, description="back to the page that started the connect, with ?connected= or ?declined=")
def callback(args: dict, channel: str):
    """Where the platform sends the browser back; the one-time ``state`` names the workspace.

    :raise 400: unknown, used or expired state; or the brand declined (``error``).
    :raise 502: the platform refused the code.
    """
    session = database.session()
    declined = bool(args.get("error")) or not args["code"]
    row, return_to = finish_connect(current_app, session, channel, args["state"], None if declined else args["code"])
    session.commit()
    if return_to:
        return redirect(f"{return_to}?{urlencode({'declined' if row is None else 'connected': channel})}", 303)
    if row is None:
        raise ApiError(400, "connect_declined", f"The {channel} account was not connected: "
                                                f"{args.get('error_description') or args.get('error') or 'no code'}")
    return next(a for a in accounts(session, row.workspace_id) if a["channel"] == channel)


@bp.delete("/<channel>")
@requires("owner")
@bp.response(204)
def delete(channel: str):
    """Disconnect: forget the tokens. :raise 404: no account connected."""
    session = database.session()
    disconnect(session, current().workspace_id, channel)
    session.commit()
