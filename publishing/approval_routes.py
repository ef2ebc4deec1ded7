"""Approval before scheduling: the workspace's rule, and an owner's approval of a campaign's content."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from catalog.campaigns import get_campaign
from plumbing import database
from plumbing.api import Blueprint
from plumbing.database import utcnow
from plumbing.fields import InputSchema, StrictBoolean
from publishing.approvals import approval_json, approval_required, approval_state, approve, set_approval_required
from workspaces.auth import current, requires

bp = Blueprint("approvals", __name__, url_prefix="/api/v1", description="Approval before scheduling")
ID = "int(min=1, max=2147483647)"


class ApprovalRuleIn(InputSchema):
    required = StrictBoolean(required=True,
                              metadata={"description": "an owner must approve a campaign's content before it is "
                                                       "scheduled; an edit after approval needs approval again"})


class ApprovalRuleOut(Schema):
    required = fields.Boolean()


class ContentApprovalIn(InputSchema):
    content_version = fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1),
                                     metadata={"description": "the version the owner read; 409 when edited since"})
    note = fields.String(load_default="", validate=validate.Length(max=500))


class ContentApproverOut(Schema):
    key_id = fields.Integer(allow_none=True, metadata={"description": "the API key that approved"})
    user_id = fields.Integer(allow_none=True, metadata={"description": "the console account that approved"})


class ContentApprovalOut(Schema):
    id = fields.Integer()
    content_version = fields.Integer()
    approved_at = fields.DateTime()
    approver = fields.Nested(ContentApproverOut)
    note = fields.String()


class ContentApprovalsOut(Schema):
    required = fields.Boolean()
    content_version = fields.Integer(metadata={"description": "the campaign's current content version"})
    approved = fields.Boolean(metadata={"description": "whether the current version is approved"})
    items = fields.List(fields.Nested(ContentApprovalOut), metadata={"description": "every approval, newest first"})


@bp.get("/workspace/approval")
@requires("owner", "marketer")
@bp.response(200, ApprovalRuleOut)
def read_rule():
    """Whether the workspace asks for an owner's approval before scheduling."""
    return {"required": approval_required(database.session(), current().workspace_id)}


@bp.put("/workspace/approval")
@requires("owner")
@bp.arguments(ApprovalRuleIn)
@bp.response(200, ApprovalRuleOut)
def write_rule(data: dict):
    """Turn approval before scheduling on or off. :raise 403: not an owner. :raise 422: ``required`` not a boolean."""
    session = database.session()
    set_approval_required(session, current().workspace_id, data["required"])
    session.commit()
    return {"required": data["required"]}


@bp.get(f"/campaigns/<{ID}:campaign_id>/approvals")
@requires("owner", "marketer")
@bp.response(200, ContentApprovalsOut)
def index(campaign_id: int):
    """Who approved which content version and when. :raise 404: unknown campaign."""
    session = database.session()
    return approval_state(session, get_campaign(session, current().workspace_id, campaign_id))


@bp.post(f"/campaigns/<{ID}:campaign_id>/approvals")
@requires("owner", "marketer")
@bp.arguments(ContentApprovalIn)
@bp.response(201, ContentApprovalOut)
@bp.alt_response(200, schema=ContentApprovalOut, description="that version was approved already: the first approval")
def create(data: dict, campaign_id: int):
    """Approve the campaign's current content (owners only).

    :raise 403: a marketer. :raise 404: unknown campaign.
    :raise 409: ``stale_version``, the content changed since the version given.
    """
    session = database.session()
    principal = current()
    campaign = get_campaign(session, principal.workspace_id, campaign_id)
    row, created = approve(session, campaign, principal.role, utcnow(), data.get("content_version"),
                           key_id=principal.key_id, note=data["note"])
    session.commit()
    return approval_json(row), 201 if created else 200
