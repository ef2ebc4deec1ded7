"""Balances from the ledger's checkpoint (referrals/balances.py): every balance the API, the pages
and the payout run read equals the sum of the ledger's lines, whenever the checkpoint job runs, however
often and however far; and the horizon never passes a line a transaction is still writing."""
from __future__ import annotations

import itertools
import time
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, text

from plumbing import database, redis_client
from plumbing.database import utcnow
from plumbing.money import format_amount
from referrals import balances, jobs, ledger
from referrals.models import LedgerBalance, LedgerEntry, LedgerHorizon, Sharer
from tests.conftest import Api, at_once, run_cli
from web.seller.earnings import _currencies
from workspaces.models import Workspace

_orders = itertools.count()


def line_sums(app) -> dict[tuple[int, str, str], int]:
    """(sharer, currency, bucket) → the sum of every ledger line: what any balance must be."""
    with app.app_context(), database.new_session() as s:
        rows = s.execute(select(LedgerEntry.sharer_id, LedgerEntry.currency, LedgerEntry.bucket,
                                func.sum(LedgerEntry.amount_minor))
                         .group_by(LedgerEntry.sharer_id, LedgerEntry.currency, LedgerEntry.bucket)).all()
    return {(sharer, currency, bucket): int(total) for sharer, currency, bucket, total in rows}


def workspace_of(app, sharer_id: int) -> int:
    with app.app_context(), database.new_session() as s:
        return s.get(Sharer, sharer_id).workspace_id


def horizon(app) -> int:
    with app.app_context(), database.new_session() as s:
        return s.scalar(select(LedgerHorizon.through_id)) or 0


def advance(app, step: int = balances.STEP) -> int:
    with app.app_context():
        return balances.advance(step)


def assert_every_balance_is_the_lines(app, apis: dict[int, Api], sharers: dict[int, int]) -> None:
    """Every view of every balance of ``sharers`` (id → workspace id) in both currencies, and each
    workspace's payout list (``apis``: workspace id → its owner's API), against the lines' sums."""
    expected = line_sums(app)
    with app.app_context(), database.new_session() as s:
        suspended = set(s.scalars(select(Sharer.id).where(Sharer.suspended_at.is_not(None))))
        for sharer_id, workspace_id in sharers.items():
            earned = sorted({currency for (sharer, currency, _) in expected if sharer == sharer_id} - {"CNY"})
            assert _currencies(s, sharer_id, "CNY") == ["CNY", *earned]
            for currency in ("CNY", "USD"):
                want = {b: expected.get((sharer_id, currency, b), 0) for b in ledger.BUCKETS}
                shown = {"currency": currency, **{b: format_amount(v, currency) for b, v in want.items()}}
                assert apis[workspace_id].get(f"/api/v1/sharers/{sharer_id}/earnings?currency={currency}").json == shown
                assert ledger.earnings(s, sharer_id, currency) == shown
                for bucket in ledger.BUCKETS:
                    assert ledger.bucket_balance(s, sharer_id, currency, bucket) == want[bucket]
            for other in set(apis) - {workspace_id}:  # another workspace's key sees no such sharer
                assert apis[other].get(f"/api/v1/sharers/{sharer_id}/earnings").status_code == 404
        for workspace_id in apis:
            workspace = s.get(Workspace, workspace_id)
            members = set(s.scalars(select(Sharer.id).where(Sharer.workspace_id == workspace_id)))
            payable = {(sharer, currency): total for (sharer, currency, bucket), total in expected.items()
                       if bucket == "approved" and total > 0 and sharer in members - suspended
                       and (currency != workspace.currency or total >= workspace.min_payout_minor)}
            assert {(sharer, currency): total for sharer, currency, total
                    in ledger.payable_balances(s, workspace_id)} == payable


def assert_balances_of(app, owner, sharer_id: int) -> None:
    """:func:`assert_every_balance_is_the_lines` for one sharer of the ``owner`` fixture's workspace."""
    workspace_id = workspace_of(app, sharer_id)
    assert_every_balance_is_the_lines(app, {workspace_id: owner}, {sharer_id: workspace_id})


def add_line(app, sharer_id: int, currency: str, bucket: str, amount_minor: int) -> None:
    """A line as an adjustment books it, straight into the ledger (a currency no sale here pays in)."""
    with app.app_context(), database.new_session() as s:
        s.add(LedgerEntry(workspace_id=s.get(Sharer, sharer_id).workspace_id, sharer_id=sharer_id,
                          currency=currency, bucket=bucket, amount_minor=amount_minor, reason="adjustment"))
        s.commit()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(
    st.tuples(st.just("sale"), st.integers(0, 2), st.integers(100, 50_000)),
    st.tuples(st.just("refund"), st.integers(0, 2), st.integers(1, 50_000)),
    st.tuples(st.just("approve")), st.tuples(st.just("pay")),
    st.tuples(st.just("usd"), st.integers(-5_000, 50_000)), st.tuples(st.just("elsewhere"), st.integers(1, 50_000)),
    st.tuples(st.just("suspend")),
    st.tuples(st.just("checkpoint"), st.integers(1, 7))), min_size=1, max_size=16))
