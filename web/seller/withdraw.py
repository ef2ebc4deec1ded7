"""Withdrawing (提现): the seller's available balance, how they are paid, their requests."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from payouts.accounts import method_json, payout_method, rails_view
from payouts.method_changes import confirm_change, pending_change, pending_json, propose_change, send_code
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
    pending = pending_json(pending_change(session, me.id, utcnow()))
    return render_template("seller/withdraw.html", balance=balance_json(session, me.workspace_id, me.id),
                           method=method_json(payout_method(session, me.workspace_id, me.id), pending),
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
    """Ask to change how the seller is paid: a code is texted to their phone (emailed to a seller without
    one), and the change waits for it. Bad fields (or no phone nor email) come back as a message, nothing stored."""
    rail = request.form.get("rail", "")
    account = {k: v for k, v in request.form.items() if k not in ("rail", "csrf_token") and v.strip()}
    sent = {}

    def propose(session):
        if rail not in RAILS:
            raise ApiError(422, "validation_error", _("Choose how you want to be paid."), {})
        try:
            change, code = propose_change(session, vault.for_app(current_app), current_app.config["SECRET_KEY"],
                                          g.sharer.workspace_id, g.sharer.id, rail, account, utcnow())
        except ApiError as exc:
            if exc.code == "phone_required":
                raise ApiError(409, exc.code, _("Add your mobile number or email address on your profile first: a "
                                                "change of payout method is confirmed with a code sent to it.")) from None
            if exc.code == "phone_recently_changed":
                raise ApiError(409, exc.code, _("Your phone number changed less than two days ago: for your "
                                                "safety, how you are paid can change after that.")) from None
            if exc.code == "email_recently_changed":
                raise ApiError(409, exc.code, _("Your email address changed less than two days ago: for your "
                                                "safety, how you are paid can change after that.")) from None
            if exc.code == "email_unavailable":
                raise ApiError(409, exc.code, _("We cannot email you a code yet: add your mobile number on your "
                                                "profile, or ask the brand.")) from None
            if exc.code in ("code_too_soon", "too_many_codes"):
                raise ApiError(429, exc.code, _("A code was sent just now. Wait a minute, then ask again.")) from None
            raise
        sent.update(change=change, code=code)

    emailed = not g.sharer.phone
    answer = _attempt(propose, _("We emailed you a code. Enter it below to use the new payout method.") if emailed
                      else _("We texted you a code. Enter it below to use the new payout method."))
    if sent:
        page = f"{current_app.config['PUBLIC_URL']}{url_for('seller.withdraw', _anchor='method-h')}"
        send_code(sent["change"], sent["code"], g.sharer.display_name or g.sharer.name, g.workspace.name, page)
    return answer


@bp.post("/withdraw/method/confirm")
@seller_required
def confirm_method():
    """The code sent makes the waiting change the payout method; a wrong, old or used one changes nothing."""
    session = database.session()
    try:
        _method, refusal = confirm_change(session, current_app.config["SECRET_KEY"], g.sharer.workspace_id,
                                          g.sharer.id, request.form.get("code", ""), utcnow())
    except ApiError:
        session.rollback()
        flash(_("No change is waiting for a code. Enter the new payout method again."), "warning")
        return redirect(url_for("seller.withdraw"), 303)
    session.commit()  # a wrong code spent one of its tries
    if refusal is None:
        flash(_("Your payout method is saved."))
    elif refusal.code == "too_many_attempts":
        flash(_("Too many wrong tries. Enter the new payout method again for a new code."), "warning")
    else:
        flash(_("This code is not right, or has expired. Ask for a new one."), "warning")
    return redirect(url_for("seller.withdraw", _anchor="method-h"), 303)


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
