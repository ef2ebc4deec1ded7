"""Benchmark GET /r/<code> while slow clients hold connections open (slowloris).

Run by hand:

    .venv/bin/python bench/bench_slowloris.py [--slow 200] [--requests 2000]

Starts the web server exactly as ``flask serve`` does (granian, one worker per
core) on the embedded default (or DATABASE_URL / REDIS_URL), opens ``--slow``
connections that each send one header line every 5 s and never finish their
request, then times ``--requests`` redirects from 8 client threads. Prints
p50/p99/max with and without the slow clients and their ratio. With gunicorn
installed (``pip install gunicorn``) it measures gunicorn's sync workers the
same way, for comparison.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_redirect import UA, free_port, granian, seed, stop, wait_port  # noqa: E402
from bench.timing import scratch_folder  # noqa: E402


class SlowClients:
    def __init__(self, port: int, count: int):
        self.port, self.count = port, count
        self.sockets: list[socket.socket] = []
        self._halt = threading.Event()

    def __enter__(self) -> SlowClients:
        for _ in range(self.count):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(b"GET /console/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.sockets.append(s)
        threading.Thread(target=self._trickle, daemon=True).start()
        return self

    def _trickle(self) -> None:
        while not self._halt.wait(5):
            for s in self.sockets:
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass

    def __exit__(self, *exc) -> None:
        self._halt.set()
        for s in self.sockets:
            s.close()


def timed_redirects(port: int, code: str, total: int, threads: int = 8, timeout: float = 10.0,
                    limit_s: float = 60.0) -> dict:
    """Time ``total`` redirects from ``threads`` clients; any left after ``limit_s`` count as failed."""
    deadline = time.monotonic() + limit_s

    def one(_: int) -> float | None:
        if time.monotonic() > deadline:
            return None
        started = time.perf_counter()
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=timeout)
            conn.request("GET", f"/r/{code}", headers={"User-Agent": UA})
            ok = conn.getresponse().status == 302
            conn.close()
        except OSError:
            ok = False
        return (time.perf_counter() - started) * 1000 if ok else None

    with ThreadPoolExecutor(threads) as pool:
        times = list(pool.map(one, range(total)))
    done = sorted(t for t in times if t is not None)
    if not done:
        return {"ok": 0, "failed": total, "p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    return {"ok": len(done), "failed": total - len(done), "p50": statistics.median(done),
            "p99": done[min(len(done) - 1, int(len(done) * 0.99))], "max": done[-1]}


def gunicorn(port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(2 * (os.cpu_count() or 1)),
                             "--bind", f"127.0.0.1:{port}", "--timeout", "30", "app:create_app()"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", type=int, default=200, help="slow connections")
    parser.add_argument("--requests", type=int, default=2000, help="timed redirects per phase")
    args = parser.parse_args()
    os.environ["SHARECAST_INSTANCE"] = scratch_folder("sharecast-bench-")
    app, env, _link_id, code = seed()
    servers = [("granian (flask serve)", lambda port: granian("app:web_app", port, env, (4, 4), True))]
    try:
        import gunicorn as _  # noqa: F401

        servers.append(("gunicorn sync", lambda port: gunicorn(port, env)))
    except ImportError:
        pass
    print(f"{'server':24}{'slow conns':>11}{'ok':>7}{'failed':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, start in servers:
        port = free_port()
        server = start(port)
        try:
            wait_port(port)
            timed_redirects(port, code, 200)  # warm up
            quiet = timed_redirects(port, code, args.requests)
            with SlowClients(port, args.slow):
                time.sleep(1)
                loaded = timed_redirects(port, code, args.requests, timeout=5.0)
            for slow, r in ((0, quiet), (args.slow, loaded)):
                print(f"{name:24}{slow:>11}{r['ok']:>7}{r['failed']:>8}{r['p50']:>9.2f}{r['p99']:>9.2f}"
                      f"{r['max']:>9.1f}")
            print(f"{name}: p99 with {args.slow} slow clients / without: {loaded['p99'] / quiet['p99']:.2f}")
        finally:
            stop([server])


if __name__ == "__main__":
    main()
