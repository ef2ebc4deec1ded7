"""The compliance report for a period the staff choose, printable (the API has it as JSON and CSV)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from plumbing import database
from plumbing.database import utcnow
from plumbing.errors import ApiError
from referrals.compliance import report
from web.console.blueprint import NAV, bp
from web.session import staff_required

NAV.append(("console.compliance", _l("Compliance")))

CLAIMS = {
    "no_entry_fee": _l("Nobody paid to become a sharer"),
    "commissions_from_real_sales": _l("Every commission came from a real sale"),
    "at_most_two_levels": _l("No sale paid more than two levels"),
    "nothing_for_recruiting": _l("Nothing was paid for recruiting"),
    "max_share_paid": _l("The largest share of a sale paid out"),
    "contest_prizes": _l("Contest prizes"),
}


def _day(text: str | None, default: datetime) -> datetime:
    if not text:
        return default
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ApiError(422, "validation_error", _("Dates look like 2026-01-31."), {"date": "YYYY-MM-DD"}) from None


@bp.get("/compliance")
@staff_required()
def compliance():
    """The compliance report for ``?from=&to=`` (days, default the last year), printable."""
    end = _day(request.args.get("to"), utcnow().replace(hour=0, minute=0, second=0, microsecond=0)) + timedelta(days=1)
    start = _day(request.args.get("from"), end - timedelta(days=366))
    if start >= end:
        raise ApiError(422, "validation_error", _("The start must be before the end."), {"from": "after to"})
    result = report(database.session(), g.key.workspace_id, start, end)
    return render_template("console/compliance.html", report=result, claims=CLAIMS, start=start,
                           last_day=end - timedelta(days=1))
