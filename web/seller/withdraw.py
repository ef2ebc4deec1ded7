"""Withdrawing (提现): the seller's available balance, how they are paid, their requests."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from payouts.accounts import method_json, payout_method, rails_view, set_payout_method
from payouts.rails.registry import RAILS
from payouts.withdrawals import balance_json, list_withdrawals, request_withdrawal
from plumbing import database, vault
from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.money import parse_amount
from web.seller.blueprint import bp
from web.seller.labels import rail_label, withdrawal_status_label
from web.session import seller_required

RECENT = 20


@bp.get("/withdraw")
@seller_required
def withdraw():
    """Available balance, the payout method (masked), the request form, recent requests."""
    session = database.session()
    me = g.sharer
    rails = [r["rail"] for r in rails_view(session, me.workspace_id)["items"] if r["configured"]]
    requests = list_withdrawals(session, me.workspace_id, sharer_id=me.id, limit=RECENT)["items"]
    for item in requests:
        item["status_label"] = withdrawal_status_label(item["status"])
    return render_template("seller/withdraw.html", balance=balance_json(session, me.workspace_id, me.id),
                           method=method_json(payout_method(session, me.workspace_id, me.id)),
                           rails=[(r, rail_label(r), RAILS[r].account_fields) for r in rails],
                           requests=requests, open=any(i["status"] in ("requested", "approved", "sending")
                                                       for i in requests))


def _attempt(action, done: str):
    """Run ``action(session)`` and commit, then show ``done``; an ApiError comes back as a message
    on the page, with nothing stored."""
    session = database.session()
    try:
        action(session)
    except ApiError as exc:
        session.rollback()
        detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        flash(f"{exc.message} {detail}" if detail and detail not in exc.message else exc.message, "warning")
        return redirect(url_for("seller.withdraw"), 303)
    session.commit()
    flash(done)
    return redirect(url_for("seller.withdraw"), 303)


@bp.post("/withdraw/method")
@seller_required
def set_method():
    """Set how the seller is paid. Bad fields come back as a message, nothing stored."""
    rail = request.form.get("rail", "")
    account = {k: v for k, v in request.form.items() if k not in ("rail", "csrf_token") and v.strip()}

    def save(session):
        if rail not in RAILS:
            raise ApiError(422, "validation_error", _("Choose how you want to be paid."), {})
        set_payout_method(session, vault.for_app(current_app), g.sharer.workspace_id, g.sharer.id, rail, account)

    return _attempt(save, _("Your payout method is saved."))


@bp.post("/withdraw")
@seller_required
def ask():
    """Ask to withdraw an amount; it waits for the brand's decision."""
    def open_request(session):
        try:
            amount = parse_amount(request.form.get("amount", "").strip(), g.workspace.currency)
        except ValueError:
            raise ApiError(422, "validation_error", _("Enter an amount such as 50.00."), {}) from None
        request_withdrawal(session, vault.for_app(current_app), g.sharer.workspace_id, g.sharer.id, amount, utcnow())

    return _attempt(open_request, _("Your withdrawal request is sent. The brand will review it."))
