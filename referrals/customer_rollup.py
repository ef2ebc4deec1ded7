"""Keeps each buyer's purchase summary and purchase months up to date as sales and refunds are recorded
and sales rejected in risk review, so the figures (repurchase, lifetime value, cohorts, the viral
coefficient) read one row per customer, never every order; and each sharer's first sale, for the
consumer-to-distributor funnel. A sale rejected in review is no purchase and no sale of its sharer; one
still in review is both (it may be released)."""
from __future__ import annotations

import functools

from sqlalchemy import BigInteger, bindparam, case, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plumbing import database
from referrals.models import COHORT_SLOTS, CohortCount, Conversion, CustomerMonth, CustomerSummary, SharerFirstSale
from referrals.stats import not_rejected_in_review
from workspaces.models import Workspace

# Built once: every sale that enrolls a buyer writes these rows.
_INSERT_SUMMARY = insert(CustomerSummary.__table__)
_INSERT_MONTHS = insert(CustomerMonth.__table__)


def rollup_rows(workspace_id: int, customer_id: int, bought: list[tuple], currency: str) -> tuple[dict | None, list[dict]]:
    """Pure: a customer's summary row and month rows from their purchases ``(occurred_at, net minor,
    currency, sharer_id, campaign_id, self_referral)`` in time order (sales not refunded in full);
    (None, []) without any. The first purchase's seller brought the customer, unless it was themselves.
    """
    if not bought:
        return None, []
    first, second = bought[0][0], bought[1][0] if len(bought) > 1 else None
    _, _, _, seller, campaign_id, self_referral = bought[0]
    summary = {"workspace_id": workspace_id, "customer_sharer_id": customer_id, "first_at": first,
               "second_at": second,
               "gap_seconds": None if second is None else int(second.timestamp()) - int(first.timestamp()),
               "purchases": len(bought), "net_minor": sum(row[1] for row in bought if row[2] == currency),
               "brought_by": None if self_referral or seller == customer_id else seller,
               "first_campaign_id": campaign_id}
    months = sorted({row[0].year * 12 + row[0].month - 1 for row in bought})
    return summary, [{"workspace_id": workspace_id, "customer_sharer_id": customer_id, "month": m,
                      "first_month": months[0]} for m in months]


def refresh_customer(session: Session, workspace_id: int, customer_id: int, new: bool = False,
                     sale: Conversion | None = None) -> None:
    """Bring one customer's rows in step with their own sales (an indexed read of a handful of orders),
    writing only what changed: usually one summary update and, in a new month, one month row.

    One customer at a time (a transaction lock): two orders of one buyer recorded at once
    refresh the rows one after the other, the second seeing the first's sale. A buyer
    enrolled by ``sale`` in this transaction (``new``) has that sale only and no rows yet,
    and no other transaction can see them: nothing to lock, read or compare.
    """
    if new and sale is not None and sale.refunded_minor < sale.amount_minor \
            and session.get_bind().dialect.name == "postgresql":
        # The summary, the one month and its cohort cell in one statement (see _new_customer).
        database.execute_compiled(session, _new_customer(), _first_purchase(session, workspace_id, customer_id, sale))
        return
    currency = session.get(Workspace, workspace_id).currency
    if new and sale is not None:
        bought = ([(sale.occurred_at, sale.amount_minor - sale.refunded_minor, sale.currency, sale.sharer_id,
                    sale.campaign_id, sale.self_referral)]
                  if sale.refunded_minor < sale.amount_minor else [])
        summary, months = rollup_rows(workspace_id, customer_id, bought, currency)
        if summary is not None:
            session.execute(_INSERT_SUMMARY, summary)  # (Core: nothing to load)
        old: set = set()
    else:
        database.lock(session, f"customer:{workspace_id}:{customer_id}")
        bought = [tuple(row) for row in session.execute(
            select(Conversion.occurred_at, Conversion.amount_minor - Conversion.refunded_minor, Conversion.currency,
                   Conversion.sharer_id, Conversion.campaign_id, Conversion.self_referral)
            .where(Conversion.workspace_id == workspace_id, Conversion.customer_sharer_id == customer_id,
                   Conversion.type == "sale", Conversion.refunded_minor < Conversion.amount_minor,
                   not_rejected_in_review())
            .order_by(Conversion.occurred_at, Conversion.id)).all()]
        summary, months = rollup_rows(workspace_id, customer_id, bought, currency)
        _write_summary(session, workspace_id, customer_id, summary)
        old = set(session.execute(select(CustomerMonth.first_month, CustomerMonth.month)
                                  .where(*_months_of(workspace_id, customer_id))).all())
    cells = {(m["first_month"], m["month"]) for m in months}
    if old == cells:
        return
    _write_months(session, workspace_id, customer_id, old, cells, months)
    # Counters in one order (cells sorted) so concurrent customers never wait on each other in a cycle.
    slot = customer_id % COHORT_SLOTS
    for cell in sorted(old ^ cells):
        _count(session, workspace_id, cell, slot, 1 if cell in cells else -1)

