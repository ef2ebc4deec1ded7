"""The brand's own Weibo account: OAuth connect, statuses/share with its documented rules, errors and
rate limits, metrics by statuses/count; against a fake Weibo on 127.0.0.1."""
from __future__ import annotations

import pytest
from social_fakes import FakeWeibo, weibo_length
from test_brand_accounts import connect_x, image, pub_of
from test_publishing_e2e import api_campaign, go_live
from test_webhooks import local_targets  # noqa: F401 - a fixture

from channels import publisher_for
from channels.base import OutgoingPost, PublishError, TokenExpired
from channels.weibo import share_text
from publishing.publish_jobs import _publish

LINK = "https://sharecast.test/r/AbC"


@pytest.fixture
def fake_weibo():
    server = FakeWeibo()
    yield server
    server.close()


def creds(server) -> dict:
    code = "c0de"
    server.codes[code] = "x"
    token = "2.00tok" + str(len(server.access))
    server.access[token] = 9e12
    return {"access_token": token, "api_base": server.url(), "secure_domain": "sharecast.test",
            "operator_ip": "203.0.113.9"}


def test_the_share_text_fits_140_unwraps_topics_and_keeps_the_link_whole():
    text = "#春茶# " + "明前龙井，一芽一叶，" * 30 + LINK
    out = share_text(text, LINK, "sharecast.test")
    assert out.endswith(" " + LINK) and "#" not in out and out.startswith("春茶")
    assert weibo_length(out) <= 140
    assert share_text("短 " + LINK, LINK, "sharecast.test") == "短 " + LINK


def test_a_link_outside_the_secure_domain_is_refused_before_any_call(fake_weibo):
    post = OutgoingPost(text="看这里 https://elsewhere.example/x", link="https://elsewhere.example/x")
    with pytest.raises(PublishError) as caught:
        publisher_for("weibo").publish(post, creds(fake_weibo), allow_private=True)
    assert not caught.value.retryable and "secure domain" in caught.value.message
    assert fake_weibo.calls == []


def test_weibo_shares_text(fake_weibo):
    result = publisher_for("weibo").publish(OutgoingPost(text=f"新茶上市 {LINK}", link=LINK), creds(fake_weibo),
                                            allow_private=True)
    status = fake_weibo.statuses[result.external_id]
    assert status["sent"] == f"新茶上市 {LINK}" and status["rip"] == "203.0.113.9" and status["pic"] is None


def test_weibo_shares_one_picture_of_several(fake_weibo):
    post = OutgoingPost(text=f"有图 {LINK}", link=LINK, images=(image(1), image(2), image(3)))
    result = publisher_for("weibo").publish(post, creds(fake_weibo), allow_private=True)
    assert fake_weibo.statuses[result.external_id]["pic"]["data"] == post.images[0].data


def test_weibo_repeated_content_is_final(fake_weibo):
    credentials = creds(fake_weibo)
    publisher_for("weibo").publish(OutgoingPost(text=f"一样 {LINK}", link=LINK), credentials, allow_private=True)
    with pytest.raises(PublishError) as caught:
        publisher_for("weibo").publish(OutgoingPost(text=f"一样 {LINK}", link=LINK), credentials, allow_private=True)
    assert not caught.value.retryable and "20019" in caught.value.message
    assert credentials["access_token"] not in caught.value.message


def test_weibo_expired_token_and_rate_limit(fake_weibo):
    credentials = creds(fake_weibo)
    fake_weibo.access[credentials["access_token"]] = 0
    with pytest.raises(TokenExpired):
        publisher_for("weibo").publish(OutgoingPost(text=f"过期 {LINK}", link=LINK), credentials, allow_private=True)
    fake_weibo.post_limit = 0
    with pytest.raises(PublishError) as caught:
        publisher_for("weibo").publish(OutgoingPost(text=f"限流 {LINK}", link=LINK), creds(fake_weibo),
                                       allow_private=True)
    assert caught.value.retryable and "10023" in caught.value.message and 0 < caught.value.retry_after <= 3600


def test_weibo_metrics_come_from_statuses_count(fake_weibo):
    credentials = creds(fake_weibo)
    sid = publisher_for("weibo").publish(OutgoingPost(text=f"数据 {LINK}", link=LINK), credentials,
                                         allow_private=True).external_id
    got = publisher_for("weibo").metrics([sid], credentials, allow_private=True)
    assert (got[sid].likes, got[sid].reposts, got[sid].replies, got[sid].views) == (9, 2, 4, None)


@pytest.fixture
def weibo_app(app, local_targets, fake_weibo):  # noqa: F811 - local_targets is a fixture
    app.config.update(WEIBO_CLIENT_ID=fake_weibo.client_id, WEIBO_CLIENT_SECRET=fake_weibo.client_secret,
                      WEIBO_API_BASE=fake_weibo.url(), WEIBO_AUTHORIZE_URL=fake_weibo.url("/oauth2/authorize"),
                      # The Weibo app's secure domain: the brand's shop, where the campaign lands.
                      WEIBO_SECURE_DOMAIN="shop.example.com")
    fake_weibo.secure_domain = "shop.example.com"
    return app


def test_a_scheduled_post_goes_to_the_connected_weibo_account_once(weibo_app, owner, fake_weibo):
    flow = connect_x(owner, fake_weibo, "weibo")
    assert "code_challenge" not in flow["authorize_url"]  # Weibo documents no PKCE
    campaign = api_campaign(owner, channels=["weibo"], images=2)
    go_live(weibo_app, owner, campaign["id"], channels=["weibo"])
    pub = pub_of(weibo_app, "weibo")
    assert (pub.status, pub.error) == ("published", None), pub.error
    [status] = fake_weibo.statuses.values()
    assert "https://shop.example.com/" in status["sent"] and weibo_length(status["sent"]) <= 140 and status["pic"] is not None
    with weibo_app.app_context():
        assert _publish(weibo_app, pub.id) == "skipped"
    assert len(fake_weibo.statuses) == 1


def test_an_expired_weibo_connection_fails_the_post_and_asks_to_reconnect(weibo_app, owner, fake_weibo):
    connect_x(owner, fake_weibo, "weibo")
    for token in fake_weibo.access:
        fake_weibo.access[token] = 0
    campaign = api_campaign(owner, channels=["weibo"], images=0)
    go_live(weibo_app, owner, campaign["id"], channels=["weibo"])
    pub = pub_of(weibo_app, "weibo")
    assert pub.status == "failed" and "connecting again" in pub.error
    listed = {a["channel"]: a for a in owner.get("/api/v1/accounts").json["items"]}
    assert listed["weibo"]["status"] == "needs_reconnect"


def test_a_retry_after_a_lost_answer_finds_the_status_on_the_timeline(fake_weibo):
    """The first share went through but its answer was lost; the next attempt looks the status up
    (links wrapped in t.cn) rather than sharing it again."""
    post = OutgoingPost(text=f"找得到 {LINK}", link=LINK)
    credentials = {**creds(fake_weibo), "uid": "1404376560"}
    assert publisher_for("weibo").find(post, credentials, allow_private=True) is None
    sent = publisher_for("weibo").publish(post, credentials, allow_private=True)
    assert "t.cn" in fake_weibo.statuses[sent.external_id]["text"]
    found = publisher_for("weibo").find(post, credentials, allow_private=True)
    assert found is not None and found.external_id == sent.external_id
    other = OutgoingPost(text=f"另一条 {LINK}", link=LINK)
    assert publisher_for("weibo").find(other, credentials, allow_private=True) is None
