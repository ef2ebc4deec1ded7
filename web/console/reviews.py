"""Held sales: the ones the risk rules flagged, released or rejected with a reason the seller reads."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from plumbing import database
from plumbing.database import utcnow
from plumbing.errors import ApiError
from referrals.reviews import list_reviews, reject, release
from web.console.blueprint import NAV, bp
from web.console.sharers import one_page
from web.session import staff_required

NAV.append(("console.reviews", _l("Held sales")))

REVIEW = "/reviews/<int(min=1, max=2147483647):review_id>"
RULES = {"disposable_email": _l("Throwaway email address"), "fast_order": _l("Ordered seconds after the click"),
         "visitor_orders": _l("Many orders from one visitor"),
         "ip_prefix_orders": _l("Many orders from one network"), "customer_sharers": _l("One buyer, many sharers"),
         "refund_share": _l("Many refunds"), "inviter_purchase": _l("The inviter bought through their invitee")}


@bp.get("/reviews")
@staff_required()
def reviews():
    """Held sales, open ones first (``?status=``). :raise 422: a bad cursor."""
    status = request.args.get("status", "open")
    if status not in ("open", "released", "rejected"):
        raise ApiError(422, "validation_error", _("No such status."), {"status": "unknown"})
    cursor = request.args.get("cursor")
    page = one_page(list_reviews, database.session(), g.key.workspace_id, status=status, cursor=cursor, limit=50)
    return render_template("console/reviews.html", page=page, status=status, rules=RULES, first_page=cursor is not None)


@bp.post(f"{REVIEW}/release")
@staff_required()
def release_review(review_id: int):
    """Release a held sale. :raise 404/409: see the API."""
    session = database.session()
    release(session, g.key.workspace_id, review_id, g.key.role, utcnow())
    session.commit()
    flash(_("Released: the commissions are pending again."))
    return redirect(url_for("console.reviews"), 303)


@bp.post(f"{REVIEW}/reject")
@staff_required()
def reject_review(review_id: int):
    """Reject a held sale with a reason the seller reads. :raise 404/409: see the API."""
    reason = (request.form.get("reason") or "").strip()
    if not reason or len(reason) > 500:
        flash(_("Give the seller a reason (up to 500 characters)."), "warning")
        return redirect(url_for("console.reviews"), 303)
    session = database.session()
    reject(session, g.key.workspace_id, review_id, reason, g.key.role, utcnow())
    session.commit()
    flash(_("Rejected: the commissions are reversed and the seller can read why."))
    return redirect(url_for("console.reviews"), 303)
