"""Benchmark sales with reads between them, on PostgreSQL: what the server's CPU pays when a read
request comes between sales, with read-only sessions ending in COMMIT (``ReadEndsInCommit``, which
keeps psycopg's prepared statements) and, alternated in the same run, in ROLLBACK (a plain
session's close, after which psycopg forgets them).

Run by hand:

    .venv/bin/python bench/bench_mixed_reads.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/THROWAWAY \\
        --redis redis://127.0.0.1:6379/N [--pairs 400] [--rounds 2]

In-process, one request at a time (the app's test client): ``GET /api/v1/campaigns`` then a sale
that enrols its buyer, ``--pairs`` times per phase. Prints PostgreSQL's CPU per pair (its server
processes of that database, from ``/proc``: the database must run on this machine) and the
Python CPU per pair, per phase. The database's schema is dropped and migrated again: give it a
throwaway one.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # as pytest.ini's pythonpath: tests.conftest imports its neighbours by name

from bench.timing import process_stat  # noqa: E402


def server_processes(url: str) -> list[int]:
    """The PostgreSQL processes serving ``url``'s database, asked over a connection of its own."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            me = conn.execute(text("SELECT pg_backend_pid()")).scalar()
            return [pid for pid in conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = "
                                                     "current_database()")).scalars() if pid != me]
    finally:
        engine.dispose()


def cpu_of(pids: list[int]) -> float:
    return sum(stat[2] for pid in pids if (stat := process_stat(pid)) is not None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="a throwaway PostgreSQL database URL")
    parser.add_argument("--redis", required=True, help="the Redis URL to use")
    parser.add_argument("--pairs", type=int, default=400, help="GET + sale pairs per phase")
    parser.add_argument("--rounds", type=int, default=2, help="times each phase runs, alternated")
    args = parser.parse_args()
    os.environ["DATABASE_URL"], os.environ["REDIS_URL"] = args.postgres, args.redis

    from sqlalchemy.orm import Session

    from bench.bench_sales import sale_body, seed
    from plumbing import database

    app, _env, keys = seed()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {keys['owner']}", "Content-Type": "application/json"}
    ends_in_commit = database.ReadEndsInCommit.close
    order = 0

    def pair(prefix: str) -> None:
        nonlocal order
        order += 1
        assert client.get("/api/v1/campaigns", headers=headers).status_code == 200
        res = client.post("/api/v1/conversions", data=sale_body(f"{prefix}{order}", keys["code"]), headers=headers)
        assert res.status_code == 201, res.json

    print(f"PostgreSQL: GET /api/v1/campaigns then a sale with a new buyer, {args.pairs} pairs a phase, in-process")
    for _ in range(args.rounds):
        for phase in ("COMMIT", "ROLLBACK"):
            database.ReadEndsInCommit.close = ends_in_commit if phase == "COMMIT" else Session.close
            for _ in range(20):  # the pool's connection and psycopg's counts, as in the phase
                pair("W")
            pids = server_processes(args.postgres)
            server, python = cpu_of(pids), time.process_time()
            for _ in range(args.pairs):
                pair("M")
            server, python = cpu_of(pids) - server, time.process_time() - python
            print(f"  reads end in {phase:8}  PostgreSQL CPU {1000 * server / args.pairs:6.2f} ms a pair   "
                  f"Python CPU {1000 * python / args.pairs:6.2f} ms a pair")
    database.ReadEndsInCommit.close = ends_in_commit


if __name__ == "__main__":
    main()
