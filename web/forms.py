"""The sign-in forms (Flask-WTF: every form carries and checks a CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, ValidationError


def strip_text(value):
    """A WTForms filter: text without surrounding spaces (a pasted address often has some)."""
    return value.strip() if isinstance(value, str) else value


class StaffSignInForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[strip_text], validators=[DataRequired(), Email(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class EmailForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[strip_text], validators=[DataRequired(), Email(), Length(max=320)],
                       render_kw={"autocomplete": "email"})


class SellerSignInForm(EmailForm):
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: sign out, continue with a link."""


class PhoneForm(FlaskForm):
    phone = TelField(_l("Mobile number"), filters=[strip_text], validators=[DataRequired(), Length(max=32)],
                     render_kw={"autocomplete": "tel", "inputmode": "tel"})
    next = HiddenField()


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), filters=[strip_text], validators=[DataRequired(), Length(max=12)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6"})


def _printable(form, field) -> None:
    if field.data and any(not ch.isprintable() for ch in field.data):
        raise ValidationError(_l("Use letters, digits and punctuation only."))


class DisplayNameForm(FlaskForm):
    display_name = StringField(_l("Name on your poster"), filters=[strip_text],
                               validators=[DataRequired(), Length(max=20), _printable])
