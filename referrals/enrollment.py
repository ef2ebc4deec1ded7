"""Who may join: open, by approval, or by invitation only (the workspace's ``enrollment``).

Joining is free in every mode: nobody pays, and nobody earns for bringing
anyone in. By approval, a request waits for a marketer, who approves (a
sharer is made) or refuses with a reason; the applicant reads the decision
at their status address (a secret token) and, where the workspace sends
email, hears of it by email.
"""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from credentials.mail import enqueue_sign_in_link
from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.pagination import DEFAULT_LIMIT, newest_first
from referrals.identity import normalize_email, normalize_phone
from referrals.models import Application, Sharer
from referrals.sharers import create_sharer
from workspaces.models import Workspace

MODES = ("open", "approval", "invite")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def apply(session: Session, workspace: Workspace, name: str, email: str | None = None, phone: str | None = None,
          external_id: str | None = None, invited_by: int | None = None,
          source: str = "join_page") -> tuple[Sharer | None, Application | None, str | None]:
    """Join ``workspace`` as its enrollment mode allows.

    :return: ``(sharer, None, None)`` when open; ``(None, application, status token)`` by approval.
    :raise ApiError 403 enrollment_closed: invitation only.
    :raise ApiError 422: a bad email or phone.
    """
    if workspace.enrollment == "open":
        return create_sharer(session, workspace.id, name, email=email, phone=phone, external_id=external_id,
                             invited_by=invited_by, source="joined"), None, None
    if workspace.enrollment != "approval":
        raise ApiError(403, "enrollment_closed", "This programme takes new sharers by invitation only.")
    errors = {}
    if email and not normalize_email(email):
        errors["email"] = "not an email address"
    if phone and not normalize_phone(phone):
        errors["phone"] = "not a phone number"
    if errors:
        raise ApiError(422, "validation_error", "The application has invalid fields.", errors)
    token = secrets.token_urlsafe(24)
    application = Application(workspace_id=workspace.id, name=name.strip(), email=normalize_email(email),
                              phone=normalize_phone(phone), external_id=external_id, invited_by=invited_by,
                              source=source, status="pending", reason="", token_hash=_hash(token))
    session.add(application)
    session.flush()
    return None, application, token


def find_application(session: Session, workspace_id: int, token: str) -> Application | None:
    return session.scalar(select(Application).where(Application.workspace_id == workspace_id,
                                                    Application.token_hash == _hash(token)))


def get_application(session: Session, workspace_id: int, application_id: int) -> Application:
    """:raise ApiError 404: no such application in this workspace."""
    found = session.scalar(select(Application).where(Application.id == application_id,
                                                     Application.workspace_id == workspace_id).with_for_update())
    if found is None:
        raise ApiError(404, "not_found", "No such application.")
    return found


def decide(session: Session, application: Application, approve: bool, reason: str = "") -> Sharer | None:
    """Approve (make the sharer, invited by whoever brought them) or refuse with a reason.

    :raise ApiError 409 already_decided. :raise ApiError 422: a refusal without a reason.
    """
    if application.status != "pending":
        raise ApiError(409, "already_decided", f"This application was {application.status} already.")
    if not approve and not reason.strip():
        raise ApiError(422, "validation_error", "Say why the application is refused.", {"reason": "required"})
    sharer = None
    if approve:
        sharer = create_sharer(session, application.workspace_id, application.name, email=application.email,
                               phone=application.phone, external_id=application.external_id,
                               invited_by=application.invited_by, source="joined")
        session.flush()
        application.sharer_id = sharer.id
    application.status = "approved" if approve else "refused"
    application.reason = reason.strip()
    application.decided_at = utcnow()
    session.flush()
    return sharer


def tell_applicant(application: Application, programme_url: str) -> None:
    """Email the applicant the decision (after commit; skipped without an email address or SMTP).

    Their status address (given when they applied) shows it too.
    """
    if not application.email or application.status == "pending":
        return
    if application.status == "approved":
        text = ("Your application was approved: you are a sharer now. Sign in to your seller space with a link "
                f"sent to this address: {programme_url}\n您的申请已通过。")
    else:
        text = f"Your application was not approved: {application.reason}\n您的申请未通过：{application.reason}"
    enqueue_sign_in_link(application.workspace_id, application.email, "Your application / 您的申请", text,
                         programme_url)


def application_json(application: Application) -> dict:
    return {"id": application.id, "name": application.name, "email": application.email, "phone": application.phone,
            "source": application.source, "invited_by": application.invited_by, "status": application.status,
            "reason": application.reason or None, "sharer_id": application.sharer_id,
            "created_at": application.created_at.isoformat(),
            "decided_at": application.decided_at.isoformat() if application.decided_at else None}


def list_applications(session: Session, workspace_id: int, status: str | None = None, cursor: str | None = None,
                      limit: int = DEFAULT_LIMIT) -> dict:
    query = select(Application).where(Application.workspace_id == workspace_id)
    if status:
        query = query.where(Application.status == status)
    rows, next_cursor = newest_first(session, query, Application.created_at, Application.id, cursor, limit)
    return {"items": [application_json(a) for a in rows], "next_cursor": next_cursor}
