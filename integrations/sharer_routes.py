"""``POST /api/v1/sharers/import``: sharers from a CSV file, with invitations (owner, marketer)."""
from __future__ import annotations

import contextlib

from marshmallow import fields
from sqlalchemy import select

from integrations.sharer_import import COLUMNS, REQUIRED, import_sharers
from plumbing import database
from plumbing.api import Blueprint
from plumbing.fields import InputSchema
from referrals.csv_imports import read_rows
from referrals.import_routes import ImportTotals, csv_body, csv_text
from workspaces.auth import current, requires
from workspaces.models import Workspace

bp = Blueprint("sharer_imports", __name__, url_prefix="/api/v1", description="Imports")


class SharerImportQuery(InputSchema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "show what would be added; keep nothing"})
    invite = fields.Boolean(load_default=False, metadata={
        "description": "give each new sharer a one-time sign-in link (7 days): emailed when the row has an "
                       "email address, in the answer always"})


class SharerImportOut(ImportTotals):
    existing = fields.Integer()
    results = fields.List(fields.Dict(), metadata={
        "description": "one per row: line (in the file), status (created|existing|failed), sharer_id, "
                       "invitation_url and emailed (with invite), or an error in the API's error shape"})


@bp.post("/sharers/import")
@requires("owner", "marketer")
@bp.arguments(SharerImportQuery, location="query")
@bp.doc(requestBody=csv_body("name,email,phone,external_id\n小林,lin@example.com,+8613800138000,crm-17\n",
                            COLUMNS, " (name required)"))
@bp.response(200, SharerImportOut)
def import_sharer_rows(query: dict):
    """Add many sharers at once, inviting them; a row naming a known sharer changes nothing.

    :raise 413: over 5 MB. :raise 422: not UTF-8, no usable header, or too many rows.
    """
    rows = read_rows(csv_text(), COLUMNS, REQUIRED)
    workspace_id = current().workspace_id
    # A dry run's one transaction (up to MAX_ROWS rows): on SQLite, on a copy (see database.rehearsal).
    with database.rehearsal() if query["dry_run"] else contextlib.nullcontext(database.session()) as session:
        brand = session.scalar(select(Workspace.name).where(Workspace.id == workspace_id))
        return import_sharers(session, workspace_id, brand, rows, query["dry_run"], query["invite"])
