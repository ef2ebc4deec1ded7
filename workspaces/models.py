from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from plumbing.database import Base, UTCDateTime, utcnow

ROLES = ("owner", "marketer", "seller", "server")


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    holding_days: Mapped[int] = mapped_column(Integer, default=7)
    # The margin guard: both paid levels together take at most this percentage of (price - cost).
    margin_ceiling_percent: Mapped[str] = mapped_column(String(8), default="100", server_default="100")
    # Programme settings (GET/PUT /api/v1/program). Customer binding: none | days | permanent;
    # ``binding_takeover``: may a newer sharer's link take a bound customer over?
    binding_mode: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    binding_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    binding_takeover: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Repeat purchases of a bound customer: an optional lower rule, and an optional limit in
    # months from the binding (Dub's "recurring for N months"); after it they pay nothing.
    repeat_type: Mapped[str | None] = mapped_column(String(16))
    repeat_value: Mapped[str | None] = mapped_column(String(32))
    repeat_months: Mapped[int | None] = mapped_column(Integer)
    # Who may join: open (the join page makes a sharer at once), approval (applications wait for a
    # marketer), invite (only sharers the brand adds, and buyers enrolled by their sales).
    enrollment: Mapped[str] = mapped_column(String(16), default="invite", server_default="invite")
    # A sharer's approved balance (in ``currency``) is paid once it reaches this.
    min_payout_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # A campaign's content must be approved by an owner before it is scheduled (publishing/approvals.py).
    approval_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    """A hashed API key. ``prefix`` finds the row; the hash is compared in constant time."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    sharer_id: Mapped[int | None] = mapped_column(ForeignKey("sharers.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(24), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Refreshed at most once per KEY_USE_RESOLUTION, so authentication stays a read.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
