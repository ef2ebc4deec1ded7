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

# The bar shows its sections in these groups, in this order; a section no group names comes last,
# under "More", so a new module's entry always shows.
GROUPS: list[tuple[object, tuple[str, ...]]] = [
    (_l("Publish"), ("console.campaigns", "console.poster_templates", "console.products", "console.accounts_page")),
    (_l("Sellers"), ("console.sharers", "console.applications", "console.team", "console.contests",
                     "console.targets")),
    (_l("Figures"), ("console.customers", "console.funnel")),
    (_l("Sales"), ("console.reviews", "console.commissions", "console.sales_import")),
    (_l("Money"), ("console.withdrawals", "console.payouts")),
    (_l("Settings"), ("console.programme", "console.connect_page", "console.compliance")),
]


def nav_groups() -> list[tuple[object, list[tuple[str, object]]]]:
    """NAV in GROUPS: ``(group label, [(endpoint, label), ...])``, empty groups left out."""
    labels = dict(NAV)
    named = {endpoint for _, endpoints in GROUPS for endpoint in endpoints}
    groups = [(title, [(e, labels[e]) for e in endpoints if e in labels]) for title, endpoints in GROUPS]
    groups.append((_l("More"), [(e, label) for e, label in NAV if e not in named]))
    return [(title, items) for title, items in groups if items]


@bp.context_processor
def _nav() -> dict:
    return {"nav_groups": nav_groups(), "nav_current": is_current}
