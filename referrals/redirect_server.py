"""``/r/<code>`` on an event loop: the redirect's own server, for the short-link traffic.

The WSGI layer (:mod:`referrals.redirect`) needs a thread per waiting redirect:
each one sleeps until its click is in Redis and is woken again, and on a small
machine that sleep and wake costs more than the redirect itself. Here one
thread per process waits for every redirect at once: a turn of the event loop
(uvloop) parses what arrived (httptools, the parser uvicorn uses), answers
each request's question with the same :class:`~referrals.redirect.Redirector`
the WSGI layer asks, sends the turn's clicks to Redis as one ``XADD`` and only
then writes their 302s. So the rule does not bend: a redirect is answered only
once its click is durable (in Redis, or in the spool file when Redis does not
answer within 250 ms).

What it serves: ``GET``/``HEAD /r/<code>`` and ``GET /healthz``; anything else
is a 404 (or 405 for another method on ``/r/``). Keep-alive and pipelining
(answers go out in the order asked), a request's head limited to 16 KiB and
10 seconds, an idle connection closed after 60. A code not in the link cache
is looked up on a helper thread, never on the loop; so is the once-a-second
look at the cache's invalidation counter. ``X-Forwarded-For`` is trusted as
the app trusts it (``SHARECAST_PROXY_COUNT``).

Run by ``flask redirect-server`` (and by ``flask serve --redirect-port``):
processes share the port (``SO_REUSEPORT``), so the kernel spreads connections
over them. Put it behind the balancer's ``location /r/`` (README, "The
redirect server"); the web app still answers ``/r/`` itself for setups without it.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
import ssl
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

import hiredis
import httptools
import uvloop
from flask import Flask
from redis.connection import SSLConnection, parse_url

from plumbing import database, metrics, redis_client
from referrals.clickbuffer import ENTRY_SEP, FIELD, STREAM, ClickBuffer, spool_dir
from referrals.linkcache import MISS, LinkCache, LookupUnavailable
from referrals.redirect import NOT_FOUND, PREFIX, REDIRECT_HEADERS, UNAVAILABLE, Answer, Redirector, redirector_for

log = logging.getLogger("sharecast.redirects")

MAX_HEAD = 16 * 1024  # request line and headers
MAX_BODY = 64 * 1024  # a GET has none; a client sending one gets it read and ignored, up to this
HEAD_TIMEOUT = 10.0  # seconds to send a whole request once begun
IDLE_TIMEOUT = 60.0  # seconds a keep-alive connection may wait for its next request
STALLED_TIMEOUT = 30.0  # seconds a client may leave its answers unread
DRAIN_TIMEOUT = 5.0  # on SIGTERM: seconds for the redirects in hand to be answered
MAX_LOOKUPS = 1000  # codes waiting to be looked up in the database; beyond, 503 (a flood of unknown codes)
_PREFIX = PREFIX.encode()


_FOUND = b"HTTP/1.1 302 Found\r\nLocation: "
_FOUND_REST = {keep_alive: "".join(["\r\n", *(f"{name}: {value}\r\n" for name, value in REDIRECT_HEADERS),
                                    "" if keep_alive else "Connection: close\r\n", "\r\n"]).encode("latin-1")
               for keep_alive in (True, False)}


def _encode(answer: Answer, head: bool, keep_alive: bool) -> bytes:
    """The answer as HTTP/1.1 bytes (without its body for a HEAD request)."""
    lines = "".join(f"{name}: {value}\r\n" for name, value in answer.headers)
    close = "" if keep_alive else "Connection: close\r\n"
    return f"HTTP/1.1 {answer.status}\r\n{lines}{close}\r\n".encode("latin-1") + (b"" if head else answer.body)


def _reply(answer: Answer, head: bool, keep_alive: bool) -> bytes:
    """:func:`_encode`, without building what is always the same again."""
    if answer.location is not None:  # a redirect: its Location, then redirect.REDIRECT_HEADERS
        return _FOUND + answer.location.encode("latin-1") + _FOUND_REST[keep_alive]
    return _CONSTANT_REPLIES.get((id(answer), head, keep_alive)) or _encode(answer, head, keep_alive)


def _plain(status: str, text: str = "", extra: list[tuple[str, str]] = ()) -> Answer:
    body = text.encode()
    return Answer(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                           ("Cache-Control", "no-store"), *extra], body)


_BAD_REQUEST = _plain("400 Bad Request", "Bad request\n")
_TOO_LARGE = _plain("431 Request Header Fields Too Large", "Request head too large\n")
_BODY_TOO_LARGE = _plain("413 Content Too Large", "Request body too large\n")
_TIMEOUT = _plain("408 Request Timeout", "Request timeout\n")
_NO_SUCH_PAGE = _plain("404 Not Found", "Not found\n")
_METHOD = _plain("405 Method Not Allowed", "Method not allowed\n", [("Allow", "GET, HEAD")])
_HEALTHY = _plain("200 OK", "ok\n")
_FAILED = _plain("500 Internal Server Error", "Internal server error\n")
_CONSTANT_REPLIES = {(id(answer), head, keep_alive): _encode(answer, head, keep_alive)
                     for answer in (NOT_FOUND, UNAVAILABLE, _BAD_REQUEST, _TOO_LARGE, _BODY_TOO_LARGE, _TIMEOUT,
                                    _NO_SUCH_PAGE, _METHOD, _HEALTHY, _FAILED)
                     for head in (False, True) for keep_alive in (False, True)}


class _Tally:
    """Counts on the loop, added to its Prometheus counter once a second: an increment of a
    multiprocess counter (a locked write to a shared file) costs about ten times this."""

    __slots__ = ("counter", "count")

    def __init__(self, counter):
        self.counter, self.count = counter, 0

    def inc(self, amount: int = 1) -> None:
        self.count += amount

    def flush(self) -> None:
        if self.count:
            self.counter.inc(self.count)
            self.count = 0


class _Resp(asyncio.Protocol):
    """The Redis end of :class:`RedisLink`: replies, parsed by hiredis, go to the commands in order."""

    def __init__(self) -> None:
        self.reader = hiredis.Reader()
        self.waiting: deque[asyncio.Future] = deque()
        self.transport: asyncio.Transport | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            future = self.waiting.popleft()
            if not future.done():
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(ConnectionError("Redis closed the connection"))


class RedisLink:
    """One connection to Redis for the loop's writes, and nothing else.

    redis-py reads the URL (``redis://``, ``rediss://`` with its ``ssl_*`` options,
    ``unix://``; user, password, database) and hiredis packs each command and parses
    its reply. redis-py's own asyncio client costs about 150 µs of CPU per command on
    this machine, more than the clicks of a group it carries; this costs a few. A
    command not answered within ``timeout`` of being asked (connecting included)
    raises ``TimeoutError``; any failure, an error reply included (``READONLY`` from a
    primary demoted by a failover, ``OOM``), drops the connection: the next command
    opens a new one, to wherever the URL now points.
    """

    def __init__(self, url: str, timeout: float = 0.25):
        self.options = parse_url(url)
        self.timeout = timeout
        self._resp: _Resp | None = None

    async def command(self, *args) -> object:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        try:
            if self._resp is None or self._resp.lost:
                self._resp = None
                self._resp = await asyncio.wait_for(self._connect(loop, deadline), self.timeout)
            return await self._send(loop, self._resp, args, deadline)
        except BaseException:
            self.close()
            raise

    @staticmethod
    async def _send(loop: asyncio.AbstractEventLoop, resp: _Resp, args: tuple, deadline: float) -> object:
        future = loop.create_future()
        resp.waiting.append(future)
        resp.transport.write(hiredis.pack_command(args))
        timer = loop.call_at(deadline, _expire, future)
        try:
            reply = await future
        finally:
            timer.cancel()
        if isinstance(reply, hiredis.ReplyError):
            raise reply
        return reply

    async def _connect(self, loop: asyncio.AbstractEventLoop, deadline: float) -> _Resp:
        options = self.options
        if "path" in options:
            _, resp = await loop.create_unix_connection(_Resp, options["path"])
        else:
            _, resp = await loop.create_connection(_Resp, options.get("host", "localhost"), options.get("port", 6379),
                                                   ssl=_tls_context(options))
        try:
            if options.get("password"):
                await self._send(loop, resp, ("AUTH", *filter(None, (options.get("username"),)), options["password"]),
                                 deadline)
            if options.get("db"):
                await self._send(loop, resp, ("SELECT", options["db"]), deadline)
        except BaseException:
            resp.transport.abort()
            raise
        return resp

    def close(self) -> None:
        if self._resp is not None:
            self._resp.transport.abort()  # a reply may still come: nothing else may read it
            self._resp = None


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_exception(TimeoutError("Redis did not answer in time"))


def _tls_context(options: dict) -> ssl.SSLContext | None:
    """The TLS settings of a ``rediss://`` URL's query (``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``,
    ``ssl_cert_reqs``, ``ssl_check_hostname``), as redis-py's own connection applies them; None for plain TCP."""
    if options.get("connection_class") is not SSLConnection:
        return None
    context = ssl.create_default_context(cafile=options.get("ssl_ca_certs"))
    if options.get("ssl_certfile"):
        context.load_cert_chain(options["ssl_certfile"], options.get("ssl_keyfile"))
    requirement = options.get("ssl_cert_reqs", "required")
    if options.get("ssl_check_hostname") is False or requirement in ("none", "optional", ssl.CERT_NONE,
                                                                     ssl.CERT_OPTIONAL):
        context.check_hostname = False
    if requirement in ("none", ssl.CERT_NONE):
        context.verify_mode = ssl.CERT_NONE
    elif requirement in ("optional", ssl.CERT_OPTIONAL):
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


