"""The seller's clicks, orders and earnings by state, and every ledger line with its reason."""
from __future__ import annotations

from flask import g, render_template
from sqlalchemy import select

from plumbing import database
from referrals import balances
from referrals.earnings import ledger_lines, sharer_performance
from web.seller.blueprint import bp
from web.seller.inputs import paged
from web.seller.labels import BUCKETS, reason_sentence
from web.session import seller_required

PAGE_SIZE = 20  # ledger lines a page: a phone screen or two


def _currencies(session, sharer_id: int, default: str) -> list[str]:
    """The workspace's currency first, then any other the seller has earned in."""
    earned = balances.sums(("currency",), lambda t: [t.c.sharer_id == sharer_id]).subquery()
    others = session.scalars(select(earned.c.currency).order_by(earned.c.currency))
    return [default, *(c for c in others if c != default)]


@bp.get("/earnings")
@seller_required
def earnings():
    """Totals per currency and the ledger, newest first, a page at a time (``?cursor=``).

    :raise 422: a cursor this list did not give.
    """
    session = database.session()
    me = g.sharer
    first_page, lines = paged(lambda at: ledger_lines(session, me.workspace_id, me.id, cursor=at, limit=PAGE_SIZE))
    totals = [sharer_performance(session, me.workspace_id, me.id, currency=currency)
              for currency in _currencies(session, me.id, g.workspace.currency)]
    for line in lines["items"]:
        line["sentence"] = reason_sentence(line)
    return render_template("seller/earnings.html", totals=totals, lines=lines["items"],
                           next_cursor=lines["next_cursor"], first_page=first_page, buckets=BUCKETS)
