"""/api/v1/wechat/account: the workspace's WeChat Official Account (owner); the secret is never returned."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from credentials.wechat import account_row, save_account
from plumbing import database
from plumbing.api import Blueprint
from plumbing.errors import ApiError
from plumbing.fields import InputSchema
from workspaces.auth import current, requires

bp = Blueprint("wechat_account", __name__, url_prefix="/api/v1/wechat", description="WeChat Official Account")


class OfficialAccountIn(InputSchema):
    app_id = fields.String(required=True, validate=validate.Length(max=64), metadata={"example": "wx0123456789abcdef"})
    app_secret = fields.String(required=True, validate=validate.Length(max=64), load_only=True)
    web_app_id = fields.String(validate=validate.Length(max=64), metadata={
        "example": "wxfedcba9876543210",
        "description": "the website app (网站应用) of the same Open Platform account: QR-code sign-in on computers"})
    web_app_secret = fields.String(validate=validate.Length(max=64), load_only=True)


class OfficialAccountOut(Schema):
    configured = fields.Boolean()
    app_id = fields.String(allow_none=True)
    web_app_id = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)


def _shown(row) -> dict:
    if row is None:
        return {"configured": False, "app_id": None, "web_app_id": None, "updated_at": None}
    return {"configured": True, "app_id": row.app_id, "web_app_id": row.web_app_id, "updated_at": row.updated_at}


@bp.put("/account")
@requires("owner")
@bp.arguments(OfficialAccountIn)
@bp.response(200, OfficialAccountOut)
def put(data: dict):
    """Connect the Official Account (sign-in with WeChat, share cards) and optionally its website app
    (QR-code sign-in on computers). :raise 422: a malformed app id or secret, or half a website app."""
    session = database.session()
    row = save_account(session, current().workspace_id, data["app_id"], data["app_secret"],
                       data.get("web_app_id"), data.get("web_app_secret"))
    session.commit()
    return _shown(row)


@bp.get("/account")
@requires("owner")
@bp.response(200, OfficialAccountOut)
def get():
    """Whether an Official Account is connected, and its app id; never the secret."""
    return _shown(account_row(database.session(), current().workspace_id))


@bp.delete("/account")
@requires("owner")
@bp.response(204)
def delete():
    """Disconnect the Official Account. :raise 404: none connected."""
    session = database.session()
    row = account_row(session, current().workspace_id)
    if row is None:
        raise ApiError(404, "not_found", "No WeChat Official Account is connected.")
    session.delete(row)
    session.commit()
