"""The front door, HTML error pages, and the page blueprints' registration."""
from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.session import current_seller, current_staff

bp = Blueprint("web", __name__)

_TITLES = {400: _l("The request was not understood"), 403: _l("You may not open this page"),
           404: _l("This page does not exist"), 405: _l("This action is not allowed here"),
           410: _l("This link has expired or was used already"), 413: _l("The file is too large"),
           415: _l("This file type is not supported"), 422: _l("Some fields need attention"),
           429: _l("Too many attempts; wait a minute and try again")}


def error_page(status: int, message: str):
    """The HTML answer for a failed page request (no details of our internals)."""
    title = str(_TITLES[status]) if status in _TITLES else _("Something went wrong on our side")
    detail = message if 400 <= status < 500 and status not in (404, 405) else ""
    return render_template("web/error.html", status=status, title=title, detail=detail), status


@bp.get("/")
def home():
    """Staff go to the console, sellers to their posts, strangers choose."""
    if current_staff() is not None:
        return redirect(url_for("console.campaigns"))
    if current_seller() is not None:
        return redirect(url_for("seller.today"))
    return render_template("web/home.html")


def init_app(app: Flask) -> None:
    from web import auth_routes, console, seller

    for blueprint in (auth_routes.bp, console.bp, seller.bp, bp):
        app.register_blueprint(blueprint)
