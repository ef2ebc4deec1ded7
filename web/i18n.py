"""Languages: Simplified Chinese and English, chosen from the browser and switchable.

The choice is a ``lang`` cookie set by ``/lang/<code>``; without it the
browser's Accept-Language decides (any Chinese gets zh-CN, since that is the
only Chinese we have), and English is the fallback. Times are shown in the
signed-in workspace's time zone.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, g, redirect, request
from flask_babel import Babel, format_currency, format_datetime, get_locale

from plumbing.config import ROOT

LANGUAGES = {"zh_CN": "中文", "en": "English"}
COOKIE = "lang"

bp = Blueprint("lang", __name__)
babel = Babel()


def select_locale() -> str:
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for tag, _quality in request.accept_languages:
        primary = tag.lower().replace("_", "-").split("-")[0]
        if primary == "zh":
            return "zh_CN"
        if primary == "en":
            return "en"
    return "en"


def select_timezone() -> str | None:
    return getattr(g, "timezone", None)


def current_language() -> str:
    """The page's language as a key of :data:`LANGUAGES`."""
    locale = get_locale()
    return "zh_CN" if locale is not None and locale.language == "zh" else "en"


def html_lang() -> str:
    """The BCP 47 tag for ``<html lang>``."""
    return current_language().replace("_", "-")


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target


@bp.get("/lang/<code>")
def switch(code: str):
    """Remember the language and go back where the visitor was. :raise 404: unknown language."""
    if code not in LANGUAGES:
        abort(404)
    response = redirect(safe_next(request.args.get("next")), 303)
    response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    return response


def money(amount: str | Decimal | int, currency: str) -> str:
    """A decimal amount (string or Decimal) with its currency, in the page's language."""
    return format_currency(Decimal(str(amount)), currency)


def when(value: datetime | str | None, fmt: str = "medium") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value, fmt)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.register_blueprint(bp)
    app.jinja_env.globals.update(html_lang=html_lang, LANGUAGES=LANGUAGES, current_language=current_language)
    app.jinja_env.filters.update(money=money, when=when)
