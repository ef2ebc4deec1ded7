"""Approval before publishing: a workspace may require that an owner approves a campaign's content
before it is scheduled, and an edit after approval needs approval again.

An approval is of one content version (publishing/versions.py), so "edited after approval" is
exact: the campaign's current version has no approval row. Who approved what and when is kept
(``content_approvals``, never deleted). A publication already scheduled whose content was edited
afterwards waits too: the publish job refuses it (retryable) until the new version is approved.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Campaign
from plumbing.errors import ApiError
from publishing.models import ContentApproval
from publishing.versions import record_version
from workspaces.models import Workspace

APPROVER_ROLES = ("owner",)


class NotApproved(Exception):
    """The campaign's current content has no owner's approval (the message says which version)."""


def approval_required(session: Session, workspace_id: int) -> bool:
    return bool(session.scalar(select(Workspace.approval_required).where(Workspace.id == workspace_id)))


def set_approval_required(session: Session, workspace_id: int, required: bool) -> None:
    """Turn the rule on or off for the workspace; the caller commits."""
    session.get(Workspace, workspace_id).approval_required = required


def is_approved(session: Session, campaign_id: int, version: int) -> bool:
    return session.scalar(select(ContentApproval.id).where(ContentApproval.campaign_id == campaign_id,
                                                           ContentApproval.content_version == version)) is not None


def check_approved(session: Session, workspace_id: int, campaign_id: int, version: int) -> None:
    """Nothing when the workspace does not ask for approval or content ``version`` is approved.
    Only reads (the publish job calls it in a read session).

    :raise NotApproved: approval is required and the version has none.
    """
    if not approval_required(session, workspace_id) or is_approved(session, campaign_id, version):
        return
    approved = approvals(session, campaign_id)
    edited = f"; version {approved[0].content_version} was approved, then edited" if approved else ""
    raise NotApproved(f"content version {version} of the campaign waits for an owner's approval{edited}")


def require_approved(session: Session, campaign: Campaign) -> None:
    """:func:`check_approved` for a schedule request. :raise ApiError 409 ``approval_required``."""
    try:
        check_approved(session, campaign.workspace_id, campaign.id, record_version(session, campaign).number)
    except NotApproved as exc:
        raise ApiError(409, "approval_required",
                       f"This workspace publishes only approved content: the {exc}. "
                       f"An owner approves it with POST /api/v1/campaigns/{campaign.id}/approvals.") from None


def approve(session: Session, campaign: Campaign, role: str, now: datetime, version: int | None = None,
            key_id: int | None = None, user_id: int | None = None, note: str = "") -> tuple[ContentApproval, bool]:
    """Approve the campaign's current content (flushes; the caller commits); ``(approval, created)``.
    Approving an approved version again answers the first approval.

    ``version``: the version the approver read; refused when the content changed since.

    :raise ApiError 403: not an owner. :raise ApiError 409 ``stale_version``: ``version`` is not the current one.
    """
    if role not in APPROVER_ROLES:
        raise ApiError(403, "forbidden", "Only an owner may approve a campaign's content.")
    current = record_version(session, campaign).number
    if version is not None and version != current:
        raise ApiError(409, "stale_version", f"The campaign was edited: its content is version {current}, "
                                             f"not {version}. Read it again before approving.",
                       {"content_version": f"the current version is {current}"})
    existing = session.scalar(select(ContentApproval).where(ContentApproval.campaign_id == campaign.id,
                                                            ContentApproval.content_version == current))
    if existing is not None:
        return existing, False
    row = ContentApproval(workspace_id=campaign.workspace_id, campaign_id=campaign.id, content_version=current,
                          approver_key_id=key_id, approver_user_id=user_id, note=note, approved_at=now)
    session.add(row)
    session.flush()
    return row, True


def approvals(session: Session, campaign_id: int) -> list[ContentApproval]:
    """The campaign's approvals, newest first."""
    return list(session.scalars(select(ContentApproval).where(ContentApproval.campaign_id == campaign_id)
                                .order_by(ContentApproval.content_version.desc())))


def approval_state(session: Session, campaign: Campaign) -> dict:
    """``required``, ``content_version`` (current), ``approved`` (that version), and the history."""
    rows = approvals(session, campaign.id)
    return {"required": approval_required(session, campaign.workspace_id),
            "content_version": campaign.content_version,
            "approved": any(r.content_version == campaign.content_version for r in rows),
            "items": [approval_json(r) for r in rows]}


def approval_json(row: ContentApproval) -> dict:
    return {"id": row.id, "content_version": row.content_version, "approved_at": row.approved_at,
            "approver": {"key_id": row.approver_key_id, "user_id": row.approver_user_id}, "note": row.note}
