"""/api/v1/keys: the owner issues, lists and revokes server and marketer keys.

Rotation without downtime: issue the new key, deploy it, then revoke the old
one; both work in between.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from plumbing import database
from plumbing.api import Blueprint
from plumbing.fields import FullMatch, InputSchema
from workspaces.auth import current, requires
from workspaces.keys import ISSUABLE_ROLES, issue_key, key_row, list_keys, revoke_key

bp = Blueprint("keys", __name__, url_prefix="/api/v1/keys", description="API keys")


class KeyIn(InputSchema):
    role = fields.String(required=True, validate=validate.OneOf(ISSUABLE_ROLES))
    name = fields.String(required=True, validate=[validate.Length(1, 100),
                         FullMatch(r"^[^\x00-\x1f\x7f]+$", error="must not contain control characters")])


class KeyOut(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    prefix = fields.String(metadata={"description": "the key's public part: sc_<prefix>_..."})
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True, metadata={"description": "to within five minutes"})


class IssuedKeyOut(KeyOut):
    key = fields.String(metadata={"description": "the whole key, shown this once; only its hash is kept"})


class KeyList(Schema):
    items = fields.List(fields.Nested(KeyOut))
    next_cursor = fields.String(allow_none=True)


def _view(row) -> dict:
    return {"id": row.id, "name": row.name, "role": row.role, "prefix": row.prefix,
            "created_at": row.created_at, "last_used_at": row.last_used_at}


@bp.post("")
@requires("owner")
@bp.arguments(KeyIn)
@bp.response(201, IssuedKeyOut)
def create(data: dict):
    """Issue a ``server`` key (a merchant's backend: conversions and campaign look-ups only)
    or a ``marketer`` key. The key is in this answer and nowhere else, ever.

    :raise 422: another role, or a missing or bad name.
    """
    session = database.session()
    key = issue_key(session, current().workspace_id, data["role"], name=data["name"].strip())
    row = key_row(session, current().workspace_id, key.split("_", 2)[1])
    session.commit()
    return {**_view(row), "key": key}


@bp.get("")
@requires("owner")
@bp.response(200, KeyList)
def index():
    """The workspace's live owner, marketer and server keys, without secrets, newest first."""
    return {"items": [_view(r) for r in list_keys(database.session(), current().workspace_id)],
            "next_cursor": None}


@bp.delete("/<int(min=1, max=2147483647):key_id>")
@requires("owner")
@bp.response(204)
def delete(key_id: int):
    """Revoke a key at once: its next request answers 401.

    :raise 404: unknown or already revoked. :raise 409: the key making this request.
    """
    session = database.session()
    revoke_key(session, current().workspace_id, key_id, current().key_id)
    session.commit()
    return ""
