"""Where a campaign or product may send buyers."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request

from plumbing.guarded_http import is_local_name


def check_landing_url(url: str, own_hosts: set[str], allow_private: bool = False) -> str | None:
    """Why ``url`` cannot be a landing page, or None when it can.

    Refused: this service by any of its names (``own_hosts``), and, unless
    ``allow_private`` (development), any loopback, private or otherwise
    non-public address or name (``localhost``, ``[::1]``, ``0x7f.1``...).
    """
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. "http://[::1/x": an unclosed IPv6 bracket
        return "is not a valid URL"
    if parts.scheme not in {"http", "https"} or not host:
        return "must be an absolute http(s) URL"
    if parts.username or parts.password:
        return "must not carry credentials"
    if host.lower().rstrip(".") in own_hosts:
        return "must not point back at Sharecast itself"
    if not allow_private and is_local_name(host):
        return "must be a public address (not localhost, loopback or a private network)"
    return None


def own_hosts() -> set[str]:
    """Every name this service answers to: its public URL's host and the host of the request."""
    hosts = {urlsplit(current_app.config["PUBLIC_URL"]).hostname or ""}
    hosts.add(request.host.rsplit(":", 1)[0].strip("[]").lower())
    return {h.lower() for h in hosts if h}
