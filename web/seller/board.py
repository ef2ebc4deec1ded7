"""The team board: sellers ranked by their sales this week or month; the seller's own row and team."""
from __future__ import annotations

from flask import g, render_template, request

from plumbing import database
from referrals.leaderboard import PERIODS
from teams.board import board_with_team
from web.seller.blueprint import bp
from web.seller.inputs import choice
from web.seller.labels import masked_name
from web.session import seller_required


@bp.get("/board")
@seller_required
def board():
    """``?period=week`` (default) or ``month``. Others' names are masked; ranking counts sales only.

    :raise 422: another period.
    """
    period = choice(request.args.get("period"), PERIODS, "period") or "week"
    result = board_with_team(database.session(), g.key.workspace_id, period=period, viewer_sharer_id=g.sharer.id)
    rows = [{**row, "mine": row["sharer_id"] == g.sharer.id,
             "name": g.sharer.name if row["sharer_id"] == g.sharer.id else masked_name(row["display_name"])}
            for row in result["items"]]
    me = result["me"]
    listed = any(row["mine"] for row in rows)
    return render_template("seller/board.html", period=period, rows=rows, me=me, listed=listed,
                           team=result["team"], currency=result["currency"], bounds=result["period"])
