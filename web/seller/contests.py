"""Team contests on the seller's phone: the contests their team is in, each board live or final."""
from __future__ import annotations

from flask import g, render_template

from plumbing import database
from plumbing.database import utcnow
from teams.contests import contest_json, get_contest, list_contests
from teams.roster import team_of
from web.seller.blueprint import bp
from web.session import seller_required


@bp.get("/contests")
@seller_required
def contests():
    """The boards of the contests the seller's team takes part in, newest first (none without a team)."""
    session, now = database.session(), utcnow()
    team_id = team_of(session, g.key.workspace_id, g.sharer.id)
    boards = []
    if team_id is not None:
        for summary in list_contests(session, g.key.workspace_id, now, team_id)[:10]:
            contest = get_contest(session, g.key.workspace_id, summary["id"])
            boards.append(contest_json(session, contest, now, viewer_sharer_id=g.sharer.id))
    return render_template("seller/contests.html", boards=boards, team_id=team_id, me=g.sharer.id)