def summary_changes(stored: dict | None, summary: dict | None) -> dict:
    """Pure: the columns of a stored summary row that differ from the recomputed one ({} when equal)."""
    if stored is None or summary is None:
        return {} if stored is summary else dict(summary or {})
    return {k: v for k, v in summary.items() if stored.get(k) != v}


def _write_summary(session: Session, workspace_id: int, customer_id: int, summary: dict | None) -> None:
    key = (CustomerSummary.workspace_id == workspace_id, CustomerSummary.customer_sharer_id == customer_id)
    row = session.execute(select(CustomerSummary.first_at, CustomerSummary.second_at, CustomerSummary.gap_seconds,
                                 CustomerSummary.purchases, CustomerSummary.net_minor, CustomerSummary.brought_by,
                                 CustomerSummary.first_campaign_id).where(*key)).first()
    stored = None if row is None else {"workspace_id": workspace_id, "customer_sharer_id": customer_id,
                                       **row._asdict()}
    if stored is not None and summary is None:
        session.execute(delete(CustomerSummary).where(*key))
    elif stored is None and summary is not None:
        session.execute(_INSERT_SUMMARY, summary)
    elif changes := summary_changes(stored, summary):
        session.execute(update(CustomerSummary).where(*key).values(**changes))


def _months_of(workspace_id: int, customer_id: int) -> tuple:
    return CustomerMonth.workspace_id == workspace_id, CustomerMonth.customer_sharer_id == customer_id


def _write_months(session: Session, workspace_id: int, customer_id: int, old: set, new: set,
                  months: list[dict]) -> None:
    """Only the month rows that differ: a month gone, a month new, or every row when the first month moved."""
    old_months, new_months = {m for _, m in old}, {m for _, m in new}
    if gone := old_months - new_months:
        session.execute(delete(CustomerMonth).where(*_months_of(workspace_id, customer_id),
                                                    CustomerMonth.month.in_(gone)))
    if added := [row for row in months if row["month"] not in old_months]:
        session.execute(_INSERT_MONTHS, added)
    first = {f for f, _ in new}
    if first and {f for f, _ in old} - first:
        session.execute(update(CustomerMonth).where(*_months_of(workspace_id, customer_id))
                        .values(first_month=first.pop()))


def _count(session: Session, workspace_id: int, cell: tuple[int, int], slot: int, step: int) -> None:
    """One customer more (``step`` 1) or fewer (-1) in a cohort cell, in the customer's ``slot``
    (see ``CohortCount``). A decrement may meet no row (the customer was counted in slot 0,
    before slots): it is an upsert too, leaving that slot at -1."""
    first_month, month = cell
    postgres = session.get_bind().dialect.name == "postgresql"
    session.execute(_cohort_upsert(postgres), {"workspace_id": workspace_id, "first_month": first_month,
                                               "month": month, "slot": slot, "step": step})


@functools.cache
def _cohort_upsert(postgres: bool):
    """A customer in or out of a cohort cell: built once per dialect (a sale with a new buyer runs it)."""
    step = bindparam("step", type_=BigInteger)
    upsert = (postgresql if postgres else sqlite).insert(CohortCount.__table__).values(
        workspace_id=bindparam("workspace_id"), first_month=bindparam("first_month"), month=bindparam("month"),
        slot=bindparam("slot"), customers=step)
    return upsert.on_conflict_do_update(index_elements=["workspace_id", "first_month", "month", "slot"],
                                        set_={"customers": CohortCount.__table__.c.customers + step})


@functools.cache
def _new_customer():
    """PostgreSQL: a new customer's rows after their first purchase in one statement: the summary
    and the month row as data-modifying WITHs before the cohort cell's upsert (``_cohort_upsert``).
    Parameters: the summary's columns and the upsert's (``first_month`` and ``month`` both the
    purchase's month, ``slot``, ``step`` 1)."""
    return database.chained(_new_customer_writes())


