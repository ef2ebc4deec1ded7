from __future__ import annotations

from marshmallow import Schema, fields, validate

from plumbing.fields import AwareDateTime, Currency, DecimalString, FullMatch, Id, InputSchema

# Something besides spaces (an order id of "   " names nothing), and no control characters.
_printable = FullMatch(r"^(?=.*\S)[^\x00-\x1f\x7f]+$", error="must not be blank or contain control characters")


class SharerIn(InputSchema):
    name = fields.String(required=True, validate=[validate.Length(1, 200), _printable])
    email = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=320), _printable])
    phone = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=32), _printable])
    external_id = fields.String(load_default=None, allow_none=True, validate=[validate.Length(1, 200), _printable])
    invited_by = Id(load_default=None, allow_none=True)


class SharerOut(Schema):
    id = fields.Integer()
    name = fields.String()
    code = fields.String(metadata={"description": "code word a buyer can quote, usable as a coupon"})
    invited_by = fields.Integer(allow_none=True)
    api_key = fields.String(metadata={"description": "a seller key bound to this sharer, shown once"})


class LinkIn(InputSchema):
    campaign_id = Id(required=True)
    sharer_id = Id(required=True)
    channel = fields.String(load_default=None, allow_none=True)
    product_id = Id(load_default=None, allow_none=True, metadata={
        "description": "a product the campaign promotes: the link lands on the product's page"})


class LinkOut(Schema):
    id = fields.Integer()
    code = fields.String()
    url = fields.String()
    qr_url = fields.String()
    campaign_id = fields.Integer()
    sharer_id = fields.Integer()
    channel = fields.String(allow_none=True)
    product_id = fields.Integer(allow_none=True)


class LinksBulkIn(InputSchema):
    links = fields.List(fields.Nested(LinkIn), required=True, validate=validate.Length(1, 1000))


class LinkResultOut(LinkOut):
    status = fields.String(metadata={"enum": ["created", "existing", "failed"]})
    error = fields.Dict(metadata={"description": "for a failed row: the API's error shape"})


class LinksBulkOut(Schema):
    items = fields.List(fields.Nested(LinkResultOut))


class CustomerIn(InputSchema):
    external_id = fields.String(required=True, validate=[validate.Length(1, 200), _printable])
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=320))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class ItemIn(InputSchema):
    """One line of an order: a catalogue product (by id or SKU), its quantity and line amount."""

    product_id = Id(load_default=None, allow_none=True)
    sku = fields.String(load_default=None, allow_none=True, validate=[validate.Length(1, 64), _printable])
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100_000), metadata={
        "description": "at least 1 on a sale; on a refund the units returned (0: money back, goods kept)"})
    amount = DecimalString(required=True, metadata={"description": "the line's total (quantity × unit price); "
                                                                   "on a refund, what it pays back on the line"})


class ConversionIn(InputSchema):
    type = fields.String(required=True, validate=validate.OneOf(["sale", "refund"]))
    order_id = fields.String(required=True, validate=[validate.Length(1, 200), _printable])
    refund_id = fields.String(load_default=None, allow_none=True, validate=[validate.Length(1, 200), _printable],
                              metadata={"description": "tells apart several partial refunds of one order"})
    amount = DecimalString(required=True)
    currency = Currency(load_default=None, allow_none=True)
    click_id = fields.String(load_default=None, allow_none=True, validate=FullMatch(r"^[0-9a-f]{21}$",
                             error="not a click id (the sc_click value of a redirect)"))
    code = fields.String(load_default=None, allow_none=True, validate=FullMatch(r"^[A-Za-z0-9]{1,16}$",
                         error="not a link code"))
    sharer_id = Id(load_default=None, allow_none=True)
    coupon = fields.String(load_default=None, allow_none=True, validate=FullMatch(r"^[A-Za-z0-9]{1,32}$",
                           error="not a code word"))
    campaign_id = Id(load_default=None, allow_none=True,
                     metadata={"description": "with sharer_id or coupon; defaults to the campaign of the sharer's latest link"})
    customer = fields.Nested(CustomerIn, load_default=None, allow_none=True)
    occurred_at = AwareDateTime(load_default=None, allow_none=True, past=True)
    items = fields.List(fields.Nested(ItemIn), load_default=None, allow_none=True,
                        validate=validate.Length(1, 500),
                        metadata={"description": (
                            "a sale's lines: commission per line by its product's rule; their amounts may not add "
                            "up to more than the sale. A refund's lines name lines of its sale (by product_id or "
                            "sku): each gives back its commission by that line's own share, never more than is "
                            "left of the line (422 refund_exceeds_line); the rest of the refund's amount refunds "
                            "the order as a whole")})


