"""The programme's public join page, ``/join/<workspace slug>``: open or by approval, per the workspace."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional

from plumbing import database
from plumbing.errors import ApiError
from referrals.enrollment import apply, find_application
from web import session as web_session
from web.console.sharers import NO_CONTROL
from web.error_pages import error_page
from web.security import check_csrf, limiter
from workspaces.models import Workspace

bp = Blueprint("join", __name__)
bp.before_request(check_csrf)

FIELD_ERRORS = {"email": _l("This is not an email address."), "phone": _l("This is not a phone number.")}


class JoinForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(_l("Enter your name.")), Length(max=200), NO_CONTROL])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=320), NO_CONTROL])
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=32), NO_CONTROL])


def _workspace(slug: str) -> Workspace:
    workspace = database.session().scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        abort(404)
    return workspace


@bp.route("/join/<slug>", methods=["GET", "POST"])
@limiter.limit("5 per minute;30 per hour", methods=["POST"])
def join(slug: str):
    """Join the programme: at once when open, as a request when by approval.

    :raise 404: no such programme. :raise 403: by invitation only.
    """
    workspace = _workspace(slug)
    if workspace.enrollment not in ("open", "approval"):
        return error_page(403, _("%(brand)s takes new sharers by invitation only. Ask a sharer you know to "
                                 "invite you.", brand=workspace.name))
    form = JoinForm()
    if form.validate_on_submit():
        session = database.session()
        try:
            sharer, _application, token = apply(session, workspace, form.name.data, email=form.email.data or None,
                                                phone=form.phone.data or None)
        except ApiError as exc:
            session.rollback()
            for name in exc.fields:
                getattr(form, name).errors.append(str(FIELD_ERRORS.get(name, exc.message)))
        else:
            session.commit()
            if sharer is not None:
                web_session.sign_in_seller(sharer)
                return redirect(url_for("seller.today"), 303)
            return redirect(url_for("join.status", slug=slug, token=token), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("web/join.html", form=form, workspace=workspace), status


@bp.get("/join/<slug>/status/<token>")
def status(slug: str, token: str):
    """The applicant's own page: waiting, approved, or refused with the reason. :raise 404: unknown."""
    workspace = _workspace(slug)
    application = find_application(database.session(), workspace.id, token)
    if application is None:
        abort(404)
    return render_template("web/join_status.html", workspace=workspace, application=application)
