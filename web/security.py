"""What every page shares for safety: CSRF tokens, sign-in rate limits and the headers.

Forms are checked where they are handled (the page blueprints' ``before_request``),
never on the API, whose callers authenticate with a bearer key and carry no cookie.
"""
from __future__ import annotations

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(get_remote_address, key_prefix="sharecast:limits")

# URL prefixes that are pages (HTML errors, CSP, CSRF); the rest is API, media, feeds, redirect.
PAGE_PREFIXES = ("/console", "/seller", "/s/", "/lang/", "/join")

# No inline script or style anywhere: everything comes from /static.
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def check_csrf() -> None:
    """A page blueprint's ``before_request``: every state change carries the form's token.

    :raise CSRFError (400): the token is missing, wrong or from another session.
    """
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


def is_page() -> bool:
    return request.path == "/" or request.path.startswith(PAGE_PREFIXES)


def limiter_storage(redis_url: str) -> str:
    # limits spells a unix socket "redis+unix://"; redis-py "unix://".
    return "redis+unix://" + redis_url.removeprefix("unix://") if redis_url.startswith("unix://") else redis_url


def page_headers(response):
    """The security headers of every page answer (an ``after_request`` hook)."""
    if is_page():
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
            response.vary.add("Cookie")
    return response