class ItemOut(Schema):
    product_id = fields.Integer(allow_none=True)
    sku = fields.String(allow_none=True)
    quantity = fields.Integer()
    amount = fields.String()
    commission = fields.String(metadata={"description": "what the line pays the seller (level 1)"})
    invite_bonus = fields.String(metadata={"description": "what the line pays the inviter (level 2)"})
    flag = fields.String(allow_none=True, metadata={"enum": ["above_brand_price", "below_brand_price",
                                                              "unknown_sku", None]})
    commission_reversed = fields.String(metadata={"description": (
        "a refund's named line: the seller's commission (level 1) this line gave back; with invite_bonus_reversed "
        "and order_reversed, adds up exactly to the refund's reversals")})
    invite_bonus_reversed = fields.String(metadata={"description": (
        "a refund's named line: the inviter's bonus (level 2) this line gave back")})


class CommissionOut(Schema):
    id = fields.Integer()
    sharer_id = fields.Integer()
    level = fields.Integer(metadata={"description": "1: the seller; 2: the seller's inviter"})
    amount = fields.String()
    status = fields.String(metadata={"enum": ["pending", "held", "approved", "paid", "reversed"]})


class CustomerSharerOut(Schema):
    id = fields.Integer()
    share_url = fields.String(metadata={"description": "the buyer's share page (their poster, link and terms); "
                                                      "its address is a secret: show it to the buyer only"})
    new = fields.Boolean(metadata={"description": "enrolled by this sale (false for a repeat buyer)"})


class SaleBindingOut(Schema):
    id = fields.Integer()
    sharer_id = fields.Integer(metadata={"description": "the sharer the buyer is bound to"})
    expires_at = fields.String(allow_none=True, metadata={"description": "null: permanent"})
    protected = fields.Boolean(metadata={"description": "another sharer's link named this sale; the binding kept it"})


class OrderReversedOut(Schema):
    commission = fields.String(metadata={"description": "level 1 given back by the refund beyond its named lines"})
    invite_bonus = fields.String(metadata={"description": "level 2 given back by the refund beyond its named lines"})


class ReversalOut(Schema):
    commission_id = fields.Integer()
    sharer_id = fields.Integer()
    level = fields.Integer()
    amount = fields.String()
    kind = fields.String(metadata={"enum": ["reversal", "clawback"]})


class ConversionOut(Schema):
    """A sale's answer (attribution, commissions, customer_sharer) or a refund's (applied, reversals)."""

    id = fields.Integer()
    type = fields.String()
    order_id = fields.String()
    refund_id = fields.String(allow_none=True)
    amount = fields.String()
    currency = fields.String()
    attributed = fields.Boolean()
    attribution = fields.String(metadata={"enum": ["click", "code", "coupon", "sharer_id", "binding", "none"]})
    attributed_by = fields.String(allow_none=True, metadata={"enum": ["click", "code", "sharer", "coupon", "binding"]})
    reason = fields.String(allow_none=True, metadata={"description": "why a sale is not attributed"})
    campaign_id = fields.Integer(allow_none=True)
    sharer_id = fields.Integer(allow_none=True)
    channel = fields.String(allow_none=True)
    click_id = fields.String(allow_none=True)
    self_referral = fields.Boolean()
    commissions = fields.List(fields.Nested(CommissionOut))
    items = fields.List(fields.Nested(ItemOut))
    binding = fields.Nested(SaleBindingOut, allow_none=True)
    customer_sharer = fields.Nested(CustomerSharerOut, allow_none=True)
    customer_application = fields.Dict(metadata={"description": "enrollment by approval: the buyer's request "
                                                                "(id, status), in place of customer_sharer"})
    review = fields.Dict(metadata={"description": (
        "present when a risk rule flagged the sale: its id and flags ({rule, detail}); the commissions are held "
        "until a person releases or rejects them (/risk/reviews)")})
    applied = fields.Boolean(metadata={"description": "refund: applied to its sale (false until the sale arrives)"})
    reversals = fields.List(fields.Nested(ReversalOut))
    order_reversed = fields.Nested(OrderReversedOut, metadata={"description": (
        "refund: what it gave back for the order as a whole (the part of its amount that names no line, and the "
        "order-wide share moving); each level's reversals are exactly this plus its items' *_reversed")})
    warnings = fields.List(fields.Dict())


class EarningsOut(Schema):
    currency = fields.String()
    pending = fields.String()
    approved = fields.String()
    paid = fields.String()
    reversed = fields.String()


class EarningsQuery(InputSchema):
    currency = Currency(load_default=None)


class ApproveIn(InputSchema):
    ids = fields.List(Id(), load_default=None, allow_none=True, validate=validate.Length(max=10_000),
                      metadata={"description": "commission ids; all due ones when omitted"})


class StatsOut(Schema):
    from_ = fields.DateTime(attribute="from", data_key="from", allow_none=True,
                           metadata={"description": "the range's start, rounded down to a UTC hour; null: all time"})
    to = fields.DateTime(allow_none=True, metadata={"description": "the range's exclusive end, rounded up; null: open"})
    clicks = fields.Integer()
    unique_clicks = fields.Integer()
    orders = fields.Integer()
    revenue = fields.String()
    refunds = fields.String()
    commission_total = fields.String()
    new_sharers = fields.Integer()
    currency = fields.String()
    by_channel = fields.List(fields.Dict())
