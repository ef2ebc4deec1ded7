"""Code → redirect target, from process memory.

The ORM costs ~260 µs a lookup, so the hot path reads a plain dict and, on a
miss, runs one indexed Core SELECT. Entries live ``ttl`` seconds; any process
that changes a link or its campaign bumps a generation counter in Redis, which
every process checks at most once a second, so changes reach all web nodes
within about a second without a Redis round trip per redirect.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from sqlalchemy import Engine, text
from werkzeug.urls import iri_to_uri

GENERATION_KEY = "sc:links:generation"

_LOOKUP = text(
    "SELECT l.id, l.workspace_id, l.campaign_id, l.sharer_id, l.channel, l.disabled,"
    " COALESCE(p.landing_url, c.landing_url) AS landing_url, c.ends_at"
    " FROM links l JOIN campaigns c ON c.id = l.campaign_id"
    # A product's own link lands on the product's page.
    " LEFT JOIN products p ON p.id = l.product_id WHERE l.code = :code"
)


@dataclass(frozen=True, slots=True)
class Target:
    link_id: int
    workspace_id: int
    campaign_id: int
    sharer_id: int
    channel: str
    ends_at: float | None  # epoch seconds
    # The landing URL split around where ``sc_click=`` goes.
    head: str
    fragment: str
    # A disabled link (its sharer suspended) still sends the buyer to the landing page, crediting nobody.
    disabled: bool = False

    def location(self, click_id: str | None) -> str:
        if click_id is None:
            return self.head.rstrip("?&") + self.fragment
        return f"{self.head}sc_click={click_id}{self.fragment}"

    def expired(self, now: float) -> bool:
        return self.ends_at is not None and now >= self.ends_at


def split_landing(url: str) -> tuple[str, str]:
    """``https://a/b?x=1#f`` → (``https://a/b?x=1&``, ``#f``): query kept, fragment last.

    The URL is made ASCII first (IDNA host, percent-encoded path and query):
    a Location header cannot carry ``https://商店.example/茶``.
    """
    url = iri_to_uri(url)
    fragment = ""
    if "#" in url:
        url, frag = url.split("#", 1)
        fragment = "#" + frag
    parts = urlsplit(url)
    joiner = "&" if parts.query else ("" if url.endswith("?") else "?")
    return url + joiner, fragment


def _epoch(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back text for raw SELECTs
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


MISS = object()  # what :meth:`LinkCache.cached` answers when it would have to look


class LookupUnavailable(Exception):
    """The database could not be asked and nothing (not even stale) is cached."""


class LinkCache:
    def __init__(self, engine: Engine, redis, ttl: float = 60.0, max_entries: int = 200_000):
        self._engine = engine
        self._redis = redis
        self._ttl = ttl
        self._max = max_entries
        # code -> (fresh until, target or None); entries past their time are
        # kept as a fallback for when the database cannot be reached.
        self._entries: OrderedDict[str, tuple[float, Target | None]] = OrderedDict()
        self._generation: bytes | None = None
        self._next_check = 0.0

    def resolve(self, code: str) -> Target | None:
        """The live target for ``code`` (``disabled`` when it credits nobody), or None when no such link exists.

        :raise LookupUnavailable: the database is down and the code was never seen.
        """
        now = time.monotonic()
        if now >= self._next_check:
            self._check_generation(now)
        hit = self._entries.get(code)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            target = self._load(code)
        except Exception as exc:  # noqa: BLE001 - a database outage must not break known links
            if hit is not None:
                self._entries[code] = (now + 5.0, hit[1])
                return hit[1]
            raise LookupUnavailable(code) from exc
        # Unknown codes are remembered briefly too, so a flood of bad codes
        # cannot turn every request into a database query.
        self._entries[code] = (now + (self._ttl if target else min(self._ttl, 5.0)), target)
        self._entries.move_to_end(code)
        if len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return target

    def cached(self, code: str, now: float | None = None) -> Target | None | object:
        """The code's target while its cache entry is fresh (at ``now``, ``time.monotonic()``'s), else
        :data:`MISS`; never waits for Redis or the database (the event-loop server asks this first,
        and :meth:`resolve` off its loop)."""
        hit = self._entries.get(code)
        if hit is not None and hit[0] > (time.monotonic() if now is None else now):
            return hit[1]
        return MISS

    def check_generation(self) -> None:
        """Look at the invalidation counter now (the event-loop server calls this once a second,
        off its loop, since :meth:`cached` does not)."""
        self._check_generation(time.monotonic())

    def _check_generation(self, now: float) -> None:
        self._next_check = now + 1.0
        try:
            generation = self._redis.get(GENERATION_KEY)
        except Exception:  # noqa: BLE001 - Redis trouble must not break redirects; TTL still bounds staleness
            return
        if generation != self._generation:
            self._generation = generation
            # Everything is due for a fresh look, but stays as a fallback.
            # A copy: another thread may add an entry meanwhile.
            for code, (_, target) in list(self._entries.items()):
                self._entries[code] = (0.0, target)

    def _load(self, code: str) -> Target | None:
        with self._engine.connect().execution_options(sqlite_deferred=True) as conn:
            row = conn.execute(_LOOKUP, {"code": code}).first()
        if row is None:
            return None
        head, fragment = split_landing(row.landing_url)
        return Target(row.id, row.workspace_id, row.campaign_id, row.sharer_id, row.channel,
                      _epoch(row.ends_at), head, fragment, bool(row.disabled))


def invalidate(redis) -> None:
    """Tell every process to drop its cached links (call after changing links or campaigns)."""
    redis.incr(GENERATION_KEY)
