"""Sellers hear of new posts: an email through the workspace's SMTP server and/or a signed
notice to their own webhook, sent after commit by RQ jobs, once, retried, swept when lost."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

import backends
import database
from conftest import CAMPAIGN, at_once
from scheduling import jobs as publish_jobs
from scheduling import notice_jobs
from scheduling.models import SellerNotice
from servers import SmtpSink, WebhookReceiver
from test_publishing_e2e import go_live, put_credentials, servers  # noqa: F401 - a fixture
from test_scheduling import _live
from test_webhooks import local_targets, release_scheduled, work  # noqa: F401 - a fixture


def notices(app) -> list[tuple[int, str, str, int]]:
    """``(sharer_id, kind, status, attempts)`` of every notice, with the error when there is one."""
    with database.read_session(app) as s:
        return [(n.sharer_id, n.kind, n.status, n.attempts) for n in
                s.scalars(select(SellerNotice).order_by(SellerNotice.sharer_id, SellerNotice.kind))]


def set_notifications(owner, sharer_id, body, key=None):
    return owner.client.put(f"/api/v1/sharers/{sharer_id}/notifications", json=body,
                            headers=owner._headers(key))


def mail_credentials(owner, smtp) -> None:
    put_credentials(owner, "email", {"smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                                     "from": "Acme Tea <shop@acme.example>", "to": ["list@example.com"]})


def test_each_seller_gets_one_email_and_one_signed_webhook_notice_when_a_post_goes_live(
        app, owner, make_sharer, local_targets, servers):
    smtp = servers(SmtpSink)
    hook = servers(WebhookReceiver)
    mail_credentials(owner, smtp)
    a = make_sharer("小林", email="lin@example.com")
    b = make_sharer("小王", email="wang@example.com")
    c = make_sharer("小张")  # no email, no webhook: nothing to send
    res = set_notifications(owner, b["id"], {"email": False, "webhook_url": hook.url("/notices")}, key=b["api_key"])
    assert res.status_code == 200, res.json
    assert res.json["secret"].startswith("whsec_") and res.json["email"] is False
    hook.secret = res.json["secret"]
    campaign = owner.post("/api/v1/campaigns", {**CAMPAIGN, "channels": ["weibo"]}).json

    go_live(app, owner, campaign["id"], ["weibo"])

    assert notices(app) == [(a["id"], "email", "succeeded", 1), (b["id"], "webhook", "succeeded", 1)]
    assert [to for _, to in smtp.envelopes] == [["lin@example.com"]]
    [mail] = smtp.messages
    assert mail["From"] == "Acme Tea <shop@acme.example>" and mail["To"] == "lin@example.com"
    assert mail["Subject"] == "New post ready: Spring Longjing · Weibo"
    [item] = owner.get("/api/v1/library", key=a["api_key"]).json["items"]
    text = mail.get_body(("plain",)).get_content()
    assert item["link"] in text and item["text"] in text
    assert f"/api/v1/library?campaign_id={campaign['id']}&channel=weibo" in text
    html = mail.get_body(("html",)).get_content()
    inline = [p for p in mail.walk() if p.get_content_maintype() == "image"]
    assert f'href="{item["link"]}"' in html and len(inline) == len(item["images"]) >= 1
    assert all(f"cid:{p['Content-ID'][1:-1]}" in html for p in inline)

    [call] = hook.calls
    assert call["verified"] == call["body"] and call["body"]["type"] == "library.post_ready"
    data = call["body"]["data"]
    assert data["sharer_id"] == b["id"] and data["code"] == b["code"] and data["link"] in data["text"]
    assert c["id"] not in {n[0] for n in notices(app)}

    # Exactly once: another worker pass, the sweep and a rerun of every job send nothing more.
    with app.app_context():
        assert notice_jobs.recover(app) == 0
        assert {notice_jobs.send_notice(n, 1) for n in (1, 2)} == {"skipped"}
    work(app)
    assert len(smtp.messages) == 1 and len(hook.calls) == 1


def test_without_email_credentials_email_notices_are_skipped_with_the_reason(
        app, owner, campaign, make_sharer, local_targets, servers):
    smtp = servers(SmtpSink)
    seller = make_sharer("小林", email="lin@example.com")
    _live(app, owner, campaign["id"], "weibo")
    work(app)
    assert notices(app) == [(seller["id"], "email", "skipped", 0)]
    with database.read_session(app) as s:
        assert "no email channel credentials" in s.scalar(select(SellerNotice.last_error))
    assert backends.queue(app=app).count == 0 and smtp.messages == []


def test_a_failing_seller_webhook_is_retried_with_backoff_under_one_message_id(
        app, owner, campaign, make_sharer, local_targets, servers):
    hook = servers(WebhookReceiver, fail_first=1)
    seller = make_sharer("小林")
    hook.secret = set_notifications(owner, seller["id"], {"webhook_url": hook.url("/n")}).json["secret"]
    _live(app, owner, campaign["id"], "weibo")
    work(app)
    assert notices(app) == [(seller["id"], "webhook", "retrying", 1)]
    ahead = max(release_scheduled(app))  # (the publication's own job, already due, is released too)
    assert 25 < ahead <= 30  # the webhooks' backoff: 30 s, then 4 × longer
    work(app)
    assert notices(app) == [(seller["id"], "webhook", "succeeded", 2)]
    assert len({c["headers"]["webhook-id"] for c in hook.calls}) == 1 and hook.calls[-1]["verified"]


def test_a_notice_whose_job_runs_three_times_at_once_is_sent_once(
        app, owner, campaign, make_sharer, local_targets, servers):
    smtp = servers(SmtpSink)
    mail_credentials(owner, smtp)
    make_sharer("小林", email="lin@example.com")
    _live(app, owner, campaign["id"], "weibo")
    backends.queue(app=app).empty()  # the jobs enqueued at commit are not run here

    def run():
        with app.app_context():
            return notice_jobs.send_notice(1, 1)

    assert sorted(at_once([run, run, run])) == ["skipped", "skipped", "succeeded"]
    assert len(smtp.messages) == 1


def test_notices_stuck_pending_or_sending_are_swept_and_sent_once(
        app, owner, campaign, make_sharer, local_targets, servers):
    smtp = servers(SmtpSink)
    mail_credentials(owner, smtp)
    make_sharer("小林", email="lin@example.com")
    make_sharer("小王", email="wang@example.com")
    _live(app, owner, campaign["id"], "weibo")
    backends.queue(app=app).empty()  # as if Redis was down when the publication committed
    with app.app_context(), database.new_session(app) as s:
        from scheduling import notices as outbox

        assert outbox.claim(s, 2, 1, database.utcnow())  # a worker took the second and died
        s.commit()
    with app.app_context():
        assert notice_jobs.recover(app) == 0  # not late yet
    app.config.update(WEBHOOK_LATE_SECONDS=0, WEBHOOK_LEASE_SECONDS=0)
    with app.app_context():
        publish_jobs.recover_publications()  # the periodic sweep covers notices too
    work(app)
    assert [n[2:] for n in notices(app)] == [("succeeded", 1), ("succeeded", 2)]
    assert sorted(to for _, (to,) in smtp.envelopes) == ["lin@example.com", "wang@example.com"]


def test_notification_settings_belong_to_the_seller_and_staff_and_refuse_private_urls(
        app, owner, make_sharer):
    a, b = make_sharer("小林", email="lin@example.com"), make_sharer("小王")
    assert set_notifications(owner, a["id"], {"email": False}, key=b["api_key"]).status_code == 403
    refused = set_notifications(owner, a["id"], {"webhook_url": "http://127.0.0.1:9/n"}, key=a["api_key"])
    assert refused.status_code == 422 and "webhook_url" in refused.json["error"]["fields"]
    assert set_notifications(owner, a["id"], {"webhook_url": "ftp://example.com/n"}).status_code == 422
    assert set_notifications(owner, 999, {"email": False}).status_code == 404
    app.config["ALLOW_PRIVATE_TARGETS"] = True
    set_ = set_notifications(owner, a["id"], {"webhook_url": "http://127.0.0.1:9/n"}, key=a["api_key"])
    assert set_.status_code == 200 and set_.json["secret"].startswith("whsec_")
    got = owner.get(f"/api/v1/sharers/{a['id']}/notifications").json
    assert got == {"sharer_id": a["id"], "email": True, "email_address": True, "webhook_url": "http://127.0.0.1:9/n"}
    cleared = set_notifications(owner, a["id"], {"webhook_url": None, "email": False}).json
    assert cleared["webhook_url"] is None and cleared["email"] is False and "secret" not in cleared
    assert owner.get(f"/api/v1/sharers/{a['id']}/notifications", key=b["api_key"]).status_code == 403
