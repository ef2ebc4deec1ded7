"""``GET /sc.js``: the landing-page snippet, with the SRI hash the console shows for it.

The file is read once per process; its ETag and ``integrity`` value are the
SHA-384 of its bytes, so a brand pinning the hash notices any change.
"""
from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Campaign
from plumbing.database import utcnow

SNIPPET = Path(__file__).resolve().parent.parent / "static" / "js" / "sc.js"
MAX_AGE = 7 * 86400
DEFAULT_DAYS = 30

bp = Blueprint("snippet", __name__)


@cache
def snippet() -> tuple[bytes, str]:
    """(the script's bytes, its ``sha384-...`` Subresource Integrity value)."""
    body = SNIPPET.read_bytes()
    return body, "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


def cookie_days(session: Session, workspace_id: int) -> int:
    """How long the snippet keeps a click: the longest attribution window among the workspace's
    campaigns that can still credit a sale (not ended, or ended less than their window ago), so no
    campaign loses a sale to an expired cookie; each sale is still checked against its own
    campaign's window. The default window when there is none."""
    now = utcnow()
    rows = session.execute(select(Campaign.attribution_window_days, Campaign.ends_at)
                           .where(Campaign.workspace_id == workspace_id)).all()
    return max((days for days, ends_at in rows if ends_at is None or ends_at + timedelta(days=days) > now),
               default=DEFAULT_DAYS)


def script_tag(public_url: str, days: int = DEFAULT_DAYS) -> str:
    """The tag a brand pastes into its shop's pages."""
    return (f'<script src="{public_url}/sc.js" integrity="{snippet()[1]}" crossorigin="anonymous" '
            f'data-days="{int(days)}" async></script>')


@bp.get("/sc.js")
def serve():
    body, integrity = snippet()
    etag = integrity.removeprefix("sha384-")
    headers = {"Cache-Control": f"public, max-age={MAX_AGE}", "ETag": f'"{etag}"',
               # crossorigin="anonymous" (needed for SRI) makes the browser ask for CORS.
               "Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff",
               "Cross-Origin-Resource-Policy": "cross-origin"}
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    return Response(body, mimetype="text/javascript", headers=headers)
