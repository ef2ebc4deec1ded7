"""Who clicked, without keeping who: visitor hashes and bot detection.

The raw IP never leaves the web process. A visitor is an HMAC of IP and user
agent under a salt that changes every UTC day, so hashes cannot be joined
across days or reversed without the server's secret.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone
from functools import lru_cache

from crawlerdetect import CrawlerDetect

_crawlers = CrawlerDetect()


class VisitorHasher:
    def __init__(self, secret: str):
        self._secret = secret.encode()
        self._day = ""
        self._salt = b""

    def __call__(self, ip: str, user_agent: str, now: datetime | None = None) -> str:
        day = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d")
        if day != self._day:
            self._salt = hmac.new(self._secret, b"visitor-salt:" + day.encode(), hashlib.sha256).digest()
            self._day = day
        return hmac.new(self._salt, f"{ip}|{user_agent}".encode(), hashlib.sha256).hexdigest()[:32]


@lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    """Crawlers and link-preview fetchers (WhatsApp, Telegram, Slack, ...).

    A request with no user agent is a script, not a person on a phone.
    """
    if not user_agent.strip():
        return True
    return bool(_crawlers.isCrawler(user_agent))
