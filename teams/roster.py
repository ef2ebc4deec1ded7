"""Teams and who is in them. A sharer is in at most one team per workspace; the captain is a member.

Marketers make teams and move people; a captain may add sharers who are in no team yet.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plumbing.errors import ApiError
from referrals.models import Sharer
from referrals.sharers import get_sharer
from teams.models import Team, TeamMember


def get_team(session: Session, workspace_id: int, team_id: int) -> Team:
    """:raise ApiError 404: no such team in this workspace."""
    team = session.scalar(select(Team).where(Team.id == team_id, Team.workspace_id == workspace_id))
    if team is None:
        raise ApiError(404, "not_found", "No such team.")
    return team


def team_of(session: Session, workspace_id: int, sharer_id: int) -> int | None:
    return session.scalar(select(TeamMember.team_id).where(TeamMember.workspace_id == workspace_id,
                                                           TeamMember.sharer_id == sharer_id))


def _join(session: Session, team: Team, sharer_id: int, move: bool) -> None:
    """:raise ApiError 409: the sharer is in another team and ``move`` is false."""
    current = session.scalar(select(TeamMember).where(TeamMember.workspace_id == team.workspace_id,
                                                      TeamMember.sharer_id == sharer_id))
    if current is not None and current.team_id == team.id:
        return
    if current is not None:
        if not move:
            raise ApiError(409, "already_in_team", "This sharer is in another team.",
                           {"sharer_id": f"in team {current.team_id}"})
        if session.scalar(select(Team.captain_id).where(Team.id == current.team_id)) == sharer_id:
            raise ApiError(409, "captain_cannot_move", "A team's captain cannot leave it; name another captain first.")
        current.team_id = team.id
        return
    try:
        with session.begin_nested():
            session.add(TeamMember(workspace_id=team.workspace_id, team_id=team.id, sharer_id=sharer_id))
    except IntegrityError:  # joined another team concurrently
        raise ApiError(409, "already_in_team", "This sharer is in another team.", {"sharer_id": "in a team"}) from None


def create_team(session: Session, workspace_id: int, name: str, captain_id: int) -> Team:
    """A team with its captain as first member; the caller commits.

    :raise ApiError 422: a blank name. :raise ApiError 404: no such captain. :raise ApiError 409: name taken, or the captain is in a team.
    """
    name = name.strip()
    if not name:
        raise ApiError(422, "validation_error", "A team needs a name.", {"name": "must not be blank"})
    get_sharer(session, workspace_id, captain_id)
    if session.scalar(select(Team.id).where(Team.workspace_id == workspace_id, Team.name == name)):
        raise ApiError(409, "team_name_taken", "A team of this name exists.", {"name": "taken"})
    team = Team(workspace_id=workspace_id, name=name, captain_id=captain_id)
    session.add(team)
    session.flush()
    _join(session, team, captain_id, move=False)
    return team


def add_member(session: Session, workspace_id: int, team_id: int, sharer_id: int, *,
               move: bool = False, captain_id: int | None = None) -> Team:
    """Put a sharer in the team. ``captain_id``: the acting seller, who must be this team's captain
    and may not move people out of other teams.

    :raise ApiError 403: a seller who is not the captain. :raise ApiError 404: no such team or sharer.
    :raise ApiError 409: in another team (without ``move``).
    """
    team = get_team(session, workspace_id, team_id)
    if captain_id is not None and (team.captain_id != captain_id or move):
        raise ApiError(403, "forbidden", "Only the team's captain may add members, and only sharers in no team.")
    get_sharer(session, workspace_id, sharer_id)
    _join(session, team, sharer_id, move)
    return team


def remove_member(session: Session, workspace_id: int, team_id: int, sharer_id: int) -> None:
    """:raise ApiError 404: not a member. :raise ApiError 409: the captain."""
    team = get_team(session, workspace_id, team_id)
    member = session.scalar(select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.sharer_id == sharer_id))
    if member is None:
        raise ApiError(404, "not_found", "This sharer is not in the team.")
    if team.captain_id == sharer_id:
        raise ApiError(409, "captain_cannot_move", "A team's captain cannot leave it; name another captain first.")
    session.delete(member)


def set_captain(session: Session, workspace_id: int, team_id: int, captain_id: int) -> Team:
    """:raise ApiError 409: the new captain is not a member of this team."""
    team = get_team(session, workspace_id, team_id)
    if team_of(session, workspace_id, captain_id) != team.id:
        raise ApiError(409, "not_a_member", "The captain must be a member of the team.", {"captain_id": "not a member"})
    team.captain_id = captain_id
    return team


def team_json(session: Session, team: Team) -> dict:
    members = session.execute(select(Sharer.id, Sharer.name, Sharer.invited_by).join(
        TeamMember, TeamMember.sharer_id == Sharer.id).where(TeamMember.team_id == team.id).order_by(Sharer.id)).all()
    return {"id": team.id, "name": team.name, "captain_id": team.captain_id, "created_at": team.created_at,
            "members": [{"sharer_id": m.id, "name": m.name, "invited_by": m.invited_by,
                         "captain": m.id == team.captain_id} for m in members]}


def list_teams(session: Session, workspace_id: int) -> list[dict]:
    """Every team of the workspace with its member count, by name."""
    counts = (select(TeamMember.team_id, func.count().label("n")).group_by(TeamMember.team_id).subquery())
    rows = session.execute(select(Team, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.team_id == Team.id)
                           .where(Team.workspace_id == workspace_id).order_by(Team.name)).all()
    return [{"id": t.id, "name": t.name, "captain_id": t.captain_id, "members": int(n), "created_at": t.created_at}
            for t, n in rows]
