"""HTML error pages: what a failed page request answers (no details of our internals)."""
from __future__ import annotations

import math
import time

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.console.campaign_messages import explain
from web.security import limiter

_TITLES = {400: _l("The request was not understood"), 403: _l("You may not open this page"),
           404: _l("This page does not exist"), 405: _l("This action is not allowed here"),
           409: _l("This is connected elsewhere already"),
           410: _l("This link has expired or was used already"), 413: _l("The file is too large"),
           415: _l("This file type is not supported"), 422: _l("Some fields need attention"),
           429: _l("Too many attempts")}


def error_page(status: int, message: str, ways_on: list[tuple[str, str]] | None = None):
    """The HTML answer for a failed page request (no details of our internals); ``ways_on``: links
    ``(url, label)`` to offer instead of a dead end."""
    title = str(_TITLES[status]) if status in _TITLES else _("Something went wrong on our side")
    # A service's English message (the API's), in the page's language where known.
    detail = explain(message) if 400 <= status < 500 and status not in (404, 405) else ""
    headers = {}
    if status == 429:
        # Flask-Limiter's own message ("10 per 15 minute") is English and says nothing of when.
        wait = _seconds_to_wait()
        minutes = max(1, math.ceil(wait / 60))
        detail = _("Try again in %(minutes)s min.", minutes=minutes)
        headers["Retry-After"] = str(wait)
    return render_template("web/error.html", status=status, title=title, detail=detail,
                           ways_on=ways_on or []), status, headers


def _seconds_to_wait() -> int:
    """Until the longest breached limit of this request opens again (at least 1 s)."""
    breached = [limit.reset_at for limit in limiter.current_limits if limit.breached]
    return max(1, math.ceil(max(breached, default=time.time() + 60) - time.time()))
