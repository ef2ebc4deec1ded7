"""Finding a campaign, for every feature that works on one."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Campaign
from plumbing.errors import ApiError


def get_campaign(session: Session, workspace_id: int, campaign_id: int) -> Campaign:
    """:raise ApiError 404: no such campaign in this workspace."""
    campaign = session.scalar(select(Campaign).where(Campaign.id == campaign_id, Campaign.workspace_id == workspace_id))
    if campaign is None:
        raise ApiError(404, "not_found", "No such campaign.")
    return campaign
