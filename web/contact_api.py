"""/api/v1/me: a seller's own tool (an app, a mini program) changes how the seller is reached, with a
``seller`` key, through the same steps, limits and notices as the profile page (web/contact_change.py).

- ``POST /me/phone`` texts a code to the new number; ``POST /me/phone/confirm`` with that number and
  code makes it the seller's (a code proves the number, so no state is kept between the two calls).
- ``POST /me/email`` emails a link to the new address; opening that link stays the only way to
  confirm it (it proves the inbox, which an API call cannot).
- ``DELETE /me/wechat`` disconnects WeChat.
"""
from __future__ import annotations

from flask import request
from marshmallow import Schema, ValidationError, fields, validate

from accounts import email_change
from accounts.passes import LIFETIMES
from accounts.phone_codes import LIFETIME
from plumbing import database
from plumbing.api import Blueprint
from plumbing.errors import ApiError
from plumbing.fields import InputSchema
from referrals.identity import mask_email, mask_phone, normalize_email, normalize_phone
from referrals.models import Sharer
from referrals.sharers import get_sharer
from web import contact_change
from web.phone_sign_in_api import CODES_PER_NUMBER, CodeIn, CodeOut, refuse_unless_right
from web.security import limiter
from web.sign_in_limits import CONFIRM_EMAIL_SCOPE, email_key
from web.wechat_sign_in import wechat_status
from workspaces.auth import current, requires
from workspaces.models import Workspace

bp = Blueprint("contact_api", __name__, url_prefix="/api/v1/me", description="A seller's own phone, email and WeChat")


def _json_email() -> str:
    """The rate-limit key of a request's new address (hashed as the pages hash it), else the caller's address."""
    body = request.get_json(silent=True)
    given = body.get("email") if isinstance(body, dict) else None
    return email_key(given if isinstance(given, str) and "@" in given else "")


# The profile page's limits on confirming a new address (web/sign_in_limits.CONFIRM_LIMITS): per
# address, and per email in the page's own bucket: links to one inbox count alike from the page or the API.
LINKS_PER_ADDRESS = limiter.limit("5 per minute;30 per hour", methods=["POST"])
LINKS_PER_EMAIL = limiter.shared_limit("3 per 15 minutes", scope=CONFIRM_EMAIL_SCOPE, key_func=_json_email,
                                       methods=["POST"])


class ContactOut(Schema):
    phone = fields.String(allow_none=True, metadata={"description": "masked: +86138****8000"})
    email = fields.String(allow_none=True, metadata={"description": "masked: l***@example.com"})
    pending_email = fields.String(allow_none=True,
                                  metadata={"description": "a new address waiting for its emailed link, masked"})
    wechat = fields.String(allow_none=True, metadata={
        "description": "null (the brand has no Official Account), `connect` or `connected`"})


class PhoneConfirmIn(InputSchema):
    phone = fields.String(required=True, validate=validate.Length(1, 32))
    code = fields.String(required=True, validate=validate.Length(1, 12))


class NewEmailIn(InputSchema):
    email = fields.String(required=True, validate=validate.Length(1, 320), metadata={"example": "lin@example.com"})


class NewEmailOut(Schema):
    email = fields.String(metadata={"description": "the new address, masked; it is used once its link is opened"})
    expires_in = fields.Integer(metadata={"description": "seconds the emailed link lives"})


def _me() -> Sharer:
    return get_sharer(database.session(), current().workspace_id, current().sharer_id)


def _contact(sharer: Sharer) -> dict:
    return {"phone": mask_phone(sharer.phone) or None, "email": mask_email(sharer.email) or None,
            "pending_email": mask_email(email_change.pending(database.session(), sharer)) or None,
            "wechat": wechat_status(sharer)}


def _deliverable_shape(email: str) -> bool:
    try:
        validate.Email()(email)
    except ValidationError:
        return False
    return len(email) <= 320


def _new_phone(given: str, sharer: Sharer) -> str:
    phone = normalize_phone(given)
    if phone is None:
        raise ApiError(422, "validation_error", "This is not a mobile number a code can be sent to.",
                       {"phone": ["not a mobile number"]})
    if phone == sharer.phone:
        raise ApiError(422, "validation_error", "This is your number already.", {"phone": ["unchanged"]})
    return phone


@bp.get("/contact")
@requires("seller")
@bp.response(200, ContactOut)
def contact():
    """How the seller is reached and signs in, every address masked."""
    return _contact(_me())


@bp.post("/phone")
@limiter.limit("5 per minute;20 per hour")
@CODES_PER_NUMBER
@requires("seller")
@bp.arguments(CodeIn)
@bp.response(202, CodeOut)
def change_phone(data: dict):
    """Text a code to the new number; the number is the seller's only once the code is confirmed.

    :raise 422: not a mobile number, or the seller's already. :raise 429: too many codes for this
    number (shared with the sign-in codes) or from this address.
    """
    phone = _new_phone(data["phone"], _me())
    contact_change.text_phone_code(database.session(), phone)
    return {"phone": mask_phone(phone), "expires_in": int(LIFETIME.total_seconds())}


@bp.post("/phone/confirm")
@limiter.limit("10 per minute;60 per hour")
@requires("seller")
@bp.arguments(PhoneConfirmIn)
@bp.response(200, ContactOut)
def confirm_phone(data: dict):
    """The code texted to the new number makes it the seller's.

    :raise 400: a wrong code (``invalid_code``) or one expired or used (``code_expired``); nothing changes.
    :raise 422: not a mobile number, or the seller's already. :raise 429: too many wrong tries (ask for a
    new code) or requests.
    """
    sharer = _me()
    phone = _new_phone(data["phone"], sharer)
    outcome = contact_change.confirm_phone(database.session(), sharer, phone, data["code"].strip())
    refuse_unless_right(outcome)
    return _contact(sharer)


@bp.post("/email")
@LINKS_PER_ADDRESS
@LINKS_PER_EMAIL
@requires("seller")
@bp.arguments(NewEmailIn)
@bp.response(202, NewEmailOut)
def change_email(data: dict):
    """Email a link to the new address; opening it (within an hour) makes the address the seller's and
    tells the previous one. A new request voids the earlier link.

    :raise 422: not an email address, or the seller's already. :raise 429: too many links from this
    address or to this email.
    """
    sharer = _me()
    email = normalize_email(data["email"])
    if email is None or not _deliverable_shape(email):
        raise ApiError(422, "validation_error", "This is not an email address a link can be sent to.",
                       {"email": ["not an email address"]})
    if email == sharer.email:
        raise ApiError(422, "validation_error", "This is your email address already.", {"email": ["unchanged"]})
    session = database.session()
    contact_change.email_link(session, sharer, session.get(Workspace, sharer.workspace_id), email)
    return {"email": mask_email(email), "expires_in": int(LIFETIMES["email"].total_seconds())}


@bp.delete("/wechat")
@requires("seller")
@bp.response(200, ContactOut)
def disconnect_wechat():
    """Disconnect the seller's WeChat: it no longer signs them in. :raise 404: no WeChat is connected."""
    sharer = _me()
    if not contact_change.disconnect_wechat(database.session(), sharer):
        raise ApiError(404, "not_found", "No WeChat is connected to this seller.")
    return _contact(sharer)