def test_balances_are_the_sum_of_the_lines_whenever_the_checkpoint_runs(app, client, owner, campaign, make_sharer,
                                                                          make_link, monkeypatch, steps):
    """Sales (with their inviter's share), refunds, approvals and payouts, lines in a second
    currency and in a second workspace, a sharer suspended, with the checkpoint run between them
    in steps of a few ids (its balance rows upserted two a statement): after each checkpoint and at
    the end, the API's earnings, the ledger's views, the seller page's currencies and each
    workspace's payout list all equal the lines' sums."""
    monkeypatch.setattr(balances, "_PAGE", 2)
    leader = make_sharer("队长")
    seller = make_sharer(invited_by=leader["id"])
    link = make_link(campaign["id"], seller["id"])
    run = next(_orders)
    other = Api(client, run_cli(app, "workspace", "create", "--name", f"别家 {run}")["api_key"])
    stranger = other.post("/api/v1/sharers", {"name": "别家卖家"}).json
    homes = {sharer_id: workspace_of(app, sharer_id) for sharer_id in (leader["id"], seller["id"], stranger["id"])}
    apis = {homes[seller["id"]]: owner, homes[stranger["id"]]: other}
    sold: dict[int, int] = {}
    for i, step in enumerate(steps):
        if step[0] == "sale" and step[1] not in sold:
            res = owner.post("/api/v1/conversions", {
                "type": "sale", "order_id": f"B{run}-{step[1]}", "amount": format_amount(step[2], "CNY"),
                "code": link["code"], "customer": {"external_id": f"b{run}-{step[1]}"}})
            assert res.status_code == 201, res.json
            sold[step[1]] = step[2]
        elif step[0] == "refund" and sold.get(step[1]):
            amount = min(step[2], sold[step[1]])
            res = owner.post("/api/v1/conversions", {"type": "refund", "order_id": f"B{run}-{step[1]}",
                                                     "refund_id": f"r{i}", "amount": format_amount(amount, "CNY")})
            assert res.status_code == 201, res.json
            sold[step[1]] -= amount
        elif step[0] in ("approve", "pay"):
            with app.app_context(), database.new_session() as s:
                for workspace_id in apis:
                    if step[0] == "approve":
                        ledger.approve_due(s, workspace_id, utcnow() + timedelta(days=400))
                    else:
                        ledger.pay_all(s, workspace_id, utcnow())
                s.commit()
        elif step[0] == "usd":
            add_line(app, seller["id"], "USD", "approved", step[1])
        elif step[0] == "elsewhere":
            add_line(app, stranger["id"], "CNY", "approved", step[1])
        elif step[0] == "suspend":
            with app.app_context(), database.new_session() as s:
                s.get(Sharer, leader["id"]).suspended_at = utcnow()
                s.commit()
        elif step[0] == "checkpoint":
            before = horizon(app)
            advance(app, step[1])
            with app.app_context(), database.new_session() as s:
                top = s.scalar(select(func.coalesce(func.max(LedgerEntry.id), 0)))
            assert horizon(app) == max(before, top)  # every settled line, in as many steps as it takes
            assert_every_balance_is_the_lines(app, apis, homes)
    assert_every_balance_is_the_lines(app, apis, homes)


def test_the_checkpoint_sums_each_line_once_run_twice_or_at_once(app, owner, campaign, make_sharer, make_link):
    seller = make_sharer()
    link = make_link(campaign["id"], seller["id"])
    for i in range(6):
        res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": f"T-{i}", "amount": "10.00",
                                                 "code": link["code"], "customer": {"external_id": f"t-{i}"}})
        assert res.status_code == 201, res.json
    moved = at_once([lambda: advance(app, 2)] * 3)
    with app.app_context(), database.new_session() as s:
        lines = s.scalar(select(func.count()).select_from(LedgerEntry))
        kept = {(b.sharer_id, b.currency, b.bucket): b.amount_minor for b in s.scalars(select(LedgerBalance))}
    assert sum(moved) == lines == 6  # three runs at once: each line summed by one of them
    assert kept == line_sums(app)
    assert advance(app) == 0  # and again: nothing left to sum
    assert kept == line_sums(app)
    assert_balances_of(app, owner, seller["id"])


