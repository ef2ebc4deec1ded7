from __future__ import annotations

from marshmallow import Schema, fields, validate

from fields import AwareDateTime, DecimalString


class RuleSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["percent", "fixed"]))
    value = DecimalString(required=True)


class CampaignIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    title = fields.String(required=True, validate=validate.Length(1, 500))
    body = fields.String(required=True, validate=validate.Length(1, 20_000))
    hashtags = fields.List(fields.String(validate=validate.Length(1, 100)), load_default=list,
                           validate=validate.Length(max=30))
    price = DecimalString(required=True)
    original_price = DecimalString(load_default=None, allow_none=True)
    currency = fields.String(load_default=None, validate=validate.Length(equal=3))
    landing_url = fields.String(required=True, validate=validate.Length(1, 2000))
    channels = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    commission = fields.Nested(RuleSchema, required=True)
    invite_bonus = fields.Nested(RuleSchema, load_default=None, allow_none=True)
    attribution_window_days = fields.Integer(load_default=30, validate=validate.Range(1, 365),
                                             strict=True)
    starts_at = AwareDateTime(load_default=None, allow_none=True)
    ends_at = AwareDateTime(load_default=None, allow_none=True)


class CampaignOut(Schema):
    id = fields.Integer()
    name = fields.String()
    title = fields.String()
    body = fields.String()
    hashtags = fields.List(fields.String())
    price = fields.String()
    original_price = fields.String(allow_none=True)
    currency = fields.String()
    landing_url = fields.String()
    channels = fields.List(fields.String())
    commission = fields.Nested(RuleSchema)
    invite_bonus = fields.Nested(RuleSchema, allow_none=True)
    attribution_window_days = fields.Integer()
    starts_at = fields.String(allow_none=True)
    ends_at = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": ["draft", "scheduled", "live", "ended"]})
    publications = fields.List(fields.Dict())
    created_at = fields.String()
