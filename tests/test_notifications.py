"""Sellers hear of new posts: an email through the workspace's SMTP server and/or a signed
notice to their own webhook, sent after commit by RQ jobs, once, retried, swept when lost."""
from __future__ import annotations

import feedparser
import pytest
from conftest import CAMPAIGN, at_once, path_of
from rq.registry import ScheduledJobRegistry
from servers import SmtpSink, WebhookReceiver
from sqlalchemy import select
from test_publishing_e2e import go_live, put_credentials, servers  # noqa: F401 - a fixture
from test_scheduling import _live
from test_webhooks import local_targets, release_scheduled, work  # noqa: F401 - a fixture

from plumbing import database, redis_client
from publishing import notice_delivery, publish_jobs
from publishing.models import SellerNotice


@pytest.fixture(autouse=True)
def no_gathering_delay(app):
    """Send a digest as soon as its job is due (production waits SELLER_NOTICE_DELAY_SECONDS)."""
    app.config["SELLER_NOTICE_DELAY_SECONDS"] = 0


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
    assert mail["Subject"] == "New post ready: 明前龙井 · 春茶首发 · Weibo"
    [item] = owner.get("/api/v1/library", key=a["api_key"]).json["items"]
    text = mail.get_body(("plain",)).get_content()
    assert item["link"] in text and item["text"] in text
    assert f"/seller/?campaign={campaign['id']}&channel=weibo" in text
    html = mail.get_body(("html",)).get_content()
    inline = [p for p in mail.walk() if p.get_content_maintype() == "image"]
    assert f'href="{item["link"]}"' in html and len(inline) == len(item["images"]) >= 1
    assert all(f"cid:{p['Content-ID'][1:-1]}" in html for p in inline)

    [call] = hook.calls
    assert call["verified"] == call["body"] and call["body"]["type"] == "library.post_ready"
    data = call["body"]["data"]
    assert data["sharer_id"] == b["id"] and data["code"] == b["code"] and data["campaign_id"] == campaign["id"]
    [post] = data["posts"]
    assert post["channel"] == "weibo" and post["link"] in post["text"] and post["images"]
    assert c["id"] not in {n[0] for n in notices(app)}

    # Exactly once: another worker pass, the sweep and a rerun of every job send nothing more.
    with app.app_context():
        assert notice_delivery.recover() == 0
        assert {notice_delivery.send_notice(n, 1) for n in (1, 2)} == {"skipped"}
    work(app)
    assert len(smtp.messages) == 1 and len(hook.calls) == 1


def test_a_campaign_live_on_several_channels_at_once_sends_each_seller_one_digest(
        app, owner, make_sharer, local_targets, servers):
    smtp = servers(SmtpSink)
    hook = servers(WebhookReceiver)
    channel_hook = servers(WebhookReceiver)
    mail_credentials(owner, smtp)
    put_credentials(owner, "webhook", {"url": channel_hook.url("/posts")})
    a = make_sharer("小林", email="lin@example.com")
    b = make_sharer("小王", email="wang@example.com")
    hook.secret = set_notifications(owner, b["id"], {"webhook_url": hook.url("/n")}, key=b["api_key"]).json["secret"]
    channels = ["weibo", "x", "wechat_moments", "webhook"]
    campaign = owner.post("/api/v1/campaigns", {**CAMPAIGN, "channels": channels}).json

    go_live(app, owner, campaign["id"], channels)

    # One row per post, seller and kind (none for the webhook channel, not in the library),
    # every row of a seller's digest sent under one message id.
    assert notices(app) == sorted([(a["id"], "email", "succeeded", 1)] * 3 + [(b["id"], "email", "succeeded", 1)] * 3
                                  + [(b["id"], "webhook", "succeeded", 1)] * 3)
    with database.read_session(app) as s:
        groups = {}
        for n in s.scalars(select(SellerNotice)):
            groups.setdefault((n.sharer_id, n.kind), set()).add(n.message_id)
    assert all(len(ids) == 1 for ids in groups.values()) and len(set().union(*groups.values())) == 3

    # One email per seller, listing the three channels, each post with the seller's own link.
    assert sorted(to for _, (to,) in smtp.envelopes) == ["lin@example.com", "wang@example.com"]
    library = owner.get("/api/v1/library", key=a["api_key"]).json["items"]
    assert sorted(i["channel"] for i in library) == ["wechat_moments", "weibo", "x"]
    [mail] = [m for m in smtp.messages if m["To"] == "lin@example.com"]
    # A long non-ASCII subject is folded into encoded words; the decoder drops the space at a fold.
    assert mail["Subject"].replace(" ", "").startswith("Newpostsready:明前龙井·春茶首发·")
    assert all(name in mail["Subject"] for name in ("Weibo", "X", "WeChat Moments")) and "Webhook" not in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    for item in library:
        assert item["text"] in text and f"Your personal link: {item['link']}" in text
    assert f"/seller/?campaign={campaign['id']}\n" in text + "\n"
    inline = [p for p in mail.walk() if p.get_content_maintype() == "image"]
    assert len(inline) == sum(len(i["images"]) for i in library) >= 3

    # One signed webhook call for seller b, listing the three posts.
    [call] = hook.calls
    assert call["verified"] == call["body"] and call["body"]["type"] == "library.post_ready"
    posts = call["body"]["data"]["posts"]
    assert sorted(p["channel"] for p in posts) == ["wechat_moments", "weibo", "x"]
    b_library = {i["channel"]: i for i in owner.get("/api/v1/library", key=b["api_key"]).json["items"]}
    assert all((p["text"], p["link"], len(p["images"])) == (b_library[p["channel"]]["text"], b_library[p["channel"]][
        "link"], len(b_library[p["channel"]]["images"])) and p["images"] for p in posts)

    # Exactly once: every row's job again, the sweep, another worker pass.
    with app.app_context():
        assert notice_delivery.recover() == 0
        assert {notice_delivery.send_notice(n, 1) for n in range(1, 10)} == {"skipped"}
    work(app)
    assert len(smtp.messages) == 2 and len(hook.calls) == 1


