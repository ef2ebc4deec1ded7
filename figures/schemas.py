"""Wire shapes of the figures."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from plumbing.fields import MAX_ID, AwareDateTime, Currency, InputSchema


class ScopeQuery(InputSchema):
    campaign_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    sharer_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    team_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))


class RepurchaseQuery(ScopeQuery):
    days = fields.Integer(load_default=90, validate=validate.Range(1, 3650),
                          metadata={"description": "a second purchase within this many days of the first counts"})
    from_ = AwareDateTime(data_key="from", load_default=None, metadata={"description": "first purchase at or after"})
    to = AwareDateTime(load_default=None, metadata={"description": "first purchase before"})
    currency = Currency(load_default=None)


class RepurchaseOut(Schema):
    days = fields.Integer()
    customers = fields.Integer()
    repeat_customers = fields.Integer()
    rate = fields.String(allow_none=True, metadata={"description": "percent, two decimals; null without customers"})
    currency = fields.String()
    net_revenue = fields.String()
    lifetime_value = fields.String(metadata={"description": "net revenue per customer so far"})


class CohortQuery(ScopeQuery):
    months = fields.Integer(load_default=12, validate=validate.Range(1, 36))


class CohortRow(Schema):
    month = fields.String(metadata={"description": "YYYY-MM of the first purchase (UTC)"})
    customers = fields.Integer()
    retained = fields.List(fields.Integer(), metadata={"description": "customers buying in month 0, 1, ... after"})
    rates = fields.List(fields.String(allow_none=True))


class CohortOut(Schema):
    months = fields.Integer()
    timezone = fields.String()
    items = fields.List(fields.Nested(CohortRow))


class TreeQuery(InputSchema):
    depth = fields.Integer(load_default=2, validate=validate.Range(1, 50),
                           metadata={"description": "levels below the sharer; a seller sees at most 2"})


class TreeNode(Schema):
    sharer_id = fields.Integer()
    name = fields.String(allow_none=True)
    source = fields.String()
    level = fields.Integer()
    pays_root = fields.Boolean(metadata={"description": "its sales may pay the root an invite bonus (level 1 only)"})
    orders = fields.Integer()
    net_sales = fields.String()
    children = fields.List(fields.Nested(lambda: TreeNode()))


class TreeOut(Schema):
    currency = fields.String()
    depth = fields.Integer()
    truncated = fields.Boolean()
    count = fields.Integer()
    root = fields.Nested(TreeNode)


class FunnelQuery(InputSchema):
    campaign_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID),
                                 metadata={"description": "buyers whose first purchase was in this campaign"})
    from_ = AwareDateTime(data_key="from", load_default=None, metadata={"description": "first purchase at or after"})
    to = AwareDateTime(load_default=None, metadata={"description": "first purchase before"})


class FunnelStage(Schema):
    stage = fields.String(metadata={"description": "bought, enrolled, shared (took a post, was clicked or sold), sold"})
    count = fields.Integer()
    percent_of_buyers = fields.String(allow_none=True)
    median_seconds = fields.Integer(allow_none=True,
                                    metadata={"description": "median whole seconds after the stage before"})


class FunnelOut(Schema):
    from_ = fields.DateTime(data_key="from", allow_none=True)
    to = fields.DateTime(allow_none=True)
    campaign_id = fields.Integer(allow_none=True)
    not_enrolled = fields.Integer(metadata={"description": "buyers whose request to join is not granted"})
    stages = fields.List(fields.Nested(FunnelStage))


class ViralQuery(InputSchema):
    campaign_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    months = fields.Integer(load_default=12, validate=validate.Range(1, 36))


class ViralRow(Schema):
    month = fields.String(metadata={"description": "YYYY-MM of the buyers' first purchase (UTC)"})
    buyers = fields.Integer()
    brought = fields.Integer(metadata={"description": "new buyers whose first purchase these buyers sold"})
    k = fields.String(allow_none=True, metadata={"description": "brought per buyer, two decimals"})


class ViralOut(Schema):
    months = fields.Integer()
    timezone = fields.String()
    campaign_id = fields.Integer(allow_none=True)
    buyers = fields.Integer()
    brought = fields.Integer()
    k = fields.String(allow_none=True)
    items = fields.List(fields.Nested(ViralRow))
