"""The seller's profile: the name and photo their posters show, a copy of their data, and erasure (phone,
email and WeChat: web/seller/contact.py)."""
from __future__ import annotations

import json

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from accounts.privacy import erase_sharer, export_sharer
from payouts.accounts import forget_payout_method
from plumbing import database, redis_client
from plumbing.errors import ApiError
from publishing.avatars import remove_avatar, set_avatar
from publishing.images import MAX_BYTES
from publishing.storage import public_url, storage
from referrals import linkcache
from referrals.identity import poster_name
from web import session as web_session
from web.forms import AvatarForm, ConfirmForm, DisplayNameForm, image_refusal
from web.security import limiter
from web.seller.blueprint import bp
from web.seller.contact import contact_context
from web.session import seller_required

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
                           **contact_context(sharer)), status


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
    forget_payout_method(session, g.sharer.id)
    session.commit()
    linkcache.invalidate(redis_client.connection())
    web_session.sign_out("seller")
    flash(_("Your personal data is deleted and you are signed out."))
    return redirect(url_for("web_auth.seller_sign_in"), 303)
