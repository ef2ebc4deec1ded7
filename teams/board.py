"""The sales leaderboard as a seller sees it: ``referrals.leaderboard`` plus their team's totals.

The team is the real team (``teams.models.Team``), never the invite chain: who invited a seller
does not decide whose totals they share. The totals count the same sales as the ranks.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plumbing.money import format_amount
from referrals.leaderboard import leaderboard, sales_in_window
from referrals.models import Conversion
from teams.models import Team, TeamMember


def team_totals(session: Session, workspace_id: int, sharer_id: int, currency: str,
                start: datetime, end: datetime) -> dict | None:
    """The sharer's team and its members' sales in [start, end): ``team_id``, ``name``, ``captain_id``,
    ``members``, ``orders``, ``revenue``; None for a sharer in no team.
    """
    team = session.scalar(select(Team).join(TeamMember, TeamMember.team_id == Team.id)
                          .where(TeamMember.workspace_id == workspace_id, TeamMember.sharer_id == sharer_id))
    if team is None:
        return None
    members = select(TeamMember.sharer_id).where(TeamMember.team_id == team.id)
    count = session.scalar(select(func.count()).select_from(members.subquery()))
    orders, revenue = session.execute(
        select(func.count(), func.coalesce(func.sum(Conversion.amount_minor - Conversion.refunded_minor), 0))
        .where(*sales_in_window(workspace_id, currency, start, end), Conversion.sharer_id.in_(members))).one()
    return {"team_id": team.id, "name": team.name, "captain_id": team.captain_id, "members": int(count),
            "orders": int(orders), "revenue": format_amount(int(revenue), currency)}


def board_with_team(session: Session, workspace_id: int, *, viewer_sharer_id: int | None = None, **query) -> dict:
    """``referrals.leaderboard.leaderboard`` with ``team``: the viewing seller's team totals in the
    board's period and currency (None for staff and for a seller in no team). Fails as it does.
    """
    result = leaderboard(session, workspace_id, viewer_sharer_id=viewer_sharer_id, **query)
    bounds = result["period"]
    result["team"] = None if viewer_sharer_id is None else team_totals(
        session, workspace_id, viewer_sharer_id, result["currency"], bounds["starts_at"], bounds["ends_at"])
    return result
