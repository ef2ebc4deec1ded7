"""``GET /media/<key>``: stored images, public and cacheable forever.

A key is the sha256 of the bytes it names, so a response never changes: it
carries that digest as its ETag and ``Cache-Control: immutable``. The key is
unguessable for renders (it hashes the image), and every image served here is
one a seller is meant to post publicly anyway.
"""
from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response

from plumbing.errors import ApiError
from publishing.storage import KEY_RE, MEDIA_TYPES, storage

bp = Blueprint("media", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.get("/media/<path:key>")
def media(key: str) -> Response:
    """The stored bytes of ``key``. :raise 404: not a key, or nothing stored under it."""
    match = KEY_RE.match(key)
    if match is None:
        raise ApiError(404, "not_found", "No such media.")
    digest, extension = match.groups()
    if request.if_none_match.contains(digest):
        response = Response(status=304)
    else:
        try:
            data = storage().read(key)
        except FileNotFoundError:
            raise ApiError(404, "not_found", "No such media.") from None
        response = Response(data, content_type=MEDIA_TYPES[extension])
    response.set_etag(digest)
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
