"""Outgoing webhooks: registered by the owner, emitted in the caller's transaction,
signed per Standard Webhooks, sent by RQ jobs, retried with backoff, logged."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import BROWSER, drain, path_of
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry
from servers import WebhookReceiver
from sqlalchemy import select

from events import jobs
from events.emit import emit
from events.models import WebhookDelivery, WebhookEndpoint
from plumbing import database, redis_client, vault
from plumbing.outbox import retry_delay

ALL_EVENTS = ["post.published", "link.clicked", "sale.attributed", "commission.created",
              "commission.reversed", "sharer.enrolled"]


@pytest.fixture
def local_targets(app):
    """Outgoing calls may reach 127.0.0.1 (what SHARECAST_ALLOW_PRIVATE_TARGETS=1 sets)."""
    app.config["ALLOW_PRIVATE_TARGETS"] = True
    return app


@pytest.fixture
def receiver():
    servers = []

    def start(**kwargs) -> WebhookReceiver:
        servers.append(WebhookReceiver(**kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def register(owner, receiver_server, events=ALL_EVENTS) -> dict:
    res = owner.post("/api/v1/webhooks", {"url": receiver_server.url("/hooks"), "events": events})
    assert res.status_code == 201, res.json
    receiver_server.secret = res.json["secret"]
    return res.json


def work(app) -> None:
    """Run the queued jobs in this process (a burst worker against the test Redis)."""
    with app.app_context():
        SimpleWorker([redis_client.queue(app=app)], connection=redis_client.connection(app)).work(burst=True)


def release_scheduled(app) -> list[float]:
    """Move every planned retry into the queue now; answers how far ahead each was planned (s)."""
    queue = redis_client.queue(app=app)
    registry = ScheduledJobRegistry(queue=queue)
    ahead = []
    for job_id in registry.get_job_ids():
        job = queue.fetch_job(job_id)
        ahead.append((registry.get_scheduled_time(job) - database.utcnow()).total_seconds())
        registry.remove(job)
        queue.enqueue_job(job)
    return ahead


def deliveries(owner, endpoint_id) -> list[dict]:
    res = owner.get(f"/api/v1/webhooks/{endpoint_id}/deliveries")
    assert res.status_code == 200, res.json
    return res.json["items"]


def workspace_of(app, endpoint_id) -> int:
    with database.read_session(app) as s:
        return s.get(WebhookEndpoint, endpoint_id).workspace_id


def publish_event(app, endpoint) -> list[int]:
    """Emit post.published in a committed transaction, as the scheduler will."""
    with app.app_context(), database.new_session(app) as s:
        ids = emit(s, workspace_of(app, endpoint["id"]), "post.published", {"campaign_id": 1})
        s.commit()
    return ids


def test_registering_answers_a_standard_webhooks_secret_once(owner, local_targets, receiver):
    created = register(owner, receiver(), ["sale.attributed"])
    assert created["secret"].startswith("whsec_") and created["events"] == ["sale.attributed"]
    listed = owner.get("/api/v1/webhooks").json
    assert listed["next_cursor"] is None
    assert [e["id"] for e in listed["items"]] == [created["id"]]
    assert "secret" not in listed["items"][0] and created["secret"] not in str(listed)


def test_registration_refuses_private_urls_unless_the_deployment_allows_them(owner, app):
    for url in ["http://127.0.0.1:9/h", "http://10.0.0.1/h", "http://169.254.169.254/latest", "http://[::1]/h",
                "http://localhost:8080/h"]:
        res = owner.post("/api/v1/webhooks", {"url": url, "events": ["sale.attributed"]})
        assert res.status_code == 422, url
        assert "private" in res.json["error"]["message"] and "url" in res.json["error"]["fields"]
    app.config["ALLOW_PRIVATE_TARGETS"] = True
    assert owner.post("/api/v1/webhooks", {"url": "http://localhost:8080/h", "events": ["sale.attributed"]}).status_code == 201


def test_registration_refuses_unknown_events_and_non_http_urls(owner, local_targets):
    assert owner.post("/api/v1/webhooks", {"url": "http://127.0.0.1/h", "events": ["sale.made"]}).status_code == 422
    assert owner.post("/api/v1/webhooks", {"url": "http://127.0.0.1/h", "events": []}).status_code == 422
    assert owner.post("/api/v1/webhooks", {"url": "file:///etc/passwd", "events": ["sale.attributed"]}).status_code == 422


def test_only_the_owner_manages_webhooks(owner, make_sharer, local_targets):
    seller = make_sharer()
    res = owner.post("/api/v1/webhooks", {"url": "http://127.0.0.1/h", "events": ["sale.attributed"]},
                     key=seller["api_key"])
    assert res.status_code == 403


def test_a_sale_emits_signed_sale_commission_and_enrollment_events(owner, campaign, make_sharer, make_link,
                                                                    local_targets, receiver):
    server = receiver()
    register(owner, server)
    seller = make_sharer()
    link = make_link(campaign["id"], seller["id"])
    res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": "A-1", "amount": "199.00", "code": link["code"],
                                             "customer": {"external_id": "buyer-1", "name": "Wang"}})
    assert res.status_code == 201, res.json
    work(local_targets)
    by_type = {}
    for call in server.calls:
        assert call["verified"] == call["body"]  # Webhook(secret).verify passed
        assert call["headers"]["webhook-id"].startswith("msg_")
        by_type.setdefault(call["body"]["type"], []).append(call["body"]["data"])
    assert set(by_type) == {"sale.attributed", "commission.created", "sharer.enrolled"}
    assert by_type["sale.attributed"][0]["order_id"] == "A-1" and by_type["sale.attributed"][0]["sharer_id"] == seller["id"]
    assert [c["amount"] for c in by_type["commission.created"]] == ["19.90"]
    assert by_type["sharer.enrolled"][0]["invited_by"] == seller["id"]

    owner.post("/api/v1/conversions", {"type": "refund", "order_id": "A-1", "amount": "199.00"})
    work(local_targets)
    reversed_ = [c["body"]["data"] for c in server.calls if c["body"]["type"] == "commission.reversed"]
    assert len(reversed_) == 1 and reversed_[0]["amount"] == "19.90" and reversed_[0]["order_id"] == "A-1"


def test_a_replayed_sale_emits_nothing_twice(owner, campaign, make_sharer, make_link, local_targets, receiver):
    server = receiver()
    register(owner, server, ["sale.attributed"])
    link = make_link(campaign["id"], make_sharer()["id"])
    sale = {"type": "sale", "order_id": "A-2", "amount": "50.00", "code": link["code"],
            "customer": {"external_id": "buyer-2"}}
    assert owner.post("/api/v1/conversions", sale).status_code == 201
    assert owner.post("/api/v1/conversions", sale).status_code == 200
    work(local_targets)
    assert len(server.calls) == 1


def test_a_batch_of_clicks_is_one_link_clicked_event_listing_them(owner, client, campaign, make_sharer, make_link,
                                                                    local_targets, receiver):
    server = receiver()
    endpoint = register(owner, server, ["link.clicked"])
    link = make_link(campaign["id"], make_sharer()["id"])
    for _ in range(3):
        assert client.get(path_of(link["url"]), headers={"User-Agent": BROWSER}).status_code == 302
    assert drain(local_targets) == 3
    work(local_targets)
    assert len(server.calls) == 1
    data = server.calls[0]["body"]["data"]
    assert data["count"] == 3 and {c["link_id"] for c in data["clicks"]} == {link["id"]}
    assert deliveries(owner, endpoint["id"])[0]["status"] == "succeeded"


def test_failed_deliveries_retry_with_exponential_backoff_and_log_every_attempt(owner, local_targets, receiver):
    server = receiver(fail_first=2)
    endpoint = register(owner, server, ["post.published"])
    publish_event(local_targets, endpoint)
    work(local_targets)
    [first] = deliveries(owner, endpoint["id"])
    assert first["status"] == "retrying" and first["attempts"] == 1 and first["last_status_code"] == 500
    assert first["next_attempt_at"] is not None and "500" in first["last_error"]
    planned = []
    for _ in range(2):
        planned += release_scheduled(local_targets)
        work(local_targets)
    assert 25 < planned[0] <= 30 and 115 < planned[1] <= 120  # 30 s, then 4 × longer
    [done] = deliveries(owner, endpoint["id"])
    assert done["status"] == "succeeded" and done["attempts"] == 3 and done["next_attempt_at"] is None
    assert [a["status_code"] for a in done["attempt_log"]] == [500, 500, 200]
    assert len({c["headers"]["webhook-id"] for c in server.calls}) == 1  # one message, three tries
    assert all(c["verified"] for c in server.calls[2:])


def test_a_delivery_failing_for_longer_than_its_window_ends_failed(owner, local_targets, receiver):
    local_targets.config["DELIVERY_MAX_AGE_SECONDS"] = 100  # the 3 days, shrunk
    server = receiver(fail_first=99)
    endpoint = register(owner, server, ["post.published"])
    publish_event(local_targets, endpoint)
    work(local_targets)
    release_scheduled(local_targets)
    work(local_targets)
    [failed] = deliveries(owner, endpoint["id"])
    assert failed["status"] == "failed" and failed["attempts"] == 2 and failed["next_attempt_at"] is None
    assert release_scheduled(local_targets) == []


def test_the_default_schedule_retries_for_up_to_three_days():
    delays = [retry_delay(n, 30, 6 * 3600) for n in range(1, 40)]
    assert delays[:3] == [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=8)]
    assert max(delays) == timedelta(hours=6)
    elapsed, tries = timedelta(0), 1
    while elapsed + delays[tries - 1] <= timedelta(days=3):
        elapsed += delays[tries - 1]
        tries += 1
    assert 15 <= tries <= 20 and elapsed > timedelta(days=2, hours=18)


def test_a_delivery_is_sent_once_even_if_its_job_runs_twice(owner, local_targets, receiver):
    from conftest import at_once

    server = receiver()
    endpoint = register(owner, server, ["post.published"])
    [delivery_id] = publish_event(local_targets, endpoint)

    def run():
        with local_targets.app_context():
            return jobs.deliver(delivery_id, 1)

    results = at_once([run, run, run])
    assert sorted(results) == ["skipped", "skipped", "succeeded"]
    work(local_targets)  # the job enqueued at commit runs too, and finds it done
    with local_targets.app_context():
        assert jobs.deliver(delivery_id, 1) == "skipped"
    assert len(server.calls) == 1


def test_a_rolled_back_transaction_sends_nothing(owner, local_targets, receiver):
    server = receiver()
    endpoint = register(owner, server, ["post.published"])
    workspace_id = workspace_of(local_targets, endpoint["id"])
    with local_targets.app_context(), database.new_session(local_targets) as s:
        assert emit(s, workspace_id, "post.published", {"campaign_id": 1})
        s.rollback()
    assert redis_client.queue(app=local_targets).count == 0
    work(local_targets)
    assert server.calls == [] and deliveries(owner, endpoint["id"]) == []


def test_a_deleted_endpoint_gets_nothing_more(owner, local_targets, receiver):
    server = receiver(fail_first=1)
    endpoint = register(owner, server, ["post.published"])
    workspace_id = workspace_of(local_targets, endpoint["id"])
    publish_event(local_targets, endpoint)
    work(local_targets)
    assert owner.client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers=owner._headers(None)).status_code == 204
    release_scheduled(local_targets)
    work(local_targets)
    assert len(server.calls) == 1
    with database.read_session(local_targets) as s:
        assert s.scalar(select(WebhookDelivery.status)) == "cancelled"
        assert emit(s, workspace_id, "post.published", {}) == []
    assert owner.get("/api/v1/webhooks").json["items"] == []
    assert owner.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").status_code == 404


def test_a_target_that_turns_private_is_refused_at_delivery(owner, app, local_targets, receiver):
    server = receiver()
    endpoint = register(owner, server, ["post.published"])
    app.config["ALLOW_PRIVATE_TARGETS"] = False
    publish_event(app, endpoint)
    work(app)
    [delivery] = deliveries(owner, endpoint["id"])
    assert server.calls == [] and delivery["status"] == "retrying" and "refused" in delivery["last_error"]


def test_the_sweep_resends_deliveries_whose_enqueue_failed_or_whose_worker_died(owner, local_targets, receiver):
    from events import delivery

    app = local_targets
    server = receiver()
    endpoint = register(owner, server, ["post.published"])
    lost, killed = publish_event(app, endpoint) + publish_event(app, endpoint)
    redis_client.queue(app=app).empty()  # as if Redis was down at commit
    with app.app_context(), database.new_session(app) as s:
        assert delivery.claim(s, vault.for_app(app), killed, 1)  # taken by a worker that then died
        s.commit()
    with app.app_context():
        assert jobs.recover() == 0  # neither is late yet
    app.config.update(OUTBOX_LATE_SECONDS=0, OUTBOX_LEASE_SECONDS=0)
    with app.app_context():
        assert jobs.recover_deliveries() == 2
    assert jobs.RECOVER_JOB_ID in redis_client.queue(app=app).scheduled_job_registry.get_job_ids()  # the next sweep
    work(app)
    [second, first] = deliveries(owner, endpoint["id"])
    assert (first["status"], first["attempts"], second["status"], second["attempts"]) == ("succeeded", 1, "succeeded", 2)
    assert len(server.calls) == 2 and all(c["verified"] for c in server.calls)
    with app.app_context():
        assert jobs.recover() == 0
