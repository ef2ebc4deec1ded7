from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plumbing.database import Base, UTCDateTime, utcnow


class Team(Base):
    """A named team of sharers with a captain (who is also a member)."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    captain_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TeamMember(Base):
    """A sharer in a team: at most one team per workspace, which the database enforces."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("workspace_id", "sharer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    sharer_id: Mapped[int] = mapped_column(ForeignKey("sharers.id"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Contest(Base):
    """A team PK: a period, the teams, the measure and the prizes, all fixed when it is made.

    ``prizes`` is ``[{"place": 1, "amount_minor": 50000} | {"place": 2, "goods": "..."}]``;
    ``result`` is the frozen standings, written once by ``finalize`` (``finalized_at`` set).
    """

    __tablename__ = "contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    measure: Mapped[str] = mapped_column(String(16))  # net_sales | orders | new_customers
    split: Mapped[str] = mapped_column(String(16))  # proportional | equal
    currency: Mapped[str] = mapped_column(String(3))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    prizes: Mapped[list] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContestTeam(Base):
    __tablename__ = "contest_teams"

    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)



class Target(Base):
    """An individual incentive (个人目标): "sell 10 this month, earn a ¥50 bonus", fixed before it starts.

    ``measure`` is the sharer's own ``net_sales`` (``threshold`` in minor units) or ``orders``
    (a count), never recruits. ``bonus_minor`` is the same fixed amount for everyone who reaches it,
    paid from the brand's budget. ``sharer_ids``/``grade_ids`` (null: everyone) and ``campaign_id``
    (null: every campaign) narrow who and which sales count. ``finalized_at`` is set once, when
    the bonuses are booked (``TargetBonus``, ledger kind ``target_bonus``).
    """

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    measure: Mapped[str] = mapped_column(String(16))  # net_sales | orders
    threshold: Mapped[int] = mapped_column(BigInteger)
    bonus_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    sharer_ids: Mapped[list | None] = mapped_column(JSON)
    grade_ids: Mapped[list | None] = mapped_column(JSON)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