class GroupCommit:
    """The clicks of one turn of the loop go to Redis as one stream entry, then their answers go out.

    One write is in flight at a time; clicks arriving meanwhile wait for the
    next, which starts as soon as it returns. Like :class:`ClickBuffer`, a
    failed or slow write (its client gives up in 250 ms) puts the batch in the
    spool file and skips Redis for a second; the answers go out once either took
    the clicks, and their connections are closed unanswered when neither did.
    ``outcomes``: told how many redirects went out (``delivered``) or not (``refused``).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, redis: RedisLink, spool: ClickBuffer,
                 outcomes: Redirector | None = None, max_batch: int = 512):
        self._loop = loop
        self._outcomes = outcomes
        self._redis = redis
        self._spool = spool
        self._max_batch = max_batch
        self._clicks: list[str] = []
        self._waiting: list[tuple[Connection, list, bytes]] = []
        self._writing = False
        self._scheduled = False
        self._skip_redis_until = 0.0
        self.idle = asyncio.Event()
        self.idle.set()

    def add(self, click: str, connection: Connection, slot: list, reply: bytes) -> None:
        """Write ``reply`` into the connection's ``slot`` once ``click`` is durable."""
        self._clicks.append(click)
        self._waiting.append((connection, slot, reply))
        self.idle.clear()
        if not self._writing and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush)  # after the rest of this turn's requests

    def _flush(self) -> None:
        self._scheduled = False
        if self._writing or not self._clicks:
            return
        self._writing = True
        clicks, waiting = self._clicks[:self._max_batch], self._waiting[:self._max_batch]
        del self._clicks[:self._max_batch], self._waiting[:self._max_batch]
        self._loop.create_task(self._write(clicks, waiting))

    async def _write(self, clicks: list[str], waiting: list) -> None:
        now = time.monotonic()
        durable = cancelled = False
        try:
            if now >= self._skip_redis_until:
                try:
                    await self._redis.command("XADD", STREAM, "*", FIELD, ENTRY_SEP.join(clicks))
                    durable = True
                    metrics.CLICKS_TO_REDIS.inc(len(clicks))
                except Exception:  # noqa: BLE001 - any Redis failure falls through to the spool
                    self._skip_redis_until = now + 1.0
                    log.warning("Redis did not take %d clicks; spooling them", len(clicks), exc_info=True)
            if not durable:
                self._spool.spool(clicks)
                durable = True
                metrics.CLICKS_TO_SPOOL.inc(len(clicks))
        except asyncio.CancelledError:  # the process is stopping mid-write
            cancelled = True
            raise
        except Exception:
            metrics.CLICKS_REFUSED.inc(len(clicks))
            log.exception("%d clicks could be put neither in Redis nor in the spool; their redirects go unanswered",
                          len(clicks))
        finally:
            self._writing = False
            for connection, slot, reply in waiting:
                if durable:
                    connection.fill(slot, reply)
                else:  # no click, no answer: the visitor's browser may ask again
                    connection.transport.close()
            if self._outcomes is not None and not cancelled:
                (self._outcomes.delivered if durable else self._outcomes.refused)(len(waiting))
            if self._clicks and not cancelled:
                self._flush()
            else:
                self.idle.set()


