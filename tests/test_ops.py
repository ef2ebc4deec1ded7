"""What operators and load balancers ask of a node: liveness, readiness, metrics, request ids."""
from __future__ import annotations

import json
import logging

import pytest
from conftest import BROWSER, drain

from app import create_app


def metric(text: str, name: str) -> float:
    """The sum of every sample of ``name`` (all label sets) in Prometheus text."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_healthz_and_readyz_answer_when_database_and_redis_do(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "redis": "ok"}}


def test_readyz_says_not_ready_on_a_database_without_the_schema(app, tmp_path):
    bare = create_app({**app.config, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    answer = bare.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["migrations"] == "behind"
    assert answer.json["checks"]["redis"] == "ok"


def test_readyz_says_not_ready_when_redis_is_away(app):
    away = create_app({**app.config, "REDIS_URL": "redis://127.0.0.1:1/0"})
    answer = away.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"] == {"database": "ok", "migrations": "ok", "redis": "unavailable"}


def test_metrics_count_redirects_and_written_clicks_and_read_the_backlog(app, client, campaign, make_sharer,
                                                                       make_link):
    before = client.get("/metrics").get_data(as_text=True)
    link = make_link(campaign["id"], make_sharer()["id"])
    for _ in range(3):
        assert client.get(f"/r/{link['code']}", headers={"User-Agent": BROWSER}).status_code == 302
    assert client.get("/r/nosuchcode").status_code == 404
    waiting = client.get("/metrics").get_data(as_text=True)
    assert metric(waiting, "sharecast_clicks_waiting") >= 3
    assert metric(waiting, "sharecast_click_writer_lag_seconds") >= 0
    drain(app)
    after = client.get("/metrics")
    assert after.status_code == 200 and after.content_type.startswith("text/plain")
    text = after.get_data(as_text=True)
    found = 'sharecast_redirects_total{outcome="found"}'
    assert metric(text, found.split("{")[0] + '{outcome="found"}') - metric(before, found) == 3
    assert metric(text, 'sharecast_redirects_total{outcome="not_found"}') - \
        metric(before, 'sharecast_redirects_total{outcome="not_found"}') == 1
    assert metric(text, "sharecast_clicks_written_total") - metric(before, "sharecast_clicks_written_total") == 3
    assert metric(text, "sharecast_clicks_waiting") == 0
    assert 'sharecast_queue_jobs{queue="default",state="queued"}' in text
    assert "sharecast_webhook_delivery_lag_seconds" in text


def test_metrics_need_the_token_when_one_is_set_and_a_loopback_address_otherwise(app):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert app.test_client().get("/metrics", environ_overrides=outside).status_code == 403
    guarded = create_app({**app.config, "METRICS_TOKEN": "s3cret-token"})
    client = guarded.test_client()
    assert client.get("/metrics").status_code == 403  # even from this machine
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"},
                      environ_overrides=outside).status_code == 200


def test_each_request_gets_an_id_in_its_answer_and_its_json_log_line(client, caplog):
    caplog.set_level(logging.INFO, logger="sharecast.request")
    answer = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.91"})
    assert answer.headers["X-Request-ID"] == "lb-7f3a.91"
    record = next(r for r in caplog.records if r.name == "sharecast.request")
    ours = next(h for h in logging.getLogger().handlers if getattr(h, "_sharecast", False))
    line = json.loads(ours.format(record))
    assert line["request_id"] == "lb-7f3a.91"
    assert (line["method"], line["path"], line["status"], line["level"]) == ("GET", "/healthz", 200, "INFO")
    # A header that is not a plausible id (too long, odd characters) is replaced by a fresh one.
    for odd in ("x" * 65, "a b", "<script>"):
        fresh = client.get("/healthz", headers={"X-Request-ID": odd}).headers["X-Request-ID"]
        assert fresh != odd and len(fresh) == 32


def test_a_click_writer_niceness_outside_0_to_19_is_refused_at_start(app):
    for nice in (-5, 20):
        with pytest.raises(ValueError, match="SHARECAST_CLICK_WRITER_NICE must be 0 to 19"):
            create_app({**app.config, "CLICK_WRITER_NICE": nice})
    assert create_app({**app.config, "CLICK_WRITER_NICE": 0}).config["CLICK_WRITER_NICE"] == 0


def test_a_click_writer_burst_rate_below_0_or_a_lag_outside_0_to_600_s_is_refused_at_start(app):
    for bad in ({"CLICK_WRITER_BURST_RATE": -1}, {"CLICK_WRITER_MAX_LAG_SECONDS": -1},
                {"CLICK_WRITER_MAX_LAG_SECONDS": 601}, {"CLICK_WRITER_BURST_RATE": float("nan")}):
        with pytest.raises(ValueError, match="SHARECAST_CLICK_WRITER_BURST_RATE must be 0 or more"):
            create_app({**app.config, **bad})
    kept = create_app({**app.config, "CLICK_WRITER_BURST_RATE": 0, "CLICK_WRITER_MAX_LAG_SECONDS": 0}).config
    assert (kept["CLICK_WRITER_BURST_RATE"], kept["CLICK_WRITER_MAX_LAG_SECONDS"]) == (0, 0)
