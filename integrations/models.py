from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plumbing.database import Base, UTCDateTime, utcnow
from referrals.models import CsvImport


class Integration(Base):
    """A platform connected to a workspace: its settings sealed (see vault.py), and the
    unguessable ``token`` in the address the platform posts to."""

    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("workspace_id", "provider"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    sealed: Mapped[str] = mapped_column(Text)
    field_names: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IntegrationDelivery(Base):
    """One notification a platform sent to an integration's address, as the console shows it: when,
    the answer given (``status``; ``outcome`` says why a refused one was), and the orders it carried
    (``orders``: type, order id, amount, currency, attributed, sharer id, replay). Only the newest
    ``KEEP_DELIVERIES`` per integration are kept: enough to see a test order arrive."""

    __tablename__ = "integration_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(300))
    orders: Mapped[list] = mapped_column(JSON)


class SharerImport(CsvImport, Base):
    """A CSV file of sharers imported in the background from the console (bulk invitations), with
    whether to invite the new ones and in which language (the uploader's) to write to them."""

    __tablename__ = "sharer_imports"
    OUTCOMES = ("created", "existing", "failed")

    existing: Mapped[int] = mapped_column(Integer, default=0)
    invite: Mapped[bool] = mapped_column(Boolean)
    locale: Mapped[str] = mapped_column(String(16))
