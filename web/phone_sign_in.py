"""Sellers and buyers sign in with their mobile number and a six-digit code sent by SMS.

The number is normalised to E.164 (phonenumbers). Asking for a code answers the
same for known and unknown numbers (a code is only made and sent for a known
one); it is limited per address and per number. The code page checks the code
against the number kept in this browser's session; a number that belongs to
sellers of several brands chooses one after the code is right.
"""
from __future__ import annotations

import time

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from accounts import phone_codes, sms
from accounts.phone_codes import Outcome
from plumbing import database
from referrals.identity import mask_phone, normalize_phone
from web import session as web_session
from web.forms import CodeForm, ConfirmForm, PhoneForm
from web.i18n import safe_next
from web.security import check_csrf, limiter
from workspaces.models import Workspace

bp = Blueprint("phone_auth", __name__)
bp.before_request(check_csrf)
PENDING_SECONDS = 10 * 60  # how long this browser remembers which number it asked a code for
VERIFIED_SECONDS = 5 * 60  # how long a right code lets the browser choose among the number's brands


def form_phone() -> str:
    """The rate-limit key of a form's number (its E.164 form, so spellings of one number share it)."""
    return normalize_phone(request.form.get("phone")) or request.remote_addr or "-"


def _pending_phone() -> str | None:
    entry = session.get("phone_sign_in")
    if isinstance(entry, dict) and isinstance(entry.get("at"), int) and time.time() - entry["at"] <= PENDING_SECONDS:
        return entry.get("phone")
    return None


# Codes texted to one number, wherever they are asked for (sign-in, a seller adding their number).
CODES_PER_NUMBER = limiter.shared_limit("1 per minute;5 per hour", scope="code-phone", key_func=form_phone,
                                        methods=["POST"])


def text_code_if_known(phone: str) -> None:
    """Make and text a sign-in code when ``phone`` (E.164) belongs to a seller; nothing otherwise (the
    caller answers the same either way)."""
    db = database.session()
    code = phone_codes.issue_code(db, current_app.config["SECRET_KEY"], phone) \
        if phone_codes.sharers_by_phone(db, phone) else None
    db.commit()
    if code is not None:
        sms.enqueue_sign_in_code(phone, code)


@bp.route("/seller/sign-in/phone", methods=["GET", "POST"])
@limiter.limit("5 per minute;20 per hour", methods=["POST"])
@CODES_PER_NUMBER
def ask_code():
    """Ask for a code; the answer is the code page whatever the number."""
    form = PhoneForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
    if form.validate_on_submit():
        phone = normalize_phone(form.phone.data)
        if phone is None:
            form.phone.errors.append(_("This is not a mobile number we can send a code to."))
        else:
            text_code_if_known(phone)
            session["phone_sign_in"] = {"phone": phone, "at": int(time.time())}
            return redirect(url_for("phone_auth.enter_code"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("web/seller_phone.html", form=form), status


@bp.route("/seller/sign-in/phone/code", methods=["GET", "POST"])
@limiter.limit("10 per minute;60 per hour", methods=["POST"])
def enter_code():
    """Check the code; one brand signs in at once, several are offered to choose from."""
    phone = _pending_phone()
    if phone is None:
        return redirect(url_for("phone_auth.ask_code"), 303)
    form = CodeForm()
    if form.validate_on_submit():
        db = database.session()
        outcome = phone_codes.check_code(db, current_app.config["SECRET_KEY"], phone, form.code.data)
        db.commit()
        if outcome is Outcome.OK:
            return _signed_in(phone)
        form.code.errors.append({
            Outcome.WRONG: _("This code is not right. Check the SMS and try again."),
            Outcome.EXPIRED: _("This code has expired or was used already. Ask for a new one."),
            Outcome.TOO_MANY: _("Too many wrong tries. Ask for a new code."),
        }[outcome])
    status = 422 if request.method == "POST" else 200
    return render_template("web/seller_phone_code.html", form=form, phone=mask_phone(phone)), status


def _signed_in(phone: str):
    session.pop("phone_sign_in", None)
    sharers = phone_codes.sharers_by_phone(database.session(), phone)
    if len(sharers) == 1:
        web_session.sign_in_seller(sharers[0])
        return redirect(url_for("seller.today"), 303)
    session["phone_verified"] = {"phone": phone, "at": int(time.time())}
    return redirect(url_for("phone_auth.choose"), 303)


@bp.route("/seller/sign-in/phone/choose", methods=["GET", "POST"])
def choose():
    """The number belongs to sellers of several brands: which one to open."""
    entry = session.get("phone_verified")
    if not (isinstance(entry, dict) and isinstance(entry.get("at"), int)
            and time.time() - entry["at"] <= VERIFIED_SECONDS):
        return redirect(url_for("phone_auth.ask_code"), 303)
    db = database.session()
    sharers = phone_codes.sharers_by_phone(db, entry["phone"])
    form = ConfirmForm()
    if form.validate_on_submit():
        chosen = next((s for s in sharers if str(s.id) == request.form.get("sharer")), None)
        if chosen is not None:
            session.pop("phone_verified", None)
            web_session.sign_in_seller(chosen)
            return redirect(url_for("seller.today"), 303)
    brands = [(s, db.get(Workspace, s.workspace_id)) for s in sharers]
    return render_template("web/seller_phone_choose.html", form=form, brands=brands)


