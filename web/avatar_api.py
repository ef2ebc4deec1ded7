"""/api/v1/sharers/{id}/avatar: the seller's own app sets or removes the photo their posters show,
under the same checks as the profile page (web/seller/profile.py): PNG, JPEG or WebP within the
upload limits, cut square and stored without metadata, at most 10 uploads a minute and 60 an hour."""
from __future__ import annotations

import hashlib

from flask import request
from marshmallow import Schema, fields

from plumbing import database
from plumbing.api import Blueprint
from plumbing.fields import InputSchema
from publishing.avatars import AVATAR_SIDE, remove_avatar, set_avatar
from publishing.images import MAX_BYTES
from publishing.storage import public_url, storage
from referrals.sharers import get_sharer
from web.security import limiter
from workspaces.auth import current, requires

bp = Blueprint("avatar_api", __name__, url_prefix="/api/v1/sharers", description="Sellers' photos")
SHARER_AVATAR = "/<int(min=1, max=2147483647):sharer_id>/avatar"


def _caller() -> str:
    """The rate-limit key: the API key sending the request (each seller has their own)."""
    return "avatar-api:" + hashlib.sha256(request.headers.get("Authorization", "").encode()).hexdigest()[:32]


class AvatarIn(InputSchema):
    """multipart/form-data: ``file`` (PNG, JPEG or WebP)."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class AvatarOut(Schema):
    url = fields.String(metadata={"description": "where the stored square photo is served"})
    width = fields.Integer()
    height = fields.Integer()
    media_type = fields.String()


@bp.post(SHARER_AVATAR)
@limiter.limit("10 per minute;60 per hour", key_func=_caller)
@requires("seller")
@bp.arguments(AvatarIn, location="files")
@bp.response(200, AvatarOut)
def upload(files: dict, sharer_id: int):
    """Set the photo the seller's posters show round beside their name; the one before is retired
    (its file deleted once no poster is being drawn with it).

    :raise 403: another sharer than the key's own. :raise 413: too many bytes. :raise 415: not PNG,
        JPEG or WebP. :raise 422: too many pixels or corrupt; nothing changes. :raise 429: too many uploads.
    """
    me = current()
    me.check_acts_for(sharer_id)
    session = database.session()
    sharer = get_sharer(session, me.workspace_id, sharer_id)
    key = set_avatar(storage(), sharer, files["file"].read(MAX_BYTES + 1))
    session.commit()
    return {"url": public_url(key), "width": AVATAR_SIDE, "height": AVATAR_SIDE, "media_type": "image/jpeg"}


@bp.delete(SHARER_AVATAR)
@requires("seller")
@bp.response(204)
def remove(sharer_id: int):
    """Posters show the seller's name without a photo again (no photo: nothing to do, still 204).

    :raise 403: another sharer than the key's own.
    """
    me = current()
    me.check_acts_for(sharer_id)
    session = database.session()
    remove_avatar(get_sharer(session, me.workspace_id, sharer_id))
    session.commit()
    return ""
