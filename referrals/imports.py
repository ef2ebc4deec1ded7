"""Importing past sales and refunds from CSV: each row on its own, a line-by-line report.

A row is recorded whole or not at all (its own transaction, or its own
savepoint in a dry run, which rolls everything back at the end), so a bad row
never stops the good ones. Rows go through the same service and the same
rules as ``POST /api/v1/conversions``: importing a file twice changes nothing.
"""
from __future__ import annotations

from collections.abc import Callable

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from plumbing.errors import ApiError, flatten_messages
from referrals.conversions import record_conversion
from referrals.csv_imports import Progress, record_rows, totals
from referrals.models import SalesImport
from referrals.schemas import ConversionIn

COLUMNS = ("type", "order_id", "refund_id", "amount", "currency", "click_id", "code", "sharer_id", "coupon",
           "campaign_id", "customer_external_id", "customer_email", "customer_phone", "customer_name",
           "customer_ip", "occurred_at")
# A file kept for a background import never holds a buyer's IP address (only the API's import,
# which keeps no file, takes ``customer_ip``).
KEPT_COLUMNS = tuple(c for c in COLUMNS if c != "customer_ip")
REQUIRED = ("type", "order_id", "amount")
INTEGERS = ("sharer_id", "campaign_id")


def _body(row: dict) -> dict:
    body = {k: v for k, v in row.items() if not k.startswith("customer_")}
    for key in INTEGERS:
        if key in body:
            body[key] = int(body[key]) if body[key].isascii() and body[key].isdigit() else body[key]
    customer = {k.removeprefix("customer_"): v for k, v in row.items() if k.startswith("customer_")}
    if customer:
        body["customer"] = customer
    return body


def import_rows(session: Session, workspace_id: int, rows: list[dict], public_url: str, dry_run: bool,
                write_click: Callable[[str], None], first_line: int = 2, progress: Progress | None = None) -> dict:
    """Record each row; commits each good one unless ``dry_run`` (then nothing is kept).

    ``first_line``: the file's line of ``rows[0]`` (a resumed import starts further down);
    ``progress``: told the results so far after each row.
    :return: totals and one result per row (its line number in the file, status, and the
        answer or the error, as ``POST /api/v1/conversions`` would give them).
    """
    parsed = []
    for row in rows:
        try:
            parsed.append(ConversionIn().load(_body(row)))
        except ValidationError as exc:
            parsed.append(ApiError(422, "validation_error", "Invalid row.", flatten_messages(exc.normalized_messages())))
    for data in parsed:
        if isinstance(data, dict) and data.get("click_id"):
            write_click(data["click_id"])  # before any transaction of ours holds the write lock

    def record(data: dict | ApiError) -> tuple[dict, None]:
        if isinstance(data, ApiError):
            raise data
        outcome = record_conversion(session, workspace_id, data, public_url)
        status = "created" if outcome.status == 201 else "replayed"
        return {"status": status, "order_id": data["order_id"], **_summary(outcome.body)}, None

    results = record_rows(session, parsed, record, dry_run, first_line, progress)
    return {"dry_run": dry_run, "rows": len(rows), **totals(SalesImport.OUTCOMES, results), "results": results}


def _summary(body: dict) -> dict:
    keys = ("type", "amount", "currency", "attributed", "sharer_id", "commissions", "applied", "reversals")
    return {k: body[k] for k in keys if k in body}
