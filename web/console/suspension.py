"""Suspending a sharer from their page: links land buyers without crediting anyone, no payouts
until the suspension is lifted (the same services as POST /api/v1/sharers/{id}/suspend)."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from plumbing import database, redis_client
from plumbing.database import utcnow
from plumbing.fields import unstorable
from referrals import linkcache
from referrals.suspension import reinstate, suspend
from web.console.blueprint import bp
from web.console.sharers import SHARER, shown_name
from web.session import staff_required


@bp.post(f"{SHARER}/suspend")
@staff_required()
def suspend_sharer(sharer_id: int):
    """Suspend with a reason (1–500 characters, else a warning and nothing changes).

    :raise 404: not a sharer of this workspace. :raise 409: suspended already.
    """
    reason = (request.form.get("reason") or "").strip()
    if not reason or len(reason) > 500 or unstorable(reason):
        flash(_("Give a reason for the suspension (up to 500 characters)."), "warning")
        return redirect(url_for("console.sharer", sharer_id=sharer_id), 303)
    session = database.session()
    found = suspend(session, g.key.workspace_id, sharer_id, reason, utcnow())
    session.commit()
    linkcache.invalidate(redis_client.connection())
    flash(_("%(name)s is suspended: their links no longer credit anyone and they are not paid.",
            name=shown_name(found.name, found.id)))
    return redirect(url_for("console.sharer", sharer_id=sharer_id), 303)


@bp.post(f"{SHARER}/reinstate")
@staff_required()
def reinstate_sharer(sharer_id: int):
    """Lift the suspension. :raise 404: not a sharer of this workspace. :raise 409: not suspended."""
    session = database.session()
    found = reinstate(session, g.key.workspace_id, sharer_id)
    session.commit()
    linkcache.invalidate(redis_client.connection())
    flash(_("%(name)s is reinstated: their links credit them again.", name=shown_name(found.name, found.id)))
    return redirect(url_for("console.sharer", sharer_id=sharer_id), 303)
