"""Withdrawal requests: the ones waiting for a decision first, approve or refuse with a reason."""
from __future__ import annotations

from datetime import date

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from payouts import jobs
from payouts.finance_export import download
from payouts.withdrawals import STATUSES, approve, list_withdrawals, refuse
from plumbing import database, outbox, vault
from plumbing.database import utcnow
from plumbing.errors import ApiError
from web.console.blueprint import NAV, bp
from web.console.sharers import one_page
from web.seller.labels import withdrawal_status_label
from web.session import staff_required

NAV.append(("console.withdrawals", _l("Withdrawals")))

WITHDRAWAL = "/withdrawals/<int(min=1, max=2147483647):withdrawal_id>"
PAGE_SIZE = 50


@bp.get("/withdrawals")
@staff_required()
def withdrawals():
    """Requests by status (``?status=``, default those waiting for a decision). :raise 422: a bad cursor."""
    status = request.args.get("status", "requested")
    if status not in (*STATUSES, "all"):
        raise ApiError(422, "validation_error", _("No such status."), {"status": "unknown"})
    cursor = request.args.get("cursor")
    page = one_page(list_withdrawals, database.session(), g.key.workspace_id,
                    status=None if status == "all" else status, cursor=cursor, limit=PAGE_SIZE)
    for item in page["items"]:
        item["status_label"] = withdrawal_status_label(item["status"])
    return render_template("console/withdrawals.html", page=page, status=status, first_page=cursor is not None,
                           statuses=[(s, withdrawal_status_label(s)) for s in STATUSES])


@bp.post(f"{WITHDRAWAL}/approve")
@staff_required()
def approve_withdrawal(withdrawal_id: int):
    """Approve: the transfer goes out through the seller's rail. :raise 404/409: see the API."""
    session = database.session()
    withdrawal = approve(session, g.key.workspace_id, withdrawal_id, g.key.role, utcnow())
    outbox.enqueue_after_commit(session, jobs.enqueue_send, [withdrawal.id])
    session.commit()
    flash(_("Withdrawal #%(id)s approved: it is being sent.", id=withdrawal_id))
    return redirect(url_for("console.withdrawals"), 303)


@bp.post(f"{WITHDRAWAL}/refuse")
@staff_required()
def refuse_withdrawal(withdrawal_id: int):
    """Refuse with a reason the seller reads; the money goes back. :raise 422: no reason."""
    reason = (request.form.get("reason") or "").strip()
    if not reason or len(reason) > 500:
        flash(_("Give the seller a reason (up to 500 characters)."), "warning")
        return redirect(url_for("console.withdrawals"), 303)
    session = database.session()
    refuse(session, g.key.workspace_id, withdrawal_id, reason, g.key.role, utcnow())
    session.commit()
    flash(_("Withdrawal #%(id)s refused; the amount is back in the seller's balance.", id=withdrawal_id))
    return redirect(url_for("console.withdrawals"), 303)


def _day(field: str) -> date | None:
    """:raise ApiError 422: not a date (YYYY-MM-DD)."""
    given = request.args.get(field) or None
    try:
        return date.fromisoformat(given) if given else None
    except ValueError:
        raise ApiError(422, "validation_error", _("Enter dates as 2026-01-31."), {field: "not a date"}) from None


@bp.get("/withdrawals.csv")
@staff_required("owner")
def withdrawals_csv():
    """The finance export of a period (``?from=&to=``, default this year so far), as the API's.
    :raise 422: a bad date, an end before the start, more than a year."""
    return download(database.session(), vault.for_app(current_app), g.key.workspace_id, _day("from"), _day("to"),
                    utcnow(), user_id=g.user.id)
