"""The console's consumer-to-distributor funnel and viral coefficient (its own page: the navigation marks
the pages of one module as one section)."""
from __future__ import annotations

from decimal import Decimal

from flask import g, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from catalog.models import Campaign
from figures.funnel import funnel, viral
from plumbing import database
from plumbing.database import utcnow
from web.console.blueprint import NAV, bp
from web.console.charts import Series, bar_chart
from web.console.customers import scope_of
from web.session import staff_required

NAV.append(("console.funnel", _l("Buyers to sellers")))


def stage_names() -> dict:
    return {"bought": _("Bought"), "enrolled": _("Became sharers"), "shared": _("Shared"), "sold": _("Sold")}


def funnel_chart(figures: dict) -> dict:
    """One bar per stage of the consumer-to-distributor funnel."""
    names = stage_names()
    labels = [names[s["stage"]] for s in figures["stages"]]
    counts = [s["count"] for s in figures["stages"]]
    svg = bar_chart(labels, [Series(_("Buyers"), counts, "bar-clicks")],
                    title=_("From buyer to seller"),
                    description=_("Of %(n)s buyers, %(sold)s have sold to someone else.", n=counts[0], sold=counts[-1]),
                    chart_id="funnel-chart", number=lambda n: format_decimal(n))
    return {"svg": svg, "empty": not counts[0]}


def viral_chart(table: dict) -> dict:
    """Each month's new buyers and the new buyers they have brought since."""
    labels = [row["month"] for row in table["items"]]
    buyers = [row["buyers"] for row in table["items"]]
    brought = [row["brought"] for row in table["items"]]
    svg = bar_chart(labels, [Series(_("New buyers"), buyers, "bar-clicks"),
                             Series(_("New buyers they brought"), brought, "bar-unique")],
                    title=_("Viral coefficient by month of first purchase"),
                    description=_("%(n)s buyers brought %(brought)s new buyers: %(k)s per buyer.", n=table["buyers"],
                                  brought=table["brought"], k=table["k"] or "—"),
                    chart_id="viral-chart", number=lambda n: format_decimal(n))
    return {"svg": svg, "empty": not any(buyers)}


def duration(seconds: int | None) -> str:
    """A median stage time in the page's language: days, or hours under two days, or minutes under two hours."""
    if seconds is None:
        return "—"
    if seconds >= 2 * 86400:
        return _("%(n)s days", n=format_decimal(Decimal(seconds) / 86400, format="#,##0.#"))
    if seconds >= 2 * 3600:
        return _("%(n)s hours", n=format_decimal(Decimal(seconds) / 3600, format="#,##0.#"))
    return _("%(n)s minutes", n=format_decimal(seconds // 60))


@bp.get("/funnel", endpoint="funnel")
@staff_required()
def funnel_page():
    """The consumer-to-distributor funnel and the viral coefficient, for the workspace or one campaign
    (``?campaign_id=``, the buyers' first purchase). :raise 422: not a number. :raise 404: another workspace's.
    """
    session = database.session()
    workspace_id = g.key.workspace_id
    scope, names = scope_of({"campaign_id": request.args.get("campaign_id", "")}, session, workspace_id)
    figures = funnel(session, workspace_id, **scope)
    table = viral(session, workspace_id, now=utcnow(), **scope)
    campaigns = session.execute(select(Campaign.id, Campaign.name).where(Campaign.workspace_id == workspace_id)
                                .order_by(Campaign.id.desc()).limit(200)).all()
    return render_template("console/funnel.html", figures=figures, table=table, chart=funnel_chart(figures),
                           viral_chart=viral_chart(table), names=names, scope=scope, campaigns=campaigns,
                           stage_names=stage_names(), duration=duration)
