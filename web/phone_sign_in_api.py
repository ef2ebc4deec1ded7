"""/api/v1/sign-in/phone: a seller's own tool (an app, a mini program) signs in with the mobile
number and a texted code, and gets a ``seller`` API key.

The same codes, limits and answers as the page (web/phone_sign_in.py): asking answers the same
for known and unknown numbers; a code is six digits, five minutes, used once, and limited per
number and per address. The key is bound to the seller of the named workspace.
"""
from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from accounts import phone_codes
from accounts.phone_codes import LIFETIME, Outcome
from plumbing import database
from plumbing.api import Blueprint
from plumbing.errors import ApiError
from plumbing.fields import InputSchema
from referrals.identity import mask_phone, normalize_phone
from web.phone_sign_in import text_code_if_known
from web.security import limiter
from workspaces.keys import issue_key
from workspaces.models import Workspace

bp = Blueprint("phone_sign_in_api", __name__, url_prefix="/api/v1/sign-in/phone",
               description="Phone sign-in for sellers' own tools")


def json_phone() -> str:
    """The rate-limit key of a request's number: its E.164 form, shared with the page's limit."""
    body = request.get_json(silent=True)
    given = body.get("phone") if isinstance(body, dict) else None
    return (normalize_phone(given) if isinstance(given, str) else None) or request.remote_addr or "-"


CODES_PER_NUMBER = limiter.shared_limit("1 per minute;5 per hour", scope="code-phone", key_func=json_phone,
                                        methods=["POST"])


class CodeIn(InputSchema):
    phone = fields.String(required=True, validate=validate.Length(1, 32), metadata={"example": "138 0013 8000"})


class CodeOut(Schema):
    phone = fields.String(metadata={"description": "the number, masked: +86138****8000"})
    expires_in = fields.Integer(metadata={"description": "seconds a code lives"})


class PhoneKeyIn(InputSchema):
    phone = fields.String(required=True, validate=validate.Length(1, 32))
    code = fields.String(required=True, validate=validate.Length(1, 12))
    workspace = fields.String(required=True, validate=validate.Length(1, 100),
                              metadata={"description": "the brand's workspace slug"})


class PhoneKeyOut(Schema):
    api_key = fields.String(metadata={"description": "a seller key for this sharer, shown once"})
    sharer_id = fields.Integer()
    workspace = fields.String()


def refuse_unless_right(outcome: Outcome) -> None:
    """:raise ApiError: 400 ``invalid_code``, 400 ``code_expired`` or 429 ``too_many_attempts`` unless OK."""
    if outcome is Outcome.WRONG:
        raise ApiError(400, "invalid_code", "This code is not right. Check the SMS and try again.")
    if outcome is Outcome.EXPIRED:
        raise ApiError(400, "code_expired", "This code has expired or was used already. Ask for a new one.")
    if outcome is Outcome.TOO_MANY:
        raise ApiError(429, "too_many_attempts", "Too many wrong tries. Ask for a new code.")


def _phone(given: str) -> str:
    phone = normalize_phone(given)
    if phone is None:
        raise ApiError(422, "validation_error", "This is not a mobile number a code can be sent to.",
                       {"phone": ["not a mobile number"]})
    return phone


@bp.post("/code")
@limiter.limit("5 per minute;20 per hour")
@CODES_PER_NUMBER
@bp.arguments(CodeIn)
@bp.response(202, CodeOut)
def code(data: dict):
    """Text a sign-in code to the number; the answer is the same whether or not a seller has it.

    :raise 422: not a mobile number. :raise 429: too many codes for this number or from this address.
    """
    phone = _phone(data["phone"])
    text_code_if_known(phone)
    return {"phone": mask_phone(phone), "expires_in": int(LIFETIME.total_seconds())}


@bp.post("/key")
@limiter.limit("10 per minute;60 per hour")
@bp.arguments(PhoneKeyIn)
@bp.response(201, PhoneKeyOut)
def key(data: dict):
    """Trade a right code for a seller key of the workspace's seller with this number.

    :raise 400: a wrong code (``invalid_code``) or one expired or used (``code_expired``).
    :raise 404: the number is no seller's in that workspace. :raise 422: not a mobile number.
    :raise 429: too many wrong tries (ask for a new code) or requests.
    """
    phone = _phone(data["phone"])
    session = database.session()
    outcome = phone_codes.check_code(session, current_app.config["SECRET_KEY"], phone, data["code"].strip())
    session.commit()
    refuse_unless_right(outcome)
    workspace = session.scalar(select(Workspace).where(Workspace.slug == data["workspace"]))
    sharer = next((s for s in phone_codes.sharers_by_phone(session, phone)
                   if workspace is not None and s.workspace_id == workspace.id), None)
    if sharer is None:
        raise ApiError(404, "not_found", "This number belongs to no seller of that brand.")
    api_key = issue_key(session, sharer.workspace_id, "seller", sharer.id, name="phone sign-in")
    session.commit()
    return {"api_key": api_key, "sharer_id": sharer.id, "workspace": workspace.slug}
