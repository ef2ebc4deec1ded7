"""What an operator, a load balancer and Prometheus ask of a node.

* ``GET /healthz``: the process answers (liveness; touches nothing else).
* ``GET /readyz``: the database answers with every migration applied and Redis
  answers (readiness: 503 with the failing checks otherwise).
* ``GET /metrics``: Prometheus text format: every process's counters (see
  ``plumbing/metrics.py``) plus the backlog figures read at scrape time: queue
  depths, clicks waiting for the writer and the oldest one's age, and the age of
  the oldest webhook delivery not yet settled. Open to this machine, or to anyone
  presenting ``SHARECAST_METRICS_TOKEN`` as a bearer token.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging

from flask import Blueprint, Flask, current_app, jsonify, request
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from sqlalchemy import text

from events.delivery import oldest_waiting
from plumbing import database, metrics, migrate, redis_client
from plumbing.database import utcnow
from referrals.clickwriter import backlog

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = {}
    try:
        engine = database.engine_of(current_app)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
        checks["migrations"] = "ok" if migrate.at_head(engine) else "behind"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        log.warning("readyz: database: %s", exc)
        checks["database"] = "unavailable"
    try:
        redis_client.connection(current_app).ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        log.warning("readyz: redis: %s", exc)
        checks["redis"] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


@bp.get("/metrics")
def prometheus():
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    allowed = hmac.compare_digest(given, token) if token else _loopback(request.remote_addr)
    if not allowed:
        return jsonify(error={"code": "forbidden", "message": "metrics need the metrics token"}), 403
    body, content_type = metrics.exposition([_Backlog(current_app._get_current_object())])
    return body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"}


def _loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


class _Backlog(Collector):
    """Figures read at scrape time; one that cannot be read is left out, never an error."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        redis = redis_client.connection(self.app)
        try:
            queue = redis_client.queue(app=self.app)
            depth = GaugeMetricFamily("sharecast_queue_jobs", "Jobs in the queue by state", labels=["queue", "state"])
            depth.add_metric([queue.name, "queued"], queue.count)
            depth.add_metric([queue.name, "scheduled"], ScheduledJobRegistry(queue=queue).count)
            depth.add_metric([queue.name, "failed"], FailedJobRegistry(queue=queue).count)
            yield depth
            waiting, age = backlog(redis)
            yield GaugeMetricFamily("sharecast_clicks_waiting",
                                    "Stream entries not yet written (each a group commit's clicks, one or more)", value=waiting)
            yield GaugeMetricFamily("sharecast_click_writer_lag_seconds",
                                    "Age of the oldest click not yet written", value=age)
        except Exception as exc:  # noqa: BLE001
            log.warning("metrics: redis figures unavailable: %s", exc)
        try:
            with database.new_session(self.app) as session:
                oldest = oldest_waiting(session)
            lag = (utcnow() - oldest).total_seconds() if oldest else 0.0
            yield GaugeMetricFamily("sharecast_webhook_delivery_lag_seconds",
                                    "Age of the oldest webhook delivery not yet settled", value=max(0.0, lag))
        except Exception as exc:  # noqa: BLE001
            log.warning("metrics: delivery lag unavailable: %s", exc)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
