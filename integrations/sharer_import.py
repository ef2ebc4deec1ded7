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
from integrations.models import SharerImport
from plumbing.errors import ApiError, flatten_messages
from referrals.csv_imports import Progress, record_rows, totals
from referrals.schemas import SharerIn
from referrals.sharers import create_sharer, find_customer

COLUMNS = ("name", "email", "phone", "external_id", "invited_by")
REQUIRED = ("name",)


def import_sharers(session: Session, workspace_id: int, brand: str, rows: list[dict], dry_run: bool,
                   invite: bool, first_line: int = 2, progress: Progress | None = None,
                   show_links: bool = True) -> dict:
    """Add each row's sharer; commits each good row unless ``dry_run`` (then nothing is kept,
    no link made, no email sent). Invitation emails are queued after their row is committed.

    ``first_line``, ``progress``: as for ``record_rows``. ``show_links``: False gives links only
    to those with an email address (the console keeps its results, and no sign-in link at rest).
    :return: totals and one result per row: its line in the file, ``created`` (``sharer_id``,
        and with ``invite`` whether it was ``emailed`` and, with ``show_links``, the
        ``invitation_url``), ``existing`` (``sharer_id``) or ``failed`` (an error in the API's
        error shape).
    """
    def record(row: dict):
        try:
            data = SharerIn().load({k: int(v) if k == "invited_by" and v.isascii() and v.isdigit() else v for k, v in row.items()})
        except ValidationError as exc:
            raise ApiError(422, "validation_error", "Invalid row.",
                           flatten_messages(exc.normalized_messages())) from None
        found = find_customer(session, workspace_id, data.get("external_id"), data.get("email"), data.get("phone"))
        if found is not None:
            return {"status": "existing", "sharer_id": found.id}, None
        sharer = create_sharer(session, workspace_id, **data)
        session.flush()
        result = {"status": "created", "sharer_id": sharer.id}
        if not invite or dry_run:
            return result, None
        result["emailed"] = bool(sharer.email)
        if not (sharer.email or show_links):
            return result, None
        url = pass_url(invitation_link(session, sharer).token)
        if show_links:
            result["invitation_url"] = url
        if not sharer.email:
            return result, None
        name, email = sharer.name, sharer.email  # as they are now, not reloaded after the commit
        return result, lambda: email_invitation(workspace_id, brand, name, email, url)

    results = record_rows(session, rows, record, dry_run, first_line, progress)
    return {"dry_run": dry_run, "rows": len(rows), **totals(SharerImport.OUTCOMES, results), "results": results}
