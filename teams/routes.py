"""/api/v1 teams, contests and individual targets. Routes check the role and call one service."""
from __future__ import annotations

from plumbing import database
from plumbing.api import Blueprint
from plumbing.database import utcnow
from plumbing.errors import ApiError
from referrals.money_schemas import LeaderboardQuery
from teams import contests, roster, targets
from teams.board import board_with_team
from teams.schemas import (
    CaptainIn,
    ContestIn,
    ContestList,
    ContestOut,
    ContestQuery,
    MemberIn,
    TargetIn,
    TargetList,
    TargetOut,
    TargetQuery,
    TeamBoardOut,
    TeamDetail,
    TeamIn,
    TeamList,
)
from workspaces.auth import current, requires

bp = Blueprint("teams", __name__, url_prefix="/api/v1", description="Teams and team contests (团队PK)")


@bp.post("/teams")
@requires("owner", "marketer")
@bp.arguments(TeamIn)
@bp.response(201, TeamDetail)
def create_team(data: dict):
    """A team with its captain. :raise 404: no such sharer. :raise 409: name taken or captain in a team."""
    session = database.session()
    team = roster.create_team(session, current().workspace_id, data["name"], data["captain_id"])
    session.commit()
    return roster.team_json(session, team)


@bp.get("/teams")
@requires("any")
@bp.response(200, TeamList)
def list_teams():
    """Every team of the workspace, by name."""
    return {"items": roster.list_teams(database.session(), current().workspace_id), "next_cursor": None}


@bp.get("/teams/<int:team_id>")
@requires("any")
@bp.response(200, TeamDetail)
def get_team(team_id: int):
    """A team and its members. :raise 404: no such team."""
    session = database.session()
    return roster.team_json(session, roster.get_team(session, current().workspace_id, team_id))


@bp.post("/teams/<int:team_id>/members")
@requires("owner", "marketer", "seller")
@bp.arguments(MemberIn)
@bp.response(200, TeamDetail)
def add_member(data: dict, team_id: int):
    """Put a sharer in the team (``move``: out of their team, staff only); a seller key: the captain only.

    :raise 403: a seller who is not the captain. :raise 409: in another team.
    """
    key, session = current(), database.session()
    team = roster.add_member(session, key.workspace_id, team_id, data["sharer_id"], move=data["move"],
                             captain_id=key.sharer_id if key.role == "seller" else None)
    session.commit()
    return roster.team_json(session, team)


@bp.delete("/teams/<int:team_id>/members/<int:sharer_id>")
@requires("owner", "marketer")
@bp.response(204)
def remove_member(team_id: int, sharer_id: int):
    """Take a sharer out of the team. :raise 404: not a member. :raise 409: the captain."""
    session = database.session()
    roster.remove_member(session, current().workspace_id, team_id, sharer_id)
    session.commit()
    return None


@bp.put("/teams/<int:team_id>/captain")
@requires("owner", "marketer")
@bp.arguments(CaptainIn)
@bp.response(200, TeamDetail)
def set_captain(data: dict, team_id: int):
    """Name another member captain. :raise 409: not a member of this team."""
    session = database.session()
    team = roster.set_captain(session, current().workspace_id, team_id, data["captain_id"])
    session.commit()
    return roster.team_json(session, team)


@bp.post("/contests")
@requires("owner", "marketer")
@bp.arguments(ContestIn)
@bp.response(201, ContestOut)
def create_contest(data: dict):
    """A team contest with its prizes, fixed now. :raise 422: bad period, teams or prizes."""
    session, now = database.session(), utcnow()
    contest = contests.create_contest(session, current().workspace_id, data, now)
    session.commit()
    return contests.contest_json(session, contest, now)


@bp.get("/contests")
@requires("any")
@bp.arguments(ContestQuery, location="query")
@bp.response(200, ContestList)
def list_contests(query: dict):
    """Contests, newest first; ``team_id`` filters."""
    items = contests.list_contests(database.session(), current().workspace_id, utcnow(), query["team_id"])
    return {"items": items, "next_cursor": None}


