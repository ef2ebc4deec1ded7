"""Payout methods, withdrawal requests and each workspace's payout limits and rail credentials."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plumbing.database import Base, UTCDateTime, utcnow


class PayoutMethod(Base):
    """How a sharer is paid: one rail and its account, sealed (see vault.py); only ``masked`` is shown."""

    __tablename__ = "payout_methods"

    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    rail: Mapped[str] = mapped_column(String(16))  # wechat | alipay | bank
    sealed: Mapped[str] = mapped_column(Text)
    masked: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PayoutMethodChange(Base):
    """A seller's new payout method, waiting for the sign-in code texted to ``phone`` or, for a seller
    without a phone number, emailed to ``email`` (one of the two is set; at most one change per
    sharer: a new change replaces it). Nothing is paid to it until the code is entered; then it becomes
    the ``PayoutMethod`` and ``confirmed_at`` is set. ``codes_sent`` counts the codes sent since
    ``window_started_at`` (a cap per hour)."""

    __tablename__ = "payout_method_changes"

    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    rail: Mapped[str] = mapped_column(String(16))
    sealed: Mapped[str] = mapped_column(Text)
    masked: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164, the number the code went to
    email: Mapped[str | None] = mapped_column(String(320))  # or the address it went to
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    codes_sent: Mapped[int] = mapped_column(Integer, default=1)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PayoutSettings(Base):
    """A workspace's withdrawal limits in its currency's minor units (None: no limit)."""

    __tablename__ = "payout_settings"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    min_withdrawal_minor: Mapped[int] = mapped_column(BigInteger, default=100)
    max_withdrawal_minor: Mapped[int | None] = mapped_column(BigInteger)
    daily_limit_minor: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RailCredential(Base):
    """A payout rail's merchant credentials for one workspace, sealed; never answered back."""

    __tablename__ = "payout_rail_credentials"
    __table_args__ = (UniqueConstraint("workspace_id", "rail"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    rail: Mapped[str] = mapped_column(String(16))
    sealed: Mapped[str] = mapped_column(Text)
    field_names: Mapped[list] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Withdrawal(Base):
    """A sharer's request to be paid part of their approved balance (提现).

    requested → approved → sending → paid | failed, or requested → refused. While
    open the amount sits in the ledger's ``withdrawing`` bucket; refused or failed
    puts it back in ``approved``; paid moves it to ``paid`` (one Payout row).
    ``open_sharer_id`` is the sharer's id while the request is open and NULL after,
    so the database itself allows one open request per sharer. ``out_no`` is the
    request id every rail call carries (out_batch_no / out_biz_no): a retried job
    sends the same one and the rail pays it once.
    """

    __tablename__ = "withdrawals"
    __table_args__ = (Index("ix_withdrawals_workspace_created", "workspace_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), index=True)
    open_sharer_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    rail: Mapped[str] = mapped_column(String(16))
    masked_account: Mapped[str] = mapped_column(String(120))
    account_sealed: Mapped[str] = mapped_column(Text)  # the payee as it was when the request was made
    status: Mapped[str] = mapped_column(String(16), default="requested")
    out_no: Mapped[str] = mapped_column(String(32), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    rail_ref: Mapped[str | None] = mapped_column(String(64))
    rail_status: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
