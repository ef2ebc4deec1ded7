"""The customer roll-up kept one conversion at a time: after every sale or refund, in any order
(a late sale before the first, a refund taking a month away), the stored summaries, months and
cohort counts equal a rebuild from all orders; an unchanged customer costs no write."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, select

from plumbing import database
from referrals.customer_rollup import refresh_customer, rollup_rows, summary_changes
from referrals.models import CohortCount, Conversion, CustomerMonth, CustomerSummary
from workspaces.models import Workspace

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
SALE = st.tuples(st.just("sale"), st.integers(1, 3), st.integers(0, 300 * 24 * 60), st.integers(1, 50000))
REFUND = st.tuples(st.just("refund"), st.integers(0, 40), st.sampled_from(["part", "all"]), st.just(0))


def rebuilt(ws: int, orders: list[Conversion]) -> tuple[dict, set, Counter]:
    """Summaries, month rows and cohort counts from every order, built from scratch."""
    summaries, months, counts = {}, set(), Counter()
    for customer in {o.customer_sharer_id for o in orders}:
        bought = sorted((o.occurred_at, o.id, o.amount_minor - o.refunded_minor, o.sharer_id, o.campaign_id)
                        for o in orders if o.customer_sharer_id == customer and o.refunded_minor < o.amount_minor)
        summary, rows = rollup_rows(ws, customer, [(at, net, "CNY", seller, campaign_id, False)
                                                   for at, _, net, seller, campaign_id in bought], "CNY")
        if summary is not None:
            summaries[customer] = summary
        for row in rows:
            months.add((customer, row["first_month"], row["month"]))
            counts[row["first_month"], row["month"]] += 1
    return summaries, months, counts


def stored(s, ws: int) -> tuple[dict, set, Counter]:
    summaries = {r.customer_sharer_id: {"workspace_id": ws, "customer_sharer_id": r.customer_sharer_id,
                                        "first_at": r.first_at, "second_at": r.second_at,
                                        "gap_seconds": r.gap_seconds, "purchases": r.purchases,
                                        "net_minor": r.net_minor, "brought_by": r.brought_by,
                                        "first_campaign_id": r.first_campaign_id}
                 for r in s.scalars(select(CustomerSummary).where(CustomerSummary.workspace_id == ws))}
    months = {(r.customer_sharer_id, r.first_month, r.month) for r in s.scalars(select(CustomerMonth))}
    counts = Counter()
    for r in s.scalars(select(CohortCount)):  # a cell's slots summed
        counts[(r.first_month, r.month)] += r.customers
    counts = +counts  # cells at zero left out
    return summaries, months, counts


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(SALE, REFUND), max_size=20))
def test_refreshing_after_each_sale_and_refund_equals_a_rebuild(app, owner, steps):
    with database.new_session(app) as s:
        ws = s.scalar(select(Workspace.id))
        for table in (Conversion, CustomerSummary, CustomerMonth, CohortCount):
            s.execute(delete(table))
        orders: list[Conversion] = []
        for i, (kind, a, b, amount) in enumerate(steps):
            if kind == "sale":
                order = Conversion(workspace_id=ws, type="sale", order_id=f"o{i}", refund_id="", amount_minor=amount,
                                   refunded_minor=0, currency="CNY", sharer_id=1 + amount % 3,
                                   campaign_id=amount % 2 or None, attribution="code", customer_sharer_id=a, occurred_at=START + timedelta(minutes=b),
                                   request_hash="-", response={})
                s.add(order)
                orders.append(order)
            elif orders:
                order = orders[a % len(orders)]
                order.refunded_minor = order.amount_minor if b == "all" else order.amount_minor // 2
            else:
                continue
            s.flush()
            refresh_customer(s, ws, order.customer_sharer_id)
            assert stored(s, ws) == rebuilt(ws, orders), steps[:i + 1]
        s.rollback()


def test_new_buyers_written_with_their_first_sale_equal_a_rebuild(app, owner):
    """The sale's shortcut for a buyer it enrolled (``new``: nothing to read; on PostgreSQL one
    statement): two new buyers in one cohort cell count two, and a later refresh changes nothing."""
    with database.new_session(app) as s:
        ws = s.scalar(select(Workspace.id))
        orders = []
        for i, (customer, minutes) in enumerate([(7, 0), (8, 60), (9, 60 * 24 * 40)]):
            order = Conversion(workspace_id=ws, type="sale", order_id=f"o{i}", refund_id="", amount_minor=100 + i,
                               refunded_minor=0, currency="CNY", sharer_id=1, campaign_id=None, attribution="code",
                               customer_sharer_id=customer, occurred_at=START + timedelta(minutes=minutes),
                               request_hash="-", response={})
            s.add(order)
            s.flush()
            orders.append(order)
            refresh_customer(s, ws, customer, new=True, sale=order)
        assert stored(s, ws) == rebuilt(ws, orders)
        assert stored(s, ws)[2] == Counter({(24312, 24312): 2, (24313, 24313): 1})  # January, February 2026
        for customer in (7, 8, 9):
            refresh_customer(s, ws, customer)
        assert stored(s, ws) == rebuilt(ws, orders)
        s.rollback()


def test_an_unchanged_customer_costs_no_write(app, owner):
    with database.new_session(app) as s:
        ws = s.scalar(select(Workspace.id))
        s.add(Conversion(workspace_id=ws, type="sale", order_id="o1", refund_id="", amount_minor=100,
                         refunded_minor=0, currency="CNY", sharer_id=1, attribution="code", customer_sharer_id=7,
                         occurred_at=START, request_hash="-", response={}))
        s.flush()
        refresh_customer(s, ws, 7)
        statements = []

        def seen(conn, cursor, statement, *rest):
            statements.append(statement)

        engine = s.get_bind().engine
        event.listen(engine, "before_cursor_execute", seen)
        try:
            refresh_customer(s, ws, 7)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        s.rollback()
    writes = [q for q in statements if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert statements and writes == []


def test_summary_changes_names_only_the_columns_that_moved():
    row = {"first_at": START, "purchases": 1, "net_minor": 100}
    assert summary_changes(row, dict(row)) == {}
    assert summary_changes(row, {**row, "purchases": 2, "net_minor": 150}) == {"purchases": 2, "net_minor": 150}
    assert summary_changes(None, None) == {}


def test_a_rider_refuses_a_statement_it_would_share_a_parameter_with_or_lacks_one_for():
    """A new buyer's roll-ups ride in the sale's one statement (PostgreSQL) only with parameters of
    their own, every one their writes bind: a name shared with the sale's statement, or one missing
    (bound from the sale's value of that name, or unbound), is refused before anything runs."""
    import pytest
    from sqlalchemy.dialects import postgresql

    from referrals.customer_rollup import _new_customer_writes

    params = {name: 1 for name in ("workspace_id", "customer_sharer_id", "first_at", "second_at", "gap_seconds",
                                   "purchases", "net_minor", "brought_by", "first_campaign_id", "month",
                                   "first_month", "slot", "step")}
    rider = database.Rider(_new_customer_writes, params, lambda: None)
    dialect = postgresql.dialect()
    rider.check_params({"memo", "created_at", "s_id"}, dialect)  # its own and complete: rides
    with pytest.raises(ValueError, match=r"shared \['created_at'\]"):
        database.Rider(_new_customer_writes, {**params, "created_at": 1}, lambda: None).check_params({"created_at"}, dialect)
    with pytest.raises(ValueError, match=r"missing \['month'\]"):
        database.Rider(_new_customer_writes, {k: v for k, v in params.items() if k != "month"},
                       lambda: None).check_params({"memo"}, dialect)
