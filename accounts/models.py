from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plumbing.database import Base, UTCDateTime, utcnow

STAFF_ROLES = ("owner", "marketer")


class User(Base):
    """A marketer or owner who signs in to the console with email and password.

    ``email`` is unique across workspaces: one account belongs to one brand.
    ``session_epoch`` is copied into the signed session cookie; bumping it
    (sign out everywhere, password change) ends every session at once.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SellerPass(Base):
    """A one-time pass for a seller (stored hashed): an invitation or a magic link signs in; an
    ``email`` pass, sent to a new address, makes ``email`` the seller's once opened.

    A pass is spent by a POST (a "Continue" button), never by the GET that
    opens it, so link-preview fetchers in chat apps cannot use it up.
    """

    __tablename__ = "seller_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # invite | magic | share | email
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))  # an ``email`` pass: the address it confirms
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebSession(Base):
    """One signed-in browser: the cookie holds a random id, this row its SHA-256.

    Signing out revokes the row, so a copied cookie is dead at once; a
    marketer can end every session of a seller (and their unused passes).
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # staff | seller
    account_id: Mapped[int] = mapped_column(Integer, index=True)  # users.id or sharers.id
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PhoneCode(Base):
    """A six-digit sign-in code sent by SMS, stored as an HMAC under the app's secret.

    Valid for five minutes, used once, and dead after five wrong tries.
    """

    __tablename__ = "phone_codes"
    __table_args__ = (Index("ix_phone_codes_phone_created", "phone", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))  # E.164
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WeChatIdentity(Base):
    """A WeChat user (``openid`` of one Official Account, ``unionid`` when WeChat gives one) bound to a sharer."""

    __tablename__ = "wechat_identities"
    __table_args__ = (UniqueConstraint("app_id", "openid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), index=True)
    app_id: Mapped[str] = mapped_column(String(64))
    openid: Mapped[str] = mapped_column(String(128))
    unionid: Mapped[str | None] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
