from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plumbing.database import Base, UTCDateTime, utcnow


class ChannelCredential(Base):
    """One channel's credentials for one workspace: a Fernet token (see vault.py).

    ``field_names`` (which fields are set, no values) is all the API shows.
    """

    __tablename__ = "channel_credentials"
    __table_args__ = (UniqueConstraint("workspace_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    sealed: Mapped[str] = mapped_column(Text)
    field_names: Mapped[list] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WeChatAccount(Base):
    """The workspace's WeChat Official Account: its app id (public: it is in every JS-SDK config)
    and its app secret, sealed like channel credentials; optionally the website app (网站应用) of the
    same Open Platform account, for signing in with a QR code on a computer."""

    __tablename__ = "wechat_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), unique=True)
    app_id: Mapped[str] = mapped_column(String(64))
    secret_sealed: Mapped[str] = mapped_column(Text)
    web_app_id: Mapped[str | None] = mapped_column(String(64))
    web_secret_sealed: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
