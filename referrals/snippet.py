"""``GET /sc.js``: the landing-page snippet, with the SRI hash the console shows for it.

The file is read once per process; its ETag and ``integrity`` value are the
SHA-384 of its bytes, so a brand pinning the hash notices any change.
"""
from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, request

SNIPPET = Path(__file__).resolve().parent.parent / "static" / "js" / "sc.js"
MAX_AGE = 7 * 86400

bp = Blueprint("snippet", __name__)


@cache
def snippet() -> tuple[bytes, str]:
    """(the script's bytes, its ``sha384-...`` Subresource Integrity value)."""
    body = SNIPPET.read_bytes()
    return body, "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


def script_tag(public_url: str, days: int = 30) -> str:
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
