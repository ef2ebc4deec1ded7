"""Sales on SQLite while the click writer drains a burst's clicks (issue 18).

Run by hand:

    .venv/bin/python bench/bench_sale_during_clicks.py [--clicks 150000] [--per-entry 20] [--seconds 20]
        [--against /path/to/another/checkout]

On SQLite every write transaction holds the database's one write lock, so a sale waits for
the click writer's transaction in progress, and the writer, niced below the redirect servers,
holds it the longer while a burst has the CPU. Each case runs in a fresh instance folder
(SQLite + embedded Redis): the stream holds ``--clicks`` clicks in entries of ``--per-entry``
(a group commit's worth), two busy processes at the servers' priority stand in for the
redirect servers of the burst, the click writer runs as ``flask serve`` starts it, and sales
are posted one after another (the test client, in this process) for ``--seconds``. Printed:
the sales' latency p50/p99/max, and how many clicks the writer wrote meanwhile. The cases:
no backlog (the reference), the writer at its default niceness, and at 0; with ``--against``,
the same two with the other checkout's click writer, side by side.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # as pytest.ini's pythonpath: tests.conftest imports its neighbours by name

from bench.timing import scratch_folder  # noqa: E402

HOG = "import time\nend = time.time() + {s}\nwhile time.time() < end:\n    pass\n"


def one_case(args) -> dict:
    from bench.bench_sales import sale_body, seed
    from plumbing import database, redis_client
    from referrals.clickbuffer import ENTRY_SEP, FIELD, STREAM, encode_click
    from referrals.models import Link
    from referrals.redirect import new_click_id

    app, env, seeded = seed()
    with database.new_session(app) as s:
        link = s.query(Link).filter_by(code=seeded["code"]).one()
        target = (link.id, link.workspace_id, link.campaign_id, link.sharer_id, link.channel)
    redis = redis_client.connection(app)
    now = time.time()
    pipe = redis.pipeline(transaction=False)
    for entry in range(args.clicks // args.per_entry):
        pipe.xadd(STREAM, {FIELD: ENTRY_SEP.join(
            encode_click(new_click_id(now), *target, int(now * 1000), f"v{entry}-{i}", False, "Mozilla/5.0 bench", "")
            for i in range(args.per_entry))})
        if entry % 500 == 499:
            pipe.execute()
    pipe.execute()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {seeded['owner']}", "Content-Type": "application/json"}
    for i in range(50):  # warm up
        client.post("/api/v1/conversions", data=sale_body(f"W-{i}", seeded["code"]), headers=headers)
    hogs = [subprocess.Popen([sys.executable, "-c", HOG.format(s=args.seconds + 5)]) for _ in range(os.cpu_count() or 1)]
    writer_env = {**env, "SHARECAST_INSTANCE": app.config["INSTANCE_PATH"], "SHARECAST_SKIP_MIGRATIONS": "1"}
    if args.nice is not None:
        writer_env["SHARECAST_CLICK_WRITER_NICE"] = str(args.nice)
    writer = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "click-writer"],
                              cwd=args.writer_from or ROOT, env=writer_env, stderr=subprocess.DEVNULL)
    latencies = []
    try:
        started = time.monotonic()
        while time.monotonic() - started < args.seconds:
            t = time.perf_counter()
            res = client.post("/api/v1/conversions", data=sale_body(f"S-{len(latencies)}", seeded["code"]),
                              headers=headers)
            latencies.append((time.perf_counter() - t) * 1000)
            assert res.status_code == 201, res.json
        left = sum(len(fields[FIELD.encode()].split(ENTRY_SEP.encode()))
                   for _, fields in redis.xrange(STREAM)) if redis.xlen(STREAM) else 0
    finally:
        for process in (*hogs, writer):
            process.terminate()
        for process in (*hogs, writer):
            process.wait(30)
    q = statistics.quantiles(latencies, n=100)
    return {"sales": len(latencies), "p50": q[49], "p99": q[98], "max": max(latencies),
            "written": args.clicks - left if args.clicks else 0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=150_000)
    parser.add_argument("--per-entry", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--against", help="another checkout of Sharecast whose click writer runs beside this one's")
    parser.add_argument("--nice", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--writer-from", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_case(args)))
        return
    cases = [("no backlog (reference)", ["--clicks", "0"])]
    for name, checkout in [("this checkout", str(ROOT))] + ([("--against", args.against)] if args.against else []):
        cases += [(f"{name}, writer niced (default)", ["--writer-from", checkout]),
                  (f"{name}, writer at nice 0", ["--writer-from", checkout, "--nice", "0"])]
    print(f"SQLite + embedded Redis; {args.clicks:,} clicks waiting in entries of {args.per_entry}; "
          f"{os.cpu_count()} busy processes at nice 0; sales one after another for {args.seconds:.0f} s")
    for name, extra in cases:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env["SHARECAST_INSTANCE"] = scratch_folder("sharecast-bench-")
        argv = [sys.executable, __file__, "--child", "--clicks", str(args.clicks), "--per-entry", str(args.per_entry),
                "--seconds", str(args.seconds), *extra]
        out = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=args.seconds + 600)
        if out.returncode != 0:
            raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"  {name:40} sale p50 {r['p50']:6.1f} ms  p99 {r['p99']:7.1f} ms  max {r['max']:7.1f} ms  "
              f"({r['sales']} sales; {r['written']:,} clicks written meanwhile)")


if __name__ == "__main__":
    main()
