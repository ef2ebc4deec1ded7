"""Campaign pages of the console."""
from __future__ import annotations

from flask import render_template

from web.console import bp
from web.session import staff_required


@bp.get("/")
@staff_required()
def campaigns():
    return render_template("console/campaigns.html")
