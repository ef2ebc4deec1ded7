"""Repurchase and cohort figures over a workspace with a million orders.

Run by hand:  .venv/bin/python bench/bench_figures.py [--orders 1000000] [--customers 200000]
(uses DATABASE_URL when set, else SQLite in a temporary folder). Orders are
inserted in bulk (attributed sales spread over a year, a tenth of them refunded
in part or in full), then repurchase (with lifetime value) and the cohort table
are timed as the API computes them. The issue's target: under 200 ms each. The funnel and the
viral coefficient are timed too (the buyers here are no sharers and have no clicks: the funnel's
per-buyer look-ups find nothing, so it shows the cost of reading every buyer's summary).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench.timing import scratch_folder, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    args = parser.parse_args()
    os.environ["SHARECAST_INSTANCE"] = scratch_folder("sharecast-figures-")

    from sqlalchemy import insert, select

    from app import create_app
    from figures.customers import cohorts, repurchase
    from figures.funnel import funnel, viral
    from plumbing import database, migrate
    from referrals.customer_rollup import refresh_customer, rollup_rows
    from referrals.models import CohortCount, Conversion, CustomerMonth, CustomerSummary
    from workspaces.cli import create_workspace

    app = create_app()
    migrate.upgrade(app.config["DATABASE_URL"])
    with database.new_session(app) as s:
        ws, _ = create_workspace(s, "Figures Tea")
        s.commit()
        ws_id = ws.id
    rng = random.Random(14)
    start = datetime(2025, 12, 1, tzinfo=timezone.utc)
    engine = database.engine_of(app)
    t0 = time.perf_counter()
    bought: dict[int, list] = {}
    batch = 20_000
    for base in range(0, args.orders, batch):
        rows = []
        for i in range(base, min(base + batch, args.orders)):
            amount = rng.randrange(1000, 50000)
            refunded = rng.choice((0,) * 18 + (amount // 2, amount))
            rows.append({"workspace_id": ws_id, "type": "sale", "order_id": f"o{i}", "refund_id": "",
                         "amount_minor": amount, "refunded_minor": refunded, "currency": "CNY",
                         "sharer_id": 1 + i % 5000, "attribution": "code", "self_referral": False,
                         "customer_sharer_id": 1 + rng.randrange(args.customers), "new_sharer": False,
                         "applied": True, "occurred_at": start + timedelta(minutes=rng.randrange(365 * 24 * 60)),
                         "request_hash": "-", "response": {}})
        with engine.begin() as conn:
            conn.execute(insert(Conversion), rows)
        for row in rows:
            if row["refunded_minor"] < row["amount_minor"]:
                bought.setdefault(row["customer_sharer_id"], []).append(
                    (row["occurred_at"], row["amount_minor"] - row["refunded_minor"], "CNY", row["sharer_id"], None, False))
    # The rollups the conversion writer keeps, built in bulk with the writer's own function.
    summaries, months = [], []
    for customer, buys in bought.items():
        summary, rows = rollup_rows(ws_id, customer, sorted(buys), "CNY")
        summaries.append(summary)
        months += rows
    with engine.begin() as conn:
        for base in range(0, len(summaries), batch):
            conn.execute(insert(CustomerSummary), summaries[base:base + batch])
        for base in range(0, len(months), batch):
            conn.execute(insert(CustomerMonth), months[base:base + batch])
        counts: dict[tuple[int, int], int] = {}
        for row in months:
            counts[row["first_month"], row["month"]] = counts.get((row["first_month"], row["month"]), 0) + 1
        conn.execute(insert(CohortCount), [{"workspace_id": ws_id, "first_month": f, "month": m, "customers": n}
                                           for (f, m), n in counts.items()])
    load = time.perf_counter() - t0
    # What the writer pays per recorded conversion: one customer's refresh, after a new sale of theirs
    # (what it does on the sale path) and with nothing new (a replay).
    with database.new_session(app) as session:
        sample = list(session.scalars(select(CustomerSummary.customer_sharer_id).limit(200)))
        session.execute(insert(Conversion), [
            {"workspace_id": ws_id, "type": "sale", "order_id": f"new{c}", "refund_id": "", "amount_minor": 9900,
             "refunded_minor": 0, "currency": "CNY", "sharer_id": 1, "attribution": "code", "self_referral": False,
             "customer_sharer_id": c, "new_sharer": False, "applied": True,
             "occurred_at": start + timedelta(minutes=rng.randrange(365 * 24 * 60)), "request_hash": "-",
             "response": {}} for c in sample])
        t = time.perf_counter()
        for customer in sample:
            refresh_customer(session, ws_id, customer)
        refresh_ms = (time.perf_counter() - t) * 1000 / max(len(sample), 1)
        t = time.perf_counter()
        for customer in sample:
            refresh_customer(session, ws_id, customer)
        replay_ms = (time.perf_counter() - t) * 1000 / max(len(sample), 1)
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE conversions")

    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    with database.new_session(app) as session:
        rep_ms, rep = timed(lambda: repurchase(session, ws_id, days=90), 3)
        coh_ms, coh = timed(lambda: cohorts(session, ws_id, now=now), 3)
        fun_ms, fun = timed(lambda: funnel(session, ws_id), 3)
        vir_ms, vir = timed(lambda: viral(session, ws_id, now=now), 3)
    backend = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite (WAL)"
    print(f"{backend}: {args.orders:,} orders, {args.customers:,} customers loaded in {load:.1f} s")
    print(f"rollup refresh per conversion (the writer's extra work): {refresh_ms:.2f} ms after a new sale, "
          f"{replay_ms:.2f} ms with nothing new")
    print(f"repurchase + lifetime value: {rep_ms:.0f} ms (median of 3)  {rep}")
    print(f"cohort table (12 months):    {coh_ms:.0f} ms (median of 3)  first row {coh['items'][0]}")
    print(f"consumer-to-distributor funnel: {fun_ms:.0f} ms (median of 3)  {[s['count'] for s in fun['stages']]}")
    print(f"viral coefficient (12 months):  {vir_ms:.0f} ms (median of 3)  k={vir['k']}")
    print(f"target 200 ms: repurchase {'met' if rep_ms < 200 else 'NOT met'}, cohorts {'met' if coh_ms < 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
