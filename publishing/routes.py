"""/api/v1/campaigns: routes validate, call one service function, answer."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from flask_smorest import Blueprint

import database
from publishing.campaigns import campaign_json, create_campaign, get_campaign
from publishing.schemas import CampaignIn, CampaignOut
from workspaces.auth import current, requires

bp = Blueprint("campaigns", __name__, url_prefix="/api/v1/campaigns", description="Campaigns")


def own_hosts() -> set[str]:
    hosts = {urlsplit(current_app.config["PUBLIC_URL"]).hostname or ""}
    hosts.add(request.host.rsplit(":", 1)[0].strip("[]").lower())
    return {h.lower() for h in hosts if h}


@bp.post("")
@requires("owner", "marketer")
@bp.arguments(CampaignIn)
@bp.response(201, CampaignOut)
def create(data: dict):
    """Create a campaign (draft until scheduled).

    :raise 422: invalid fields, listed in ``error.fields``.
    """
    session = database.session()
    campaign = create_campaign(session, current().workspace_id, data, own_hosts())
    session.commit()
    return campaign_json(campaign)


@bp.get("/<int:campaign_id>")
@requires("any")
@bp.response(200, CampaignOut)
def read(campaign_id: int):
    """A campaign with its status and publications. :raise 404: not in this workspace."""
    return campaign_json(get_campaign(database.session(), current().workspace_id, campaign_id))
