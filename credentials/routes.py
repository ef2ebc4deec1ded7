"""/api/v1/channels/{id}/credentials: write-only channel credentials (owner)."""
from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields

from credentials.store import delete_credentials, get_credential_row, redacted, save_credentials
from plumbing import database, vault
from plumbing.api import Blueprint
from plumbing.fields import InputSchema
from workspaces.auth import current, requires

bp = Blueprint("credentials", __name__, url_prefix="/api/v1/channels", description="Channel credentials")


class CredentialsIn(InputSchema):
    class Meta:
        unknown = "include"  # each channel has its own fields, validated by its adapter


class CredentialsOut(Schema):
    channel = fields.String()
    configured = fields.Boolean()
    updated_at = fields.DateTime(allow_none=True)
    secret = fields.String(metadata={"description": "webhook only: the generated signing secret, shown once"})
    set_fields = fields.List(fields.String(), attribute="fields", data_key="fields",
                             metadata={"description": "names of the fields set; values are never shown"})


@bp.put("/<channel>/credentials")
@requires("owner")
@bp.arguments(CredentialsIn, description="Telegram {bot_token, chat_id, api_base?}; email {smtp_host, "
                                         "smtp_port, username?, password?, from, to}; webhook {url, secret?}")
@bp.response(200, CredentialsOut)
def put(data: dict, channel: str):
    """Store the channel's credentials (encrypted); answers which fields are set, never their values.

    :raise 404: unknown channel. :raise 422: a channel without an API, or invalid fields
        (a URL or host reaching a private address among them).
    """
    session = database.session()
    row, shown_once = save_credentials(session, vault.for_app(current_app), current().workspace_id, channel,
                                       data, current_app.config["ALLOW_PRIVATE_TARGETS"])
    session.commit()
    return {**redacted(row, channel), **shown_once}


@bp.get("/<channel>/credentials")
@requires("owner")
@bp.response(200, CredentialsOut)
def get(channel: str):
    """Whether credentials are set, and which fields; never a value. :raise 404: unknown channel."""
    return redacted(get_credential_row(database.session(), current().workspace_id, channel), channel)


@bp.delete("/<channel>/credentials")
@requires("owner")
@bp.response(204)
def delete(channel: str):
    """Forget the channel's credentials. :raise 404: unknown channel or none stored."""
    session = database.session()
    delete_credentials(session, current().workspace_id, channel)
    session.commit()