def test_the_jobs_of_one_digest_running_at_once_send_one_message(
        app, owner, make_sharer, local_targets, servers):
    smtp = servers(SmtpSink)
    mail_credentials(owner, smtp)
    make_sharer("小林", email="lin@example.com")
    campaign = owner.post("/api/v1/campaigns", {**CAMPAIGN, "channels": ["weibo", "x", "wechat_moments"]}).json
    _live(app, owner, campaign["id"], "weibo", "x", "wechat_moments")
    redis_client.queue(app=app).empty()  # the jobs enqueued at commit are not run here

    def run(notice_id):
        def call():
            with app.app_context():
                return notice_delivery.send_notice(notice_id, 1)
        return call

    calls = [run(n) for n in (1, 2, 3)] * 2
    assert sorted(at_once(calls)) == ["skipped"] * 5 + ["succeeded"]
    [mail] = smtp.messages
    assert all(name in mail["Subject"] for name in ("Weibo", "X", "WeChat Moments"))
    assert [n[2:] for n in notices(app)] == [("succeeded", 1)] * 3


def test_a_post_going_live_later_gets_its_own_notice(app, owner, make_sharer, local_targets, servers):
    smtp = servers(SmtpSink)
    mail_credentials(owner, smtp)
    make_sharer("小林", email="lin@example.com")
    campaign = owner.post("/api/v1/campaigns", {**CAMPAIGN, "channels": ["weibo", "x"]}).json
    _live(app, owner, campaign["id"], "weibo")
    work(app)
    _live(app, owner, campaign["id"], "x")
    work(app)
    assert [m["Subject"] for m in smtp.messages] == ["New post ready: 明前龙井 · 春茶首发 · Weibo",
                                                     "New post ready: 明前龙井 · 春茶首发 · X"]


def test_the_first_notice_waits_the_gathering_delay(app, owner, make_sharer, local_targets, servers):
    app.config["SELLER_NOTICE_DELAY_SECONDS"] = 1
    smtp = servers(SmtpSink)
    mail_credentials(owner, smtp)
    make_sharer("小林", email="lin@example.com")
    campaign = owner.post("/api/v1/campaigns", {**CAMPAIGN, "channels": ["weibo", "x"]}).json
    _live(app, owner, campaign["id"], "weibo", "x")
    work(app)
    assert smtp.messages == [] and [n[2] for n in notices(app)] == ["pending", "pending"]
    queue = redis_client.queue(app=app)
    registry = ScheduledJobRegistry(queue=queue)
    with database.read_session(app) as s:
        written = {n.id: n.created_at for n in s.scalars(select(SellerNotice))}
    planned = {int(j.split("-")[2]): registry.get_scheduled_time(queue.fetch_job(j))
               for j in registry.get_job_ids() if j.startswith("sharecast-notice-")}
    assert set(planned) == set(written)
    # (RQ keeps whole seconds: planned at written + 1 s, rounded down)
    assert all(0 < (planned[i] - written[i]).total_seconds() <= 2 for i in written), (planned, written)
    release_scheduled(app)
    work(app)
    [mail] = smtp.messages
    assert mail["Subject"].replace(" ", "") == "Newpostsready:明前龙井·春茶首发·Weibo,X"  # folded: see above


