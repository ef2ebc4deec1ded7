"""Background jobs of the integrations: they take ids, open their own session, are safe to run
twice, and run in the worker's app context."""
from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select

from integrations.models import SharerImport
from integrations.sharer_import import COLUMNS, REQUIRED, import_sharers
from referrals.csv_imports import run_import
from workspaces.models import Workspace


def run_sharer_import(import_id: int) -> None:
    """Import a kept CSV file of sharers (``SharerImport``, see ``csv_imports.run_import``), the
    invitations written in the uploader's language. Safe to run twice: a sharer already there is
    ``existing`` and gets no second invitation."""

    def import_file(session, found, rows, first_line, progress):
        brand = session.scalar(select(Workspace.name).where(Workspace.id == found.workspace_id))
        with force_locale(found.locale):
            return import_sharers(session, found.workspace_id, brand, rows, found.dry_run, found.invite,
                                  first_line, progress, show_links=False)["results"]

    run_import(SharerImport, import_id, COLUMNS, REQUIRED, import_file)
