"""A campaign scheduled ahead goes live everywhere: Telegram, email and a webhook (real
protocol servers on 127.0.0.1), a copy-ready kit in every seller's library, and a signed
``post.published`` event; driven by a real RQ worker with its scheduler."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest
from conftest import CAMPAIGN, path_of
from servers import FakeTelegram, SmtpSink, WebhookReceiver
from test_images import photo_bytes, upload
from test_scheduling import iso, publications, run_worker, schedule, soon
from test_webhooks import local_targets  # noqa: F401 - a fixture

TOKEN = "123456:" + "A" * 35
CHANNELS = ["telegram", "email", "webhook", "weibo"]


@pytest.fixture
def servers():
    started = []

    def start(kind, *args, **kwargs):
        started.append(kind(*args, **kwargs))
        return started[-1]

    yield start
    for server in started:
        server.close()


def put_credentials(owner, channel: str, body: dict) -> dict:
    res = owner.client.put(f"/api/v1/channels/{channel}/credentials", json=body, headers=owner._headers(None))
    assert res.status_code == 200, res.json
    return res.json


def api_campaign(owner, channels=CHANNELS, images=2) -> dict:
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "channels": channels})
    assert res.status_code == 201, res.json
    for n in range(images):
        assert upload(owner, res.json["id"], photo_bytes(800, 600, seed=n * 20)).status_code == 201
    return res.json


def stored_size(owner, url: str) -> int:
    """Bytes of a rendered image as /media serves it."""
    res = owner.client.get(path_of(url))
    assert res.status_code == 200
    return len(res.data)


def go_live(app, owner, campaign_id, channels=CHANNELS, ahead: float = 1.5) -> None:
    """Schedule every channel ``ahead`` seconds from now, wait until due, run a burst worker."""
    at = soon(ahead)
    res = schedule(owner, campaign_id, *({"channel": c, "publish_at": iso(at)} for c in channels))
    assert res.status_code == 200, res.json
    time.sleep(max(0.0, (at - datetime.now(timezone.utc)).total_seconds()) + 0.3)
    run_worker(app)


def test_a_scheduled_campaign_goes_live_on_every_api_channel_and_in_the_library(
        app, owner, make_sharer, local_targets, servers):
    telegram = servers(FakeTelegram, TOKEN)
    smtp = servers(SmtpSink)
    channel_hook = servers(WebhookReceiver)
    events = servers(WebhookReceiver)
    campaign = api_campaign(owner)
    sellers = [make_sharer("小林"), make_sharer("小王")]
    put_credentials(owner, "telegram", {"bot_token": TOKEN, "chat_id": "-1001234", "api_base": telegram.url("")})
    put_credentials(owner, "email", {"smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                                     "from": "Acme Tea <shop@acme.example>", "to": ["list@example.com"]})
    channel_hook.secret = put_credentials(owner, "webhook", {"url": channel_hook.url("/posts")})["secret"]
    endpoint = owner.post("/api/v1/webhooks", {"url": events.url("/events"), "events": ["post.published"]})
    assert endpoint.status_code == 201, endpoint.json
    events.secret = endpoint.json["secret"]

    go_live(app, owner, campaign["id"])

    got = owner.get(f"/api/v1/campaigns/{campaign['id']}").json
    assert got["status"] == "live"
    by_channel = {p["channel"]: p for p in got["publications"]}
    assert set(by_channel) == set(CHANNELS)
    for channel, pub in by_channel.items():
        assert (pub["status"], pub["attempts"], pub["error"]) == ("published", 1, None), pub
        assert (pub["external_id"] is None) == (channel == "weibo")

    # Telegram: the rendered post with its text as the caption, each image uploaded as bytes
    # (a real Bot API cannot fetch our URLs on 127.0.0.1): sendPhoto for one, an album for more.
    [call] = telegram.calls
    posts = {p["channel"]: p for p in owner.get(f"/api/v1/campaigns/{campaign['id']}/posts").json["items"]}
    images = posts["telegram"]["images"]
    assert call["fields"]["chat_id"] == "-1001234" and images
    if len(images) == 1:
        assert call["method"] == "sendPhoto" and call["fields"]["caption"] == posts["telegram"]["text"]
        assert "photo" not in call["fields"] and set(call["files"]) == {"photo"}
    else:
        media = json.loads(call["fields"]["media"])
        assert call["method"] == "sendMediaGroup" and len(media) == len(images)
        assert media[0]["caption"] == posts["telegram"]["text"]
        assert all(m["media"].startswith("attach://") for m in media)
    assert "明前龙井" in posts["telegram"]["text"] and len(call["files"]) == len(images)
    assert [len(f["data"]) for f in call["files"].values()] == [stored_size(owner, i["url"]) for i in images]
    assert by_channel["telegram"]["external_id"] == ",".join(str(101 + i) for i in range(len(images)))

    # Email: one message to the list, text and HTML, every image inline.
    [channel_mail] = [m for m, (_, to) in zip(smtp.messages, smtp.envelopes) if to == ["list@example.com"]]
    assert channel_mail["Message-ID"] == by_channel["email"]["external_id"]
    assert "明前龙井" in channel_mail.get_body(("plain",)).get_content()
    html = channel_mail.get_body(("html",)).get_content()
    inline = [p for p in channel_mail.walk() if p.get_content_maintype() == "image"]
    assert [len(p.get_content()) for p in inline] == [stored_size(owner, i["url"]) for i in posts["email"]["images"]]
    assert all(f"cid:{p['Content-ID'][1:-1]}" in html and p.get_content_disposition() == "inline" for p in inline)

    # The webhook channel: the whole post, signed, verified with standardwebhooks.
    [posted] = channel_hook.calls
    assert posted["verified"]["type"] == "post.published"
    assert posted["verified"]["data"]["text"] == posts["webhook"]["text"]
    assert posted["headers"]["webhook-id"] == by_channel["webhook"]["external_id"]

    # The kit channel: in every seller's library, in their own voice (every channel a person
    # shares: not the machine-to-machine webhook, nor the brand's own Telegram channel and mailing list).
    for seller in sellers:
        items = owner.get("/api/v1/library", key=seller["api_key"]).json["items"]
        assert {i["channel"] for i in items if i["state"] == "live"} == set(CHANNELS) - {"webhook", "telegram", "email"}
        weibo = next(i for i in items if i["channel"] == "weibo")
        assert weibo["code"] == seller["code"] and weibo["link"] in weibo["text"] and weibo["images"]

    # post.published once per publication, each verified.
    assert all(c["verified"] == c["body"] for c in events.calls)
    announced = sorted((c["body"]["data"]["channel"], c["body"]["data"]["external_id"]) for c in events.calls)
    assert announced == sorted((c, by_channel[c]["external_id"]) for c in CHANNELS)

    # Exactly once: running the worker again (and the recovery sweep) sends nothing more.
    from publishing import publish_jobs as jobs

    with app.app_context():
        assert jobs.recover() == 0
    run_worker(app)
    assert len(telegram.calls) == 1 and len(channel_hook.calls) == 1 and len(events.calls) == len(CHANNELS)
    assert [p.attempts for p in publications(app)] == [1] * len(CHANNELS)


@pytest.mark.parametrize("failure", ["rate_limited", "server_error"])
def test_telegram_refusing_for_a_while_is_retried_with_backoff_and_published_once(
        app, owner, local_targets, servers, failure):
    app.config.update(PUBLISH_RETRY_BASE_SECONDS=0.5, PUBLISH_EARLY_SECONDS=0)
    limited = failure == "rate_limited"
    telegram = servers(FakeTelegram, TOKEN, rate_limit_first=int(limited), retry_after=1, fail_first=int(not limited))
    campaign = api_campaign(owner, ["telegram"], images=1)
    put_credentials(owner, "telegram", {"bot_token": TOKEN, "chat_id": "42", "api_base": telegram.url("")})

    go_live(app, owner, campaign["id"], ["telegram"], ahead=1.0)
    (pub,) = publications(app)
    assert pub.status == "scheduled" and pub.attempts == 1 and pub.next_attempt_at is not None
    assert ("429" if limited else "500") in pub.error
    # The backoff (0.5 s here), or longer when Telegram says how long to wait (1 s).
    planned = (pub.next_attempt_at - pub.updated_at).total_seconds()
    assert abs(planned - (1.0 if limited else 0.5)) < 0.1, planned
    time.sleep(max(0.0, (pub.next_attempt_at - datetime.now(timezone.utc)).total_seconds()) + 0.2)
    run_worker(app)

    [got] = owner.get(f"/api/v1/campaigns/{campaign['id']}").json["publications"]
    assert (got["status"], got["attempts"], got["error"]) == ("published", 2, None)
    assert [c["method"] for c in telegram.calls] == ["sendPhoto", "sendPhoto"]
    assert telegram.calls[-1]["files"]["photo"]["data"][:2] == b"\xff\xd8"
    assert got["external_id"] == "101"


def test_wrong_telegram_credentials_end_failed_with_the_error_shown(app, owner, local_targets, servers):
    telegram = servers(FakeTelegram, TOKEN)
    campaign = api_campaign(owner, ["telegram"], images=0)
    wrong = "999:" + "B" * 35
    put_credentials(owner, "telegram", {"bot_token": wrong, "chat_id": "42", "api_base": telegram.url("")})

    go_live(app, owner, campaign["id"], ["telegram"], ahead=1.0)

    [got] = owner.get(f"/api/v1/campaigns/{campaign['id']}").json["publications"]
    assert (got["status"], got["attempts"], got["external_id"]) == ("failed", 1, None)
    assert "401" in got["error"] and "Unauthorized" in got["error"] and wrong not in got["error"]
    assert telegram.calls == []  # the fake refuses the token before recording a call
