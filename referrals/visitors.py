"""Who clicked or bought, without keeping who: visitor hashes, IP prefix hashes and bot detection.

The raw IP never leaves the web process. A visitor is an HMAC of IP and user
agent under a salt that changes every UTC day, so hashes cannot be joined
across days or reversed without the server's secret.

A buyer's network is an HMAC of the IP's prefix (the /24 of an IPv4 address,
the /48 of an IPv6 one: what one household, office or small provider block
shares) under a key derived from the secret. The key does not change daily, so
orders minutes apart on either side of midnight still meet; a prefix, never
the address, is all it could give away, and only with the secret.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from datetime import datetime, timezone
from functools import lru_cache

IPV4_PREFIX, IPV6_PREFIX = 24, 48

from crawlerdetect import CrawlerDetect

_crawlers = CrawlerDetect()


class VisitorHasher:
    def __init__(self, secret: str):
        self._secret = secret.encode()
        # (day, inner state, outer state): one attribute, so that a thread crossing midnight with
        # another never pairs one day's inner state with the other's outer.
        self._states = (-1, hashlib.sha256(), hashlib.sha256())

    def __call__(self, ip: str, user_agent: str, now: float | None = None) -> str:
        """``now``: seconds since the epoch (the redirect passes the one clock read it made).

        HMAC-SHA256 keyed with the day's salt, computed from the key's two padded SHA-256
        states, taken once a day (RFC 2104, section 4): each call copies them instead of
        keying a new HMAC, half the cost of ``hmac.digest`` with OpenSSL 3, same digest."""
        day = int(time.time() if now is None else now) // 86400
        states = self._states
        if day != states[0]:
            name = datetime.fromtimestamp(day * 86400, timezone.utc).strftime("%Y-%m-%d")
            salt = hmac.new(self._secret, b"visitor-salt:" + name.encode(), hashlib.sha256).digest()
            key = salt.ljust(64, b"\0")  # SHA-256's block; the salt (32 bytes) is never longer
            states = self._states = (day, hashlib.sha256(bytes(b ^ 0x36 for b in key)),
                                     hashlib.sha256(bytes(b ^ 0x5C for b in key)))
        inner = states[1].copy()
        inner.update(f"{ip}|{user_agent}".encode())
        outer = states[2].copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:32]


def ip_prefix(ip: str) -> str:
    """The network an address belongs to, as text (``203.0.113.0/24``, ``2001:db8:1::/48``); an
    IPv4 address written as IPv6 (``::ffff:203.0.113.7``) counts as the IPv4 one.

    :raise ValueError: not an IP address.
    """
    address = ipaddress.ip_address(ip.strip())
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    bits = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


@lru_cache(maxsize=8)
def _prefix_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"ip-prefix", hashlib.sha256).digest()


def ip_prefix_hash(secret: str, ip: str) -> str:
    """The keyed hash of ``ip``'s prefix (see :func:`ip_prefix`): 32 hex characters.

    :raise ValueError: not an IP address.
    """
    return hmac.new(_prefix_key(secret), ip_prefix(ip).encode(), hashlib.sha256).hexdigest()[:32]


def ip_hash(secret: str, ip: str) -> str:
    """A keyed hash of the whole address, for telling two requests apart (a replay's fingerprint)
    without keeping the address. :raise ValueError: not an IP address."""
    return hmac.new(_prefix_key(secret), b"ip:" + ipaddress.ip_address(ip.strip()).packed, hashlib.sha256).hexdigest()


@lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    """Crawlers and link-preview fetchers (WhatsApp, Telegram, Slack, ...).

    A request with no user agent is a script, not a person on a phone.
    """
    if not user_agent.strip():
        return True
    return bool(_crawlers.isCrawler(user_agent))
