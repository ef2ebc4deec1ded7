from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from plumbing.database import Base, UTCDateTime, utcnow


class Sharer(Base):
    """A seller or an enrolled buyer. ``invited_by`` is the one level above."""

    __tablename__ = "sharers"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        UniqueConstraint("workspace_id", "code"),
        # Lists newest first, page by page; magic links find sellers by email.
        Index("ix_sharers_workspace_created", "workspace_id", "created_at", "id"),
        Index("ix_sharers_email", "email"),
        Index("ix_sharers_phone", "phone"),  # phone sign-in finds sellers by number
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(200))
    # The code word a buyer can quote (and a merchant can send as ``coupon``).
    code: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("sharers.id"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="invited")  # invited | enrolled
    # The sharer's grade (its rates), earned by their own sales; None: the campaign's rates.
    grade_id: Mapped[int | None] = mapped_column(ForeignKey("grades.id"), index=True)
    # The name printed on public posters, chosen by the sharer; until then posters say "好友推荐"
    # (a buyer's real name from the shop never goes public by default).
    display_name: Mapped[str | None] = mapped_column(String(60))
    # The media storage key of the photo their posters show round beside that name (see
    # publishing/avatars.py); None: no photo, the name alone.
    avatar_key: Mapped[str | None] = mapped_column(String(80))
    # When the seller last set their phone number on their profile: payout details wait a while after it.
    phone_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the seller's new email address was confirmed (its link opened): the same wait.
    email_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # New posts going live are announced by email (to ``email``) and/or to the seller's own
    # webhook, signed with its secret (stored encrypted). See publishing/notices.py.
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_url: Mapped[str | None] = mapped_column(String(2000))
    notify_secret_sealed: Mapped[str | None] = mapped_column(Text)
    # A suspended sharer's links still redirect (buyers are not stranded) but credit nobody,
    # their sales are not attributed to them, and they are not paid (see referrals/suspension.py).
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str | None] = mapped_column(Text)


