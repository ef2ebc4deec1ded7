"""``POST /api/v1/conversions/import``: past sales and refunds from a CSV file (owner)."""
from __future__ import annotations

import contextlib

from flask import current_app, request
from marshmallow import Schema, fields

from plumbing import database
from plumbing.api import Blueprint
from plumbing.errors import ApiError
from plumbing.fields import InputSchema
from referrals import clickwriter
from referrals.csv_imports import MAX_ROWS, read_rows
from referrals.imports import COLUMNS, REQUIRED, import_rows
from workspaces.auth import current, requires

bp = Blueprint("imports", __name__, url_prefix="/api/v1", description="Imports")

MAX_BYTES = 5 * 1024 * 1024


class ImportQuery(InputSchema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "show what would be credited; keep nothing"})


class ImportTotals(Schema):
    """What every CSV import answers: the file's row count and how many rows did what."""

    dry_run = fields.Boolean()
    rows = fields.Integer()
    created = fields.Integer()
    failed = fields.Integer()


class ImportOut(ImportTotals):
    replayed = fields.Integer()
    results = fields.List(fields.Dict(), metadata={
        "description": "one per row: line (in the file), status (created|replayed|failed), and the "
                       "conversion's answer or an error in the API's error shape"})


def csv_body(example: str, columns: tuple[str, ...], note: str = "") -> dict:
    """The OpenAPI request body of a CSV import."""
    return {"required": True, "content": {"text/csv": {"schema": {"type": "string"}, "example": example}},
            "description": f"UTF-8 CSV, a header line naming columns among: {', '.join(columns)}{note}; "
                           f"at most {MAX_ROWS} rows"}


def csv_text() -> str:
    """The request's body: a UTF-8 file of at most 5 MB. :raise 413/422: larger, or not UTF-8."""
    if (request.content_length or 0) > MAX_BYTES:
        raise ApiError(413, "payload_too_large", "At most 5 MB per file.")
    try:
        return request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, "validation_error", "The file must be UTF-8.") from None


@bp.post("/conversions/import")
@requires("owner")
@bp.arguments(ImportQuery, location="query")
@bp.doc(requestBody=csv_body("type,order_id,amount,code,customer_external_id,occurred_at\n"
                             "sale,A-1,199.00,Ab3dE9,c-1,2026-11-01T10:00:00+08:00\n", COLUMNS))
@bp.response(200, ImportOut)
def import_conversions(query: dict):
    """Backfill past orders and refunds, idempotent by order id; a bad row never stops the others.

    :raise 413: over 5 MB. :raise 422: not UTF-8, no usable header, or too many rows.
    """
    rows = read_rows(csv_text(), COLUMNS, REQUIRED)
    app = current_app._get_current_object()
    # A dry run's one transaction (up to MAX_ROWS rows): on SQLite, on a copy (see database.rehearsal).
    with database.rehearsal() if query["dry_run"] else contextlib.nullcontext(database.session()) as session:
        return import_rows(session, current().workspace_id, rows, app.config["PUBLIC_URL"], query["dry_run"],
                           clickwriter.writer_for(app).write_now)
