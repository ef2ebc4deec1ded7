"""The seller portal (phone first): today's posts, links, earnings, team board."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from web import check_csrf

bp = Blueprint("seller", __name__, url_prefix="/seller")
bp.before_request(check_csrf)

# The portal's tab bar, in order; modules below add their entries.
NAV: list[tuple[str, object]] = [("seller.today", _l("Today"))]


@bp.context_processor
def _nav() -> dict:
    from web.nav import is_current

    return {"nav_items": NAV, "nav_current": is_current}


from web.seller import today  # noqa: E402,F401  (routes register on bp)
