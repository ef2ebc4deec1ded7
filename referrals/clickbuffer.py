"""The durable hand-off of a click: a Redis stream, or a local spool file.

The redirect answers only after the click is in Redis (an ``XADD`` shared
with the other requests of that moment), so
killing the web process right after it answers loses nothing. If Redis does
not answer within its short timeout the click is appended to a spool file
under ``instance/`` instead, and Redis is skipped for a second so an outage
never slows redirects; the click writer drains both. A click that neither takes
(the disk full as well) is refused: its redirect is not answered.

A click is its values joined by the ASCII unit separator, which is cheaper
to pack than thirteen fields (this runs per click). Format 2 added the
creative tag (the post's ``?v=`` as given, see :func:`creative_tag`) and the
visitor's IP address, carried only when a GeoIP database is configured (the
writer turns it into a country and never stores it); format 1 clicks still
in a stream or spool decode with both empty. A stream entry carries one
or more clicks in its one field, one per line: the clicks of one group
commit (see :class:`ClickBuffer`).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from plumbing import metrics

log = logging.getLogger(__name__)

STREAM = "sc:clicks"
GROUP = "click-writers"
FIELD = "c"
SEP = "\x1f"
ENTRY_SEP = "\n"  # between the clicks of one stream entry (a click holds no newline)
VERSION = "2"
FIELDS = ("id", "link", "ws", "campaign", "sharer", "channel", "ts", "visitor", "bot", "ua", "ref", "creative", "ip")
_V1_LENGTH = len(FIELDS) - 2  # format 1: the first eleven fields


def spool_dir(config) -> Path:
    """Where this machine's web processes spool clicks when Redis does not answer."""
    return Path(config["INSTANCE_PATH"]) / "click-spool"


def encode_click(click_id: str, link_id: int, workspace_id: int, campaign_id: int, sharer_id: int, channel: str,
                 ts_ms: int, visitor: str, bot: bool, user_agent: str, referrer: str, creative: str = "",
                 ip: str = "") -> str:
    """``creative`` must come from :func:`creative_tag` (digits only)."""
    return SEP.join((VERSION, click_id, str(link_id), str(workspace_id), str(campaign_id), str(sharer_id), channel,
                     str(ts_ms), visitor, "1" if bot else "0",
                     user_agent.replace(SEP, " ").replace("\n", " "), referrer.replace(SEP, " ").replace("\n", " "),
                     creative, ip.replace(SEP, "").replace("\n", "") if ip else ""))


def creative_tag(query_string: str) -> str:
    """Pure: the creative tag a post's link carries, ``v=<content version>`` (1 to 6 digits) in the query
    string; "" when there is none or it is anything else. Runs on the redirect: no parsing library."""
    if query_string.startswith("v="):
        start = 2
    else:
        at = query_string.find("&v=")
        if at < 0:
            return ""
        start = at + 3
    end = query_string.find("&", start)
    value = query_string[start:] if end < 0 else query_string[start:end]
    return value if 0 < len(value) <= 6 and value.isascii() and value.isdigit() else ""


def decode_click(raw: str) -> dict[str, str]:
    """A click's values by field name. :raise ValueError: not a click of a format this version knows."""
    return dict(zip(FIELDS, decode_values(raw)))


def decode_values(raw: str) -> list[str]:
    """A click's values in the order of ``FIELDS`` (what the click writer reads, a click at a time).

    :raise ValueError: not a click of a format this version knows.
    """
    parts = raw.split(SEP)
    if parts[0] == VERSION and len(parts) == len(FIELDS) + 1:
        del parts[0]
        return parts
    if parts[0] == "1" and len(parts) == _V1_LENGTH + 1:
        return parts[1:] + ["", ""]
    raise ValueError(f"unknown click format: {raw[:40]!r}")


