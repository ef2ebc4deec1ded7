from __future__ import annotations

from marshmallow import Schema, fields, validate

from plumbing.fields import AwareDateTime, FullMatch, InputSchema
from plumbing.pagination import PageQuery, page_schema
from referrals.reports import GRANULARITIES

# Empty is allowed: an empty search box searches nothing.
_search_text = FullMatch(r"^[^\x00-\x1f\x7f]*$", error="must not contain control characters")


class ClickRangeQuery(InputSchema):
    """``from``/``to``, parsed alike by the series, the click breakdown and its CSV, and ``/stats``."""

    start = AwareDateTime(data_key="from", load_default=None, metadata={
        "description": "ISO-8601 with offset; rounded down to its UTC hour (a series: to its bucket, by default "
                       "48 hours or 14 days before `to`)"})
    end = AwareDateTime(data_key="to", load_default=None, metadata={
        "description": "ISO-8601 with offset, exclusive; rounded up to a UTC hour (a series: to a bucket edge, "
                       "by default the end of the current hour or day)"})


class SeriesQuery(ClickRangeQuery):
    granularity = fields.String(load_default="day", validate=validate.OneOf(GRANULARITIES))
    channel = fields.String(load_default=None, validate=validate.Length(1, 32),
                            metadata={"description": "one of the campaign's channels"})


class FiguresOut(Schema):
    clicks = fields.Integer()
    unique_clicks = fields.Integer(metadata={"description": "a visitor counts once per link per hour"})
    orders = fields.Integer(metadata={"description": "attributed sales, refunded ones included"})
    revenue = fields.String(metadata={"example": "199.00",
                                      "description": "attributed sales less their refunds, at the time of the sale"})


class BucketOut(FiguresOut):
    start = fields.String(metadata={"format": "date-time", "description": "in the workspace's time zone"})
    end = fields.String(metadata={"format": "date-time"})


class SeriesOut(Schema):
    campaign_id = fields.Integer()
    granularity = fields.String(metadata={"enum": list(GRANULARITIES)})
    timezone = fields.String(metadata={"example": "Asia/Shanghai"})
    currency = fields.String()
    channel = fields.String(allow_none=True)
    from_ = fields.String(attribute="from", data_key="from", metadata={"format": "date-time"})
    to = fields.String(metadata={"format": "date-time"})
    items = fields.List(fields.Nested(BucketOut))
    totals = fields.Nested(FiguresOut)
    next_cursor = fields.String(allow_none=True, metadata={"description": "always null: a series is one page"})


class SharerFiguresOut(FiguresOut):
    sharer_id = fields.Integer()
    name = fields.String()
    commission = fields.String(metadata={"example": "19.90",
                                         "description": "level-1 and level-2 commissions net of reversals"})
    currency = fields.String()


SharerBoard = page_schema(SharerFiguresOut, "SharerBoard")


class SharerListQuery(PageQuery):
    q = fields.String(load_default=None, validate=[validate.Length(max=200), _search_text],
                      metadata={"description": "part of a name, email or phone, any case"})


class SharerRowOut(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String(allow_none=True, metadata={"description": "masked for a marketer key: l***@example.com"})
    phone = fields.String(allow_none=True, metadata={"description": "E.164; masked for a marketer key: +86138****8000"})
    code = fields.String()
    invited_by = fields.Integer(allow_none=True)
    source = fields.String(metadata={"enum": ["invited", "enrolled"]})
    created_at = fields.String(metadata={"format": "date-time"})


SharerList = page_schema(SharerRowOut, "SharerList")


class FacetValueOut(Schema):
    value = fields.String(metadata={"description": "\"other\" when unknown; a referrer of \"\" is a direct visit"})
    clicks = fields.Integer()
    unique_clicks = fields.Integer()


class ClickBreakdownOut(Schema):
    campaign_id = fields.Integer()
    start = fields.DateTime(data_key="from", allow_none=True)
    end = fields.DateTime(data_key="to", allow_none=True)
    device = fields.List(fields.Nested(FacetValueOut), metadata={"description": "mobile, tablet, desktop, other"})
    browser = fields.List(fields.Nested(FacetValueOut), metadata={"description": "in-app browsers (WeChat, Weibo, "
                                                                                  "...) by their app"})
    os = fields.List(fields.Nested(FacetValueOut))
    referrer = fields.List(fields.Nested(FacetValueOut), metadata={"description": "referring site's host"})
    country = fields.List(fields.Nested(FacetValueOut), metadata={
        "description": "ISO 3166 country code (\"\" when unknown); empty unless a GeoIP database is configured"})
