"""The catalogue: what a brand promotes. Publishing and referrals both build on it.

A campaign is one promotion: its master content, the brand's price and its
commission rules. Money is kept in integer minor units of ``currency``.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plumbing.database import Base, UTCDateTime, utcnow
from plumbing.money import format_amount, from_minor


class Campaign(Base):
    """One product promotion: master content, the brand's price, commission rules.

    Money is kept in integer minor units of ``currency``; rule values are exact
    decimal strings (a percentage, or an amount in major units).
    """

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_workspace_created", "workspace_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    hashtags: Mapped[list] = mapped_column(JSON, default=list)
    currency: Mapped[str] = mapped_column(String(3))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    original_price_minor: Mapped[int | None] = mapped_column(BigInteger)
    landing_url: Mapped[str] = mapped_column(String(2000))
    channels: Mapped[list] = mapped_column(JSON, default=list)
    commission_type: Mapped[str] = mapped_column(String(16))
    commission_value: Mapped[str] = mapped_column(String(32))
    invite_type: Mapped[str | None] = mapped_column(String(16))
    invite_value: Mapped[str | None] = mapped_column(String(32))
    attribution_window_days: Mapped[int] = mapped_column(Integer, default=30)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Master content beyond the text: drawn on cards and posters.
    brand_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    brand_color: Mapped[str] = mapped_column(String(7), default="#C8102E", server_default="#C8102E")
    call_to_action: Mapped[str] = mapped_column(String(200), default="", server_default="")
    language: Mapped[str] = mapped_column(String(16), default="zh-CN", server_default="zh-CN")
    # The designed look of cards and posters (publishing.render.looks) and badges such as 包邮.
    look: Mapped[str] = mapped_column(String(16), default="clean", server_default="clean")
    badges: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # The brand's own poster template (publishing.models.PosterTemplate), drawn instead of the look
    # on posters of the aspects it lays out; None: the look alone.
    template_id: Mapped[int | None] = mapped_column(Integer)
    # What a seller's post on a personal channel opens with, in the marketer's words; none by default.
    seller_opener: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # An image of this campaign (kept in campaign_images); no foreign key, so the
    # two tables do not reference each other in a cycle.
    logo_image_id: Mapped[int | None] = mapped_column(Integer)
    # The number of the newest ContentVersion; 0 until the first is recorded.
    content_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def price(self) -> Decimal:
        return from_minor(self.price_minor, self.currency)

    @property
    def original_price(self) -> Decimal | None:
        if self.original_price_minor is None:
            return None
        return from_minor(self.original_price_minor, self.currency)

    @property
    def price_text(self) -> str:
        """The price on the wire: ``"199.00"``."""
        return format_amount(self.price_minor, self.currency)

    @property
    def original_price_text(self) -> str | None:
        if self.original_price_minor is None:
            return None
        return format_amount(self.original_price_minor, self.currency)


class Product(Base):
    """A catalogue product: the brand's price is the price.

    ``cost_minor`` (optional) bounds what the two paid levels may take (the
    margin guard); ``commission_*`` (optional) overrides the campaign's rule for
    this product's lines. A product once sold is archived, never deleted.
    """

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("workspace_id", "sku"),
        Index("ix_products_workspace_created", "workspace_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    original_price_minor: Mapped[int | None] = mapped_column(BigInteger)
    cost_minor: Mapped[int | None] = mapped_column(BigInteger)
    landing_url: Mapped[str] = mapped_column(String(2000))
    images: Mapped[list] = mapped_column(JSON, default=list)
    commission_type: Mapped[str | None] = mapped_column(String(16))
    commission_value: Mapped[str | None] = mapped_column(String(32))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sold_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its first sale: archived, never deleted, since
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CampaignProduct(Base):
    """A product a campaign promotes; ``position`` 0 is the hero product."""

    __tablename__ = "campaign_products"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
