"""Benchmark sales at peak: POST /api/v1/conversions from 16 concurrent clients (issue 18).

Run by hand:

    .venv/bin/python bench/bench_sales.py [--sales 2000] [--seconds 60] [--clients 16] [--history 2000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/sharecast_perf --redis redis://127.0.0.1:6379/9]

Before the timed burst each app records ``--history`` sales (untimed) and the database is
settled as autovacuum would settle it (``settle``): a peak meets a shop's database with its
statistics, not tables made a second earlier, whose plans read every row. Each backend runs
in a child process of its own: SQLite (WAL) with the embedded
Redis in a temporary instance folder, and PostgreSQL + Redis when ``--postgres``
is given (its tables are dropped and migrated again: point it at a throwaway
database). The app is served by granian as ``flask serve`` does (one worker per
core). Every sale names a new buyer, so every one enrolls a sharer; one order in
ten is posted twice at once, to check that a replay credits nothing twice. The ledger's checkpoint
job runs during the burst as the worker runs it (``--checkpoint-every``, 30 s, the first a second
in: the burst meets one), on a thread of the benchmark's (its CPU counted as the clients').
Prints sales/s, latency p50/p99, SQL statements per sale (counted in-process on
the same database), and the median of an authenticated GET over HTTP (the seller's earnings, once
the database has settled: statistics and visibility map, see ``settle``; with the seller's ledger
lines since the ledger's last checkpoint, and after the worker's checkpoint job summed them,
referrals/balances.py), and the CPU per request of the web
workers, PostgreSQL's processes (on this machine) and the clients, read from ``/proc`` around the
timed load: what two cores allow. Beside them, in the same run and under
the same server settings, the floor: a bare Flask app writing the same rows in as many statements
as Sharecast's sale, on the same database (``bench/bare_sale.py``), driven alike, and the ratio of
the two.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # as pytest.ini's pythonpath: tests.conftest imports its neighbours by name

from bench.bench_redirect import free_port, granian, stop, wait_port  # noqa: E402
from bench.timing import process_stat, scratch_folder  # noqa: E402


def seed():
    """A migrated database with a campaign, a seller invited by a leader, and their link."""
    from app import create_app
    from plumbing import database, migrate, redis_client
    from publishing.campaigns import create_campaign
    from referrals.links import get_or_create_link
    from referrals.sharers import create_sharer
    from tests.conftest import CAMPAIGN
    from workspaces.cli import create_workspace
    from workspaces.keys import issue_key

    app = create_app()
    redis_client.ensure_server(app)
    if app.config["DATABASE_URL"].startswith("postgresql"):
        from sqlalchemy import create_engine, text
        engine = create_engine(app.config["DATABASE_URL"])
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    migrate.upgrade(app.config["DATABASE_URL"])
    env = dict(os.environ, REDIS_URL=app.config["REDIS_URL"], SHARECAST_SKIP_MIGRATIONS="1",
               SECRET_KEY=app.config["SECRET_KEY"])
    with app.test_request_context(), database.new_session(app) as s:
        ws, owner_key = create_workspace(s, "Bench Tea")
        campaign = create_campaign(s, ws.id, {**CAMPAIGN, "attribution_window_days": 30}, {"127.0.0.1"})
        leader = create_sharer(s, ws.id, "leader")
        seller = create_sharer(s, ws.id, "seller", invited_by=leader.id)
        link, _ = get_or_create_link(s, ws.id, campaign.id, seller.id, "weibo")
        seller_key = issue_key(s, ws.id, "seller", seller.id)
        s.commit()
        return app, env, {"owner": owner_key, "seller": seller_key, "seller_id": seller.id, "code": link.code}


def sale_body(order: str, code: str) -> bytes:
    return json.dumps({"type": "sale", "order_id": order, "amount": "199.00", "code": code,
                       "customer": {"external_id": f"buyer-{order}", "email": f"{order}@buyer.example",
                                    "name": "新客"}}).encode()


def drive(port: int, key: str, code: str, total: int, clients: int, limit_s: float, phase: str) -> dict:
    """``total`` sales from ``clients`` keep-alive connections, bounded by ``limit_s``."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    first_error: list[str] = []
    lock = threading.Lock()
    deadline = time.time() + limit_s
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def run(slot: int) -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(total // clients):
            if time.time() > deadline:
                break
            order = f"{phase}{slot}-{i}"
            # One order in ten is sent twice from this client (a merchant retrying).
            for _ in range(2 if i % 10 == 0 else 1):
                t = time.perf_counter()
                conn.request("POST", "/api/v1/conversions", sale_body(order, code), headers)
                res = conn.getresponse()
                body = res.read()
                elapsed = (time.perf_counter() - t) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[res.status] = statuses.get(res.status, 0) + 1
                    if res.status >= 500 and not first_error:  # what went wrong, for the report
                        first_error.append(body[:300].decode(errors="replace"))
        conn.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "sales_per_s": statuses.get(201, 0) / elapsed, "p50": q[49], "p99": q[98],
            "statuses": statuses, "first_error": first_error[0] if first_error else ""}