def test_without_email_credentials_email_notices_are_skipped_with_the_reason(
        app, owner, campaign, make_sharer, local_targets, servers):
    smtp = servers(SmtpSink)
    seller = make_sharer("小林", email="lin@example.com")
    _live(app, owner, campaign["id"], "weibo")
    work(app)
    assert notices(app) == [(seller["id"], "email", "skipped", 0)]
    with database.read_session(app) as s:
        assert "no email channel credentials" in s.scalar(select(SellerNotice.last_error))
    assert redis_client.queue(app=app).count == 0 and smtp.messages == []


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
    redis_client.queue(app=app).empty()  # the jobs enqueued at commit are not run here

    def run():
        with app.app_context():
            return notice_delivery.send_notice(1, 1)

    assert sorted(at_once([run, run, run])) == ["skipped", "skipped", "succeeded"]
    assert len(smtp.messages) == 1


def test_notices_stuck_pending_or_sending_are_swept_and_sent_once(
        app, owner, campaign, make_sharer, local_targets, servers):
    smtp = servers(SmtpSink)
    mail_credentials(owner, smtp)
    make_sharer("小林", email="lin@example.com")
    make_sharer("小王", email="wang@example.com")
    _live(app, owner, campaign["id"], "weibo")
    redis_client.queue(app=app).empty()  # as if Redis was down when the publication committed
    with app.app_context(), database.new_session(app) as s:
        from publishing import notices as outbox

        assert outbox.claim(s, 2, 1, database.utcnow())  # a worker took the second and died
        s.commit()
    with app.app_context():
        assert notice_delivery.recover() == 0  # not late yet
    app.config.update(OUTBOX_LATE_SECONDS=0, OUTBOX_LEASE_SECONDS=0)
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


def test_the_webhook_channel_is_not_in_the_sellers_library_feed_or_notices(
        app, owner, make_sharer, local_targets, servers):
    from test_publishing_e2e import put_credentials

    smtp = servers(SmtpSink)
    channel_hook = servers(WebhookReceiver)
    mail_credentials(owner, smtp)
    put_credentials(owner, "webhook", {"url": channel_hook.url("/posts")})
    seller = make_sharer("小林", email="lin@example.com")
    specs = {c["id"]: c for c in owner.get("/api/v1/channels").json["items"]}
    assert specs["webhook"]["in_library"] is False and specs["weibo"]["in_library"] is True
    campaign = owner.post("/api/v1/campaigns", {**CAMPAIGN, "channels": ["webhook", "weibo"]}).json
    _live(app, owner, campaign["id"], "webhook")
    work(app)
    assert len(channel_hook.calls) == 1  # the webhook channel itself is published
    assert notices(app) == [] and smtp.messages == []
    key = seller["api_key"]
    assert owner.get("/api/v1/library", key=key).json["items"] == []
    assert owner.get("/api/v1/library?channel=webhook", key=key).json["items"] == []
    grab = owner.post("/api/v1/library/grabs", {"campaign_id": campaign["id"], "channel": "webhook"}, key=key)
    assert grab.status_code == 404

    _live(app, owner, campaign["id"], "weibo")
    work(app)
    assert [i["channel"] for i in owner.get("/api/v1/library", key=key).json["items"]] == ["weibo"]
    feed = owner.client.get(path_of(owner.post("/api/v1/library/feed", key=key).json["url"]))
    entries = feedparser.parse(feed.data).entries
    assert len(entries) == 1 and "Webhook" not in feed.data.decode()
    assert [m["Subject"] for m in smtp.messages] == ["New post ready: 明前龙井 · 春茶首发 · Weibo"]
