"""GET /r/<code>: resolve, hand the click off, answer 302. Nothing else.

It is a plain WSGI layer in front of Flask (like Shlink's tiny redirect
action): Flask's request context, sessions and URL routing cost more than the
whole redirect, so ``/r/<code>`` never enters them. The module imports
nothing from publishing or channels and never touches the ORM; per request it
does a dict lookup, two HMACs and one XADD. The post's creative tag (``?v=``)
is passed on as given; the click writer makes sense of it.
"""
from __future__ import annotations

import os
import re
import secrets
import time
from typing import NamedTuple

from flask import Flask

from plumbing import database, metrics, redis_client
from plumbing.appstate import AppSlot
from referrals.clickbuffer import ClickBuffer, creative_tag, encode_click, spool_dir
from referrals.linkcache import LinkCache, LookupUnavailable, Target
from referrals.visitors import VisitorHasher, is_bot

PREFIX = "/r/"
_NOT_FOUND = (
    "<!doctype html><meta charset=utf-8><title>Link not found</title>"
    "<p>This link does not exist or has expired. 链接不存在或已失效。</p>"
).encode()
_NOT_FOUND_HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(_NOT_FOUND))),
                      ("Cache-Control", "no-store")]
_UNAVAILABLE = ("<!doctype html><meta charset=utf-8><title>Try again</title>"
                "<p>Please try again in a moment. 请稍后重试。</p>").encode()
_CODE = re.compile(r"[A-Za-z0-9]{1,16}")


_RANDOM_TAILS = 1024
_tails = iter(())


def _forget_tails() -> None:
    global _tails
    _tails = iter(())


os.register_at_fork(after_in_child=_forget_tails)  # a forked child never reuses its parent's tails


def new_click_id(now: float | None = None) -> str:
    """Time-ordered and unguessable: 11 hex digits of milliseconds (of ``now``, seconds since the
    epoch, else the clock's), 10 random.

    The random parts come from the system's generator a thousand at a time (one
    read instead of one per redirect); taking one is a single ``next`` on a list
    iterator, atomic between threads, so no two requests get the same tail."""
    global _tails
    tail = next(_tails, None)
    if tail is None:
        pool = secrets.token_hex(5 * _RANDOM_TAILS)
        _tails = iter([pool[i:i + 10] for i in range(0, len(pool), 10)])
        tail = next(_tails)
    return f"{int((time.time() if now is None else now) * 1000):011x}{tail}"