class ClickBuffer:
    """Group commit: the clicks of every request waiting at the same moment go to Redis in one write.

    A request appends its click and waits. If no write is in flight it
    becomes the writer: it takes every click waiting (its own and those that
    arrived while the previous write was out), sends them as one ``XADD``
    entry and wakes the requests whose clicks it carried; one of the others
    then writes the clicks that came meanwhile. A request therefore waits for
    at most the write in flight plus its own batch's, and under load one
    round trip to Redis carries many clicks. With one request at a time it
    is exactly one ``XADD`` per click, as before.
    """

    def __init__(self, redis, spool_dir: Path, max_batch: int = 256):
        self._redis = redis
        self._conn = None
        self._spool_dir = spool_dir
        self._skip_redis_until = 0.0
        self._max_batch = max_batch
        self._cond = threading.Condition(threading.Lock())
        self._waiting: list[str] = []
        self._queued = 0  # clicks ever appended (sequence number of the newest)
        self._done = 0  # clicks ever written to Redis or the spool, or refused, in order
        # Batches that went neither to Redis nor to the spool: (first, last) sequence numbers, and
        # how many of their requests have yet to learn it.
        self._refused: dict[tuple[int, int], int] = {}
        self._writing = False

    def push(self, click: str) -> bool:
        """Hand an encoded click off durably; returns once it is in Redis or the spool (True), or
        once neither would take it (False: Redis away and the spool unwritable, a full disk say;
        the redirect must not be answered). Never raises."""
        cond = self._cond
        with cond:
            self._waiting.append(click)
            self._queued += 1
            mine = self._queued
            while self._done < mine:
                if self._writing:
                    cond.wait()
                    continue
                self._writing = True
                batch = self._waiting[:self._max_batch]
                del self._waiting[:self._max_batch]
                cond.release()
                durable = False
                try:
                    durable = self._write(batch)
                finally:
                    cond.acquire()
                    self._writing = False
                    if not durable:
                        self._refused[(self._done + 1, self._done + len(batch))] = len(batch)
                    self._done += len(batch)  # the oldest waiting clicks: batches go in order
                    cond.notify_all()
            return not self._refused or not self._learn_refused(mine)

    def _learn_refused(self, mine: int) -> bool:
        """Whether click number ``mine`` was in a refused batch (each is asked once; the lock held)."""
        for (first, last), left in self._refused.items():
            if first <= mine <= last:
                if left == 1:
                    del self._refused[(first, last)]
                else:
                    self._refused[(first, last)] = left - 1
                return True
        return False

    def _write(self, batch: list[str]) -> bool:
        now = time.monotonic()
        if now >= self._skip_redis_until:
            try:
                self._xadd(batch)
                metrics.CLICKS_TO_REDIS.inc(len(batch))
                return True
            except Exception:  # noqa: BLE001 - any Redis failure falls through to the spool
                self._skip_redis_until = now + 1.0
                if self._conn is not None:
                    self._conn.disconnect()
        try:
            self.spool(batch)
        except Exception:  # noqa: BLE001 - a full disk (OSError) or anything else: the click is not durable
            metrics.CLICKS_REFUSED.inc(len(batch))
            log.exception("%d clicks could be put neither in Redis nor in the spool; their redirects are refused",
                          len(batch))
            return False
        metrics.CLICKS_TO_SPOOL.inc(len(batch))
        return True

    def _xadd(self, batch: list[str]) -> None:
        # One connection of redis-py's pool kept for this process's redirects
        # (only the batch's writer uses it): send/read on it directly skips
        # the per-command pool checkout and retry wrapping.
        if self._conn is None:
            self._conn = self._redis.connection_pool.get_connection()
        self._conn.send_command("XADD", STREAM, "*", FIELD, ENTRY_SEP.join(batch))
        self._conn.read_response()

    def spool(self, batch: list[str]) -> None:
        """Append ``batch`` to this process's spool file.

        :raise OSError: it could not be written (a full disk, a read-only folder): the clicks are not
            durable and their redirects must not be answered."""
        self._spool_dir.mkdir(parents=True, exist_ok=True)
        # Open per write: the writer renames spool files before reading them,
        # and a fresh open then lands in a fresh file.
        fd = os.open(self._spool_dir / f"clicks-{os.getpid()}.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            data = "".join(click + "\n" for click in batch).encode()
            size = os.fstat(fd).st_size  # (this process's one writer appends to this file)
            if os.write(fd, data) != len(data):  # a full disk took part of it: no half line is left
                os.ftruncate(fd, size)
                raise OSError(f"the spool took part of {len(batch)} clicks")
        finally:
            os.close(fd)
