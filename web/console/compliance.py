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
    "target_bonuses": _l("Target bonuses"),
}
# The claims as the report states them (referrals/compliance.py), in the page's language.
SENTENCES = {
    "no_entry_fee": _l("Nobody paid to become a sharer: there is no fee field, and money only ever moved for "
                       "sales, approvals, refunds, reviews, contest prizes, target bonuses and payouts."),
    "commissions_from_real_sales": _l("Every commission came from a real, attributed sale; none without one."),
    "at_most_two_levels": _l("No sale paid more than two levels: the seller and, optionally, the sharer who "
                             "invited them. A deeper invite chain pays nothing more."),
    "nothing_for_recruiting": _l("No payment was based on recruiting: sharers who joined earned their inviter "
                                 "nothing; an invite bonus is paid only as a share of a real sale the invitee made."),
    "max_share_paid": _l("The largest share of any one sale paid out in commissions."),
    "contest_prizes": _l("Contest prizes were fixed before each contest began and paid from the brand's budget "
                         "for the teams' sales, never for recruiting; every prize credit has its prize, and none is "
                         "paid out of a sale."),
    "target_bonuses": _l("Target bonuses were fixed before each target's period began and paid from the brand's "
                         "budget to sharers whose own sales or orders reached the threshold, never for recruiting; "
                         "every bonus credit has its bonus, and none is paid out of a sale."),
}
FIGURES = {
    "ledger_credits_by_reason": _l("Ledger credits by reason"), "fee_columns": _l("Fee columns"),
    "commissions": _l("Commissions"), "commissions_without_a_sale": _l("Commissions without a sale"),
    "credits_without_a_commission": _l("Credits without a commission"),
    "deepest_paid_level": _l("Deepest paid level"), "sales_paying_more_than_two": _l("Sales paying more than two levels"),
    "level_two_not_paid_to_the_inviter": _l("Level-two shares not paid to the inviter"),
    "deepest_invite_chain": _l("Deepest invite chain"), "sharers_by_invite_depth": _l("Sharers by invite depth"),
    "sharers_joined": _l("Sharers who joined"), "payments_for_joining": _l("Payments for joining"),
    "sales": _l("Sales"), "max_share_percent": _l("Largest share paid (%)"), "order_id": _l("Order"),
    "sale_amount": _l("Sale amount"), "paid_on_it": _l("Paid on it"), "currency": _l("Currency"),
    "prizes": _l("Prizes"), "prize_credits_minor": _l("Prize credits (fen/cents)"),
    "prizes_booked_minor": _l("Prizes booked (fen/cents)"), "prize_credits_on_a_sale": _l("Prize credits on a sale"),
    "contests": _l("Contests"), "contest_id": _l("Contest"), "winners": _l("Winners"),
    "taken_back_by_refunds": _l("Taken back by refunds"), "winners_own_net_sales": _l("Winners' own net sales"),
    "winners_without_own_sales": _l("Winners without own sales"),
    "bonuses": _l("Bonuses"), "bonus_credits_minor": _l("Bonus credits (fen/cents)"),
    "bonuses_booked_minor": _l("Bonuses booked (fen/cents)"), "bonus_credits_on_a_sale": _l("Bonus credits on a sale"),
    "bonuses_below_their_threshold": _l("Bonuses below their threshold"), "targets": _l("Targets"),
    "target_id": _l("Target"), "measure": _l("Measure"), "threshold": _l("Threshold"), "earners": _l("Earners"),
    "least_own_figure": _l("Least own figure"),
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
    return render_template("console/compliance.html", report=result, claims=CLAIMS, sentences=SENTENCES,
                           figures=FIGURES, start=start,
                           last_day=end - timedelta(days=1))
