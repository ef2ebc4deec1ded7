"""Importing sharers from CSV (bulk invitations): each row on its own, a line-by-line report.

A row is a sharer made whole or not at all; a row naming a sharer the
workspace already has (by ``external_id``, else email, else phone) is
``existing`` and changes nothing, so importing a file twice adds no one twice.
With invitations, each new sharer gets a one-time sign-in link (7 days),
emailed to those with an address and shown in the answer for the others.
"""
from __future__ import annotations

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from accounts.invitations import email_invitation, invitation_link, pass_url
from plumbing.errors import ApiError, error_body, flatten_messages
from referrals.schemas import SharerIn
from referrals.sharers import create_sharer, find_customer

COLUMNS = ("name", "email", "phone", "external_id", "invited_by")
REQUIRED = ("name",)


def import_sharers(session: Session, workspace_id: int, brand: str, rows: list[dict], dry_run: bool,
                   invite: bool) -> dict:
    """Add each row's sharer; commits each good row unless ``dry_run`` (then nothing is kept,
    no link made, no email sent). Invitation emails are queued after their row is committed.

    :return: totals and one result per row: its line in the file, ``created`` (``sharer_id``,
        and with ``invite`` the ``invitation_url`` and whether it was ``emailed``), ``existing``
        (``sharer_id``) or ``failed`` (an error in the API's error shape).
    """
    results, totals = [], {"created": 0, "existing": 0, "failed": 0}
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            data = SharerIn().load({k: int(v) if k == "invited_by" and v.isdigit() else v for k, v in row.items()})
        except ValidationError as exc:
            totals["failed"] += 1
            results.append({"line": line, "status": "failed", **error_body(
                "validation_error", "Invalid row.", flatten_messages(exc.normalized_messages()))})
            continue
        found = find_customer(session, workspace_id, data.get("external_id"), data.get("email"), data.get("phone"))
        if found is not None:
            totals["existing"] += 1
            results.append({"line": line, "status": "existing", "sharer_id": found.id})
            continue
        savepoint = session.begin_nested() if dry_run else None
        try:
            sharer = create_sharer(session, workspace_id, **data)
            session.flush()
            result = {"line": line, "status": "created", "sharer_id": sharer.id}
            issued = invitation_link(session, sharer) if invite and not dry_run else None
        except ApiError as exc:
            savepoint.rollback() if savepoint else session.rollback()
            totals["failed"] += 1
            results.append({"line": line, "status": "failed", **error_body(exc.code, exc.message, exc.fields)})
            continue
        savepoint.commit() if savepoint else session.commit()
        if issued is not None:
            result["invitation_url"] = pass_url(issued.token)
            result["emailed"] = bool(sharer.email)
            if sharer.email:
                email_invitation(workspace_id, brand, sharer.name, sharer.email, result["invitation_url"])
        totals["created"] += 1
        results.append(result)
    if dry_run:
        session.rollback()
    return {"dry_run": dry_run, "rows": len(rows), **totals, "results": results}