class Connection(asyncio.Protocol):
    """One client connection: httptools calls the ``on_*`` methods as it parses."""

    __slots__ = ("server", "transport", "parser", "peer", "replies", "url", "user_agent", "referer",
                 "forwarded", "head_size", "in_head", "body_size", "refused", "started", "last_active",
                 "paused_since")

    def __init__(self, server: RedirectServer):
        self.server = server
        self.transport: asyncio.Transport | None = None
        # One per request read, in order: [its reply's bytes (None until known), close after it, asked at].
        self.replies: deque[list] = deque()
        self.started: float | None = None  # when the request being read began (None: between requests)
        self.in_head = False  # reading a request's line and headers
        self.head_size = 0
        self.paused_since: float | None = None
        self.refused: Answer | None = None  # set once the connection is refused: nothing more is read

    # -- asyncio

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if isinstance(peer, tuple) else ""
        self.parser = httptools.HttpRequestParser(self)
        self.last_active = time.monotonic()
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        if self.refused is not None or self.transport.is_closing():
            return
        self.last_active = time.monotonic()
        if self.in_head:
            # httptools gathers a header until its line ends: count what arrives, not only whole headers.
            self.head_size += len(data)
            if self.head_size > MAX_HEAD:
                self.refuse(_TOO_LARGE)
                return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # the request before it is answered; then nothing more
            self.finish_after_replies()
        except httptools.HttpParserCallbackError as exc:
            if self.refused is None:  # not a limit of ours: a bug, not the client's fault
                log.error("reading a request failed", exc_info=exc.__context__)
            self.refuse(self.refused or _FAILED)
        except httptools.HttpParserError:
            self.refuse(_BAD_REQUEST)

    def pause_writing(self) -> None:  # the client is not reading its answers: stop reading its requests
        self.paused_since = time.monotonic()
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.paused_since = None
        if self.refused is None and not self.server.stopping:
            self.transport.resume_reading()

    # -- httptools

    def on_message_begin(self) -> None:
        self.url = b""
        self.user_agent = self.referer = self.forwarded = b""
        self.head_size = self.body_size = 0
        self.in_head = True
        self.started = self.last_active

    def on_url(self, url: bytes) -> None:
        self.url += url
        self.head_size += len(url)
        if self.head_size > MAX_HEAD:
            self._refuse_head()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_size += len(name) + len(value) + 4
        if self.head_size > MAX_HEAD:
            self._refuse_head()
        if len(name) in (7, 10, 15):  # the lengths of the only three read (this runs per header)
            name = name.lower()
            if name == b"user-agent":
                self.user_agent = value
            elif name == b"referer":
                self.referer = value
            elif name == b"x-forwarded-for":
                self.forwarded = value if not self.forwarded else self.forwarded + b"," + value

    def on_headers_complete(self) -> None:
        self.in_head = False

    def on_body(self, body: bytes) -> None:
        self.body_size += len(body)
        if self.body_size > MAX_BODY:
            self.refused = _BODY_TOO_LARGE
            raise httptools.HttpParserError("body too large")

    def _refuse_head(self) -> None:
        self.refused = _TOO_LARGE
        raise httptools.HttpParserError("head too large")

    def on_message_complete(self) -> None:
        self.started = None
        self.in_head = False
        method = self.parser.get_method()
        keep_alive = self.parser.should_keep_alive()
        slot = [None, not keep_alive, self.last_active]
        self.replies.append(slot)
        try:
            self._dispatch(slot, method, keep_alive)
        except Exception:  # a bug: answer it rather than leave the client waiting for ever
            log.exception("answering a request failed")
            slot[1] = True
            self.fill(slot, _reply(_FAILED, method == b"HEAD", False))

    def _dispatch(self, slot: list, method: bytes, keep_alive: bool) -> None:
        head = method == b"HEAD"
        url = self.url
        if url.startswith(_PREFIX) and b"%" not in url and b"#" not in url:  # the usual /r/<code>[?query]
            path, _, query = url.partition(b"?")
        else:  # percent-escapes, a fragment, or the absolute form (GET http://host/r/code)
            try:
                parsed = httptools.parse_url(url)
            except httptools.HttpParserInvalidURLError:
                self.fill(slot, _reply(_BAD_REQUEST, head, keep_alive))
                return
            path = unquote((parsed.path or b"/").decode("latin-1")).encode("latin-1", "replace")
            query = parsed.query
        code = path[len(_PREFIX):]
        if not path.startswith(_PREFIX) or b"/" in code:
            answer = _HEALTHY if path == b"/healthz" and method in (b"GET", b"HEAD") else _NO_SUCH_PAGE
            self.fill(slot, _reply(answer, head, keep_alive))
            return
        if method != b"GET" and not head:
            self.fill(slot, _reply(_METHOD, head, keep_alive))
            return
        address = self.peer
        if self.forwarded and self.server.proxy_count:  # as werkzeug's ProxyFix(x_for=proxy_count) reads it
            values = [part.strip() for part in self.forwarded.decode("latin-1").split(",")]
            if len(values) >= self.server.proxy_count:
                address = values[-self.server.proxy_count]
        self.server.follow(self, slot, code.decode("latin-1"), "HEAD" if head else "GET",
                           self.user_agent.decode("latin-1"), self.referer.decode("latin-1"), address,
                           query.decode("latin-1") if query else None, keep_alive)

    # -- answering

    def fill(self, slot: list, reply: bytes) -> None:
        """The answer to the request of ``slot`` is known: send it and any after it that were waiting on it."""
        slot[0] = reply
        replies, transport = self.replies, self.transport
        while replies and replies[0][0] is not None:
            reply, close, _asked = replies.popleft()
            if transport.is_closing():
                replies.clear()
                return
            transport.write(reply)
            if close:
                replies.clear()
                transport.close()
                return
        if not replies and (self.server.stopping or self.refused is not None):
            transport.close()

    def refuse(self, answer: Answer) -> None:
        """A request that cannot be read: answer it (after the ones before it) and read nothing more."""
        self.refused = answer
        self.started = None
        self.transport.pause_reading()
        slot = [None, True, self.last_active]
        self.replies.append(slot)
        self.fill(slot, _reply(answer, False, False))

    def finish_after_replies(self) -> None:
        """Read nothing more; close once the requests read so far are answered."""
        self.refused = self.refused or _BAD_REQUEST
        self.started = None
        self.transport.pause_reading()
        if self.replies:
            self.replies[-1][1] = True
        else:
            self.transport.close()

    def check(self, now: float) -> None:
        """Close a connection that is too slow sending, idle too long, not reading, or whose answer is stuck."""
        if self.started is not None and now - self.started > HEAD_TIMEOUT:
            self.refuse(_TIMEOUT)
        elif self.paused_since is not None and now - self.paused_since > STALLED_TIMEOUT:
            self.transport.abort()
        elif self.replies and now - self.replies[0][2] > STALLED_TIMEOUT:
            log.warning("a redirect's answer was not ready in %.0f s; closing its connection", STALLED_TIMEOUT)
            self.transport.abort()
        elif self.started is None and not self.replies and now - self.last_active > IDLE_TIMEOUT:
            self.transport.close()


