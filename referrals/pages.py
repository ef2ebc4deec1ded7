"""Public, non-API pages of a link: its QR code and the buyer's share page."""
from __future__ import annotations

import io
import re
from functools import lru_cache

import segno
from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select
from werkzeug.wrappers import Response

import database
from publishing.models import Campaign
from referrals.links import link_urls
from referrals.models import Link, Sharer

bp = Blueprint("link_pages", __name__)
# What a link code can be (the redirect checks the same): anything else is no
# link, and must not reach the database (PostgreSQL refuses a NUL in text).
_CODE = re.compile(r"[A-Za-z0-9]{1,16}")


@lru_cache(maxsize=4096)
def qr_png(data: str, scale: int = 8) -> bytes:
    """A PNG QR code of ``data`` with the standard 4-module quiet zone."""
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def _link(code: str) -> Link:
    if not _CODE.fullmatch(code):
        abort(404)
    link = database.session().scalar(select(Link).where(Link.code == code, Link.disabled.is_(False)))
    if link is None:
        abort(404)
    return link


@bp.get("/q/<code>.png")
def qr(code: str) -> Response:
    """The PNG QR code of ``/r/<code>``. :raise 404: unknown code."""
    link = _link(code)
    png = qr_png(link_urls(current_app.config["PUBLIC_URL"], link.code)["url"])
    response = Response(png, content_type="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400, immutable"
    return response


@bp.get("/s/<code>")
def share(code: str) -> str:
    """The buyer's share page: their own link and QR, and what sharing earns, honestly."""
    link = _link(code)
    session = database.session()
    sharer = session.get(Sharer, link.sharer_id)
    campaign = session.get(Campaign, link.campaign_id)
    return render_template("share.html", urls=link_urls(current_app.config["PUBLIC_URL"], link.code),
                           sharer=sharer, campaign=campaign)
