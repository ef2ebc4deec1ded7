"""How a seller is reached and signs in, on their profile: phone, email and WeChat, each verified
before it is used. The steps are web/contact_change.py's, shared with the API (web/contact_api.py).

- A new number is used once the code texted to it is entered (the sign-in codes, limits and SMS job).
- A new email address is used once the link emailed to it is opened (an ``email`` pass; the sign-in
  links' limits and mail job); the previous address is told once it changed. The link may be opened
  on any device: it proves the inbox, and it only confirms the address, it never signs anyone in.
- WeChat is connected by WeChat's own authorisation (web/wechat_sign_in.py) and disconnected here.
"""
from __future__ import annotations

import time

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from accounts import email_change
from accounts.phone_codes import Outcome
from plumbing import database
from referrals.identity import mask_email, mask_phone, normalize_email, normalize_phone
from web import contact_change
from web import session as web_session
from web.forms import CodeForm, ConfirmForm, EmailForm, PhoneForm
from web.phone_sign_in import CODES_PER_NUMBER, PENDING_SECONDS
from web.security import limiter
from web.seller.blueprint import bp
from web.session import seller_required
from web.sign_in_limits import CONFIRM_LIMITS, limited
from web.wechat_sign_in import wechat_status
from workspaces.models import Workspace


def contact_context(sharer) -> dict:
    """What the profile's "How you sign in" card shows (every address masked)."""
    email_form = EmailForm()
    email_form.email.label.text = _("New email address")
    return {"phone": mask_phone(sharer.phone), "email": mask_email(sharer.email), "wechat": wechat_status(sharer),
            "phone_form": PhoneForm(), "code_form": CodeForm(), "email_form": email_form,
            "new_phone": mask_phone(_pending_phone()),
            "new_email": mask_email(email_change.pending(database.session(), sharer))}


def _pending_phone() -> str | None:
    """The new number this seller asked to verify, while its code can still be entered."""
    entry = session.get("phone_change")
    if (isinstance(entry, dict) and entry.get("sharer") == g.sharer.id and isinstance(entry.get("at"), int)
            and time.time() - entry["at"] <= PENDING_SECONDS):
        return entry.get("phone")
    return None


def _back():
    return redirect(url_for("seller.profile", _anchor="contact-heading"), 303)


@bp.post("/profile/phone")
@limiter.limit("5 per minute;20 per hour")
@CODES_PER_NUMBER
@seller_required
def change_phone():
    """Add or change the seller's number: a code goes to the new number, which is used only once confirmed."""
    form = PhoneForm()
    phone = normalize_phone(form.phone.data) if form.validate_on_submit() else None
    if phone is None:
        flash(_("This is not a mobile number we can send a code to."))
        return redirect(url_for("seller.profile"), 303)
    contact_change.text_phone_code(database.session(), phone)
    session["phone_change"] = {"phone": phone, "sharer": g.sharer.id, "at": int(time.time())}
    return _back()


@bp.post("/profile/phone/confirm")
@limiter.limit("10 per minute;60 per hour")
@seller_required
def confirm_phone():
    """The code texted to the new number makes it the seller's; a wrong, old or used one changes nothing."""
    phone = _pending_phone()
    form = CodeForm()
    if phone is None or not form.validate_on_submit():
        return redirect(url_for("seller.profile"), 303)
    outcome = contact_change.confirm_phone(database.session(), g.sharer, phone, form.code.data)
    if outcome is Outcome.OK:
        session.pop("phone_change", None)
        flash(_("Your phone number is now %(phone)s.", phone=mask_phone(phone)))
    else:
        flash(_("This code is not right, or has expired. Ask for a new one."))
    return _back()


@bp.post("/profile/email")
@limited(CONFIRM_LIMITS)
@seller_required
def change_email():
    """Add or change the seller's email: a link goes to the new address, which is used only once it is opened."""
    form = EmailForm()
    email = normalize_email(form.email.data) if form.validate_on_submit() else None
    if email is None:
        flash(_("This is not an email address we can send a link to."))
        return redirect(url_for("seller.profile"), 303)
    if email == g.sharer.email:
        flash(_("This is your email address already."))
        return _back()
    contact_change.email_link(database.session(), g.sharer, g.workspace, email)
    return _back()


@bp.route("/email/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute;60 per hour")
def confirm_email(token: str):
    """The link sent to a new address: GET shows a Continue button (mail scanners only look), its POST
    makes the address the seller's. :raise 410: an unknown, used or expired link (nothing changes)."""
    db = database.session()
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        sharer = contact_change.confirm_email(db, token)
        if sharer is not None:
            flash(_("Your email address is now %(email)s.", email=mask_email(sharer.email)))
            signed_in = web_session.current_seller()
            if signed_in is not None and signed_in.id == sharer.id:
                return _back()
            return redirect(url_for("web_auth.seller_sign_in"), 303)
    found = email_change.peek(db, token)
    if found is None:
        return render_template("web/email_confirm.html", form=form, found=None), 410
    return render_template("web/email_confirm.html", form=form, found=found, email=mask_email(found.email),
                           workspace=db.get(Workspace, found.workspace_id))


@bp.post("/profile/wechat/disconnect")
@seller_required
def disconnect_wechat():
    """Unbind the seller's WeChat: it no longer signs them in (they can connect it, or another, again)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _back()
    contact_change.disconnect_wechat(database.session(), g.sharer)
    flash(_("WeChat is disconnected; it no longer signs you in."))
    return _back()
