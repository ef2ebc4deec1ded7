"""Benchmark GET /r/<code> against a raw 302 WSGI app, in the same run.

Run by hand (needs `wrk`: apt-get install wrk):

    .venv/bin/python bench/bench_redirect.py [--seconds 10] [--connections 64] [--configs 2x4,2x16,4x8]
                                             [--loop-workers 2,4] [--rounds 3] [--phases "loop /r/?v,..."]

Uses DATABASE_URL / REDIS_URL when set (production backends), else the
embedded default in a temporary instance folder. The raw app and Sharecast's
WSGI app (``/r/`` answered by its redirect layer) run under granian (the server
``flask serve`` runs) at each number of workers and blocking threads given;
Sharecast's event-loop redirect server (``flask redirect-server``) at each number
of processes given, with a bare link, a post's tagged one (``?v=1``, the
creative tag), and the tagged one again with the click writer stopped
(SIGSTOP: the clicks wait, durable, in Redis, and are written afterwards),
which is what the redirect itself costs when the writers run elsewhere. A
click writer runs beside every other measurement, as on one machine in
production: as configured (in a burst it lets clicks wait in Redis for up to
SHARECAST_CLICK_WRITER_MAX_LAG_SECONDS, 30 by default, longer than a timed
phase), at the servers' priority ("equal"), and writing straight through the
burst as it did before it held off ("steady": burst rate 0). Ratios compare each at its own best configuration, so the raw app
is never measured oversubscribed. Prints requests/s, latency percentiles, the
ratios, and whether every answered tagged redirect became a click carrying its
content version, on each server.

With ``--rounds N`` every phase runs N times, round after round (so a slow minute
of the machine falls on every server alike): each configuration is shown by its
median round, ratios are taken between medians, and each round's own ratios
(raw app and server measured minutes apart, in the same round) are printed too.
On a small machine one phase moves by a tenth from one run to the next.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # as pytest.ini's pythonpath: tests.conftest imports its neighbours by name

from bench.timing import process_stat, scratch_folder  # noqa: E402

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def granian(target: str, port: int, env: dict, config: tuple[int, int], factory: bool = False,
            cwd: Path = ROOT) -> subprocess.Popen:
    """granian serving ``target`` (run from ``cwd``, another checkout say) with the argv ``flask serve``
    uses, at ``config`` (workers, blocking threads)."""
    from app import web_server_argv

    workers, threads = config
    argv = web_server_argv("127.0.0.1", port, workers)
    argv[argv.index("app:web_app")] = target
    if not factory:
        argv.remove("--factory")
    return subprocess.Popen(argv, cwd=cwd, env={**env, "SHARECAST_WEB_THREADS": str(threads)},
                            stdout=subprocess.DEVNULL)


def settled(proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until ``proc`` has started up (its CPU time still for a second), so its start-up
    (seconds of CPU for the app's imports) does not fall on the first server timed."""
    def cpu() -> float:
        return process_stat(proc.pid)[2]

    deadline = time.time() + timeout
    before = cpu()
    while time.time() < deadline:
        time.sleep(1)
        now = cpu()
        if now - before < 0.05:
            return
        before = now


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()


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


def exact_phase(port: int, path: str, total: int, threads: int = 16, limit_s: float = 120) -> int:
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
            conn.request("GET", path, headers={"User-Agent": UA})
            if conn.getresponse().status == 302:
                answered[slot] += 1
            conn.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(answered)


def count_settled(app, link_id: int, expected: int, timeout: float = 60, version: int | None = None) -> int:
    """Clicks of the link (of that content ``version`` if given) once the writer has caught up with
    ``expected`` (or time is up)."""
    from sqlalchemy import func, select

    from plumbing import database
    from referrals.models import Click

    deadline = time.time() + timeout
    while True:
        with database.new_session(app) as s:
            n = s.scalar(select(func.count()).where(
                Click.link_id == link_id, *([] if version is None else [Click.content_version == version])))
        if n >= expected or time.time() > deadline:
            return n
        time.sleep(0.5)


def written_so_far(app, link_id: int, timeout: float = 300) -> int:
    """Clicks of the link once the writer has emptied the stream (the timed phases' clicks all written)."""
    from plumbing import redis_client
    from referrals.clickbuffer import STREAM

    redis = redis_client.connection(app)
    deadline = time.time() + timeout
    while redis.xlen(STREAM) and time.time() < deadline:
        time.sleep(0.5)
    return count_settled(app, link_id, 0, timeout=0)