class Answer(NamedTuple):
    """What ``/r/<code>`` answers, whichever server asked: the status line, headers and body,
    and the encoded click to hand off durably before it is sent (None: nothing to record)."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    click: str | None = None
    location: str | None = None  # a 302's, also in ``headers``


NOT_FOUND = Answer("404 Not Found", _NOT_FOUND_HEADERS, _NOT_FOUND)
UNAVAILABLE = Answer("503 Service Unavailable", [
    ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(_UNAVAILABLE))),
    ("Retry-After", "5"), ("Cache-Control", "no-store")], _UNAVAILABLE)


# A 302's headers after its Location. Each visit must reach us to be counted; no browser or CDN
# may cache the hop. (The event-loop server writes these as bytes once, at import.)
REDIRECT_HEADERS = [("Content-Length", "0"), ("Cache-Control", "private, no-store")]


def _redirect(location: str, click: str | None = None) -> Answer:
    return Answer("302 Found", [("Location", location), *REDIRECT_HEADERS], b"", click, location)


class Redirector:
    """The redirect itself, apart from any server: the WSGI layer below and the event-loop
    server (:mod:`referrals.redirect_server`) both ask it, so both answer alike."""

    def __init__(self, links: LinkCache, visitor: VisitorHasher, carry_ip: bool = False, counters=None):
        self.links = links
        self.visitor = visitor
        # Only with a GeoIP database: the writer looks the country up and keeps nothing else of the address.
        self.carry_ip = carry_ip
        # Anything with inc(): the outcomes' Prometheus counters, or the event-loop server's tallies of them.
        self.found, self.not_found, self.unavailable_ = counters or (
            metrics.REDIRECT_FOUND, metrics.REDIRECT_NOT_FOUND, metrics.REDIRECT_UNAVAILABLE)

    @staticmethod
    def well_formed(code: str) -> bool:
        """Codes are shortuuid letters and digits; anything else is answered without a lookup."""
        return _CODE.fullmatch(code) is not None

    def lookup(self, code: str) -> Target | None:
        """The code's target (None: no such link), from the cache or the database.

        :raise LookupUnavailable: the database is down and the code was never seen."""
        return self.links.resolve(code) if self.well_formed(code) else None

    def answer(self, target: Target | None, method: str, user_agent: str, referer: str, address: str,
               query: str | None) -> Answer:
        """302 to the landing URL with ``sc_click`` appended; 404 for unknown or expired codes.

        HEAD requests and bots are redirected without ``sc_click``; bots are
        recorded (flagged) and never counted or credited. A disabled link (its sharer
        suspended) is redirected without ``sc_click`` and records nothing.

        A redirect with a click counts as ``found`` once its click is durable (the caller's
        :meth:`delivered`): one whose click was refused was not answered with a redirect.
        """
        now = time.time()
        if target is None or target.expired(now):
            self.not_found.inc()
            return NOT_FOUND
        if method == "HEAD" or target.disabled:
            self.found.inc()
            return _redirect(target.location(None))
        user_agent = user_agent[:512]
        bot = is_bot(user_agent)
        click_id = new_click_id(now)
        click = encode_click(
            click_id, target.link_id, target.workspace_id, target.campaign_id, target.sharer_id, target.channel,
            int(now * 1000), self.visitor(address, user_agent, now), bot,
            user_agent, referer[:1000], creative_tag(query) if query else "",
            address[:45] if self.carry_ip else "")
        return _redirect(target.location(None if bot else click_id), click)

    def delivered(self, count: int = 1) -> None:
        """``count`` redirects whose clicks are durable were sent (see :meth:`answer`)."""
        self.found.inc(count)

    def refused(self, count: int = 1) -> None:
        """``count`` redirects were not sent: their clicks could be made durable nowhere."""
        self.unavailable_.inc(count)

    def unavailable(self) -> Answer:
        self.unavailable_.inc()
        return UNAVAILABLE


class RedirectLayer:
    """WSGI middleware answering GET/HEAD ``/r/<code>``; all else goes to ``next_app``."""

    def __init__(self, next_app, redirector: Redirector, clicks: ClickBuffer):
        self.next_app = next_app
        self.redirector = redirector
        self.links = redirector.links
        self.clicks = clicks

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        code = path[len(PREFIX):]
        if not path.startswith(PREFIX) or method not in ("GET", "HEAD") or "/" in code:
            return self.next_app(environ, start_response)
        return self.follow(code, method, environ, start_response)

    def follow(self, code: str, method: str, environ, start_response):
        """Answer as :meth:`Redirector.answer` says, once its click (if any) is durable."""
        redirector = self.redirector
        try:
            target = redirector.lookup(code)
        except LookupUnavailable:
            answer = redirector.unavailable()
        else:
            answer = redirector.answer(target, method, environ.get("HTTP_USER_AGENT", ""),
                                       environ.get("HTTP_REFERER", ""), environ.get("REMOTE_ADDR", ""),
                                       environ.get("QUERY_STRING"))
        if answer.click is not None:
            if self.clicks.push(answer.click):
                redirector.delivered()
            else:  # no durable click, no redirect (its click counted in sharecast_clicks_refused)
                redirector.refused()
                answer = UNAVAILABLE
        start_response(answer.status, answer.headers)
        return [] if method == "HEAD" or not answer.body else [answer.body]


def init_app(app: Flask) -> None:
    """Put the redirect layer in front of the Flask app (inside any ProxyFix)."""
    links = LinkCache(database.engine_of(app), redis_client.fast_connection(app), ttl=app.config["LINK_CACHE_TTL"])
    clicks = ClickBuffer(redis_client.fast_connection(app), spool_dir(app.config))
    app.wsgi_app = _layer.set(app, RedirectLayer(app.wsgi_app, redirector_for(app, links), clicks))


def redirector_for(app: Flask, links: LinkCache, counters=None) -> Redirector:
    return Redirector(links, VisitorHasher(app.config["SECRET_KEY"]), carry_ip=bool(app.config.get("GEOIP_DB")),
                      counters=counters)


_layer: AppSlot[RedirectLayer] = AppSlot("redirect")


def layer(app: Flask) -> RedirectLayer:
    """The app's redirect layer (its link cache and click buffer)."""
    return _layer.get(app)
