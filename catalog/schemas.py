from __future__ import annotations

from marshmallow import Schema, fields, validate

from plumbing.fields import Currency, DecimalString, FullMatch, InputSchema
from plumbing.pagination import PageQuery, page_schema


class RuleSchema(InputSchema):
    type = fields.String(required=True, validate=validate.OneOf(["percent", "fixed"]))
    value = DecimalString(required=True)

class ProductIn(InputSchema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    sku = fields.String(load_default=None, allow_none=True, validate=FullMatch(
        r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$", error="letters, digits and . _ / - (at most 64)"))
    price = DecimalString(required=True, metadata={"description": "the brand's price"})
    original_price = DecimalString(load_default=None, allow_none=True)
    currency = Currency(load_default=None)
    landing_url = fields.String(required=True, validate=validate.Length(1, 2000))
    cost = DecimalString(load_default=None, allow_none=True,
                         metadata={"description": "what the product costs the brand: bounds commissions (margin guard)"})
    commission = fields.Nested(RuleSchema, load_default=None, allow_none=True,
                               metadata={"description": "overrides the campaign's rule for this product's lines"})
    images = fields.List(fields.String(validate=validate.Length(1, 2000)), load_default=list,
                         validate=validate.Length(max=20), metadata={"description": "image URLs"})


class ProductPatch(ProductIn):
    """Any subset of the fields; ``archived`` archives (true) or restores (false)."""

    archived = fields.Boolean()


class ProductOut(Schema):
    id = fields.Integer()
    name = fields.String()
    sku = fields.String(allow_none=True)
    price = fields.String()
    original_price = fields.String(allow_none=True)
    currency = fields.String()
    landing_url = fields.String()
    cost = fields.String(allow_none=True)
    commission = fields.Nested(RuleSchema, allow_none=True)
    images = fields.List(fields.String())
    archived = fields.Boolean()
    archived_at = fields.String(allow_none=True)
    created_at = fields.String()


class ProductListQuery(PageQuery):
    archived = fields.Boolean(load_default=False, metadata={"description": "list archived products instead"})


ProductList = page_schema(ProductOut, "ProductList")
