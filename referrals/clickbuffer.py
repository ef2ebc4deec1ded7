"""The durable hand-off of a click: a Redis stream, or a local spool file.

The redirect answers only after the click is in Redis (``XADD``, ~150 µs on
loopback), so killing the web process right after it answers loses nothing.
If Redis does not answer within its short timeout the click is appended to a
spool file under ``instance/`` instead, and Redis is skipped for a second so
an outage never slows redirects; the click writer drains both.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

STREAM = "sc:clicks"
GROUP = "click-writers"
FIELDS = ("id", "link", "ws", "campaign", "sharer", "channel", "ts", "visitor", "ua", "ref", "bot")


class ClickBuffer:
    def __init__(self, redis, spool_dir: Path):
        self._redis = redis
        self._spool_dir = spool_dir
        self._skip_redis_until = 0.0

    def push(self, click: dict[str, str]) -> None:
        """Hand ``click`` (the FIELDS, as strings) off durably. Never raises."""
        now = time.monotonic()
        if now >= self._skip_redis_until:
            try:
                self._redis.xadd(STREAM, click)
                return
            except Exception:  # noqa: BLE001 - any Redis failure falls through to the spool
                self._skip_redis_until = now + 1.0
        self.spool(click)

    def spool(self, click: dict[str, str]) -> None:
        try:
            self._spool_dir.mkdir(parents=True, exist_ok=True)
            line = (json.dumps(click, separators=(",", ":")) + "\n").encode()
            # Open per write: the writer renames spool files before reading them,
            # and a fresh open then lands in a fresh file.
            fd = os.open(self._spool_dir / f"clicks-{os.getpid()}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError:  # pragma: no cover - disk full or read-only: the redirect still goes out
            pass
