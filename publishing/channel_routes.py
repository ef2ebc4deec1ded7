"""``GET /api/v1/channels``: every channel's spec, public (specs are no secret)."""
from __future__ import annotations

from channels import specs
from plumbing.api import Blueprint
from plumbing.pagination import OnePageQuery

bp = Blueprint("channels", __name__, url_prefix="/api/v1/channels", description="Channels")


@bp.get("")
@bp.doc(security=[])
@bp.arguments(OnePageQuery, location="query")
def list_channels(_query: dict):
    """The channel specs: id, names, text and title limits, hashtag style, link
    policy, image count and sizes, publishing kind, whether posts are long-form (forums), the tone
    (English and Chinese), and which figures are unconfirmed."""
    return {"items": [spec.to_json() for spec in specs()], "next_cursor": None}
