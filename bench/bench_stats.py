"""Campaign stats over a million clicks: rollups vs a scan of the clicks table.

Run by hand:  .venv/bin/python bench/bench_stats.py [--clicks 1000000]
(uses DATABASE_URL when set, else SQLite in a temporary folder). Clicks go in
through the same batched writer the worker uses, spread over 500 links and
30 days; then GET-equivalent stats are timed against a direct scan.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))  # as pytest.ini's pythonpath: tests.conftest imports its neighbours by name

from bench.timing import scratch_folder, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ["SHARECAST_INSTANCE"] = scratch_folder("sharecast-stats-")

    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from app import create_app
    from plumbing import database, migrate
    from publishing.campaigns import create_campaign
    from referrals.clickwriter import write_clicks
    from referrals.links import get_or_create_link
    from referrals.models import Click
    from referrals.sharers import create_sharer
    from referrals.stats import campaign_stats
    from tests.conftest import CAMPAIGN
    from workspaces.cli import create_workspace

    app = create_app()
    migrate.upgrade(app.config["DATABASE_URL"])
    s = database.new_session(app)
    ws, _ = create_workspace(s, "Stats Tea")
    campaign = create_campaign(s, ws.id, {**CAMPAIGN, "attribution_window_days": 30}, set())
    links = []
    for i in range(500):
        sharer = create_sharer(s, ws.id, f"s{i}")
        links.append(get_or_create_link(s, ws.id, campaign.id, sharer.id, CAMPAIGN["channels"][i % 3])[0])
    s.commit()
    start_ms = int(time.time() * 1000) - 30 * 86_400_000
    engine = database.engine_of(app)
    t0 = time.perf_counter()
    batch = 5000
    for base in range(0, args.clicks, batch):
        clicks = []
        for i in range(base, min(base + batch, args.clicks)):
            link = links[i % len(links)]
            clicks.append({"id": f"{start_ms + i * 2:011x}{i:010x}", "ws": str(ws.id), "link": str(link.id),
                           "campaign": str(campaign.id), "sharer": str(link.sharer_id), "channel": link.channel,
                           "ts": str(start_ms + i * 2592), "visitor": f"{i % 20000:032x}", "ua": "Mozilla/5.0",
                           "ref": "", "bot": "0"})
        with Session(engine) as session, session.begin():
            write_clicks(session, clicks)
    load = time.perf_counter() - t0

    with database.new_session(app) as session:
        stats_ms, stats = timed(lambda: campaign_stats(session, campaign))
        scan_ms, scanned = timed(lambda: session.scalar(
            select(func.count()).where(Click.campaign_id == campaign.id, Click.bot.is_(False))))
    backend = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite (WAL)"
    print(f"backend: {backend}; {args.clicks} clicks written in {load:.1f} s "
          f"({args.clicks / load:.0f} clicks/s through the batched writer)")
    print(f"stats from rollups: median {stats_ms:.1f} ms (clicks={stats['clicks']}, unique={stats['unique_clicks']})")
    print(f"a plain COUNT over clicks: median {scan_ms:.1f} ms ({scanned}); rollups are {scan_ms / stats_ms:.0f}x faster")
    assert stats["clicks"] == scanned == args.clicks


if __name__ == "__main__":
    main()