@functools.cache
def _new_customer_writes() -> tuple:
    """:func:`_new_customer`'s three INSERTs as ``(statement, name)``: the summary, the month row,
    the cohort cell's upsert (last); for another statement to carry too (see first_purchase)."""
    summary = database.whole_row_insert(CustomerSummary.__table__)
    month_row = insert(CustomerMonth.__table__).values(workspace_id=bindparam("workspace_id"),
                                      customer_sharer_id=bindparam("customer_sharer_id"),
                                      month=bindparam("month"), first_month=bindparam("first_month"))
    return (summary, "summary"), (month_row, "month_row"), (_cohort_upsert(True), "cohort")


def first_purchase(session: Session, workspace_id: int, customer_id: int, sale: Conversion) -> database.Rider:
    """The rows of a customer whose first purchase is ``sale``, a new sale not refunded (a buyer
    the sale enrolls, with no refund waiting for it): what :func:`refresh_customer` writes for
    them, to be written with the sale's own row on PostgreSQL (see ``ledger.book_new``)."""
    return database.Rider(_new_customer_writes, _first_purchase(session, workspace_id, customer_id, sale),
                          lambda: refresh_customer(session, workspace_id, customer_id, new=True, sale=sale))


def _first_purchase(session: Session, workspace_id: int, customer_id: int, sale: Conversion) -> dict:
    """:func:`_new_customer_writes`' parameters for a customer whose first purchase is ``sale``."""
    currency = session.get(Workspace, workspace_id).currency
    refunded = sale.refunded_minor or 0  # (None: not written yet, its default to come)
    if refunded >= sale.amount_minor:
        raise ValueError(f"sale {sale.id} is refunded in full: no first purchase")
    summary, (month,) = rollup_rows(workspace_id, customer_id, [(
        sale.occurred_at, sale.amount_minor - refunded, sale.currency, sale.sharer_id, sale.campaign_id,
        sale.self_referral)], currency)
    return {**summary, "month": month["month"], "first_month": month["month"], "slot": customer_id % COHORT_SLOTS,
            "step": 1}


def _sold(sale: Conversion) -> bool:
    """A sale that counts as its sharer selling: attributed, to someone else, not refunded in full."""
    return sale.sharer_id is not None and not sale.self_referral and sale.refunded_minor < sale.amount_minor


def note_sale(session: Session, sale: Conversion) -> None:
    """Keep the sharer's first sale: the earlier of what is stored and ``sale`` (one upsert)."""
    if not _sold(sale):
        return
    database.lock(session, f"first_sale:{sale.workspace_id}:{sale.sharer_id}")
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(SharerFirstSale).values(workspace_id=sale.workspace_id, sharer_id=sale.sharer_id,
                                                    first_sale_at=sale.occurred_at)
    earlier = case((upsert.excluded.first_sale_at < SharerFirstSale.first_sale_at, upsert.excluded.first_sale_at),
                   else_=SharerFirstSale.first_sale_at)
    session.execute(upsert.on_conflict_do_update(index_elements=["workspace_id", "sharer_id"],
                                                 set_={"first_sale_at": earlier}))


def refresh_first_sale(session: Session, sale: Conversion) -> None:
    """After ``sale`` was refunded in full or rejected in risk review: its sharer's first sale again from
    their own sales, when it was that one (otherwise nothing moved)."""
    if sale.sharer_id is None or sale.self_referral:
        return
    database.lock(session, f"first_sale:{sale.workspace_id}:{sale.sharer_id}")
    key = (SharerFirstSale.workspace_id == sale.workspace_id, SharerFirstSale.sharer_id == sale.sharer_id)
    stored = session.scalar(select(SharerFirstSale.first_sale_at).where(*key))
    if stored is None or stored < sale.occurred_at:
        return
    first = session.scalar(select(func.min(Conversion.occurred_at)).where(
        Conversion.workspace_id == sale.workspace_id, Conversion.sharer_id == sale.sharer_id,
        Conversion.type == "sale", Conversion.self_referral.is_(False),
        Conversion.refunded_minor < Conversion.amount_minor, not_rejected_in_review()))
    if first is None:
        session.execute(delete(SharerFirstSale).where(*key))
    else:
        session.execute(update(SharerFirstSale).where(*key).values(first_sale_at=first))
