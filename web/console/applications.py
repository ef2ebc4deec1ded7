"""Requests to join (enrollment by approval): approve, or refuse with a reason the applicant is told."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from plumbing import database
from plumbing.errors import ApiError
from referrals.enrollment import decide, get_application, list_applications, tell_applicant
from web.console.blueprint import NAV, bp
from web.console.sharers import one_page
from web.session import staff_required

NAV.append(("console.applications", _l("Requests to join")))

STATUSES = ("pending", "approved", "refused")


@bp.get("/applications")
@staff_required()
def applications():
    """Requests to join, newest first; ``status`` (default pending) filters. :raise 422: a bad cursor."""
    status = request.args.get("status") if request.args.get("status") in STATUSES else "pending"
    page = one_page(list_applications, database.session(), g.key.workspace_id, status, request.args.get("cursor"), 50)
    return render_template("console/applications.html", page=page, status=status,
                           first_page=request.args.get("cursor") is not None)


@bp.post("/applications/<int(min=1, max=2147483647):application_id>/decide")
@staff_required()
def decide_application(application_id: int):
    """``decision`` approve or refuse (with ``reason``). :raise 404: not this workspace's."""
    session = database.session()
    application = get_application(session, g.key.workspace_id, application_id)
    approve = request.form.get("decision") == "approve"
    try:
        decide(session, application, approve, request.form.get("reason", "")[:1000])
    except ApiError as exc:
        session.rollback()
        flash(_("Say why you refuse: the applicant is told.") if "reason" in exc.fields
              else _("This request was answered already."))
        return redirect(url_for("console.applications"), 303)
    session.commit()
    tell_applicant(application, f"{current_app.config['PUBLIC_URL']}/seller/sign-in")
    flash(_("%(name)s is a sharer now.", name=application.name) if approve
          else _("%(name)s was refused and told why.", name=application.name))
    return redirect(url_for("console.applications"), 303)
