"""Approval in the console: the workspace's rule (on the Accounts page) and an owner approving a
campaign's content (on its schedule page). The services are the API's (publishing/approvals.py)."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from catalog.campaigns import get_campaign
from plumbing import database
from plumbing.database import utcnow
from plumbing.errors import ApiError
from publishing.approvals import approval_required, approve, set_approval_required
from web.console.blueprint import bp
from web.session import staff_required


@bp.post("/workspace/approval")
@staff_required("owner")
def approval_rule_toggle():
    """Turn approval before scheduling on or off (owners only)."""
    session = database.session()
    required = not approval_required(session, g.key.workspace_id)
    set_approval_required(session, g.key.workspace_id, required)
    session.commit()
    flash(_("An owner now approves each campaign's content before it is scheduled.") if required
          else _("Campaigns are scheduled without approval now."))
    return redirect(url_for("console.accounts_page"), 303)


@bp.post("/campaigns/<int(min=1, max=2147483647):campaign_id>/approve")
@staff_required("owner")
def campaign_approve(campaign_id: int):
    """Approve the content version the owner saw (the form's ``content_version``).

    :raise 404: not this workspace's campaign. A version edited since is not approved: the page says so.
    """
    session = database.session()
    campaign = get_campaign(session, g.key.workspace_id, campaign_id)
    try:
        seen = int(request.form.get("content_version", ""))
    except ValueError:
        seen = -1
    try:
        approve(session, campaign, g.key.role, utcnow(), seen, user_id=g.user.id)
    except ApiError:
        session.rollback()
        flash(_("The campaign was edited since you opened it: read it again, then approve."), "error")
        return redirect(url_for("console.campaign_schedule", campaign_id=campaign_id), 303)
    session.commit()
    flash(_("Approved: this content may be scheduled now."))
    return redirect(url_for("console.campaign_schedule", campaign_id=campaign_id), 303)
