"""The marketer console: campaigns, previews, schedule, dashboard, sharers, commissions, payouts."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from web import check_csrf

bp = Blueprint("console", __name__, url_prefix="/console")
bp.before_request(check_csrf)

# The console's navigation bar, in order; modules below add their entries.
NAV: list[tuple[str, object]] = [("console.campaigns", _l("Campaigns"))]


@bp.context_processor
def _nav() -> dict:
    from web.nav import is_current

    return {"nav_items": NAV, "nav_current": is_current}


from web.console import campaigns  # noqa: E402,F401  (routes register on bp)
from web.console import dashboard, sharers, money, payouts  # noqa: E402,F401  (dashboard, sharers, commissions, payouts)
from web.console import team  # noqa: E402,F401  (your account and the team's)
