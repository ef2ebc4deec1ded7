"""Today's posts for the signed-in seller."""
from __future__ import annotations

from flask import render_template

from web.seller import bp
from web.session import seller_required


@bp.get("/")
@seller_required
def today():
    return render_template("seller/today.html")
