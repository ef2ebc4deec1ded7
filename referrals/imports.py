"""Importing past sales and refunds from CSV: each row on its own, a line-by-line report.

A row is recorded whole or not at all (its own transaction, or its own
savepoint in a dry run, which rolls everything back at the end), so a bad row
never stops the good ones. Rows go through the same service and the same
rules as ``POST /api/v1/conversions``: importing a file twice changes nothing.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from plumbing.errors import ApiError, error_body, flatten_messages
from referrals.conversions import record_conversion
from referrals.models import SalesImport
from referrals.schemas import ConversionIn

MAX_ROWS = 5000
COLUMNS = ("type", "order_id", "refund_id", "amount", "currency", "click_id", "code", "sharer_id", "coupon",
           "campaign_id", "customer_external_id", "customer_email", "customer_phone", "customer_name",
           "customer_ip", "occurred_at")
# A file kept for a background import never holds a buyer's IP address (only the API's import,
# which keeps no file, takes ``customer_ip``).
KEPT_COLUMNS = tuple(c for c in COLUMNS if c != "customer_ip")
REQUIRED = ("type", "order_id", "amount")
INTEGERS = ("sharer_id", "campaign_id")


def read_rows(text: str, columns: tuple[str, ...] = COLUMNS, required: tuple[str, ...] = REQUIRED) -> list[dict]:
    """The file's rows as dicts of its known ``columns`` (blank cells left out).

    :raise ApiError 422: no header with the required columns, unknown columns, or too many rows.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in columns]
    if missing or unknown:
        raise ApiError(422, "validation_error", "The first line must name the columns.",
                       {"columns": f"missing {', '.join(missing) or 'none'}; unknown {', '.join(unknown) or 'none'};"
                                   f" known: {', '.join(columns)}"})
    reader.fieldnames = header
    rows = []
    for row in reader:
        if len(rows) == MAX_ROWS:
            raise ApiError(422, "too_many_rows", f"At most {MAX_ROWS} rows per file; split it.")
        rows.append({k: v.strip() for k, v in row.items() if k in columns and isinstance(v, str) and v.strip()})
    return rows


def _body(row: dict) -> dict:
    body = {k: v for k, v in row.items() if not k.startswith("customer_")}
    for key in INTEGERS:
        if key in body:
            body[key] = int(body[key]) if body[key].isdigit() else body[key]
    customer = {k.removeprefix("customer_"): v for k, v in row.items() if k.startswith("customer_")}
    if customer:
        body["customer"] = customer
    return body


def import_rows(session: Session, workspace_id: int, rows: list[dict], public_url: str, dry_run: bool,
                write_click: Callable[[str], None], first_line: int = 2,
                progress: Callable[[list[dict]], None] | None = None) -> dict:
    """Record each row; commits each good one unless ``dry_run`` (then nothing is kept).

    ``first_line``: the file's line of ``rows[0]`` (a resumed import starts further down);
    ``progress``: told the results so far after each row.
    :return: totals and one result per row (its line number in the file, status, and the
        answer or the error, as ``POST /api/v1/conversions`` would give them).
    """
    parsed = []
    for line, row in enumerate(rows, start=first_line):  # line 1 is the header
        try:
            parsed.append((line, ConversionIn().load(_body(row)), None))
        except ValidationError as exc:
            parsed.append((line, None, error_body("validation_error", "Invalid row.", flatten_messages(exc.normalized_messages()))))
    for _line, data, _error in parsed:
        if data and data.get("click_id"):
            write_click(data["click_id"])  # before any transaction of ours holds the write lock
    results, totals = [], {"created": 0, "replayed": 0, "failed": 0}
    for line, data, error in parsed:
        if data is not None:
            savepoint = session.begin_nested() if dry_run else None
            try:
                outcome = record_conversion(session, workspace_id, data, public_url)
            except ApiError as exc:
                savepoint.rollback() if savepoint else session.rollback()
                error = error_body(exc.code, exc.message, exc.fields)
            else:
                savepoint.commit() if savepoint else session.commit()
                status = "created" if outcome.status == 201 else "replayed"
                totals[status] += 1
                results.append({"line": line, "status": status, "order_id": data["order_id"], **_summary(outcome.body)})
                if progress is not None:
                    progress(results)
                continue
        totals["failed"] += 1
        results.append({"line": line, "status": "failed", **error})
        if progress is not None:
            progress(results)
    if dry_run:
        session.rollback()
    return {"dry_run": dry_run, "rows": len(rows), **totals, "results": results}


def _summary(body: dict) -> dict:
    keys = ("type", "amount", "currency", "attributed", "sharer_id", "commissions", "applied", "reversals")
    return {k: body[k] for k in keys if k in body}


def start_import(session: Session, workspace_id: int, text: str, dry_run: bool) -> SalesImport:
    """Keep a file for the background import (``referrals.jobs.run_sales_import``); flushes.

    :raise ApiError 422: no usable header (``customer_ip`` among its columns: see ``KEPT_COLUMNS``), or
        too many rows (nothing kept).
    """
    found = SalesImport(workspace_id=workspace_id, dry_run=dry_run, status="queued", csv=text,
                        rows=len(read_rows(text, KEPT_COLUMNS)), results=[])
    session.add(found)
    session.flush()
    return found