class RedirectServer:
    """One process's server: its connections, its group commit and the helper threads."""

    def __init__(self, redirector: Redirector, redis_url: str, spool_dir: Path, proxy_count: int = 0,
                 tallies: tuple[_Tally, ...] = ()):
        self.redirector = redirector
        self.tallies = tallies
        self.links = redirector.links
        self.redis_url = redis_url
        self.spool = ClickBuffer(None, spool_dir)
        self.proxy_count = proxy_count
        self.connections: set[Connection] = set()
        # One thread looks up codes not in the cache (a code looked up is cached, and one thread
        # bounds what a flood of unknown codes costs the database); beyond MAX_LOOKUPS waiting,
        # 503. Another looks at the cache's invalidation counter, so a slow lookup never delays it.
        self.lookups = ThreadPoolExecutor(1, thread_name_prefix="link-lookup")
        self.pending_lookups = 0
        self.cache_checks = ThreadPoolExecutor(1, thread_name_prefix="link-cache-check")
        self.commit: GroupCommit | None = None
        self.stopping = False

    def follow(self, connection: Connection, slot: list, code: str, method: str, user_agent: str, referer: str,
               address: str, query: str | None, keep_alive: bool) -> None:
        target = self.links.cached(code, connection.last_active)
        if target is MISS and not self.redirector.well_formed(code):
            target = None
        if target is MISS:
            if self.pending_lookups >= MAX_LOOKUPS:
                connection.fill(slot, _reply(self.redirector.unavailable(), method == "HEAD", keep_alive))
                return
            self.pending_lookups += 1
            future = asyncio.get_running_loop().run_in_executor(self.lookups, self.redirector.lookup, code)
            future.add_done_callback(lambda done: self._looked_up(
                done, connection, slot, method, user_agent, referer, address, query, keep_alive))
            return
        self._answer(target, connection, slot, method, user_agent, referer, address, query, keep_alive)

    def _looked_up(self, done: asyncio.Future, *args) -> None:
        self.pending_lookups -= 1
        connection, slot, method, *_rest, keep_alive = args
        try:
            target = done.result()
        except LookupUnavailable:
            connection.fill(slot, _reply(self.redirector.unavailable(), method == "HEAD", keep_alive))
            return
        except asyncio.CancelledError:  # stopping
            connection.transport.close()
            return
        except Exception:
            log.exception("looking a link up failed")
            slot[1] = True
            connection.fill(slot, _reply(_FAILED, method == "HEAD", False))
            return
        try:
            self._answer(target, *args)
        except Exception:  # here no parser catches it, and the client would wait for ever
            log.exception("answering a redirect failed")
            slot[1] = True
            connection.fill(slot, _reply(_FAILED, method == "HEAD", False))

    def _answer(self, target, connection: Connection, slot: list, method: str, user_agent: str, referer: str,
                address: str, query: str | None, keep_alive: bool) -> None:
        answer = self.redirector.answer(target, method, user_agent, referer, address, query)
        reply = _reply(answer, method == "HEAD", keep_alive)
        if answer.click is None:
            connection.fill(slot, reply)
        else:
            self.commit.add(answer.click, connection, slot, reply)

    async def serve(self, sock: socket.socket, stop: asyncio.Event) -> None:
        """Serve on ``sock`` until ``stop`` is set, then answer what is in hand and return."""
        loop = asyncio.get_running_loop()
        redis = RedisLink(self.redis_url)
        self.commit = GroupCommit(loop, redis, self.spool, self.redirector)
        server = await loop.create_server(lambda: Connection(self), sock=sock, backlog=1024)
        housekeeping = loop.create_task(self._housekeeping())
        try:
            await stop.wait()
        finally:
            server.close()  # no new connections; the balancer sends them to the other processes
            housekeeping.cancel()
            await self._drain()
            for tally in self.tallies:
                tally.flush()
            redis.close()
            self.lookups.shutdown(wait=False, cancel_futures=True)
            self.cache_checks.shutdown(wait=False, cancel_futures=True)

    async def _drain(self) -> None:
        """Stop reading; answer the requests read (their clicks written), closing each connection once
        its last is answered; after ``DRAIN_TIMEOUT`` close the rest unanswered."""
        self.stopping = True
        for connection in list(self.connections):
            connection.transport.pause_reading()
            if not connection.replies:
                connection.transport.close()
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while any(c.replies for c in self.connections) or self.pending_lookups or not self.commit.idle.is_set():
            if time.monotonic() > deadline:
                log.warning("stopping with redirects unanswered (their clicks not yet written)")
                break
            await asyncio.sleep(0.01)
        for connection in list(self.connections):
            connection.transport.close()

    async def _housekeeping(self) -> None:
        loop = asyncio.get_running_loop()
        check: asyncio.Future | None = None
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for connection in list(self.connections):
                connection.check(now)
            for tally in self.tallies:
                tally.flush()
            if check is None or check.done():
                check = loop.run_in_executor(self.cache_checks, self._check_generation)

    def _check_generation(self) -> None:
        try:
            self.links.check_generation()
        except Exception:  # noqa: BLE001 - the cache's own TTL still bounds staleness
            log.warning("could not check the link cache's generation", exc_info=True)


def server_for(app: Flask) -> RedirectServer:
    """The redirect server of ``app``'s configuration: its link cache, secret, Redis and spool."""
    links = LinkCache(database.engine_of(app), redis_client.fast_connection(app), ttl=app.config["LINK_CACHE_TTL"])
    tallies = tuple(_Tally(c) for c in (metrics.REDIRECT_FOUND, metrics.REDIRECT_NOT_FOUND,
                                        metrics.REDIRECT_UNAVAILABLE))
    return RedirectServer(redirector_for(app, links, counters=tallies), app.config["REDIS_URL"], spool_dir(app.config),
                          proxy_count=app.config["PROXY_COUNT"], tallies=tallies)


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket several processes can each listen on (the kernel spreads connections over them)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def run(server: RedirectServer, host: str, port: int) -> None:
    """Serve in this process until SIGTERM or SIGINT."""
    sock = listening_socket(host, port)

    async def main() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        gc.freeze()  # startup objects out of the collector's way, as in the web workers
        await server.serve(sock, stop)

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())
