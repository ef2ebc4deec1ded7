"""Commissions to approve: the list with its filters, and approving the ticked or all due ones.

Approving is for any staff account, as in the API (payouts: web/console/payouts.py).
"""
from __future__ import annotations

from decimal import Decimal

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField

from plumbing import database
from plumbing.database import utcnow
from referrals import ledger
from referrals.earnings import list_commissions
from web.console.blueprint import NAV, bp
from web.console.sharers import one_page
from web.session import staff_required

NAV.append(("console.commissions", _l("Commissions")))

PAGE_SIZE = 50
MAX_ID = 2**31 - 1


class CommissionFilter(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), choices=[SelectChoice("", _l("All")), SelectChoice("pending", _l("Pending")),
                                                SelectChoice("approved", _l("Approved")), SelectChoice("paid", _l("Paid")),
                                                SelectChoice("reversed", _l("Reversed"))], default="")
    due = BooleanField(_l("Only those due for approval"))

    def query(self) -> dict:
        """The list's filters and the page's own query parameters to keep across pages."""
        return {k: v for k, v in (("status", self.status.data or None), ("due", "y" if self.due.data else None)) if v}


def _filter_form(values) -> CommissionFilter:
    form = CommissionFilter(formdata=values)
    if not form.validate():
        form.status.errors = [_("Choose one of the statuses listed.")]
    return form


def _commissions_page(form: CommissionFilter, cursor: str | None, status_code: int = 200, error: str | None = None):
    page = None
    if not form.errors:
        page = one_page(list_commissions, database.session(), g.key.workspace_id, status=form.status.data or None,
                        due=True if form.due.data else None, cursor=cursor, limit=PAGE_SIZE)
    return render_template("console/commissions.html", form=form, page=page, error=error, args=form.query(),
                           first_page=cursor is not None, nonzero=lambda amount: Decimal(amount) != 0), status_code


@bp.get("/commissions")
@staff_required()
def commissions():
    """Commission lines, newest first; ``status``, ``due`` and ``cursor`` as in the API.

    :raise 422: an unknown status (the filter re-shown) or a bad cursor (an error page).
    """
    form = _filter_form(request.args)
    return _commissions_page(form, request.args.get("cursor"), 422 if form.errors else 200)


@bp.post("/commissions/approve")
@staff_required()
def approve_commissions():
    """Approve the ticked commissions (``action=selected``, ``ids``) or every due one (``action=all``).

    Nothing is approved unless all of them can be: 422 when none is ticked or an id is
    not a number, 409 when one is no longer pending or still holding; the list is re-shown.
    """
    form = _filter_form(request.form)
    if form.errors:
        return _commissions_page(form, None, 422)
    action = request.form.get("action")
    ids: list[int] | None = None
    if action == "selected":
        raw = request.form.getlist("ids")
        if not raw:
            return _commissions_page(form, None, 422, _("Tick at least one commission to approve."))
        if not all(v.isascii() and v.isdigit() and 0 < int(v) <= MAX_ID for v in raw):
            return _commissions_page(form, None, 422, _("The selection was not understood; reload the page."))
        ids = sorted({int(v) for v in raw})
    elif action != "all":
        return _commissions_page(form, None, 422, _("Choose what to approve."))
    session = database.session()
    try:
        done = ledger.approve_due(session, g.key.workspace_id, utcnow(), ids)
    except ValueError:
        session.rollback()
        return _commissions_page(form, None, 409, _(
            "Nothing was approved: some of the ticked commissions are no longer pending or are still in "
            "their holding period. The list below is up to date; tick again."))
    session.commit()
    if done:
        flash(_("Commissions approved: %(count)s. They will be paid in the next payout.", count=len(done)))
    else:
        flash(_("No commission is due for approval yet."), "warning")
    return redirect(url_for("console.commissions", **form.query()), 303)
