"""The console's customer figures: repurchase, lifetime value and retention cohorts (team contests
have their own module, ``contest_setup``, so each page lights its own tab)."""
from __future__ import annotations

from decimal import Decimal

from flask import g, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from catalog.campaigns import get_campaign
from catalog.models import Campaign
from figures.customers import cohorts, repurchase
from plumbing import database
from plumbing.database import utcnow
from plumbing.errors import ApiError
from referrals.sharers import get_sharer
from teams.models import Team
from teams.roster import get_team
from web.console.blueprint import NAV, bp
from web.console.charts import Series, bar_chart
from web.session import staff_required

NAV.extend([("console.customers", _l("Customers")), ("console.contests", _l("Contests"))])
WINDOWS = (30, 90, 180)


def cohort_chart(table: dict) -> dict:
    """A bar chart of each cohort's size and how many of it came back the month after."""
    labels = [row["month"] for row in table["items"]]
    sizes = [row["customers"] for row in table["items"]]
    again = [row["retained"][1] if len(row["retained"]) > 1 else 0 for row in table["items"]]
    svg = bar_chart(labels, [Series(_("New customers"), sizes, "bar-clicks"),
                             Series(_("Bought again the next month"), again, "bar-unique")],
                    title=_("Customers by month of first purchase"),
                    description=_("%(n)s customers made their first purchase in these months.", n=sum(sizes)),
                    chart_id="cohort-chart", number=lambda n: format_decimal(n))
    return {"svg": svg, "empty": not any(sizes)}


def shade(rate: str | None) -> int:
    """A cohort cell's shade step, 0 to 5, from its retention percent."""
    return 0 if rate is None else min(5, int(Decimal(rate) // 20) + (Decimal(rate) > 0))


SCOPES = ("campaign_id", "sharer_id", "team_id")


def scope_of(args, session, workspace_id: int) -> tuple[dict, dict]:
    """The figures' scope from ``?campaign_id=``, ``?sharer_id=``, ``?team_id=`` (any together) and the
    names to show for it. :raise ApiError 422: not a number. :raise ApiError 404: not of this workspace.
    """
    scope, names = {}, {}
    finders = {"campaign_id": lambda i: get_campaign(session, workspace_id, i).name,
               "sharer_id": lambda i: get_sharer(session, workspace_id, i).name or f"#{i}",
               "team_id": lambda i: get_team(session, workspace_id, i).name}
    for key in SCOPES:
        raw = args.get(key, "")
        if not raw:
            continue
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 2147483647:
            raise ApiError(422, "validation_error", _("Choose from the list."), {key: "a number"})
        scope[key] = int(raw)
        names[key] = finders[key](scope[key])
    return scope, names


@bp.get("/customers")
@staff_required()
def customers():
    """Repurchase within ``?days=`` (30, 90 or 180), lifetime value so far, and monthly cohorts, for the
    workspace or narrowed to a campaign, a seller and/or a team.

    :raise 422: another number of days, a scope that is not a number. :raise 404: a scope of another workspace.
    """
    days = request.args.get("days", "90")
    if days not in {str(d) for d in WINDOWS}:
        raise ApiError(422, "validation_error", _("Choose 30, 90 or 180 days."), {"days": "30, 90 or 180"})
    session = database.session()
    workspace_id = g.key.workspace_id
    scope, names = scope_of(request.args, session, workspace_id)
    figures = repurchase(session, workspace_id, days=int(days), **scope)
    table = cohorts(session, workspace_id, now=utcnow(), **scope)
    campaigns = session.execute(select(Campaign.id, Campaign.name).where(Campaign.workspace_id == workspace_id)
                                .order_by(Campaign.id.desc()).limit(200)).all()
    teams = session.execute(select(Team.id, Team.name).where(Team.workspace_id == workspace_id)
                            .order_by(Team.name)).all()
    return render_template("console/customers.html", figures=figures, days=int(days), windows=WINDOWS,
                           table=table, chart=cohort_chart(table), shade=shade, scope=scope, names=names,
                           campaigns=campaigns, teams=teams)
