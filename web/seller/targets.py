"""Individual targets on the seller's phone: their own progress on each target for them ("7 of 10, ¥50 bonus")."""
from __future__ import annotations

from flask import g, render_template

from plumbing import database
from plumbing.database import utcnow
from teams.targets import seller_view
from web.seller.blueprint import bp
from web.session import seller_required


@bp.get("/targets")
@seller_required
def targets():
    """The targets for this seller that are upcoming, live or ended in the last month, with their own figure."""
    shown = seller_view(database.session(), g.key.workspace_id, g.sharer.id, utcnow())
    return render_template("seller/targets.html", targets=shown)
