from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from catalog.schemas import RuleSchema
from plumbing.fields import MAX_ID, AwareDateTime, Currency, DecimalString, FullMatch, Id, InputSchema
from plumbing.pagination import OnePageQuery, PageQuery, page_schema
from publishing.campaigns import STATUSES as CAMPAIGN_STATUSES
from publishing.render.looks import LOOKS, MAX_BADGE_LENGTH, MAX_BADGES
from referrals.schemas import LinkOut


class CampaignIn(InputSchema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    title = fields.String(required=True, validate=validate.Length(1, 500))
    body = fields.String(required=True, validate=validate.Length(1, 20_000))
    hashtags = fields.List(fields.String(validate=validate.Length(1, 100)), load_default=list,
                           validate=validate.Length(max=30))
    price = DecimalString(load_default=None, metadata={"description": "required unless product_ids is given "
                                                                      "(then the hero product's price)"})
    original_price = DecimalString(load_default=None, allow_none=True)
    currency = Currency(load_default=None)
    landing_url = fields.String(load_default=None, validate=validate.Length(1, 2000),
                                metadata={"description": "required unless product_ids is given"})
    product_ids = fields.List(Id(), load_default=None, allow_none=True, validate=validate.Length(1, 50),
                              metadata={"description": "the catalogue products it promotes, the hero first"})
    channels = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    commission = fields.Nested(RuleSchema, required=True)
    invite_bonus = fields.Nested(RuleSchema, load_default=None, allow_none=True)
    attribution_window_days = fields.Integer(load_default=30, validate=validate.Range(1, 365),
                                             strict=True)
    starts_at = AwareDateTime(load_default=None, allow_none=True)
    ends_at = AwareDateTime(load_default=None, allow_none=True)
    brand_name = fields.String(load_default="", validate=validate.Length(max=100))
    brand_color = fields.String(load_default="#C8102E", validate=FullMatch(
        r"^#[0-9A-Fa-f]{6}$", error="Must be a colour written #RRGGBB."))
    call_to_action = fields.String(load_default="", validate=validate.Length(max=200))
    look = fields.String(load_default="clean", validate=validate.OneOf(sorted(LOOKS)),
                         metadata={"description": "The designed look of cards and posters."})
    badges = fields.List(fields.String(), load_default=list,
                         metadata={"description": f"Up to {MAX_BADGES} short promises drawn on the photo, "
                                                  f"such as 包邮, 赠品, 限时 (1 to {MAX_BADGE_LENGTH} characters each)."})
    seller_opener = fields.String(load_default="", validate=validate.Length(max=200), metadata={
        "description": "What a seller's post on a personal channel opens with; empty for none."})
    language = fields.String(load_default="zh-CN", validate=[
        validate.Length(max=16, error="Must be at most 16 characters."),
        FullMatch(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", error="Must be a language tag such as zh-CN or en.")])

    @validates_schema(skip_on_field_errors=False)
    def _price_and_landing_or_products(self, data: dict, partial=False, **kwargs) -> None:
        """A campaign of one product (as before) names its price and landing URL; products bring theirs."""
        if partial or data.get("product_ids"):
            return
        missing = {f: ["Missing data for required field."] for f in ("price", "landing_url") if not data.get(f)}
        if missing:
            raise ValidationError(missing)


class CampaignPatch(CampaignIn):
    """Any subset of the campaign's fields; ``null`` clears an optional one."""

    logo_image_id = Id(allow_none=True)


IMAGE_ROLES = ("product", "logo")


class ImageIn(InputSchema):
    """multipart/form-data: ``file`` and, optionally, ``role``.

    webargs reads one location per schema, so ``role`` (a form field) is
    listed here for the document and read from the form by the route.
    """

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
    role = fields.String(load_default="product", metadata={"enum": list(IMAGE_ROLES)})


class MediaOut(Schema):
    """A stored image: where it is served, its size in pixels and its type."""

    url = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    media_type = fields.String()


class ImageOut(MediaOut):
    id = fields.Integer()
    role = fields.String()
    focus = fields.List(fields.Float(), allow_none=True,
                        metadata={"description": "Where the product is (x, y as fractions), when set."})
    content_version = fields.Integer()


class PostsQuery(OnePageQuery):
    sharer_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    version = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    channel = fields.String(load_default=None)


class PostImageOut(MediaOut):
    kind = fields.String(metadata={"enum": ["card", "poster", "photo"],
                                   "description": "photo: another product photo of a carousel"})
    qr = fields.Boolean(metadata={"description": "whether the image carries a QR code"})


class WarningOut(Schema):
    code = fields.String()
    message = fields.String()


class PostOut(Schema):
    channel = fields.String()
    name = fields.String()
    text = fields.String()
    title = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    caption = fields.String(allow_none=True)
    hashtags = fields.List(fields.String())
    link = fields.String(allow_none=True)
    code = fields.String(allow_none=True, metadata={"description": "the sharer's code word"})
    images = fields.List(fields.Nested(PostImageOut))
    warnings = fields.List(fields.Nested(WarningOut))


class PostsOut(Schema):
    campaign_id = fields.Integer()
    content_version = fields.Integer()
    latest_version = fields.Integer()
    sharer_id = fields.Integer(allow_none=True)
    items = fields.List(fields.Nested(PostOut))
    next_cursor = fields.String(allow_none=True)


class ProductPosterQuery(InputSchema):
    sharer_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID),
                               metadata={"description": "required for a marketer; a seller key: its own sharer"})


class ProductPosterOut(Schema):
    campaign_id = fields.Integer()
    product_id = fields.Integer()
    sharer_id = fields.Integer()
    link = fields.Nested(LinkOut, metadata={"description": "the sharer's own link for the product"})
    poster = fields.Nested(PostImageOut, allow_none=True,
                           metadata={"description": "the product's poster carrying that link's QR code; null when "
                                                    "the campaign has no channel that carries posters"})


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
    brand_name = fields.String()
    brand_color = fields.String()
    call_to_action = fields.String()
    look = fields.String()
    badges = fields.List(fields.String())
    seller_opener = fields.String()
    language = fields.String()
    logo_image_id = fields.Integer(allow_none=True)
    content_version = fields.Integer()
    images = fields.List(fields.Nested(ImageOut))
    product_ids = fields.List(fields.Integer(), metadata={"description": "its catalogue products, the hero first"})


class CampaignListQuery(PageQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(CAMPAIGN_STATUSES))


class CampaignSummaryOut(Schema):
    id = fields.Integer()
    name = fields.String()
    title = fields.String()
    status = fields.String(metadata={"enum": list(CAMPAIGN_STATUSES)})
    channels = fields.List(fields.String())
    price = fields.String(metadata={"example": "199.00"})
    currency = fields.String()
    starts_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    ends_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    created_at = fields.String(metadata={"format": "date-time"})


CampaignList = page_schema(CampaignSummaryOut, "CampaignList")