def get_median(port: int, key: str, sharer_id: int, runs: int = 300) -> float:
    conn = HTTPConnection("127.0.0.1", port, timeout=10)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        conn.request("GET", f"/api/v1/sharers/{sharer_id}/earnings", headers={"Authorization": f"Bearer {key}"})
        res = conn.getresponse()
        res.read()
        assert res.status == 200, res.status
        times.append((time.perf_counter() - t) * 1000)
    conn.close()
    return statistics.median(times)


def credited_twice(app) -> int:
    """Commissions or ledger lines booked more than once for one (order, level), and sales recorded twice."""
    from sqlalchemy import func, select

    from plumbing import database
    from referrals.models import Commission, Conversion, LedgerEntry

    with database.new_session(app) as s:
        dup_sales = s.execute(select(Conversion.order_id).where(Conversion.type == "sale")
                              .group_by(Conversion.order_id).having(func.count() > 1)).all()
        dup_commissions = s.execute(select(Commission.conversion_id, Commission.level)
                                    .group_by(Commission.conversion_id, Commission.level)
                                    .having(func.count() > 1)).all()
        dup_ledger = s.execute(select(LedgerEntry.commission_id).where(LedgerEntry.reason == "sale")
                               .group_by(LedgerEntry.commission_id).having(func.count() > 1)).all()
        return len(dup_sales) + len(dup_commissions) + len(dup_ledger)


def statements_per_sale(app, owner_key: str, code: str, sales: int = 5) -> float:
    from plumbing import database

    client = app.test_client()
    with database.statements(database.engine_of(app)) as seen:
        for i in range(sales):
            res = client.post("/api/v1/conversions", data=sale_body(f"COUNT-{i}", code),
                              headers={"Authorization": f"Bearer {owner_key}", "Content-Type": "application/json"})
            assert res.status_code == 201, res.json
    return len(seen) / sales


def settle(engine) -> None:
    """What PostgreSQL's autovacuum does within a minute of so many new rows (statistics, and the
    visibility map that lets a sum read the index alone), and SQLite's ``ANALYZE``: the state a
    live database is in, rather than one seeded a second ago with no statistics at all."""
    from sqlalchemy import text

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))


def processes() -> dict[int, tuple[int, str, float]]:
    """Every process this user may read: pid → (parent pid, command name, CPU seconds so far)."""
    found = {int(entry): process_stat(int(entry)) for entry in os.listdir("/proc") if entry.isdigit()}
    return {pid: stat for pid, stat in found.items() if stat is not None}  # (None: gone meanwhile)