def test_a_balance_reads_its_lines_after_the_horizon_from_an_index_alone(postgres, app, owner, campaign,
                                                                         make_sharer, make_link):
    """However long a seller's history, the earnings GET reads their balance rows and the lines
    after the horizon, from indexes: never the ledger's table, never the lines before."""
    seller = make_sharer()
    workspace_id = workspace_of(app, seller["id"])
    with app.app_context(), database.new_session() as s:
        s.execute(insert(LedgerEntry), [
            {"workspace_id": workspace_id, "sharer_id": seller["id"], "currency": "CNY", "bucket": "pending",
             "amount_minor": 100, "reason": "commission", "memo": "", "created_at": utcnow()}] * 20_000)
        s.commit()
    assert advance(app) == 20_000
    earnings = ledger._EARNINGS_IN.compile(postgres)
    with postgres.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE ledger_entries"))  # (the visibility map an index-only scan needs)
        plan = "\n".join(conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + str(earnings),
            {**earnings.params, "sharer_id": seller["id"], "workspace_id": workspace_id, "currency": "CNY"}).scalars())
    # The lines are read by an index from the horizon on (the sharer's, or the ledger's own by id,
    # as the statistics make it cheaper): none of the 20,000 before it.
    reads = [line for line in plan.splitlines() if " on ledger_entries" in line]
    assert len(reads) == 1 and "Index" in reads[0] and "(actual rows=0 " in reads[0], plan
    assert owner.get(f"/api/v1/sharers/{seller['id']}/earnings").json["pending"] == "20000.00"


def test_the_horizon_waits_for_a_line_still_being_written(postgres, app, owner, campaign, make_sharer, make_link):
    """A transaction that drew a ledger id and has not committed while a later one committed: the
    checkpoint must not move past the first (it would never be summed), nor wait for it long."""
    seller = make_sharer()
    link = make_link(campaign["id"], seller["id"])
    res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": "W-0", "amount": "10.00",
                                             "code": link["code"], "customer": {"external_id": "w-0"}})
    assert res.status_code == 201, res.json
    workspace_id = workspace_of(app, seller["id"])
    row = {"workspace_id": workspace_id, "sharer_id": seller["id"], "currency": "CNY", "bucket": "approved",
           "amount_minor": 700, "reason": "adjustment", "memo": "", "created_at": utcnow()}
    slow = postgres.connect()
    slow_tx = slow.begin()
    early = slow.execute(insert(LedgerEntry).values(**row).returning(LedgerEntry.id)).scalar()  # not committed
    with postgres.begin() as fast:  # a later line, committed
        late = fast.execute(insert(LedgerEntry).values({**row, "amount_minor": 50}).returning(LedgerEntry.id)).scalar()
    assert late > early
    started = time.monotonic()
    assert advance(app) == 0  # the writer in flight outlasts the waits: nothing moves
    assert time.monotonic() - started < 3
    assert horizon(app) < early
    slow_tx.commit()
    slow.close()
    advance(app)
    assert horizon(app) >= late
    assert_balances_of(app, owner, seller["id"])
    assert owner.get(f"/api/v1/sharers/{seller['id']}/earnings").json["approved"] == "7.50"


def test_the_job_checkpoints_and_plans_its_next_run(app, owner, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer()["id"])
    for i in range(2):
        res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": f"J-{i}", "amount": "10.00",
                                                 "code": link["code"], "customer": {"external_id": f"j-{i}"}})
        assert res.status_code == 201, res.json
    with app.app_context():
        queue = redis_client.queue()
        assert jobs.checkpoint_ledger() == 2
        planned = queue.scheduled_job_registry.get_scheduled_time(jobs.LEDGER_JOB_ID)
        assert planned <= utcnow() + jobs.LEDGER_EVERY
        assert jobs.checkpoint_ledger() == 0
        # The approval job plans again any periodic job a lost worker dropped, in its own ten
        # minutes: it must not put the checkpoint's next run off that long.
        jobs.approve_due_commissions()
        assert queue.scheduled_job_registry.get_scheduled_time(jobs.LEDGER_JOB_ID) <= utcnow() + jobs.LEDGER_EVERY
        queue.scheduled_job_registry.remove(jobs.LEDGER_JOB_ID)  # a dropped one: planned again
        jobs.approve_due_commissions()
        assert queue.scheduled_job_registry.get_scheduled_time(jobs.LEDGER_JOB_ID) <= utcnow() + jobs.APPROVE_EVERY


def test_the_ledger_sequence_hands_out_ids_in_order(postgres):
    """The horizon's argument needs every id drawn after it to be higher: no per-session cache."""
    with postgres.connect() as conn:
        assert conn.scalar(text("SELECT cache_size FROM pg_sequences WHERE sequencename = 'ledger_entries_id_seq'")) == 1
