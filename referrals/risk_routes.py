"""/api/v1/risk: flagged sales held for review (release or reject with a reason), and the rules."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from plumbing import database
from plumbing.api import ID, Blueprint
from plumbing.database import utcnow
from plumbing.fields import MAX_ID, InputSchema
from plumbing.pagination import PageQuery
from referrals.reviews import list_reviews, reject, release, review_json, save_settings, settings_for, settings_json
from referrals.risk import DEFAULTS, RULES
from workspaces.auth import current, requires

bp = Blueprint("risk", __name__, url_prefix="/api/v1/risk", description="Risk rules and held sales")

_LIMITS = {"seconds": (1, 3600), "max": (1, 1000), "minutes": (1, 7 * 24 * 60), "days": (1, 365),
           "percent": (1, 100), "min_sales": (1, 10_000)}


class ReviewQuery(PageQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(["open", "released", "rejected"]))
    sharer_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))


class FlagOut(Schema):
    rule = fields.String(metadata={"enum": list(RULES)})
    detail = fields.String()


class ReviewOut(Schema):
    id = fields.Integer()
    conversion_id = fields.Integer()
    order_id = fields.String(allow_none=True)
    sharer_id = fields.Integer()
    flags = fields.List(fields.Nested(FlagOut))
    status = fields.String(metadata={"enum": ["open", "released", "rejected"]})
    reason = fields.String(allow_none=True, metadata={"description": "why it was rejected, shown to the sharer"})
    expires_at = fields.DateTime(metadata={"description": "when an open hold is decided by the expiry rule"})
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class ReviewList(Schema):
    items = fields.List(fields.Nested(ReviewOut))
    next_cursor = fields.String(allow_none=True)


class RejectIn(InputSchema):
    reason = fields.String(required=True, validate=validate.Length(1, 500))


class RiskSettingsIn(InputSchema):
    rules = fields.Dict(load_default=dict, metadata={"description": (
        "per rule, its thresholds (merged over the defaults) or null to turn it off: "
        + "; ".join(f"{k} {v}" for k, v in DEFAULTS.items()))})
    hold_days = fields.Integer(load_default=14, validate=validate.Range(1, 365))
    expiry_decision = fields.String(load_default="release", validate=validate.OneOf(["release", "reject"]))

    @validates("rules")
    def _rules(self, value, **kwargs):
        for name, given in value.items():
            if name not in DEFAULTS:
                raise ValidationError(f"unknown rule {name}; the rules are {', '.join(RULES)}")
            if given is None:
                continue
            if not isinstance(given, dict) or set(given) - set(DEFAULTS[name]):
                raise ValidationError(f"{name} takes {sorted(DEFAULTS[name]) or 'no settings'} or null")
            for key, number in given.items():
                low, high = _LIMITS[key]
                if not isinstance(number, int) or isinstance(number, bool) or not low <= number <= high:
                    raise ValidationError(f"{name}.{key} must be a whole number from {low} to {high}")


class RiskSettingsOut(Schema):
    rules = fields.Dict(metadata={"description": "every rule in force with its thresholds; null: off"})
    hold_days = fields.Integer()
    expiry_decision = fields.String()


@bp.get("/reviews")
@requires("owner", "marketer", "seller")
@bp.arguments(ReviewQuery, location="query")
@bp.response(200, ReviewList)
def reviews(query: dict):
    """Held sales, newest first (``status=open``: waiting for a person); a seller sees their own."""
    me = current()
    if me.role == "seller":
        query["sharer_id"] = me.sharer_id
    return list_reviews(database.session(), me.workspace_id, **query)


@bp.post(f"/reviews/<{ID}:review_id>/release")
@requires("owner", "marketer")
@bp.response(200, ReviewOut)
def release_review(review_id: int):
    """Release a held sale: its commissions are pending again. :raise 404: unknown. :raise 409: decided."""
    session = database.session()
    review = release(session, current().workspace_id, review_id, current().role, utcnow())
    session.commit()
    return review_json(review)


@bp.post(f"/reviews/<{ID}:review_id>/reject")
@requires("owner", "marketer")
@bp.arguments(RejectIn)
@bp.response(200, ReviewOut)
def reject_review(data: dict, review_id: int):
    """Reject a held sale: its commissions are reversed; the sharer reads ``reason``.
    :raise 404: unknown. :raise 409: decided."""
    session = database.session()
    review = reject(session, current().workspace_id, review_id, data["reason"].strip(), current().role, utcnow())
    session.commit()
    return review_json(review)


@bp.get("/settings")
@requires("owner", "marketer")
@bp.response(200, RiskSettingsOut)
def get_settings():
    """The rules in force, the hold length and what an unreviewed hold becomes."""
    return settings_json(settings_for(database.session(), current().workspace_id))


@bp.put("/settings")
@requires("owner")
@bp.arguments(RiskSettingsIn)
@bp.response(200, RiskSettingsOut)
def put_settings(data: dict):
    """Change thresholds, turn rules off (null), set the hold length and expiry decision. :raise 422: bad rules."""
    session = database.session()
    settings = save_settings(session, current().workspace_id, data["rules"], data["hold_days"], data["expiry_decision"])
    session.commit()
    return settings_json(settings)
