"""The sign-in forms (Flask-WTF: every form carries and checks a CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from plumbing.errors import ApiError
from publishing.images import MAX_BYTES

IMAGE_TYPES = "image/png,image/jpeg,image/webp"
IMAGE_ERRORS = {
    "image_too_large": _l("The file is too large: the limit is %(mb)s MB."),
    "unsupported_image_type": _l("This is not a PNG, JPEG or WebP image."),
    "image_too_many_pixels": _l("The image has too many pixels; make it smaller (at most 16 megapixels; a JPEG up to 50)."),
    "corrupt_image": _l("The file is damaged or empty and cannot be read as an image."),
    "too_many_images": _l("A campaign keeps at most 30 images."),
}


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


def image_file_field(label) -> FileField:
    """An upload field for PNG, JPEG or WebP: the browser is told the types and the byte limit
    (``static/js/app.js`` warns before sending a file that is too large); the server checks again."""
    return FileField(label, validators=[FileRequired(_l("Choose an image file."))],
                     render_kw={"accept": IMAGE_TYPES, "data-max-bytes": MAX_BYTES,
                                "data-too-large": _l("The file is too large: the limit is %(mb)s MB.",
                                                     mb=MAX_BYTES // (1024 * 1024))})


def image_refusal(exc: ApiError) -> str | None:
    """Why an upload was refused, in the reader's language (``None``: a refusal without its own wording)."""
    message = IMAGE_ERRORS.get(exc.code)
    return str(message) % {"mb": MAX_BYTES // (1024 * 1024)} if message else None


class AvatarForm(FlaskForm):
    avatar = image_file_field(_l("Your photo"))
