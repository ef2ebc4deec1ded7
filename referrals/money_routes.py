"""/api/v1 money views: commission lines, approval, payouts and their batches, a sharer's
ledger lines and performance (the leaderboard is ``teams.routes``'s). Routes check the role and call one service.
"""
from __future__ import annotations

from flask import current_app

from plumbing import database
from plumbing.api import ID, Blueprint, ErrorSchema
from plumbing.csvexport import csv_response
from plumbing.database import utcnow
from plumbing.errors import ApiError
from referrals import ledger
from referrals.contact_views import record_contact_views
from referrals.earnings import ledger_lines, list_commissions, sharer_performance
from referrals.money_schemas import (
    BatchDetail,
    BatchList,
    CommissionList,
    CommissionQuery,
    LedgerList,
    PageQuery,
    PayoutRun,
    PerformanceOut,
    PerformanceQuery,
    ReleaseIn,
)
from referrals.payouts import (
    CSV_COLUMNS,
    batch_contact_sharers,
    batch_payouts,
    batch_rows,
    get_batch,
    list_batches,
    run_payouts,
)
from referrals.schemas import ApproveIn
from workspaces.auth import current, requires

bp = Blueprint("money", __name__, url_prefix="/api/v1",
               description="Commissions, payouts, ledger lines, performance")



@bp.get("/commissions")
@requires("owner", "marketer")
@bp.arguments(CommissionQuery, location="query")
@bp.response(200, CommissionList)
def commissions(query: dict):
    """Commission lines, newest first; ``due=true``: what POST /commissions/approve would approve now.

    :raise 404: a sharer_id or campaign_id of another workspace. :raise 422: bad filter or cursor.
    """
    return list_commissions(database.session(), current().workspace_id, **query)


@bp.post("/commissions/approve")
@requires("owner", "marketer")
@bp.arguments(ApproveIn)
@bp.response(200)
@bp.alt_response(409, schema=ErrorSchema, description="an id not pending or still in its holding period")
def approve(data: dict):
    """Approve pending commissions past their holding period (all due, or ``ids``).

    :raise 409: an id that is not pending or still in its holding period.
    """
    session = database.session()
    try:
        done = ledger.approve_due(session, current().workspace_id, utcnow(), data.get("ids"))
    except ValueError as exc:
        raise ApiError(409, "not_approvable", str(exc)) from None
    session.commit()
    return {"approved": [c.id for c in done]}


@bp.post("/commissions/release")
@requires("owner", "marketer")
@bp.arguments(ReleaseIn)
@bp.response(200)
@bp.alt_response(409, schema=ErrorSchema, description="an id that is not held")
def release(data: dict):
    """Release held commissions (a line sold off the brand's price, reviewed) to pending.

    :raise 409: an id that is not a held commission of this workspace; nothing changes.
    """
    session = database.session()
    try:
        done = ledger.release(session, current().workspace_id, data["ids"])
    except ValueError as exc:
        raise ApiError(409, "not_held", str(exc)) from None
    session.commit()
    return {"released": [c.id for c in done]}


@bp.post("/payouts")
@requires("owner")
@bp.response(201, PayoutRun)
def payouts():
    """Pay every sharer's positive approved balance (clawbacks netted): one payout each, one batch per call."""
    session = database.session()
    made = run_payouts(session, current().workspace_id, utcnow())
    session.commit()
    return made


@bp.get("/payouts/batches")
@requires("owner", "marketer")
@bp.arguments(PageQuery, location="query")
@bp.response(200, BatchList)
def batches(query: dict):
    """Payout batches, newest first: id, created_at, count, totals per currency. :raise 422: bad cursor."""
    return list_batches(database.session(), current().workspace_id, **query)


@bp.get(f"/payouts/batches/<{ID}:batch_id>")
@requires("owner", "marketer")
@bp.arguments(PageQuery, location="query")
@bp.response(200, BatchDetail)
def batch(query: dict, batch_id: int):
    """A batch and its payouts: sharer id, name, email, phone, amount, currency.

    Contacts are in full (paying needs them); each sharer so shown is kept as a contact view.

    :raise 404: no such batch in this workspace. :raise 422: bad cursor.
    """
    session = database.session()
    page = batch_payouts(session, current().workspace_id, batch_id, **query)
    _contacts_shown(session, [p["sharer_id"] for p in page["items"] if p.get("email") or p.get("phone")])
    return page


def _contacts_shown(session, sharer_ids: list[int]) -> None:
    """Keep that this key was shown these sharers' full phone numbers and emails."""
    if sharer_ids:
        record_contact_views(session, current().workspace_id, sorted(set(sharer_ids)), api_key_id=current().key_id)
        session.commit()


@bp.get(f"/payouts/batches/<{ID}:batch_id>.csv")
@requires("owner", "marketer")
@bp.response(200, description=(
    "UTF-8 with a BOM; columns batch_id, payout_id, sharer_id, name, email, phone, amount, currency; "
    "a cell starting with = + - @ tab or CR is prefixed with an apostrophe"))
@bp.doc(responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                           "headers": {"Content-Disposition": {"schema": {"type": "string"},
                                                               "description": "attachment; filename=..."}}}})
def batch_export(batch_id: int):
    """A batch's payouts as CSV for the finance team (an attachment). :raise 404: no such batch."""
    session = database.session()
    get_batch(session, current().workspace_id, batch_id)  # 404 before anything is recorded
    for sharer_ids in batch_contact_sharers(session, batch_id):
        record_contact_views(session, current().workspace_id, sharer_ids, api_key_id=current().key_id)
    session.commit()
    rows = batch_rows(current_app._get_current_object(), batch_id)  # streamed as the response is sent
    return csv_response(f"payout-batch-{batch_id}.csv", CSV_COLUMNS, rows)  # names, emails, phones: no-store


@bp.get(f"/sharers/<{ID}:sharer_id>/ledger")
@requires("owner", "marketer", "seller")
@bp.arguments(PageQuery, location="query")
@bp.response(200, LedgerList)
def sharer_ledger(query: dict, sharer_id: int):
    """The sharer's ledger lines, newest first, each with a ``reason`` code and what its sentence needs.

    :raise 403: another seller's. :raise 404: unknown sharer. :raise 422: bad cursor.
    """
    current().check_acts_for(sharer_id)
    return ledger_lines(database.session(), current().workspace_id, sharer_id, **query)


@bp.get(f"/sharers/<{ID}:sharer_id>/performance")
@requires("owner", "marketer", "seller")
@bp.arguments(PerformanceQuery, location="query")
@bp.response(200, PerformanceOut)
def performance(query: dict, sharer_id: int):
    """Clicks, unique clicks, attributed orders, revenue and earnings by state, optionally for one campaign.

    :raise 403: another seller's. :raise 404: unknown sharer or campaign. :raise 422: a currency
    other than the campaign's.
    """
    current().check_acts_for(sharer_id)
    return sharer_performance(database.session(), current().workspace_id, sharer_id, **query)
