"""HTML error pages: what a failed page request answers (no details of our internals)."""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

_TITLES = {400: _l("The request was not understood"), 403: _l("You may not open this page"),
           404: _l("This page does not exist"), 405: _l("This action is not allowed here"),
           409: _l("This is connected elsewhere already"),
           410: _l("This link has expired or was used already"), 413: _l("The file is too large"),
           415: _l("This file type is not supported"), 422: _l("Some fields need attention"),
           429: _l("Too many attempts; wait a minute and try again")}


def error_page(status: int, message: str):
    """The HTML answer for a failed page request (no details of our internals)."""
    title = str(_TITLES[status]) if status in _TITLES else _("Something went wrong on our side")
    detail = message if 400 <= status < 500 and status not in (404, 405) else ""
    return render_template("web/error.html", status=status, title=title, detail=detail), status
