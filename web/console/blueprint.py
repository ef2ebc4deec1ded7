"""The console's blueprint and navigation; the view modules register their routes on it."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from web.nav import is_current
from web.security import check_csrf

bp = Blueprint("console", __name__, url_prefix="/console")
bp.before_request(check_csrf)

# The console's navigation bar, in order; modules below add their entries.
NAV: list[tuple[str, object]] = [("console.campaigns", _l("Campaigns"))]


@bp.context_processor
def _nav() -> dict:
    return {"nav_items": NAV, "nav_current": is_current}
