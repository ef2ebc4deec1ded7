"""The shape of a brand's poster template as data, and of /api/v1/templates' answers."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from plumbing.fields import FullMatch, InputSchema
from publishing.render.template import ASPECTS, TEXT_BOXES
from publishing.schemas import MediaOut

COLOUR = FullMatch(r"^#[0-9A-Fa-f]{6}$", error="Must be a colour written #RRGGBB.")
FRACTION = validate.Range(0, 1)


class BoxIn(InputSchema):
    """A box in fractions of the canvas (0 to 1 from the top left); text boxes add their sizes and colour."""

    x = fields.Float(required=True, validate=FRACTION, allow_nan=False)
    y = fields.Float(required=True, validate=FRACTION, allow_nan=False)
    w = fields.Float(required=True, validate=validate.Range(0, 1, min_inclusive=False), allow_nan=False)
    h = fields.Float(required=True, validate=validate.Range(0, 1, min_inclusive=False), allow_nan=False)
    font_min = fields.Integer(strict=True, validate=validate.Range(10, 400), metadata={
        "description": "title and price: the smallest size the text may shrink to, in px of a 1080 px short side"})
    font_max = fields.Integer(strict=True, validate=validate.Range(10, 400), metadata={
        "description": "title and price: the size the text is set at when it fits"})
    color = fields.String(validate=COLOUR)

    @validates_schema(skip_on_field_errors=True)
    def _inside_the_canvas(self, data: dict, **kwargs) -> None:
        errors = {}
        if data["x"] + data["w"] > 1 + 1e-9:
            errors["w"] = ["The box leaves the canvas on the right (x + w is over 1)."]
        if data["y"] + data["h"] > 1 + 1e-9:
            errors["h"] = ["The box leaves the canvas at the bottom (y + h is over 1)."]
        if "font_min" in data and "font_max" in data and data["font_min"] > data["font_max"]:
            errors["font_min"] = ["The smallest size is larger than font_max."]
        if errors:
            raise ValidationError(errors)


class BoxesIn(InputSchema):
    photo = fields.Nested(BoxIn, required=True)
    title = fields.Nested(BoxIn, required=True)
    price = fields.Nested(BoxIn, required=True)
    qr = fields.Nested(BoxIn, required=True, metadata={
        "description": "the code at the top (a square as wide as the box), the scan hint in the rest"})
    seller = fields.Nested(BoxIn, required=True, metadata={"description": "the sharer's photo and name"})

    @validates_schema(skip_on_field_errors=True)
    def _text_sizes(self, data: dict, **kwargs) -> None:
        errors = {name: {"font_min": ["Missing data for required field."]}
                  for name in TEXT_BOXES if "font_min" not in data[name] or "font_max" not in data[name]}
        if errors:
            raise ValidationError(errors)


class LayoutIn(InputSchema):
    background_color = fields.String(load_default="#FFFFFF", validate=COLOUR)
    boxes = fields.Nested(BoxesIn, required=True)


class LayoutsIn(InputSchema):
    landscape = fields.Nested(LayoutIn)
    square = fields.Nested(LayoutIn)
    portrait = fields.Nested(LayoutIn)
    story = fields.Nested(LayoutIn)

    @validates_schema
    def _at_least_one(self, data: dict, **kwargs) -> None:
        if not data:
            raise ValidationError(f"Give a layout for at least one of {', '.join(ASPECTS)}.")


class TemplateIn(InputSchema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    layouts = fields.Nested(LayoutsIn, required=True, metadata={
        "description": "one layout per aspect (landscape up to 0.8 height/width, square to 1.15, portrait to "
                       "1.6, story above); a poster of an aspect without one is drawn in the campaign's look"})


class TemplateOut(Schema):
    id = fields.Integer()
    name = fields.String()
    layouts = fields.Dict(metadata={"description": "as sent"})
    background = fields.Nested(MediaOut, allow_none=True)
    campaign_ids = fields.List(fields.Integer(), metadata={"description": "the campaigns that use it"})
    created_at = fields.String(metadata={"format": "date-time"})
    updated_at = fields.String(metadata={"format": "date-time"})


class TemplateList(Schema):
    items = fields.List(fields.Nested(TemplateOut))
    next_cursor = fields.String(allow_none=True)


class BackgroundIn(InputSchema):
    """multipart/form-data: ``file`` (PNG, JPEG or WebP)."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})

