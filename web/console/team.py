"""The console's accounts: your own (password, sign out everywhere) and, for owners, the team's."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

from accounts.models import STAFF_ROLES, User
from accounts.users import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    AccountError,
    authenticate,
    create_user,
    end_sessions,
    set_password,
)
from plumbing import database
from web import session as web_session
from web.console.blueprint import NAV, bp
from web.forms import strip_text
from web.session import staff_required

NAV.append(("console.team", _l("Team")))
ROLE_LABELS = {"owner": _l("Owner: everything, including payouts"), "marketer": _l("Marketer: campaigns and sharers")}


def _new_password(label):
    return PasswordField(label, validators=[DataRequired(), Length(MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    new = _new_password(_l("New password"))
    again = PasswordField(_l("New password again"), validators=[DataRequired(), EqualTo("new", _l("The two new passwords differ."))])


class MemberForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[strip_text], validators=[DataRequired(), Email(), Length(max=320)])
    name = StringField(_l("Name"), filters=[strip_text], validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in STAFF_ROLES], default="marketer")
    password = _new_password(_l("First password"))


def _members() -> list[User]:
    return list(database.session().scalars(select(User).where(User.workspace_id == g.key.workspace_id)
                                           .order_by(User.created_at, User.id)))


def _page(password_form: PasswordForm, member_form: MemberForm | None, status: int = 200):
    return render_template("console/team.html", password_form=password_form, member_form=member_form,
                           members=_members(), role_labels=ROLE_LABELS), status


@bp.get("/team")
@staff_required()
def team():
    """Your account and, for an owner, the workspace's accounts."""
    return _page(PasswordForm(prefix="pw"), MemberForm(prefix="member") if g.user.role == "owner" else None)


@bp.post("/team/password")
@staff_required()
def change_password():
    """Change your password; every other session of yours ends. :raise 422: wrong current or weak new one."""
    form = PasswordForm(prefix="pw")
    session = database.session()
    if form.validate_on_submit():
        if authenticate(session, g.user.email, form.current.data) is None:
            form.current.errors.append(_("This is not your current password."))
        else:
            try:
                set_password(session, g.user, form.new.data)
            except AccountError as exc:
                form.new.errors.append(str(exc))
            else:
                session.commit()
                web_session.sign_in_staff(g.user)  # this browser stays in with the new epoch
                flash(_("Your password is changed; your other sessions are signed out."))
                return redirect(url_for("console.team"), 303)
    session.rollback()
    return _page(form, MemberForm(prefix="member") if g.user.role == "owner" else None, 422)


@bp.post("/team/sign-out-everywhere")
@staff_required()
def sign_out_everywhere_staff():
    """End every session of your account, this one included."""
    session = database.session()
    end_sessions(g.user)
    session.commit()
    web_session.sign_out("staff")
    flash(_("You are signed out on every device."))
    return redirect(url_for("web_auth.staff_sign_in"), 303)


@bp.post("/team/members")
@staff_required("owner")
def add_member():
    """Add a console account to the workspace (owners only); they sign in with the first password you give them.

    :raise 403: a marketer. :raise 422: bad email, weak password, or an email with an account already.
    """
    form = MemberForm(prefix="member")
    session = database.session()
    if form.validate_on_submit():
        try:
            member = create_user(session, g.key.workspace_id, form.email.data, form.password.data, form.role.data,
                                 form.name.data or "")
        except AccountError as exc:
            getattr(form, exc.field, form.email).errors.append(
                _("An account with this email already exists.") if "already exists" in str(exc) else str(exc))
        else:
            session.commit()
            flash(_("%(email)s can now sign in. Give them the first password in person; they can change it here.",
                    email=member.email))
            return redirect(url_for("console.team"), 303)
    session.rollback()
    return _page(PasswordForm(prefix="pw"), form, 422)
