"""The sign-in forms (Flask-WTF: every form carries and checks a CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, Length


def strip_text(value):
    """A WTForms filter: text without surrounding spaces (a pasted address often has some)."""
    return value.strip() if isinstance(value, str) else value


class StaffSignInForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[strip_text], validators=[DataRequired(), Email(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class SellerSignInForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[strip_text], validators=[DataRequired(), Email(), Length(max=320)])
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: sign out, continue with a link."""
