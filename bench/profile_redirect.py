"""Where a redirect's time goes, in-process (no server, no network): run by hand.

    .venv/bin/python bench/profile_redirect.py [--calls 50000]

Uses DATABASE_URL / REDIS_URL when set, else the embedded default in a temporary
instance folder. Prints microseconds per call of each step of ``GET /r/<code>``
(the web app's whole layer with the click hand-off left out, the redirect
server's one request from its bytes to its answer's, with the socket and the
group write left out, then each part alone), and
the Redis round trip of the hand-off: one ``XADD`` of one click, and of a group
of 16 (what a group commit sends under load), per click. Compare with
``bench/bench_redirect.py``, which serves the same path over HTTP.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.timing import scratch_folder  # noqa: E402

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.42"


def per_call(fn, calls: int) -> float:
    """Microseconds per call of ``fn`` (best of three runs)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls * 1e6)
    return best


def _event_loop_request(app, code: str):
    """One request through the redirect server's connection, from its bytes to its answer's, with the
    socket and the group write left out (the answer is written at once)."""
    from referrals import redirect_server

    server = redirect_server.server_for(app)

    class Socket:
        def get_extra_info(self, name):
            return ("203.0.113.7", 50000)

        def write(self, data):
            pass

        def is_closing(self):
            return False

    class WriteAtOnce:
        def add(self, click, connection, slot, reply):
            connection.fill(slot, reply)

    server.commit = WriteAtOnce()
    server.links.resolve(code)
    connection = redirect_server.Connection(server)
    connection.connection_made(Socket())
    request = (f"GET /r/{code}?v=1 HTTP/1.1\r\nHost: s.example.com\r\nUser-Agent: {UA}\r\nAccept: */*\r\n"
               "Accept-Language: zh-CN,zh;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n").encode()
    return lambda: connection.data_received(request)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50_000)
    args = parser.parse_args()
    os.environ.setdefault("SHARECAST_INSTANCE", scratch_folder("sharecast-profile-"))
    from bench.bench_redirect import seed
    from plumbing import metrics, redis_client
    from referrals import redirect
    from referrals.clickbuffer import STREAM, ClickBuffer, creative_tag, encode_click
    from referrals.visitors import is_bot

    app, _env, _link_id, code = seed()
    layer = redirect.layer(app)

    class NoHandOff(ClickBuffer):
        def push(self, click: str) -> bool:
            return True  # taken (a refused click would time a 503, not a redirect)

    quiet = redirect.RedirectLayer(layer.next_app, layer.redirector, NoHandOff(None, Path(tempfile.mkdtemp())))
    loop_request = _event_loop_request(app, code)
    environ = {"PATH_INFO": f"/r/{code}", "REQUEST_METHOD": "GET", "HTTP_USER_AGENT": UA,
               "REMOTE_ADDR": "203.0.113.7", "QUERY_STRING": "v=1"}

    def start_response(status, headers):
        pass

    target = layer.links.resolve(code)
    now = time.time()
    steps = {
        "whole layer, hand-off left out": lambda: quiet(environ, start_response),
        "redirect server: parse to answer": loop_request,
        "link lookup (cached)": lambda: layer.links.resolve(code),
        "visitor hash (HMAC)": lambda: layer.redirector.visitor("203.0.113.7", UA),
        "click id": redirect.new_click_id,
        "bot check (cached)": lambda: is_bot(UA),
        "creative tag": lambda: creative_tag("v=1"),
        "encode click": lambda: encode_click("0" * 21, 1, 1, 1, 1, "weibo", int(now * 1000), "0" * 32, False,
                                             UA, "", "1", ""),
        "location header": lambda: target.location("0" * 21),
        "metrics counter": metrics.REDIRECT_FOUND.inc,
    }
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {args.calls} calls each, best of 3")
    for name, fn in steps.items():
        print(f"{name:34}{per_call(fn, args.calls):8.2f} µs")
    redis = redis_client.fast_connection(app)
    click = encode_click("0" * 21, 1, 1, 1, 1, "weibo", int(now * 1000), "0" * 32, False, UA, "", "1", "")
    rounds = max(1, args.calls // 20)
    one = per_call(lambda: redis.xadd("bench:profile", {"c": click}), rounds)
    group = "\n".join([click] * 16)
    sixteen = per_call(lambda: redis.xadd("bench:profile", {"c": group}), rounds)
    redis.delete("bench:profile")
    print(f"{'XADD of one click (round trip)':34}{one:8.2f} µs")
    print(f"{'XADD of 16 clicks, per click':34}{sixteen / 16:8.2f} µs  ({sixteen:.1f} µs the write)")
    assert STREAM != "bench:profile"


if __name__ == "__main__":
    main()
