"""The seller portal (phone first): today's posts, links, earnings, team board.

Every page shows the signed-in seller's own data only: queries filter on
``g.sharer`` (and its workspace); an id of anyone else's is a 404.
"""
from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from web import check_csrf

bp = Blueprint("seller", __name__, url_prefix="/seller")
bp.before_request(check_csrf)

# The portal's tab bar, in order.
NAV: list[tuple[str, object]] = [("seller.today", _l("Today")), ("seller.links", _l("Links")),
                                  ("seller.earnings", _l("Earnings")), ("seller.board", _l("Board"))]


@bp.context_processor
def _nav() -> dict:
    from web.nav import is_current
    from web.seller.labels import channel_label

    return {"nav_items": NAV, "nav_current": is_current, "channel_label": channel_label}


from web.seller import board, earnings, links, today  # noqa: E402,F401  (routes register on bp)
