"""Logs: one JSON object a line (``python-json-logger``), each naming the request it
belongs to.

Every request gets an id: the caller's ``X-Request-ID`` when it is a plausible one
(a proxy or load balancer set it), else a new one. It is sent back in the
``X-Request-ID`` header and added to every log line written while the request is
handled, so a support question ("it failed at 10:02, request id ...") finds its
lines on whichever node answered. ``SHARECAST_LOG_FORMAT=text`` gives plain lines
for a person at a terminal.
"""
from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
log = logging.getLogger("sharecast.request")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id") if has_request_context() else None
        return True


def configure(log_format: str, level: str) -> None:
    """Send every log record to stderr in ``log_format`` (``json`` or ``text``); idempotent."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_sharecast", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._sharecast = True  # type: ignore[attr-defined]
    handler.addFilter(_RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                                           rename_fields={"asctime": "time", "levelname": "level",
                                                          "name": "logger"}, timestamp=False))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    # RQ adds a handler of its own to its logger unless one is there: give it ours.
    rq_log = logging.getLogger("rq.worker")
    rq_log.handlers = [handler]
    rq_log.propagate = False


def request_id() -> str | None:
    """The id of the request being handled (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


def init_app(app: Flask) -> None:
    """Give each request its id and one log line when it is answered."""
    if app.config["LOG_FORMAT"] != "off":
        configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if "request_started" in g:
            log.info("%s %s %s", request.method, request.path, response.status_code, extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "ms": round((time.perf_counter() - g.request_started) * 1000, 1)})
        return response
