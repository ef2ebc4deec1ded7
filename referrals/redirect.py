"""GET /r/<code>: resolve, hand the click off, answer 302. Nothing else.

This module imports nothing from publishing or channels and never touches the
ORM. The only work per request is a dict lookup, a few hashes and one XADD.
"""
from __future__ import annotations

import secrets
import time
from pathlib import Path

from flask import Blueprint, Flask, current_app, request
from werkzeug.wrappers import Response

import backends
import database
from referrals.clickbuffer import ClickBuffer
from referrals.linkcache import LinkCache
from referrals.visitors import VisitorHasher, is_bot

bp = Blueprint("redirect", __name__)

_NOT_FOUND = (
    "<!doctype html><meta charset=utf-8><title>Link not found</title>"
    "<p>This link does not exist or has expired. 链接不存在或已失效。</p>"
)


def new_click_id() -> str:
    """Time-ordered and unguessable: 11 hex digits of milliseconds, 10 random."""
    return f"{int(time.time() * 1000):011x}{secrets.token_hex(5)}"


def init_app(app: Flask) -> None:
    app.extensions["sharecast.links"] = LinkCache(
        database.engine_of(app), backends.fast_connection(app), ttl=app.config["LINK_CACHE_TTL"]
    )
    app.extensions["sharecast.clicks"] = ClickBuffer(
        backends.fast_connection(app), Path(app.config["INSTANCE_PATH"]) / "click-spool"
    )
    app.extensions["sharecast.visitor"] = VisitorHasher(app.config["SECRET_KEY"])
    app.register_blueprint(bp)


@bp.route("/r/<code>", methods=["GET"])
def follow(code: str) -> Response:
    """302 to the campaign's landing URL with ``sc_click`` appended.

    :raise 404: unknown, disabled or expired code.
    HEAD requests and bots are redirected but carry no ``sc_click``; bots are
    recorded (flagged) and never counted or credited.
    """
    ext = current_app.extensions
    target = ext["sharecast.links"].resolve(code)
    now = time.time()
    if target is None or target.expired(now):
        return Response(_NOT_FOUND, status=404, content_type="text/html; charset=utf-8")
    if request.method == "HEAD":
        return _redirect(target.location(None))
    environ = request.environ
    user_agent = environ.get("HTTP_USER_AGENT", "")[:512]
    bot = is_bot(user_agent)
    click_id = new_click_id()
    ext["sharecast.clicks"].push({
        "id": click_id,
        "link": str(target.link_id),
        "ws": str(target.workspace_id),
        "campaign": str(target.campaign_id),
        "sharer": str(target.sharer_id),
        "channel": target.channel,
        "ts": str(int(now * 1000)),
        "visitor": ext["sharecast.visitor"](request.remote_addr or "", user_agent),
        "ua": user_agent,
        "ref": environ.get("HTTP_REFERER", "")[:1000],
        "bot": "1" if bot else "0",
    })
    return _redirect(target.location(None if bot else click_id))


def _redirect(location: str) -> Response:
    response = Response(status=302)
    response.headers["Location"] = location
    # Each visit must reach us to be counted; never let a browser or CDN cache the hop.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response