@bp.get("/contests/<int:contest_id>")
@requires("any")
@bp.response(200, ContestOut)
def get_contest(contest_id: int):
    """The contest and its board, live (or frozen once final); a seller sees others' names masked."""
    key, session = current(), database.session()
    contest = contests.get_contest(session, key.workspace_id, contest_id)
    return contests.contest_json(session, contest, utcnow(), key.sharer_id if key.role == "seller" else None)


@bp.post("/contests/<int:contest_id>/finalize")
@requires("owner", "marketer")
@bp.response(200, ContestOut)
def finalize_contest(contest_id: int):
    """Freeze the result and book the prizes now rather than at the next periodic run (idempotent).

    :raise 409: the contest has not ended.
    """
    session, now = database.session(), utcnow()
    contest = contests.finalize(session, current().workspace_id, contest_id, now)
    session.commit()
    return contests.contest_json(session, contest, now)


@bp.post("/targets")
@requires("owner", "marketer")
@bp.arguments(TargetIn)
@bp.response(201, TargetOut)
def create_target(data: dict):
    """An individual target ("sell 10 this month, earn a ¥50 bonus"), fixed now, before its period.

    :raise 404: a campaign, sharer or grade not in this workspace. :raise 422: bad period, threshold or bonus.
    """
    session, now = database.session(), utcnow()
    target = targets.create_target(session, current().workspace_id, data, now)
    session.commit()
    return targets.target_json(session, target, now)


@bp.get("/targets")
@requires("any")
@bp.arguments(TargetQuery, location="query")
@bp.response(200, TargetList)
def list_targets(query: dict):
    """Targets, newest first; ``sharer_id``: those for that sharer (a seller sees only their own, and
    no other sharer's id)."""
    key = current()
    if key.role == "seller":
        items = targets.list_targets(database.session(), key.workspace_id, utcnow(), viewer_sharer_id=key.sharer_id)
    else:
        items = targets.list_targets(database.session(), key.workspace_id, utcnow(), query["sharer_id"])
    return {"items": items, "next_cursor": None}


@bp.get("/targets/<int(min=1, max=2147483647):target_id>")
@requires("any")
@bp.response(200, TargetOut)
def get_target(target_id: int):
    """The target and each sharer's progress (a seller: their own line only, "7 of 10").

    :raise 404: no such target, or a seller it is not for.
    """
    key, session, now = current(), database.session(), utcnow()
    target = targets.get_target(session, key.workspace_id, target_id)
    if key.role == "seller" and not targets.applies_to(session, target, [key.sharer_id]):
        raise ApiError(404, "not_found", "No such target.")
    return targets.target_json(session, target, now, key.sharer_id if key.role == "seller" else None)


@bp.post("/targets/<int(min=1, max=2147483647):target_id>/finalize")
@requires("owner", "marketer")
@bp.response(200, TargetOut)
def finalize_target(target_id: int):
    """Book the bonuses now rather than at the next periodic run (idempotent). :raise 409: not ended yet."""
    session, now = database.session(), utcnow()
    target = targets.finalize(session, current().workspace_id, target_id, now)
    session.commit()
    return targets.target_json(session, target, now)


@bp.get("/leaderboard")
@requires("any")
@bp.arguments(LeaderboardQuery, location="query")
@bp.response(200, TeamBoardOut)
def leaderboard(query: dict):
    """Sharers ranked by attributed sales this week (from Monday) or month, in the workspace's time
    zone; never by recruits. A seller also gets ``me`` and ``team`` (their team's totals, not their
    invite chain's). :raise 422: bad period or cursor.
    """
    me = current()
    viewer = me.sharer_id if me.role == "seller" else None
    return board_with_team(database.session(), me.workspace_id, viewer_sharer_id=viewer, **query)
