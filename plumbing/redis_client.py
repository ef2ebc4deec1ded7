"""Redis: the server at ``REDIS_URL``, or the embedded one (:mod:`plumbing.embedded_redis`).

Two clients per app: one for RQ and ordinary commands, and a fast one for the
redirect, which gives up within 250 ms and never retries, because tracking
must never hold a redirect (the click then goes to the spool).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import redis
from flask import Flask
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue

from plumbing import embedded_redis
from plumbing.appstate import AppSlot


@dataclass(frozen=True)
class Clients:
    url: str
    normal: redis.Redis
    fast: redis.Redis


_clients: AppSlot[Clients] = AppSlot("redis")


def init_app(app: Flask) -> None:
    """Clients for ``REDIS_URL``, else for the embedded server of the instance folder
    (which ``flask serve`` runs; nothing is started here, clients connect on first use)."""
    url = app.config["REDIS_URL"] or embedded_redis.url_for(Path(app.config["INSTANCE_PATH"]))
    app.config["REDIS_URL"] = url
    _clients.set(app, Clients(url, redis.Redis.from_url(url), fast_client(url)))


def ensure_server(app: Flask) -> None:
    """For a process that needs Redis outside ``flask serve`` (a lone worker or click
    writer on the embedded default): start the embedded server if none answers; it
    stops when this process exits. Does nothing when ``REDIS_URL`` names a server."""
    instance = Path(app.config["INSTANCE_PATH"])
    if _clients.get(app).url == embedded_redis.url_for(instance):
        embedded_redis.ensure(instance)


def fast_client(url: str) -> redis.Redis:
    """A client that fails within 250 ms and never retries (redis-py retries by default)."""
    return redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25,
                                retry=Retry(NoBackoff(), 0))


def connection(app: Flask | None = None) -> redis.Redis:
    return _clients.get(app).normal


def fast_connection(app: Flask | None = None) -> redis.Redis:
    return _clients.get(app).fast


def queue(name: str = "default", app: Flask | None = None) -> Queue:
    return Queue(name, connection=connection(app))
