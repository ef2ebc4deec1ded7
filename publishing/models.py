"""Publishing's tables: images, content versions, renders; publications, slots, grabs, feeds, seller notices."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from plumbing.database import Base, UTCDateTime, utcnow


class CampaignImage(Base):
    """An uploaded image: a product photo or the brand's logo.

    The bytes live in media storage under ``storage_key`` (content-addressed:
    the sha256 of the bytes), so uploading the same file twice stores it once.
    """

    __tablename__ = "campaign_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="product")  # product | logo
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    # Where the product is, as fractions of the width and height, when the marketer set it:
    # crops centre on it instead of guessing from the photo.
    focus_x: Mapped[float | None] = mapped_column(Float)
    focus_y: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContentVersion(Base):
    """The master content of a campaign as it was at one edit, kept forever.

    ``snapshot`` holds every value a render depends on (text, prices, brand,
    image hashes); ``content_hash`` is its digest, the key renders are cached
    under. A post grabbed at version N can always be rendered again from N.
    """

    __tablename__ = "content_versions"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Render(Base):
    """One rendered image, found by the digest of everything it was drawn from.

    ``key`` is sha256 over the render's inputs (content hash, size, role, and
    for a poster the QR target, name and code), so a lookup needs no other
    column; ``storage_key`` names the encoded bytes (sha256 of the bytes).
    Rows are never updated or deleted by the service (old versions stay served), but for posters
    carrying a sharer's photo they replaced, removed or had erased.
    """

    __tablename__ = "renders"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # card | poster | photo (a carousel's other photos)
    storage_key: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    # A poster drawn with a sharer's photo: its storage key, so that when the photo is retired the
    # posters carrying it go too (publishing.avatars.sweep_retired_avatars).
    avatar_key: Mapped[str | None] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Statuses; "publishing" is a claim held by one job (shown as "scheduled" by the API).
ACTIVE = ("scheduled", "publishing")
_ACTIVE_SQL = text("status IN ('scheduled', 'publishing')")


class Publication(Base):
    """One campaign on one channel at one time, and what happened when it went out.

    ``publish_at`` is kept in UTC with ``publish_at_offset`` (minutes east of
    UTC) as given, so the marketer's own wall-clock time can be shown back.
    At most one active (scheduled or publishing) row per campaign and channel.
    """

    __tablename__ = "publications"
    __table_args__ = (
        Index("uq_publications_active_channel", "campaign_id", "channel", unique=True,
              sqlite_where=_ACTIVE_SQL, postgresql_where=_ACTIVE_SQL),
        Index("ix_publications_due", "status", "publish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime)
    publish_at_offset: Mapped[int] = mapped_column(Integer, default=0)
    slot: Mapped[str | None] = mapped_column(String(5))  # "HH:MM" when picked from the workspace's slots
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the next attempt may run (retries with backoff); None means at publish_at.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(200))
    content_version: Mapped[int | None] = mapped_column(Integer)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ContentApproval(Base):
    """An owner approved one content version of a campaign: who (an API key or a console
    account) and when. Kept forever; an edit makes a new version, which needs its own."""

    __tablename__ = "content_approvals"
    __table_args__ = (UniqueConstraint("campaign_id", "content_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    content_version: Mapped[int] = mapped_column(Integer)
    approver_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    approver_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TimeSlot(Base):
    """A workspace's posting time ("09:00"), in the workspace's time zone."""

    __tablename__ = "time_slots"
    __table_args__ = (UniqueConstraint("workspace_id", "minute_of_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    minute_of_day: Mapped[int] = mapped_column(Integer)


class Grab(Base):
    """A seller took a ready post: which sharer, campaign, channel and content version.

    ``link_id`` is the sharer's link for that channel, so a sale through it
    traces back to sharer × channel × creative.
    """

    __tablename__ = "grabs"
    __table_args__ = (Index("ix_grabs_campaign_channel", "campaign_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))
    channel: Mapped[str] = mapped_column(String(32))
    content_version: Mapped[int] = mapped_column(Integer)
    link_id: Mapped[int | None] = mapped_column(Integer)
    grabbed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedToken(Base):
    """A seller's feed address secret, stored as its SHA-256 (the URL is shown once)."""

    __tablename__ = "feed_tokens"

    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SellerNotice(Base):
    """The outbox of "a new post is in your library": one row per publication, seller and kind.

    Written in the publishing transaction and sent after commit by an RQ job:
    pending → sending → succeeded, or retrying → failed; ``skipped`` (with the
    reason in ``last_error``) when it cannot be sent at all, e.g. the workspace
    has no email credentials. ``message_id`` is the same on every attempt; the
    rows sent together as one digest (a seller's posts of one campaign going live
    at once, see :mod:`publishing.notices`) share it and their status.
    """

    __tablename__ = "seller_notices"
    __table_args__ = (UniqueConstraint("publication_id", "sharer_id", "kind"),
                      Index("ix_seller_notices_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # email | webhook
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SellerPick(Base):
    """A product a seller picked for their shop (选品): they share it through a campaign that promotes it."""

    __tablename__ = "seller_picks"

    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True, index=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PosterTemplate(Base):
    """A brand's own poster: a background image and a layout of boxes per aspect
    (:mod:`publishing.render.template`), chosen by campaigns instead of a designed look.

    ``layouts`` is the JSON :class:`publishing.template_schemas.LayoutsIn` validated; a campaign's
    content version copies it with the background's key, so a post grabbed earlier keeps drawing
    as it did whatever the template becomes.
    """

    __tablename__ = "poster_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    layouts: Mapped[dict] = mapped_column(JSON)
    background_key: Mapped[str | None] = mapped_column(String(200))
    background_width: Mapped[int | None] = mapped_column(Integer)
    background_height: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
