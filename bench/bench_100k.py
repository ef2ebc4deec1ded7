"""A workspace with 100,000 sellers: how long its pages take, and what a payout CSV costs.

Run by hand:  .venv/bin/python bench/bench_100k.py [--sharers 100000]
(uses DATABASE_URL / REDIS_URL when set, else SQLite and the embedded Redis in a
temporary folder). Sharers, one link each on a campaign of 8 channels, their
click totals and a payout batch paying every one of them are inserted in bulk
(Core executemany, no ORM objects); then every page is asked through the real
app, signed in as a console owner or as a seller, and timed (median of 3, the
first call warming caches). The issue's target: each page under 300 ms. The
payout batch's CSV is read to the end with its peak of Python memory traced.
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # as pytest.ini's pythonpath: tests.conftest imports its neighbours by name
sys.path.insert(0, str(ROOT / "bench"))

from bench.timing import scratch_folder, timed  # noqa: E402

CHANNELS = ["wechat_moments", "wechat_official", "weibo", "qzone", "xiaohongshu", "douyin", "x", "email"]
STAFF_PASSWORD = "correct horse battery staple 100k"


def staff_email(workspace_id: int) -> str:
    return f"boss-{workspace_id}@bench-tea.example"  # a database used before keeps its earlier runs' accounts


def chunks(n: int, size: int = 5000):
    for start in range(0, n, size):
        yield range(start, min(n, start + size))


def seed(app, sharers: int) -> dict:
    from sqlalchemy import func, insert, select

    from accounts.users import create_user
    from plumbing import database
    from publishing.campaigns import create_campaign
    from referrals.models import Link, LinkClickTotal, Payout, PayoutBatch, Sharer
    from tests.conftest import CAMPAIGN
    from workspaces.cli import create_workspace

    rng = random.Random(100_000)
    now = datetime.now(timezone.utc)
    with app.test_request_context(), database.new_session(app) as s:
        ws, _ = create_workspace(s, "Bench Tea 100k")
        create_user(s, ws.id, staff_email(ws.id), STAFF_PASSWORD, "owner", "Boss")
        campaign = create_campaign(s, ws.id, {**CAMPAIGN, "channels": CHANNELS, "attribution_window_days": 30}, {"127.0.0.1"})
        s.commit()
        ws_id, campaign_id = ws.id, campaign.id
    started = time.perf_counter()
    with database.engine_of(app).begin() as conn:
        for part in chunks(sharers):
            conn.execute(insert(Sharer), [{
                "workspace_id": ws_id, "name": f"卖家 {n}", "email": f"seller{n}@bench.example",
                "phone": f"+86138{n:08d}", "code": f"b{n:07d}", "source": "invited",
                "created_at": now - timedelta(minutes=n)} for n in part])
        first = conn.scalar(select(func.min(Sharer.id)).where(Sharer.workspace_id == ws_id))
        for part in chunks(sharers):
            conn.execute(insert(Link), [{
                "workspace_id": ws_id, "campaign_id": campaign_id, "sharer_id": first + n, "channel": "weibo",
                "code": f"k{campaign_id}x{n:07d}", "created_at": now} for n in part])
        links = dict(conn.execute(select(Link.sharer_id, Link.id).where(Link.campaign_id == campaign_id)).all())
        for part in chunks(sharers):
            conn.execute(insert(LinkClickTotal), [{
                "link_id": links[first + n], "workspace_id": ws_id, "campaign_id": campaign_id,
                "sharer_id": first + n, "clicks": (c := rng.randint(0, 500)), "unique_clicks": c // 2,
                "last_click_at": now} for n in part])
        batch_id = conn.execute(insert(PayoutBatch).values(workspace_id=ws_id, count=sharers, created_at=now)
                                .returning(PayoutBatch.id)).scalar_one()
        for part in chunks(sharers):
            conn.execute(insert(Payout), [{
                "workspace_id": ws_id, "sharer_id": first + n, "currency": "CNY",
                "amount_minor": rng.randint(100, 500_000), "created_at": now, "batch_id": batch_id} for n in part])
    if app.config["DATABASE_URL"].startswith("postgresql"):
        with database.engine_of(app).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")  # what autovacuum does soon after a bulk load
    print(f"seeded {sharers:,} sharers, links, click totals and payouts in {time.perf_counter() - started:.1f} s")
    return {"workspace_id": ws_id, "campaign_id": campaign_id, "batch_id": batch_id, "first_sharer": first,
            "sharer_ids": [first, first + sharers // 2, first + sharers - 1]}


def profile(client, path: str) -> None:
    """The page's slowest functions and its SQL statements, slowest first."""
    import cProfile
    import pstats

    from sqlalchemy import event

    from plumbing import database

    client.get(path)
    statements = []

    def before(conn, cursor, statement, params, context, executemany):
        conn.info["t"] = time.perf_counter()

    def after(conn, cursor, statement, params, context, executemany):
        statements.append(((time.perf_counter() - conn.info["t"]) * 1000, " ".join(statement.split())[:300]))

    engine = database.engine_of(client.client.application)
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    prof = cProfile.Profile()
    prof.runcall(client.get, path)
    pstats.Stats(prof).sort_stats("cumtime").print_stats(25)
    print(f"{len(statements)} statements")
    for ms, sql in sorted(statements, reverse=True)[:12]:
        print(f"{ms:8.1f} ms  {sql}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sharers", type=int, default=100_000)
    parser.add_argument("--profile", help="profile this page (a path) instead of timing them all")
    args = parser.parse_args()
    os.environ["SHARECAST_INSTANCE"] = scratch_folder("sharecast-100k-")


    from app import create_app
    from plumbing import migrate, redis_client
    from tests.conftest import Pages, seller_pages

    app = create_app()
    logging.getLogger("sharecast.request").setLevel(logging.WARNING)  # one line per request otherwise
    redis_client.ensure_server(app)
    migrate.upgrade(app.config["DATABASE_URL"])
    ids = seed(app, args.sharers)
    console = Pages(app.test_client())
    console.sign_in(staff_email(ids["workspace_id"]), STAFF_PASSWORD)
    seller = seller_pages(app, ids["sharer_ids"][1])
    campaign, batch = ids["campaign_id"], ids["batch_id"]
    pages = [
        ("console", "/console/"),
        ("console", "/console/sharers"),
        ("console", "/console/sharers?q=卖家 73"),
        ("console", "/console/sharers?q=seller99999@bench.example"),
        ("console", f"/console/sharers/{ids['sharer_ids'][1]}"),
        ("console", f"/console/campaigns/{campaign}"),
        ("console", f"/console/campaigns/{campaign}/dashboard"),
        ("console", "/console/payouts"),
        ("console", f"/console/payouts/{batch}"),
        ("seller", "/seller/"),
        ("seller", "/seller/links"),
        ("seller", "/seller/board"),
        ("seller", "/seller/earnings"),
    ]
    if args.profile:
        profile(console if args.profile.startswith("/console") else seller, args.profile)
        return
    backend = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite (WAL)"
    print(f"backend: {backend}; {args.sharers:,} sharers; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'page':58}{'status':>7}{'ms':>9}")
    slow = 0
    for who, path in pages:
        client = console if who == "console" else seller
        client.get(path)  # warm
        ms, res = timed(lambda c=client, p=path: c.get(p), runs=3)
        slow += ms >= 300 or res.status_code != 200
        print(f"{who + ' ' + path:58}{res.status_code:>7}{ms:>9.1f}{'  SLOW' if ms >= 300 else ''}")
    tracemalloc.start()
    started = time.perf_counter()
    res = console.get(f"/console/payouts/{batch}.csv", buffered=False)
    size = lines = 0
    for piece in res.response:
        size += len(piece)
        lines += piece.count(b"\n")
    res.close()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"payout batch CSV: {lines - 1:,} rows, {size / 1e6:.1f} MB streamed in {time.perf_counter() - started:.1f} s, "
          f"peak Python memory {peak / 1e6:.1f} MB")
    print("all pages under 300 ms" if not slow else f"{slow} page(s) at or over 300 ms (or not 200)")


if __name__ == "__main__":
    main()