class RetiredAvatar(Base):
    """A sharer's photo file that was replaced, removed or erased: the storage file stays until
    ``publishing.avatars.sweep_retired_avatars`` deletes it (after a grace period for posters being
    drawn with it at that moment), unless some sharer uses the same file again."""

    __tablename__ = "retired_avatars"

    id: Mapped[int] = mapped_column(primary_key=True)
    storage_key: Mapped[str] = mapped_column(String(80), index=True)
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Link(Base):
    """A tracked link: sharer × campaign × channel ('' for no channel), or a seller's link for one
    product of the campaign (``product_id``, from their shop): it lands on that product's page."""

    __tablename__ = "links"
    __table_args__ = (
        # One general link per (campaign, sharer, channel), and one per product besides.
        Index("uq_links_general", "campaign_id", "sharer_id", "channel", unique=True,
              sqlite_where=text("product_id IS NULL"), postgresql_where=text("product_id IS NULL")),
        Index("uq_links_product", "campaign_id", "sharer_id", "channel", "product_id", unique=True,
              sqlite_where=text("product_id IS NOT NULL"), postgresql_where=text("product_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32), default="")
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Click(Base):
    """One answered redirect. Written in batches from the Redis buffer.

    ``id`` is made by the web process (it is the ``sc_click`` the landing page
    receives), so a replayed batch inserts nothing twice. ``clicked_at`` is part of
    the key (the time the id encodes) because PostgreSQL partitions the table by
    month of it (see ``referrals/retention.py``).
    """

    __tablename__ = "clicks"
    __table_args__ = (Index("ix_clicks_campaign_time", "campaign_id", "clicked_at"),
                      {"postgresql_partition_by": "RANGE (clicked_at)"})

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(Integer)
    link_id: Mapped[int] = mapped_column(Integer, index=True)
    campaign_id: Mapped[int] = mapped_column(Integer)
    sharer_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    visitor: Mapped[str] = mapped_column(String(32))
    user_agent: Mapped[str] = mapped_column(String(512))
    referrer: Mapped[str] = mapped_column(String(1000))
    bot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_unique: Mapped[bool] = mapped_column(Boolean, default=False)
    # The content version of the post the click came from (its link's ``?v=``), when it names one
    # the campaign has; a sale through the click inherits it.
    content_version: Mapped[int | None] = mapped_column(Integer)


class VisitorHour(Base):
    """First click of a visitor on a link in an hour: what makes a click unique."""

    __tablename__ = "visitor_hours"

    link_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visitor: Mapped[str] = mapped_column(String(32), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)


class ClickRollup(Base):
    """Human clicks per campaign, channel and UTC hour, kept by the click writer.

    Campaign stats and charts read these few rows (channels × hours), never
    the clicks themselves.
    """

    __tablename__ = "click_rollups"

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(Integer)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    unique_clicks: Mapped[int] = mapped_column(BigInteger, default=0)


class ClickFacetHour(Base):
    """Human clicks per campaign, UTC hour, facet (device, browser, os, referrer) and its value, kept by
    the click writer from each click's user agent and referrer (see ``referrals/clickfacets.py``)."""

    __tablename__ = "click_facet_hours"

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(100), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(Integer)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    unique_clicks: Mapped[int] = mapped_column(BigInteger, default=0)


class ClickCreativeHour(Base):
    """Human clicks per campaign, UTC hour, channel and content version of the post they came from
    (0: no or unknown creative tag), kept by the click writer (see ``referrals/creatives.py``)."""

    __tablename__ = "click_creative_hours"

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    content_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(Integer)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    unique_clicks: Mapped[int] = mapped_column(BigInteger, default=0)


class LinkClickTotal(Base):
    """Human clicks per link (so per sharer × campaign × channel), kept by the click writer."""

    __tablename__ = "link_click_totals"

    link_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(Integer)
    campaign_id: Mapped[int] = mapped_column(Integer, index=True)
    sharer_id: Mapped[int] = mapped_column(Integer, index=True)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    unique_clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    last_click_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The link's first human click: when its sharer first shared (the consumer-to-distributor funnel).
    first_click_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Conversion(Base):
    """A sale or refund, unique per (workspace, type, order_id, refund_id).

    ``refund_id`` is '' for sales and for an order's single refund, so the
    database alone enforces one sale per order and one refund per refund id.
    ``request_hash`` and ``response`` make replays answer the first result.
    """

    __tablename__ = "conversions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "type", "order_id", "refund_id"),
        Index("ix_conversions_campaign", "campaign_id", "type", "occurred_at"),
        Index("ix_conversions_order", "workspace_id", "order_id"),
        # The leaderboard reads one workspace's sales of a week or month.
        Index("ix_conversions_workspace_time", "workspace_id", "type", "occurred_at"),
        # Repurchase and cohort figures read each customer's sales in time order.
        Index("ix_conversions_customer", "workspace_id", "customer_sharer_id", "occurred_at"),
        # The IP-prefix risk rule counts one workspace's sales from one network in a window.
        Index("ix_conversions_ip_prefix", "workspace_id", "ip_prefix", "occurred_at"),
        # A seller's sales, newest first, with the amounts and whether review rejected them: the
        # refund-share rule reads the latest ones from the index alone (referrals/risk.py,
        # RECENT_SALES); every lookup by seller uses it too.
        Index("ix_conversions_seller_counted", "sharer_id", "type", "rejected", "id", "amount_minor",
              "refunded_minor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    type: Mapped[str] = mapped_column(String(8))
    order_id: Mapped[str] = mapped_column(String(200))
    refund_id: Mapped[str] = mapped_column(String(200), default="")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    link_id: Mapped[int | None] = mapped_column(Integer)
    sharer_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str | None] = mapped_column(String(32))
    click_id: Mapped[str | None] = mapped_column(String(32))
    # The content version of the post whose click the sale is credited through (see Click.content_version).
    content_version: Mapped[int | None] = mapped_column(Integer)
    attribution: Mapped[str] = mapped_column(String(32))  # click|code|coupon|sharer_id|none:<reason>
    self_referral: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_sharer_id: Mapped[int | None] = mapped_column(Integer)
    new_sharer: Mapped[bool] = mapped_column(Boolean, default=False)
    # For refunds: has it been applied to its sale yet (a refund may come first)?
    applied: Mapped[bool] = mapped_column(Boolean, default=True)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict] = mapped_column(JSON, default=dict)
    # The customer binding this sale counts towards (its sharer's customer list); none once rejected in review.
    binding_id: Mapped[int | None] = mapped_column(Integer)
    # A sale's buyer's network: the keyed hash of their IP's /24 or /48 (referrals/visitors.py), never the IP.
    ip_prefix: Mapped[str | None] = mapped_column(String(32))
    # Rejected in risk review (set with its review's status by reviews.reject, never cleared): the
    # refund-share rule leaves such a sale out, reading this from the seller's index. Other figures
    # ask the review itself (stats.not_rejected_in_review), one probe per sale they read anyway.
    rejected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Commission(Base):
    """What one sharer earns on one sale: level 1 (the seller) or 2 (their inviter)."""

    __tablename__ = "commissions"
    __table_args__ = (UniqueConstraint("conversion_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    conversion_id: Mapped[int] = mapped_column(ForeignKey("conversions.id"))
    campaign_id: Mapped[int] = mapped_column(Integer, index=True)
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reversed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|held|approved|paid|reversed
    # Two paths hold a commission: a line sold off the brand's price (this flag, cleared by
    # POST /commissions/release) and a risk review (an open RiskReview of its sale). It is
    # pending again only when neither holds it any more (see referrals/reviews.py).
    price_held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    approvable_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    """An append-only movement of money between a sharer's buckets.

    Buckets: pending, approved, paid, reversed. A commission enters pending;
    approval and payout move it along; a refund moves it to reversed, from
    approved (as a negative balance, a clawback) when it was already paid.
    """

    __tablename__ = "ledger_entries"
    # A sharer's lines in id order with their amounts: the lines after the horizon (LedgerHorizon)
    # are summed from the index alone, and a sharer's history is read in order. A workspace's lines
    # in id order: those after the horizon found without the ones before (a payout run's list).
    __table_args__ = (Index("ix_ledger_sharer_lines", "sharer_id", "id", "currency", "bucket", "amount_minor"),
                      Index("ix_ledger_workspace_lines", "workspace_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"))
    commission_id: Mapped[int | None] = mapped_column(ForeignKey("commissions.id"))
    conversion_id: Mapped[int | None] = mapped_column(Integer)
    payout_id: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    bucket: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(32))
    memo: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerHorizon(Base):
    """How far the ledger is summed into LedgerBalance: every line with an id up to ``through_id``,
    and none after it. One row (id 1), moved on by the checkpoint job (referrals/balances.py) to
    lines no transaction can still be writing; a balance is the sharer's LedgerBalance plus their
    lines after it, so it costs the same after a million lines as after ten."""

    __tablename__ = "ledger_horizon"

    id: Mapped[int] = mapped_column(primary_key=True)
    through_id: Mapped[int] = mapped_column(BigInteger)
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerBalance(Base):
    """A sharer's ledger lines up to the horizon (LedgerHorizon), summed by currency and bucket. Kept
    by the checkpoint job alone: a sale never writes it, so a seller's many sales at once do not
    wait on one row."""

    __tablename__ = "ledger_balances"
    # A workspace's balances of one bucket (the approved ones a payout run pays) from the index alone.
    __table_args__ = (Index("ix_ledger_balances_workspace", "workspace_id", "bucket", "sharer_id", "currency",
                            "amount_minor"),)

    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class Payout(Base):
    __tablename__ = "payouts"
    # A batch can pay 100,000 sellers: its totals per currency are summed from an index alone,
    # and its pages (newest first) are read from an index in order.
    __table_args__ = (Index("ix_payouts_batch_totals", "batch_id", "currency", "amount_minor"),
                      Index("ix_payouts_batch_created", "batch_id", "created_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The POST /payouts call that made it (none for payouts made before batches existed).
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("payout_batches.id"))


class PayoutBatch(Base):
    """One run of POST /payouts: the payouts it made, for the finance team's export."""

    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversionItem(Base):
    """One line of a sale: a catalogue product (or an unknown SKU), its quantity and amount.

    ``rule_*`` is the rule the line was paid by, ``flag`` why it was held
    (``above_brand_price``, ``below_brand_price``) or ``""``.
    """

    __tablename__ = "conversion_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversion_id: Mapped[int] = mapped_column(ForeignKey("conversions.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    rule_type: Mapped[str] = mapped_column(String(16))
    rule_value: Mapped[str] = mapped_column(String(32))
    commission_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    invite_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    flag: Mapped[str] = mapped_column(String(32), default="")
    # What refunds naming this line took back of it so far (see referrals/line_refunds.py).
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RefundItem(Base):
    """One line a refund names, as the merchant named it (a product by id or SKU, a quantity and
    an amount). A refund that comes before its sale keeps its lines here until the sale arrives."""

    __tablename__ = "refund_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversion_id: Mapped[int] = mapped_column(ForeignKey("conversions.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class CustomerBinding(Base):
    """A buyer kept by the sharer who sold to them (客户关系), until ``expires_at`` (None: permanent).

    The buyer is known by the merchant's customer id and/or normalised email or
    phone. A binding ends (``ended_at``) when another sharer takes the customer
    over, or when every order under it was rejected in risk review; the row stays,
    so each sharer keeps the history of their customers.
    Orders and net sales (refunds netted) count the sales booked under it.
    """

    __tablename__ = "customer_bindings"
    __table_args__ = (
        Index("ix_bindings_external", "workspace_id", "external_id"),
        Index("ix_bindings_email", "workspace_id", "email"),
        Index("ix_bindings_phone", "workspace_id", "phone"),
        Index("ix_bindings_sharer", "sharer_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"))
    campaign_id: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_order_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_order_at: Mapped[datetime] = mapped_column(UTCDateTime)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    net_sales_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # The binding this one ended when its sharer took the customer over: reopened should every
    # order of this one be rejected in risk review (a fraud order takes nobody's customer).
    took_over_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Grade(Base):
    """A seller grade (普通 / 银牌 / 金牌): its rates and what earns it.

    ``commission_*`` replaces the product's or campaign's rule on the sharer's
    own sales; ``invite_*`` replaces the campaign's invite bonus when they are
    the inviter. A sharer holds the highest ``rank`` whose thresholds their own
    net sales and orders over the last ``period_days`` meet (never recruits,
    never a fee). Grades change rates, never the number of paid levels.
    """

    __tablename__ = "grades"
    __table_args__ = (UniqueConstraint("workspace_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    rank: Mapped[int] = mapped_column(Integer)
    commission_type: Mapped[str | None] = mapped_column(String(16))
    commission_value: Mapped[str | None] = mapped_column(String(32))
    invite_type: Mapped[str | None] = mapped_column(String(16))
    invite_value: Mapped[str | None] = mapped_column(String(32))
    min_net_sales_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    min_orders: Mapped[int] = mapped_column(Integer, default=0)
    period_days: Mapped[int] = mapped_column(Integer, default=30)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GradeChange(Base):
    """One promotion or demotion, with the figures it was decided on."""

    __tablename__ = "grade_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), index=True)
    from_grade_id: Mapped[int | None] = mapped_column(Integer)
    to_grade_id: Mapped[int | None] = mapped_column(Integer)
    net_sales_minor: Mapped[int] = mapped_column(BigInteger)
    orders: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Application(Base):
    """A request to join the programme, waiting for a marketer (enrollment by approval).

    ``source``: ``join_page`` or ``sale`` (a buyer whose purchase would have
    enrolled them). ``token_hash`` lets the applicant read the decision.
    """

    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_workspace_created", "workspace_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(200))
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("sharers.id"))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | refused
    reason: Mapped[str] = mapped_column(Text, default="")
    sharer_id: Mapped[int | None] = mapped_column(ForeignKey("sharers.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
class RiskSettings(Base):
    """A workspace's risk rules: ``rules`` overrides the defaults in referrals/risk.py (a rule set to
    null is off); holds not reviewed in ``hold_days`` are decided by ``expiry_decision``."""

    __tablename__ = "risk_settings"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    rules: Mapped[dict] = mapped_column(JSON, default=dict)
    hold_days: Mapped[int] = mapped_column(Integer, default=14)
    expiry_decision: Mapped[str] = mapped_column(String(8), default="release")  # release | reject
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RiskReview(Base):
    """A sale a risk rule flagged: its commissions are ``held`` until a person (or the expiry)
    releases them (back to pending) or rejects them (reversed, with a reason the sharer reads)."""

    __tablename__ = "risk_reviews"
    __table_args__ = (Index("ix_risk_reviews_workspace_status", "workspace_id", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    conversion_id: Mapped[int] = mapped_column(ForeignKey("conversions.id"), unique=True)
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), index=True)
    flags: Mapped[list] = mapped_column(JSON)  # [{"rule": ..., "detail": ...}]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | released | rejected
    reason: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payable:
    """The life of money from the brand's budget that no sale pays (a prize share, a target bonus):
    pending for the holding period, then approved and paid like a commission, or reversed."""

    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|approved|paid|reversed
    approvable_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Prize(Payable, Base):
    """A sharer's share of a team contest's cash prize (ledger kind ``contest_prize``).

    Paid from the brand's budget, never out of a sale: it adds no paid level to
    any order. Like a commission it is pending for the holding period, then
    approved and paid; one per (contest, sharer), which the database enforces,
    so booking a contest's prizes twice books nothing the second time.

    ``basis_minor`` is the member's own net sales in the contest period
    [``period_start``, ``period_end``) when the result was frozen; a refund of
    one of those sales before the prize is approved takes back the same share
    of the prize (``reversed_minor``), see ``referrals/prizes.py``.
    """

    __tablename__ = "prizes"
    __table_args__ = (UniqueConstraint("contest_id", "sharer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"))
    team_id: Mapped[int] = mapped_column(Integer)
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), index=True)
    place: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    basis_minor: Mapped[int] = mapped_column(BigInteger)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    reversed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)


class TargetBonus(Payable, Base):
    """A sharer's bonus for reaching an individual target (ledger kind ``target_bonus``).

    A fixed, pre-announced amount from the brand's budget, never out of a sale: no paid level
    is added to any order. Pending for the holding period, then approved and paid like a
    commission; one per (target, sharer), which the database enforces, so finalizing twice
    books nothing the second time. The target's rule is copied here (``measure``,
    ``threshold``, period, ``campaign_id``) with ``basis``, the sharer's own figure when it was
    booked; a refund before approval that takes the sharer below the threshold reverses the
    whole bonus (``referrals/bonuses.py``).
    """

    __tablename__ = "target_bonuses"
    __table_args__ = (UniqueConstraint("target_id", "sharer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(String(16))  # net_sales | orders
    threshold: Mapped[int] = mapped_column(BigInteger)
    basis: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reversed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)


class CustomerSummary(Base):
    """A buyer's purchases in short, kept by the conversion writer (``referrals/customer_rollup.py``):
    what the workspace's repurchase and lifetime-value figures read instead of every order.

    A purchase is a sale not refunded in full nor rejected in risk review; a customer without one has no row.
    """

    __tablename__ = "customer_summaries"
    # Covering: repurchase and lifetime value read only this index, never the table (200k customers:
    # about 0.2 s instead of 4 s of row lookups on SQLite).
    __table_args__ = (Index("ix_customer_summaries_first", "workspace_id", "first_at", "gap_seconds", "net_minor"),
                      # The viral coefficient counts the customers each customer brought.
                      Index("ix_customer_summaries_brought_by", "workspace_id", "brought_by", "first_campaign_id"))

    workspace_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_sharer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    second_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whole seconds from the first purchase to the second (None without one).
    gap_seconds: Mapped[int | None] = mapped_column(BigInteger)
    purchases: Mapped[int] = mapped_column(Integer)
    net_minor: Mapped[int] = mapped_column(BigInteger)  # in the workspace's currency
    # Who sold the first purchase (None: the customer bought from themselves) and in which campaign:
    # who brought this customer, for the viral coefficient and the consumer-to-distributor funnel.
    brought_by: Mapped[int | None] = mapped_column(Integer)
    first_campaign_id: Mapped[int | None] = mapped_column(Integer)


class SharerFirstSale(Base):
    """When a sharer first sold (an attributed sale to someone else, not refunded in full nor rejected in
    risk review), kept by the conversion writer: the last stage of the consumer-to-distributor funnel,
    never a scan of orders."""

    __tablename__ = "sharer_first_sales"

    workspace_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sharer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_sale_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CustomerMonth(Base):
    """A UTC month (``year * 12 + month - 1``) in which a customer made a purchase, with their first
    such month: the retention cohorts' rollup, kept with CustomerSummary."""

    __tablename__ = "customer_months"
    __table_args__ = (Index("ix_customer_months_cohort", "workspace_id", "first_month", "month"),)

    workspace_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_sharer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_month: Mapped[int] = mapped_column(Integer)


class CohortCount(Base):
    """How many customers whose first purchase month is ``first_month`` bought in ``month``: the
    cohort table itself, kept with CustomerMonth. Each cell is spread over ``COHORT_SLOTS`` rows
    (a customer counts in the slot of their id), read as their sum: every sale with a new buyer
    in a month adds one to the same cell, and one row for it made those sales wait on each other
    (the row stays locked until the sale commits). A slot alone may go below zero (a customer
    counted in slot 0 before slots existed, later moved); only the sums mean anything.
    A few hundred rows per workspace."""

    __tablename__ = "cohort_counts"

    workspace_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_month: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0, server_default="0")
    customers: Mapped[int] = mapped_column(BigInteger, default=0)


COHORT_SLOTS = 16


class ContactView(Base):
    """A console account (``user_id``) or an API key (``api_key_id``) was shown a sharer's full phone
    number and email: every such view is kept."""

    __tablename__ = "contact_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CsvImport:
    """What every CSV file imported in the background keeps (a mixin of its table): the file, how far
    the import got (``done`` rows of ``rows``), how many rows ended in each of ``OUTCOMES`` (a
    column each), and each row's outcome so far (``referrals.csv_imports``)."""

    OUTCOMES: ClassVar[tuple[str, ...]] = ("created", "failed")

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    dry_run: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done
    csv: Mapped[str] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    results: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SalesImport(CsvImport, Base):
    """A CSV file of past sales and refunds imported in the background (from the console)."""

    __tablename__ = "sales_imports"
    OUTCOMES = ("created", "replayed", "failed")

    replayed: Mapped[int] = mapped_column(Integer, default=0)
