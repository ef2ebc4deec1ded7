"""Signing in and out: staff by email and password, sellers by a one-time link."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from accounts import passes
from accounts.invitations import pass_url
from accounts.users import authenticate
from credentials import mail
from plumbing import database
from referrals.models import Sharer
from web import session as web_session
from web.forms import ConfirmForm, SellerSignInForm, StaffSignInForm
from web.i18n import safe_next
from web.security import check_csrf
from web.sign_in_limits import LINK_LIMITS, SIGN_IN_LIMITS, limited, remember_browser
from workspaces.models import Workspace

bp = Blueprint("web_auth", __name__)
bp.before_request(check_csrf)


@bp.route("/console/sign-in", methods=["GET", "POST"])
@limited(SIGN_IN_LIMITS)
def staff_sign_in():
    """Email and password; a wrong pair gets one message whichever part was wrong."""
    form = StaffSignInForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
    if form.validate_on_submit():
        session = database.session()
        user = authenticate(session, form.email.data, form.password.data)
        session.commit()
        if user is not None:
            web_session.sign_in_staff(user)
            return remember_browser(redirect(safe_next(form.next.data, url_for("console.campaigns")), 303),
                                    form.email.data)
        form.password.errors.append(_("The email or password is not right."))
    status = 422 if request.method == "POST" else 200
    return render_template("web/staff_sign_in.html", form=form), status


@bp.post("/console/sign-out")
def staff_sign_out():
    form = ConfirmForm()
    if form.validate_on_submit():
        web_session.sign_out("staff")
        flash(_("You are signed out."))
    return redirect(url_for("web_auth.staff_sign_in"), 303)


@bp.route("/seller/sign-in", methods=["GET", "POST"])
@limited(LINK_LIMITS)
def seller_sign_in():
    """A seller asks for a sign-in link by email; the answer never says whether the address is known."""
    form = SellerSignInForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
    if form.validate_on_submit():
        session = database.session()
        sent = []
        for sharer in passes.sharers_by_email(session, form.email.data):
            issued = passes.issue_pass(session, sharer, "magic")
            sent.append((sharer, issued))
        session.commit()
        for sharer, issued in sent:
            workspace = session.get(Workspace, sharer.workspace_id)
            link = pass_url(issued.token)
            subject = _("Sign in to %(brand)s on Sharecast", brand=workspace.name)
            text = _("Hello %(name)s,\n\nOpen this link within 20 minutes to sign in to %(brand)s's seller space:\n"
                     "%(link)s\n\nIf you did not ask for it, ignore this email.",
                     name=sharer.name, brand=workspace.name, link=link)
            mail.enqueue_sign_in_link(workspace.id, sharer.email, subject, text, link)
        return render_template("web/seller_link_sent.html", email=form.email.data)
    status = 422 if request.method == "POST" else 200
    return render_template("web/seller_sign_in.html", form=form), status


@bp.route("/seller/pass/<token>", methods=["GET", "POST"])
@limited(SIGN_IN_LIMITS[:1])
def seller_pass(token: str):
    """An invitation or magic link: GET shows a Continue button, its POST spends the pass."""
    session = database.session()
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("web/seller_pass.html", form=form, sharer=None, workspace=None), 400
        spent = passes.spend_pass(session, token)
        if spent is not None:
            sharer = session.get(Sharer, spent.sharer_id)
            session.commit()
            web_session.sign_in_seller(sharer)
            response = redirect(url_for("seller.today"), 303)
            return remember_browser(response, sharer.email, url_for("web_auth.seller_sign_in")) if sharer.email \
                else response
        session.rollback()
    found = passes.peek_pass(session, token)
    if found is None:
        return render_template("web/seller_pass.html", form=form, sharer=None, workspace=None), 410
    return render_template("web/seller_pass.html", form=form, sharer=session.get(Sharer, found.sharer_id),
                           workspace=session.get(Workspace, found.workspace_id))


@bp.post("/seller/sign-out")
def seller_sign_out():
    form = ConfirmForm()
    if form.validate_on_submit():
        web_session.sign_out("seller")
        flash(_("You are signed out."))
    return redirect(url_for("web_auth.seller_sign_in"), 303)
