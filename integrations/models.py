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


class SharerImport(CsvImport, Base):
    """A CSV file of sharers imported in the background from the console (bulk invitations), with
    whether to invite the new ones and in which language (the uploader's) to write to them."""

    __tablename__ = "sharer_imports"
    OUTCOMES = ("created", "existing", "failed")

    existing: Mapped[int] = mapped_column(Integer, default=0)
    invite: Mapped[bool] = mapped_column(Boolean)
    locale: Mapped[str] = mapped_column(String(16))
