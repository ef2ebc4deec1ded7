"""Benchmark a simple authenticated GET over HTTP (issue 18): ``GET /api/v1/sharers/{id}/earnings``
with a seller key, one keep-alive connection, one request at a time. The seller has
``--ledger-lines`` lines, ``--tail`` of them after the ledger's checkpoint (referrals/balances.py:
the lines since the worker's job last ran).

Run by hand:

    .venv/bin/python bench/bench_get.py [--runs 2000] [--against ../other-checkout]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/THROWAWAY --redis redis://127.0.0.1:6379/N]

Each backend runs in a child process of its own, like ``bench_sales.py`` (SQLite with the
embedded Redis in a temporary instance folder; PostgreSQL + Redis with ``--postgres``, whose
schema is dropped and migrated again). Under the same granian settings as ``flask serve``, it
serves side by side: this checkout, another one (``--against``, e.g. a checkout of main, to
compare before and after on the same database in the same run), and a bare Flask app answering
one small JSON object (the floor: granian, Flask and the client, nothing of ours). Requests to
the servers are interleaved in rounds, so a neighbour's load falls on all of them alike. Prints
each server's median and p90 in milliseconds, and the load average.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_redirect import free_port, granian, stop, wait_port  # noqa: E402
from bench.bench_sales import per_backend, seed, settle  # noqa: E402


def timed_gets(conn: HTTPConnection, path: str, headers: dict, count: int) -> list[float]:
    times = []
    for _ in range(count):
        t = time.perf_counter()
        conn.request("GET", path, headers=headers)
        res = conn.getresponse()
        res.read()
        times.append((time.perf_counter() - t) * 1000)
        assert res.status == 200, res.status
    return times


def add_ledger_lines(app, seeded: dict, count: int) -> None:
    """Give the seller ``count`` pending ledger lines, as ``bench_sales.py``'s sales leave them."""
    from sqlalchemy import insert

    from plumbing import database
    from referrals.models import LedgerEntry, Sharer

    with database.new_session(app) as s:
        workspace_id = s.get(Sharer, seeded["seller_id"]).workspace_id
        rows = [{"workspace_id": workspace_id, "sharer_id": seeded["seller_id"], "currency": "CNY",
                 "bucket": "pending", "amount_minor": 1990, "reason": "sale", "memo": "",
                 "created_at": database.utcnow()} for _ in range(count)]
        if rows:
            s.execute(insert(LedgerEntry), rows)
        s.commit()


def one_backend(args) -> dict:
    app, env, seeded = seed()
    add_ledger_lines(app, seeded, args.ledger_lines - args.tail)
    from plumbing import database
    from referrals import balances

    with app.app_context():  # the worker's checkpoint job, every 30 s (referrals/jobs.py)
        balances.advance()
    add_ledger_lines(app, seeded, args.tail)  # the seller's lines since its last run

    settle(database.engine_of(app))
    path = f"/api/v1/sharers/{seeded['seller_id']}/earnings"
    headers = {"Authorization": f"Bearer {seeded['seller']}"}
    servers = {"this checkout": ("app:web_app", ROOT, True, path)}
    if args.against:
        servers["--against"] = ("app:web_app", Path(args.against).resolve(), True, path)
    servers["bare Flask"] = ("bench.bare_flask:app", ROOT, False, "/")
    ports = {name: free_port() for name in servers}
    config = (os.cpu_count() or 1, int(os.environ.get("SHARECAST_WEB_THREADS", "4")))  # as flask serve runs it
    procs = [granian(target, ports[name], env, config, factory, cwd) for name, (target, cwd, factory, _)
             in servers.items()]
    deadline = time.time() + args.seconds
    try:
        for port in ports.values():
            wait_port(port, 60)
        conns = {name: HTTPConnection("127.0.0.1", ports[name], timeout=10) for name in servers}
        for name, conn in conns.items():
            timed_gets(conn, servers[name][3], headers, 100)  # warm up: connections, caches, the key
        times: dict[str, list[float]] = {name: [] for name in servers}
        rounds = max(1, args.runs // 50)
        for _ in range(rounds):
            if time.time() > deadline:
                break
            for name, conn in conns.items():
                times[name] += timed_gets(conn, servers[name][3], headers, 50)
        for conn in conns.values():
            conn.close()
    finally:
        stop(procs)
    return {"load": os.getloadavg()[0], "servers": {
        name: {"median": statistics.median(t), "p90": statistics.quantiles(t, n=10)[8], "n": len(t)}
        for name, t in times.items()}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000, help="GETs per server")
    parser.add_argument("--seconds", type=float, default=120, help="at most this long per backend")
    parser.add_argument("--against", help="another checkout of Sharecast to serve beside this one")
    parser.add_argument("--postgres", help="a throwaway PostgreSQL database URL")
    parser.add_argument("--redis", help="the Redis URL to use with --postgres")
    parser.add_argument("--ledger-lines", type=int, default=2000,
                        help="the seller's pending ledger lines (bench_sales.py leaves about 2,000)")
    parser.add_argument("--tail", type=int, default=200,
                        help="of which after the ledger's checkpoint (the seller's lines since the job's last run)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_backend(args)))
        return
    argv = [__file__, "--runs", str(args.runs), "--seconds", str(args.seconds), "--ledger-lines", str(args.ledger_lines),
            "--tail", str(args.tail)]
    argv += ["--against", args.against] if args.against else []
    for name, results in per_backend(argv, args.postgres, args.redis, args.seconds + 300).items():
        print(f"{name}: GET earnings with a seller key ({args.ledger_lines} ledger lines, "
              f"{args.tail} after the checkpoint), 1 connection, "
              f"granian {os.cpu_count()} workers; load average {results['load']:.2f}")
        for server, r in results["servers"].items():
            print(f"  {server:16} median {r['median']:.2f} ms   p90 {r['p90']:.2f} ms   ({r['n']} requests)")


if __name__ == "__main__":
    main()
