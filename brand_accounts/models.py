"""A connected brand account per (workspace, channel), and how each directly published post did."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plumbing.database import Base, UTCDateTime, utcnow


class BrandAccount(Base):
    """The brand's account on one platform, for one workspace.

    ``sealed`` holds the tokens (access, refresh) as a Fernet token (see
    plumbing/vault.py); ``expires_at`` is the access token's end, so the refresh
    job finds what is due without opening anything. ``status``: ``connected``,
    or ``needs_reconnect`` (the platform refused the refresh; ``error`` says why).
    """

    __tablename__ = "brand_accounts"
    __table_args__ = (UniqueConstraint("workspace_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    sealed: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="connected")
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PostMetric(Base):
    """The latest figures for one directly published post, and when to ask again.

    Fetched by a periodic job with back-off (``failures``); None means the
    platform does not offer that figure.
    """

    __tablename__ = "post_metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    likes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reposts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    replies: Mapped[int | None] = mapped_column(Integer, nullable=True)
    views: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_fetch_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class PostState(Base):
    """Where a post the platform decides on later stands (the Official Account reviews an article
    after ``freepublish/submit``): ``state`` as the adapter names it, the post's public URL once
    known, and when to ask again (None once the state is final). Polled by a job with back-off.
    """

    __tablename__ = "post_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    state: Mapped[str] = mapped_column(String(24))
    url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class AccountNotice(Base):
    """The outbox of "the brand's <channel> account needs connecting again", emailed to the
    workspace's owners and marketers: one row per incident (``incident``: the connection the
    platform stopped honouring), so a refused refresh seen by many workers mails once.
    pending → sending → succeeded, or retrying → failed; ``skipped`` with the reason when it
    cannot be sent (no email credentials, nobody to tell)."""

    __tablename__ = "account_notices"
    __table_args__ = (UniqueConstraint("workspace_id", "channel", "incident"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    incident: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MastodonApp(Base):
    """Sharecast's app registration on one Mastodon instance (``POST /api/v1/apps``), made the first
    time a brand connects an account there and shared by every workspace, as Mastodon clients do.

    ``sealed`` holds the client secret (plumbing/vault.py). A new public URL means a new redirect
    URI, so the registration is per (instance, redirect URI).
    """

    __tablename__ = "mastodon_apps"
    __table_args__ = (UniqueConstraint("instance", "redirect_uri"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance: Mapped[str] = mapped_column(String(300))
    redirect_uri: Mapped[str] = mapped_column(String(600))
    client_id: Mapped[str] = mapped_column(String(200))
    sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
