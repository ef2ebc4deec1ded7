"""Payouts: what is ready to pay, paying it as one batch (owners only), the batches and their CSV.

Every list is one page of the services' keyset pagination (``?cursor=``).
"""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from plumbing import database
from plumbing.csvexport import csv_response
from plumbing.database import utcnow
from plumbing.money import format_amount
from referrals.ledger import payable_balances
from referrals.payouts import CSV_COLUMNS, batch_payouts, batch_rows, get_batch, list_batches, run_payouts
from web.console.blueprint import NAV, bp
from web.console.sharers import one_page
from web.session import staff_required

NAV.append(("console.payouts", _l("Payouts")))

BATCH = "/payouts/<int(min=1, max=2147483647):batch_id>"
PAGE_SIZE = 50


def approved_balances(session: Session, workspace_id: int) -> list[dict]:
    """What a payout run would pay now, per currency: ``{"currency", "sharers", "amount_minor"}``
    (the balances ``ledger.pay_all`` pays: suspended sharers and balances under the minimum left out)."""
    totals: dict[str, list[int]] = {}
    for _sharer_id, currency, balance in payable_balances(session, workspace_id):
        count_and_sum = totals.setdefault(currency, [0, 0])
        count_and_sum[0] += 1
        count_and_sum[1] += balance
    return [{"currency": currency, "sharers": count, "amount_minor": total}
            for currency, (count, total) in sorted(totals.items())]


@bp.get("/payouts")
@staff_required()
def payouts():
    """What is due to be paid and the payout batches, newest first. :raise 422: a bad cursor."""
    session = database.session()
    due = [{**d, "amount": format_amount(d["amount_minor"], d["currency"])}
           for d in approved_balances(session, g.key.workspace_id)]
    cursor = request.args.get("cursor")
    return render_template("console/payouts.html", due=due,
                           page=one_page(list_batches, session, g.key.workspace_id, cursor=cursor, limit=PAGE_SIZE),
                           first_page=cursor is not None)


@bp.post("/payouts")
@staff_required("owner")
def pay_out():
    """Pay every positive approved balance now, as one batch (owners only). :raise 403: a marketer."""
    session = database.session()
    made = run_payouts(session, g.key.workspace_id, utcnow())
    session.commit()
    if made["batch_id"] is None:
        flash(_("Nothing to pay: no sharer has an approved balance."), "warning")
        return redirect(url_for("console.payouts"), 303)
    flash(_("Payout batch #%(batch)s is made. Sharers paid: %(count)s. Download its CSV for your finance team.",
            batch=made["batch_id"], count=len(made["items"])))
    return redirect(url_for("console.payout_batch", batch_id=made["batch_id"]), 303)


@bp.get(BATCH)
@staff_required()
def payout_batch(batch_id: int):
    """A batch and its payouts. :raise 404: not a batch of this workspace. :raise 422: a bad cursor."""
    cursor = request.args.get("cursor")
    batch = one_page(batch_payouts, database.session(), g.key.workspace_id, batch_id, cursor=cursor, limit=PAGE_SIZE)
    return render_template("console/payouts_batch.html", batch=batch, first_page=cursor is not None)


@bp.get(f"{BATCH}.csv")
@staff_required()
def payout_batch_csv(batch_id: int):
    """The batch's payouts as CSV, the same as the API's. :raise 404: not a batch of this workspace."""
    get_batch(database.session(), g.key.workspace_id, batch_id)
    rows = batch_rows(current_app._get_current_object(), batch_id)  # streamed as the response is sent
    return csv_response(f"payout-batch-{batch_id}.csv", CSV_COLUMNS, rows)  # names, emails, phones: no-store