def seed():
    """A migrated database with one campaign, sharer and link; ``(app, env for servers, link id, code)``."""
    from app import create_app
    from plumbing import database, migrate, redis_client
    from publishing.campaigns import create_campaign
    from referrals.links import get_or_create_link
    from referrals.sharers import create_sharer
    from tests.conftest import CAMPAIGN  # the same campaign the tests use
    from workspaces.cli import create_workspace

    app = create_app()
    redis_client.ensure_server(app)  # the embedded Redis, unless REDIS_URL names one
    migrate.upgrade(app.config["DATABASE_URL"])
    env = dict(os.environ, REDIS_URL=app.config["REDIS_URL"], SHARECAST_SKIP_MIGRATIONS="1",
               SECRET_KEY=app.config["SECRET_KEY"])
    with app.test_request_context(), database.new_session(app) as s:
        ws, _ = create_workspace(s, "Bench Tea")
        campaign = create_campaign(s, ws.id, {**CAMPAIGN, "attribution_window_days": 30}, {"127.0.0.1"})
        sharer = create_sharer(s, ws.id, "bench")
        link, _ = get_or_create_link(s, ws.id, campaign.id, sharer.id, "weibo")
        s.commit()
        return app, env, link.id, link.code


def median_run(runs: list[dict]) -> dict:
    """The run of median requests/s (of an even number, the lower of the middle two)."""
    return sorted(runs, key=lambda run: run["rps"])[(len(runs) - 1) // 2]


def event_loop_server(port: int, env: dict, workers: int) -> subprocess.Popen:
    """``flask redirect-server`` (the event-loop server) with ``workers`` processes sharing ``port``."""
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "redirect-server", "--port", str(port),
                             "--workers", str(workers)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--configs", default=f"{os.cpu_count()}x4,{os.cpu_count()}x16,{2 * os.cpu_count()}x8",
                        help="granian workers x blocking threads per worker to try, comma-separated")
    parser.add_argument("--loop-workers", default=f"{os.cpu_count()},{2 * os.cpu_count()}",
                        help="processes of the event-loop redirect server to try, comma-separated")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--exact", type=int, default=20_000, help="redirects in each exact-count phase")
    parser.add_argument("--rounds", type=int, default=1, help="times every phase runs; each shown by its median")
    parser.add_argument("--phases", default="", help="only these phases, by name, comma-separated (the raw app "
                        "always runs): 'loop /r/?v,loop, steady writer' say, with --seconds 60 for a long burst")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    os.environ["SHARECAST_INSTANCE"] = scratch_folder("sharecast-bench-")
    app, env, link_id, code = seed()
    configs = [tuple(int(n) for n in c.split("x")) for c in args.configs.split(",")]
    loop_workers = [int(n) for n in args.loop_workers.split(",")]
    # The click writer as configured; at the servers' priority; writing straight through a burst.
    writers = {"niced": None, "equal": None, "steady": None}

    def writer(kind: str) -> subprocess.Popen:
        """The click writer of that ``kind``, the only one running."""
        for other, proc in writers.items():
            if other != kind and proc is not None:
                written_so_far(app, link_id)
                stop([proc])
                writers[other] = None
        if writers[kind] is None:
            extra = {"equal": {"SHARECAST_CLICK_WRITER_NICE": "0"},
                     "steady": {"SHARECAST_CLICK_WRITER_BURST_RATE": "0"}}.get(kind, {})
            writers[kind] = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "click-writer"],
                                             cwd=ROOT, env={**env, **extra})
            settled(writers[kind])
        return writers[kind]

    results: dict[str, dict[tuple, list[dict]]] = {
        "raw WSGI": {}, "WSGI /r/": {}, "loop /r/": {}, "loop /r/?v": {}, "loop, equal writer": {},
        "loop, no writer": {}, "loop, steady writer": {}}

    chosen = {name.strip() for name in re.split(r",(?! )", args.phases) if name.strip()} if args.phases else set(results)
    unknown = chosen - set(results)
    if unknown:
        parser.error(f"no such phase: {', '.join(sorted(unknown))}; phases: {', '.join(results)}")
    chosen.add("raw WSGI")

    def measure(name: str, config: tuple, start, path: str, writer_kind: str = "niced",
                writer_paused: bool = False) -> None:
        if name not in chosen:
            return
        port = free_port()
        print(f"{name}, {config} ...", file=sys.stderr, flush=True)
        proc = writer(writer_kind)
        server = start(port)
        try:
            wait_port(port)
            wrk(f"http://127.0.0.1:{port}{path}", 2, 8)  # warm caches and connections
            before = written_so_far(app, link_id)
            if writer_paused:  # the clicks wait, durable, in Redis; the writer catches up afterwards
                proc.send_signal(signal.SIGSTOP)
            try:
                run = wrk(f"http://127.0.0.1:{port}{path}", args.seconds, args.connections)
            finally:
                proc.send_signal(signal.SIGCONT)
        finally:
            stop([server])
        results[name].setdefault(config, []).append(run)
        # What the timed phase left waiting in Redis, and how long the writer took to write it.
        clicks = before + run["requests"] if path.startswith("/r/") else before  # the raw app records none
        run["backlog"] = max(0, clicks - count_settled(app, link_id, 0, timeout=0))
        started = time.time()
        written_so_far(app, link_id)  # the next server starts with the writer idle
        run["catch_up"] = time.time() - started

    def exact_count(start, path: str) -> tuple[int, int]:
        port = free_port()
        writer("niced")
        server = start(port)
        try:
            wait_port(port)
            written_so_far(app, link_id)
            before = count_settled(app, link_id, 0, timeout=0, version=1)
            exact = exact_phase(port, path, args.exact)
            return exact, count_settled(app, link_id, before + exact, version=1) - before
        finally:
            stop([server])

    try:
        for _ in range(args.rounds):
            for config in configs:
                measure("raw WSGI", config, lambda port: granian("bench.rawapp:app", port, env, config), "/")
                measure("WSGI /r/", config, lambda port: granian("app:web_app", port, env, config, True),
                        f"/r/{code}")
            for workers in loop_workers:
                start = lambda port: event_loop_server(port, env, workers)  # noqa: E731
                measure("loop /r/", (workers,), start, f"/r/{code}")
                measure("loop /r/?v", (workers,), start, f"/r/{code}?v=1")
                measure("loop, no writer", (workers,), start, f"/r/{code}?v=1", writer_paused=True)
                measure("loop, equal writer", (workers,), start, f"/r/{code}?v=1", writer_kind="equal")
                measure("loop, steady writer", (workers,), start, f"/r/{code}?v=1", writer_kind="steady")
        median = {name: {config: median_run(rounds) for config, rounds in runs.items()}
                  for name, runs in results.items() if runs}
        best = {name: max(runs, key=lambda t: runs[t]["rps"]) for name, runs in median.items()}
        exact = {}
        if "WSGI /r/" in best:
            exact["WSGI /r/?v"] = exact_count(lambda port: granian("app:web_app", port, env, best["WSGI /r/"], True),
                                              f"/r/{code}?v=1")
        if "loop /r/?v" in best:
            exact["loop /r/?v"] = exact_count(lambda port: event_loop_server(port, env, best["loop /r/?v"][0]),
                                              f"/r/{code}?v=1")
    finally:
        stop([proc for proc in writers.values() if proc is not None])

    backend = "PostgreSQL + Redis" if os.environ.get("DATABASE_URL") else "SQLite (WAL) + embedded Redis"
    print(f"backend: {backend}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
          f"wrk -t2 -c{args.connections} -d{args.seconds}s; a click writer runs beside, niced as configured "
          "(SHARECAST_CLICK_WRITER_NICE), unless said; backlog: clicks waiting in Redis as the timed phase ended, "
          "written in the seconds after")
    print(f"{'':19}{'config':>10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}{'timeouts':>9}{'non-3xx':>9}"
          f"{'backlog':>9}{'written':>9}")
    for name, runs in median.items():
        for config, r in runs.items():
            mark = "  <- best" if config == best[name] else ""
            shown = "%d x %d" % config if len(config) == 2 else f"{config[0]} proc"
            spread = ""
            if args.rounds > 1:  # every round's req/s, the median's shown in the row
                spread = "  rounds " + " ".join(f"{run['rps']:.0f}" for run in results[name][config])
            print(f"{name:19}{shown:>10}{r['rps']:>10.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['requests']:>10}"
                  f"{r['timeouts']:>9}{r['bad']:>9}{r['backlog']:>9}{r['catch_up']:>8.1f}s{mark}{spread}")
    raw = median["raw WSGI"][best["raw WSGI"]]
    print("each at its best" + (f" (median of {args.rounds} rounds)" if args.rounds > 1 else "")
          + ", against the raw WSGI app under granian:")
    raw_rounds = results["raw WSGI"][best["raw WSGI"]]
    for name in (name for name in median if name != "raw WSGI"):
        r = median[name][best[name]]
        each = ""
        if args.rounds > 1:
            runs = results[name][best[name]]
            each = ("; rounds " + " ".join(f"{run['rps'] / against['rps']:.2f}" for run, against in zip(runs, raw_rounds))
                    + ", p99 " + " ".join(f"{run['p99']:.1f}" for run in runs))
        print(f"  {name:19} ratio {r['rps'] / raw['rps']:.2f}, p99 {r['p99']:.1f} ms{each}")
    for name, (answered, recorded) in exact.items():
        print(f"exact phase, {name}: {recorded} clicks of version 1 recorded for {answered} answered redirects "
              f"({'all recorded' if recorded == answered else 'MISMATCH'})")


if __name__ == "__main__":
    main()
