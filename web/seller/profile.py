"""The seller's profile: the name and photo their posters show, WeChat, a copy of their data, and erasure."""
from __future__ import annotations

import json
import time

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from accounts import phone_codes, sms
from accounts.phone_codes import Outcome
from accounts.privacy import erase_sharer, export_sharer
from plumbing import database, redis_client
from plumbing.errors import ApiError
from publishing.avatars import remove_avatar, set_avatar
from publishing.images import MAX_BYTES
from publishing.storage import public_url, storage
from referrals import linkcache
from referrals.identity import mask_email, mask_phone, normalize_phone, poster_name
from web import session as web_session
from web.forms import AvatarForm, CodeForm, ConfirmForm, DisplayNameForm, PhoneForm, image_refusal
from web.phone_sign_in import CODES_PER_NUMBER, PENDING_SECONDS
from web.security import limiter
from web.seller.blueprint import bp
from web.session import seller_required
from web.wechat_sign_in import wechat_status

ERASE_WORD = "DELETE"


@bp.route("/profile", methods=["GET", "POST"])
@seller_required
def profile():
    """The profile page; its form sets the poster name. :raise 422: an empty, too long or unprintable name."""
    sharer = g.sharer
    form = DisplayNameForm(display_name=sharer.display_name or sharer.name)
    if request.method == "POST" and form.validate_on_submit():
        sharer.display_name = form.display_name.data
        database.session().commit()
        flash(_("Your posters now show “%(name)s”.", name=sharer.display_name))
        return redirect(url_for("seller.profile"), 303)
    return _profile_page(form=form, status=422 if request.method == "POST" else 200)


def _profile_page(form: DisplayNameForm | None = None, avatar_form: AvatarForm | None = None, status: int = 200):
    sharer = g.sharer
    return render_template("seller/profile.html", form=form or DisplayNameForm(display_name=sharer.display_name
                                                                                  or sharer.name),
                           avatar_form=avatar_form or AvatarForm(), confirm=ConfirmForm(), erase_word=ERASE_WORD,
                           avatar_url=public_url(sharer.avatar_key) if sharer.avatar_key else None,
                           max_mb=MAX_BYTES // (1024 * 1024),
                           shown=poster_name(sharer.name, sharer.display_name, sharer.source) or _("a friend"),
                           named=bool(poster_name(sharer.name, sharer.display_name, sharer.source)),
                           phone=mask_phone(sharer.phone), email=mask_email(sharer.email),
                           wechat=wechat_status(sharer), phone_form=PhoneForm(), code_form=CodeForm(),
                           new_phone=mask_phone(_pending_change())), status


@bp.post("/profile/avatar")
@limiter.limit("10 per minute;60 per hour")
@seller_required
def upload_avatar():
    """Set the photo the seller's posters show beside their name (PNG, JPEG or WebP; checked and
    cleaned like every upload). :raise 413, 415, 422: a refused file (nothing changes)."""
    form = AvatarForm()
    if not form.validate_on_submit():
        return _profile_page(avatar_form=form, status=422)
    try:
        set_avatar(storage(), g.sharer, form.avatar.data.read(MAX_BYTES + 1))
    except ApiError as exc:
        form.avatar.errors = [image_refusal(exc) or exc.message]
        return _profile_page(avatar_form=form, status=exc.status)
    database.session().commit()
    flash(_("Your posters now show your photo beside your name."))
    return redirect(url_for("seller.profile", _anchor="name-heading"), 303)


@bp.post("/profile/avatar/remove")
@seller_required
def delete_avatar():
    """Posters show the seller's name without a photo again."""
    if ConfirmForm().validate_on_submit():
        remove_avatar(g.sharer)
        database.session().commit()
        flash(_("Your posters show your name without a photo."))
    return redirect(url_for("seller.profile", _anchor="name-heading"), 303)


def _pending_change() -> str | None:
    """The new number this seller asked to verify, while its code can still be entered."""
    entry = session.get("phone_change")
    if (isinstance(entry, dict) and entry.get("sharer") == g.sharer.id and isinstance(entry.get("at"), int)
            and time.time() - entry["at"] <= PENDING_SECONDS):
        return entry.get("phone")
    return None


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
    db = database.session()
    code = phone_codes.issue_code(db, current_app.config["SECRET_KEY"], phone)
    db.commit()
    sms.enqueue_sign_in_code(phone, code)
    session["phone_change"] = {"phone": phone, "sharer": g.sharer.id, "at": int(time.time())}
    return redirect(url_for("seller.profile", _anchor="contact-heading"), 303)


@bp.post("/profile/phone/confirm")
@limiter.limit("10 per minute;60 per hour")
@seller_required
def confirm_phone():
    """The code texted to the new number makes it the seller's; a wrong, old or used one changes nothing."""
    phone = _pending_change()
    form = CodeForm()
    if phone is None or not form.validate_on_submit():
        return redirect(url_for("seller.profile"), 303)
    db = database.session()
    outcome = phone_codes.check_code(db, current_app.config["SECRET_KEY"], phone, form.code.data)
    if outcome is Outcome.OK:
        g.sharer.phone = phone
        session.pop("phone_change", None)
        flash(_("Your phone number is now %(phone)s.", phone=mask_phone(phone)))
    else:
        flash(_("This code is not right, or has expired. Ask for a new one."))
    db.commit()
    return redirect(url_for("seller.profile", _anchor="contact-heading"), 303)


@bp.get("/profile/data.json")
@seller_required
def export():
    """Everything kept about the seller, as a JSON download."""
    data = export_sharer(database.session(), g.sharer, current_app.config["PUBLIC_URL"])
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, content_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="sharecast-data-{g.sharer.id}.json"',
                             "Cache-Control": "no-store"})


@bp.post("/profile/erase")
@seller_required
def erase():
    """Erase the seller's personal data (typed confirmation), keep the amounts, sign out everywhere.

    :raise 422: the confirmation word is missing or wrong (nothing is erased).
    """
    form = ConfirmForm()
    if not form.validate_on_submit() or (request.form.get("confirm") or "").strip().upper() != ERASE_WORD:
        flash(_("Nothing was deleted: type %(word)s to confirm.", word=ERASE_WORD))
        return redirect(url_for("seller.profile"), 303)
    session = database.session()
    erase_sharer(session, g.sharer)
    session.commit()
    linkcache.invalidate(redis_client.connection())
    web_session.sign_out("seller")
    flash(_("Your personal data is deleted and you are signed out."))
    return redirect(url_for("web_auth.seller_sign_in"), 303)
