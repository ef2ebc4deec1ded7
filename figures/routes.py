"""/api/v1 figures: repurchase, cohorts, the consumer-to-distributor funnel, the invite tree. Routes check the role and call one service."""
from __future__ import annotations

from figures.customers import cohorts, repurchase
from figures.funnel import funnel, viral
from figures.schemas import (
    CohortOut,
    CohortQuery,
    FunnelOut,
    FunnelQuery,
    RepurchaseOut,
    RepurchaseQuery,
    TreeOut,
    TreeQuery,
    ViralOut,
    ViralQuery,
)
from figures.tree import invite_tree
from plumbing import database
from plumbing.api import Blueprint
from plumbing.database import utcnow
from plumbing.errors import ApiError
from workspaces.auth import current, requires

bp = Blueprint("figures", __name__, url_prefix="/api/v1", description="Repurchase, retention cohorts, invite tree")

SELLER_TREE_DEPTH = 2


@bp.get("/figures/repurchase")
@requires("owner", "marketer")
@bp.arguments(RepurchaseQuery, location="query")
@bp.response(200, RepurchaseOut)
def repurchase_rate(query: dict):
    """Share of customers with a second purchase within ``days``; lifetime value so far.
    ``from``/``to`` choose customers by first purchase; ``campaign_id``, ``sharer_id``, ``team_id`` narrow."""
    first_from, first_to = query.pop("from_"), query.pop("to")
    return repurchase(database.session(), current().workspace_id, first_from=first_from, first_to=first_to, **query)


@bp.get("/figures/cohorts")
@requires("owner", "marketer")
@bp.arguments(CohortQuery, location="query")
@bp.response(200, CohortOut)
def retention_cohorts(query: dict):
    """Customers by month of first purchase and how many bought again in each month after (0..11)."""
    return cohorts(database.session(), current().workspace_id, now=utcnow(), **query)


@bp.get("/figures/funnel")
@requires("owner", "marketer")
@bp.arguments(FunnelQuery, location="query")
@bp.response(200, FunnelOut)
def distributor_funnel(query: dict):
    """Buyers → enrolled sharers → sharers who shared → sharers who sold, with the median time each stage
    took. ``from``/``to`` choose buyers by first purchase; ``campaign_id``: first purchase in that campaign."""
    return funnel(database.session(), current().workspace_id, first_from=query["from_"], first_to=query["to"],
                  campaign_id=query["campaign_id"])


@bp.get("/figures/viral")
@requires("owner", "marketer")
@bp.arguments(ViralQuery, location="query")
@bp.response(200, ViralOut)
def viral_coefficient(query: dict):
    """New buyers brought per buyer, by month of the buyers' first purchase (recruits who never bought do
    not count)."""
    return viral(database.session(), current().workspace_id, now=utcnow(), **query)


@bp.get("/sharers/<int:sharer_id>/tree")
@requires("owner", "marketer", "seller")
@bp.arguments(TreeQuery, location="query")
@bp.response(200, TreeOut)
def tree(query: dict, sharer_id: int):
    """Who the sharer brought, and who they brought, each with their own sales; a seller sees their own,
    two levels deep. :raise 403: another sharer's tree, or deeper than 2, for a seller. :raise 404: no such sharer.
    """
    key = current()
    key.check_acts_for(sharer_id)
    if key.role == "seller" and query["depth"] > SELLER_TREE_DEPTH:
        raise ApiError(403, "forbidden", "A seller sees two levels of their tree.", {"depth": "at most 2"})
    return invite_tree(database.session(), key.workspace_id, sharer_id, query["depth"])
