"""The seller's blueprint and navigation; the view modules register their routes on it."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from web.nav import is_current
from web.security import check_csrf
from web.seller.labels import channel_label, channel_tone

bp = Blueprint("seller", __name__, url_prefix="/seller")
bp.before_request(check_csrf)

# The portal's tab bar, in order.
NAV: list[tuple[str, object]] = [("seller.today", _l("Today")), ("seller.shop", _l("Shop")), ("seller.links", _l("Links")),
                                  ("seller.earnings", _l("Earnings")), ("seller.customers", _l("Customers")),
                                  ("seller.withdraw", _l("Withdraw")),
                                  ("seller.board", _l("Board"))]


@bp.context_processor
def _nav() -> dict:
    return {"nav_items": NAV, "nav_current": is_current, "channel_label": channel_label, "channel_tone": channel_tone}
