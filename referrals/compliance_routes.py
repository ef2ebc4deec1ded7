"""/api/v1/compliance: the programme's compliance report for a period, as JSON or CSV."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from marshmallow import Schema, fields

from plumbing import database
from plumbing.api import Blueprint
from plumbing.csvexport import csv_response
from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.fields import AwareDateTime, InputSchema
from referrals.compliance import csv_rows, report
from workspaces.auth import current, requires

bp = Blueprint("compliance", __name__, url_prefix="/api/v1", description="Compliance report")

CSV_COLUMNS = ("claim", "holds", "figure", "value")


class PeriodQuery(InputSchema):
    start = AwareDateTime(data_key="from", load_default=None, metadata={"description": "default: a year ago"})
    end = AwareDateTime(data_key="to", load_default=None, metadata={"description": "default: now"})


class ClaimOut(Schema):
    id = fields.String()
    claim = fields.String()
    holds = fields.Boolean()
    figures = fields.Dict()
    query = fields.String(allow_none=True, metadata={"description": "the SQL that proves it, to run again"})


class ReportOut(Schema):
    workspace = fields.String()
    currency = fields.String()
    start = fields.DateTime(data_key="from")
    end = fields.DateTime(data_key="to")
    holds = fields.Boolean(metadata={"description": "every claim holds"})
    claims = fields.List(fields.Nested(ClaimOut))


def period(query: dict) -> tuple[datetime, datetime]:
    """:raise ApiError 422: ``from`` not before ``to``."""
    end = query.get("end") or utcnow()
    start = query.get("start") or (end - timedelta(days=365))
    if start >= end:
        raise ApiError(422, "validation_error", "from must be before to.", {"from": "must be before to"})
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


@bp.get("/compliance")
@requires("owner", "marketer")
@bp.arguments(PeriodQuery, location="query")
@bp.response(200, ReportOut)
def compliance(query: dict):
    """Each claim of the legal line with the query that proves it and its figures. :raise 422: bad period."""
    result = report(database.session(), current().workspace_id, *period(query))
    return {**result, "start": result.pop("from"), "end": result.pop("to")}


@bp.get("/compliance.csv")
@requires("owner", "marketer")
@bp.arguments(PeriodQuery, location="query")
@bp.response(200, description="UTF-8 with a BOM; columns claim, holds, figure, value")
def compliance_csv(query: dict):
    """The report's claims and figures as CSV. :raise 422: bad period."""
    start, end = period(query)
    rows = csv_rows(report(database.session(), current().workspace_id, start, end))
    return csv_response(f"compliance-{start:%Y%m%d}-{end:%Y%m%d}.csv", CSV_COLUMNS, rows)