def cpu_by_part(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the web server (granian and its workers), PostgreSQL's processes on
    this machine (none when the database is elsewhere) and this process (the clients)."""
    seen = processes()
    parts = {"web": 0.0, "database": 0.0, "client": seen.get(os.getpid(), (0, "", 0.0))[2]}
    for pid, (parent, name, cpu) in seen.items():
        if pid == server_pid or parent == server_pid:
            parts["web"] += cpu
        elif name.startswith("postgres"):
            parts["database"] += cpu
    return parts


def timed_load(target: str, env: dict, config: tuple[int, int], key: str, code: str, args, engine,
               factory: bool = False, then=None, during=None) -> tuple[dict, object]:
    """Serve ``target`` under granian, warm it up with ``args.history`` sales and settle ``engine``'s
    database, then drive the timed load, ``during(stop)`` running on a thread of its own meanwhile
    (until the event ``stop`` is set; what it returns joins the figures); ``then(port)`` runs while
    it still serves. Returns the load's figures (with the CPU each part spent per request: where the
    time goes, and what two cores allow) and what ``then`` gave."""
    port = free_port()
    server = granian(target, port, env, config, factory)
    try:
        wait_port(port, 60)
        # The shop's sales before the burst (and the server's warm-up), then what autovacuum does
        # with them: a peak meets a database with statistics, not one made a second ago.
        drive(port, key, code, max(args.history, args.clients * 4), args.clients, 120, "H")
        if args.history:
            settle(engine)
        stop_beside, beside = threading.Event(), {}
        thread = threading.Thread(target=lambda: beside.update(during(stop_beside) if during else {}), daemon=True)
        before = cpu_by_part(server.pid)
        thread.start()
        try:
            load = drive(port, key, code, args.sales, args.clients, args.seconds, "S")
        finally:
            stop_beside.set()
            thread.join()
        after = cpu_by_part(server.pid)
        load.update(beside)
        load["cpu_ms"] = {part: (after[part] - before[part]) * 1000 / max(1, load["requests"]) for part in after}
        return load, then(port) if then else None
    finally:
        stop([server])


def one_backend(args) -> dict:
    app, env, seeded = seed()
    threads = int(os.environ.get("SHARECAST_WEB_THREADS", "4"))
    config = (os.cpu_count() or 1, threads)
    from bench import bare_sale
    from plumbing import database

    bare_sale.create_tables()
    bare_sale.engine.dispose()
    bare, _ = timed_load("bench.bare_sale:app", env, config, "", "", args, bare_sale.engine)
    bare_sale.engine.dispose()
    engine = database.engine_of(app)

    def earnings_get(port: int) -> dict:
        """The GET's median with the seller's lines since the ledger's last checkpoint (all of them
        with ``--checkpoint-every 0``), then once the job has run, as the worker runs it every 30 s."""
        from sqlalchemy import func, select

        from referrals import balances
        from referrals.models import LedgerEntry, LedgerHorizon

        settle(engine)
        with database.new_session(app) as s:
            mine = LedgerEntry.sharer_id == seeded["seller_id"]
            lines = s.scalar(select(func.count()).where(mine))
            horizon = s.scalar(select(LedgerHorizon.through_id)) or 0
            unsummed_lines = s.scalar(select(func.count()).where(mine, LedgerEntry.id > horizon))
        unsummed = get_median(port, seeded["seller"], seeded["seller_id"])
        with app.app_context():
            balances.advance()
        settle(engine)
        return {"get_ms": get_median(port, seeded["seller"], seeded["seller_id"]), "get_unsummed_ms": unsummed,
                "seller_lines": lines, "unsummed_lines": unsummed_lines}

    def checkpoints(stop: threading.Event) -> dict:
        """The worker's checkpoint job, every ``--checkpoint-every`` seconds of the burst from its
        first second (the worker runs it every 30 s: a burst meets it): each run's time, which
        includes its wait for the sales in flight (the SHARE lock, during which new sales wait)."""
        from referrals import balances

        took, failed = [], ""
        while args.checkpoint_every and not stop.wait(1.0 if not took else args.checkpoint_every):
            started = time.perf_counter()
            try:
                with app.app_context():
                    balances.advance()
            except Exception as exc:  # noqa: BLE001 - reported with the figures, not lost with the thread
                failed = failed or f"the checkpoint job failed: {exc!r}"[:300]
            took.append((time.perf_counter() - started) * 1000)
        return {"checkpoints": len(took), "checkpoint_ms": max(took, default=0.0), "checkpoint_error": failed}

    load, get = timed_load("app:web_app", env, config, seeded["owner"], seeded["code"], args, engine,
                           factory=True, then=earnings_get, during=checkpoints)
    return {**load, "twice": credited_twice(app), **get,
            "statements": statements_per_sale(app, seeded["owner"], seeded["code"]),
            "bare_per_s": bare["sales_per_s"], "bare_p99": bare["p99"], "bare_statuses": bare["statuses"],
            "bare_first_error": bare["first_error"], "cpu": _cpu_row(load["cpu_ms"]), "bare_cpu": _cpu_row(bare["cpu_ms"]),
            "ratio": load["sales_per_s"] / bare["sales_per_s"]}


def _cpu_row(cpu_ms: dict[str, float]) -> str:
    return " / ".join(f"{cpu_ms[part]:.2f}" for part in ("web", "database", "client"))


def per_backend(argv: list[str], postgres: str | None, redis: str | None, timeout: float) -> dict[str, dict]:
    """Run the benchmark script ``argv`` with ``--child`` once per backend, each in a process of its own:
    SQLite with the embedded Redis in a temporary instance folder, then PostgreSQL + Redis when
    ``postgres`` is given. Each child's last line of output, read as JSON, by backend name."""
    backends = {"SQLite": {}}
    if postgres:
        backends["PostgreSQL"] = {"DATABASE_URL": postgres, "REDIS_URL": redis or "redis://127.0.0.1:6379/9"}
    results = {}
    for name, extra in backends.items():
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(extra, SHARECAST_INSTANCE=scratch_folder("sharecast-bench-"))
        out = subprocess.run([sys.executable, argv[0], "--child", *argv[1:]], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
        if results[name].get("first_error") or results[name].get("bare_first_error"):
            # A server error's own account: the servers' log lines (JSON, to this child's stderr).
            errors = [line for line in out.stderr.splitlines() if '"level": "ERROR"' in line or "Traceback" in line]
            print(f"{name}: the servers' first error lines:", *errors[:3], sep="\n", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--history", type=int, default=2000,
                        help="sales recorded before the timed burst, the database then settled; 0: none")
    parser.add_argument("--postgres", help="a throwaway PostgreSQL database URL")
    parser.add_argument("--redis", help="the Redis URL to use with --postgres")
    parser.add_argument("--checkpoint-every", type=float, default=30,
                        help="seconds between runs of the ledger's checkpoint job during the burst, the first "
                             "after 1 s (the worker's interval: 30); 0: none")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_backend(args)))
        return
    results = per_backend([__file__, "--sales", str(args.sales), "--seconds", str(args.seconds), "--clients",
                           str(args.clients), "--history", str(args.history),
                           "--checkpoint-every", str(args.checkpoint_every)], args.postgres, args.redis, args.seconds * 4 + 300)
    print(f"granian, {os.cpu_count()} workers; {args.clients} clients; up to {args.sales} sales or {args.seconds:.0f} s "
          f"after {args.history} earlier sales and a settled database; every sale enrolls a new buyer; "
          "1 order in 10 posted twice")
    rows = [("sales/s", "sales_per_s", "{:.0f}"), ("p50 ms", "p50", "{:.1f}"), ("p99 ms", "p99", "{:.1f}"),
            ("requests", "requests", "{}"), ("statuses", "statuses", "{}"),
            ("credited twice", "twice", "{}"), ("statements/sale", "statements", "{:.1f}"),
            ("checkpoints in the burst", "checkpoints", "{}"), ("  the longest ms", "checkpoint_ms", "{:.1f}"),
            ("seller's ledger lines", "seller_lines", "{}"),
            ("GET earnings median ms", "get_ms", "{:.2f}"),
            ("  with lines since one", "get_unsummed_ms", "{:.2f}"),
            ("  those lines", "unsummed_lines", "{}"),
            ("bare Flask sales/s", "bare_per_s", "{:.0f}"), ("bare Flask p99 ms", "bare_p99", "{:.1f}"),
            ("bare Flask statuses", "bare_statuses", "{}"),
            ("sales/s / bare", "ratio", "{:.2f}"),
            # CPU per request summed over each part's processes, from /proc (database: PostgreSQL's
            # processes on this machine; SQLite's work is the web workers'): what the cores allow
            ("CPU ms web/db/client", "cpu", "{}"), ("bare CPU ms web/db/client", "bare_cpu", "{}")]
    print(f"{'':24}" + "".join(f"{name:>22}" for name in results))
    for label, key, fmt in rows:
        print(f"{label:24}" + "".join(f"{fmt.format(r[key]):>22}" for r in results.values()))
    for name, r in results.items():  # a server error's answer says what went wrong
        if r.get("checkpoint_error"):
            print(f"{name}: {r['checkpoint_error']}")
        for server, key in (("Sharecast", "first_error"), ("bare Flask", "bare_first_error")):
            if r[key]:
                print(f"{name}, {server}: first 5xx answer: {r[key]}")


if __name__ == "__main__":
    main()
