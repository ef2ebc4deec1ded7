from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from database import Base, UTCDateTime, utcnow
from money import from_minor


class Campaign(Base):
    """One product promotion: master content, the brand's price, commission rules.

    Money is kept in integer minor units of ``currency``; rule values are exact
    decimal strings (a percentage, or an amount in major units).
    """

    __tablename__ = "campaigns"

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
