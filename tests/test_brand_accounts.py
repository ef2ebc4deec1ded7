"""The brand's own X account: connected once by OAuth 2.0 with PKCE, posted to on time exactly once,
tokens refreshed, rate limits honoured, refusals final with the reason; against a fake X on 127.0.0.1."""
from __future__ import annotations

import io
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image
from social_fakes import FakeX, s256
from sqlalchemy import select, update
from test_publishing_e2e import api_campaign, go_live
from test_scheduling import iso, schedule, soon
from test_webhooks import local_targets  # noqa: F401 - a fixture

from brand_accounts.models import BrandAccount
from brand_accounts.tokens import account_credentials, refresh_due
from channels import publisher_for
from channels.base import OutgoingImage, OutgoingPost, PublishError, TokenExpired
from channels.oauth import code_challenge
from plumbing import database
from plumbing.database import utcnow
from publishing.direct_post import outgoing_post
from publishing.models import Publication
from publishing.publications import Claim, current_version
from publishing.publish_jobs import _publish


def png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (shade, 30, 30)).save(out, "PNG")
    return out.getvalue()


def image(i: int) -> OutgoingImage:
    return OutgoingImage(data=png(i * 40 % 255), filename=f"p{i}.png", content_type="image/png")


@pytest.fixture
def fake_x():
    server = FakeX()
    yield server
    server.close()


def creds(server, token=None) -> dict:
    token = token or server.issue()["access_token"]
    return {"access_token": token, "api_base": server.url()}


def test_the_pkce_challenge_is_rfc_7636s_example():
    # RFC 7636 appendix B.
    assert code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") \
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_x_posts_text_only(fake_x):
    result = publisher_for("x").publish(OutgoingPost(text="明前龙井到了"), creds(fake_x), allow_private=True)
    assert fake_x.tweets[result.external_id]["text"] == "明前龙井到了"
    assert fake_x.tweets[result.external_id]["media_ids"] == []


def test_x_uploads_one_image_then_posts_with_its_media_id(fake_x):
    post = OutgoingPost(text="一张图", images=(image(1),))
    result = publisher_for("x").publish(post, creds(fake_x), allow_private=True)
    upload = next(c for c in fake_x.calls if c["path"] == "/2/media/upload")
    assert upload["files"]["media"]["data"] == post.images[0].data
    assert fake_x.tweets[result.external_id]["media_ids"] == result.detail["media_ids"] and len(result.detail["media_ids"]) == 1


def test_x_posts_at_most_four_images(fake_x):
    post = OutgoingPost(text="多图", images=tuple(image(i) for i in range(6)))
    result = publisher_for("x").publish(post, creds(fake_x), allow_private=True)
    assert len(fake_x.tweets[result.external_id]["media_ids"]) == 4
    assert fake_x.paths().count("/2/media/upload") == 4


def test_x_refusals_are_final_with_the_platforms_reason(fake_x):
    credentials = creds(fake_x)
    publisher_for("x").publish(OutgoingPost(text="同一条"), credentials, allow_private=True)
    with pytest.raises(PublishError) as caught:
        publisher_for("x").publish(OutgoingPost(text="同一条"), credentials, allow_private=True)
    assert not caught.value.retryable and "duplicate content" in caught.value.message
    assert credentials["access_token"] not in caught.value.message


def test_x_an_expired_token_is_reported_as_such(fake_x):
    credentials = creds(fake_x)
    fake_x.expire(credentials["access_token"])
    with pytest.raises(TokenExpired):
        publisher_for("x").publish(OutgoingPost(text="过期"), credentials, allow_private=True)
    assert fake_x.tweets == {}


def test_x_rate_limit_is_retryable_after_the_reset_header():
    server = FakeX(post_limit=0, reset_in=600)
    try:
        with pytest.raises(PublishError) as caught:
            publisher_for("x").publish(OutgoingPost(text="限流"), creds(server), allow_private=True)
        assert caught.value.retryable and 590 <= caught.value.retry_after <= 600
    finally:
        server.close()


def test_x_metrics_come_from_public_metrics(fake_x):
    credentials = creds(fake_x)
    tweet = publisher_for("x").publish(OutgoingPost(text="看数据"), credentials, allow_private=True).external_id
    got = publisher_for("x").metrics([tweet, "404"], credentials, allow_private=True)
    assert set(got) == {tweet}
    assert (got[tweet].likes, got[tweet].reposts, got[tweet].replies, got[tweet].views) == (5, 3, 1, 120)


# Connecting and publishing through the app.

@pytest.fixture
def x_app(app, local_targets, fake_x):  # noqa: F811 - local_targets is a fixture
    app.config.update(X_CLIENT_ID=fake_x.client_id, X_CLIENT_SECRET=fake_x.client_secret, X_API_BASE=fake_x.url(),
                      X_AUTHORIZE_URL=fake_x.url("/i/oauth2/authorize"))
    return app


def connect_x(owner, fake_x, channel="x") -> dict:
    """What the marketer's browser does: start, approve at the platform (the fake), come back to the callback."""
    res = owner.client.post(f"/api/v1/accounts/{channel}/connect", headers=owner._headers(None))
    assert res.status_code == 200, res.json
    at_x = httpx.get(res.json["authorize_url"], follow_redirects=False)
    assert at_x.status_code == 302, at_x.text
    back = urlsplit(at_x.headers["location"])
    assert back.path == f"/api/v1/accounts/{channel}/callback"
    done = owner.client.get(f"{back.path}?{back.query}")
    assert done.status_code == 200, done.json
    return {"authorize_url": res.json["authorize_url"], "callback": f"{back.path}?{back.query}", "account": done.json}


def test_connecting_x_uses_state_and_pkce_and_seals_the_tokens(x_app, owner, fake_x):
    flow = connect_x(owner, fake_x)
    query = parse_qs(urlsplit(flow["authorize_url"]).query)
    assert query["code_challenge_method"] == ["S256"] and "offline.access" in query["scope"][0]
    token_call = next(c for c in fake_x.calls if c["path"] == "/2/oauth2/token")
    assert s256(token_call["fields"]["code_verifier"]) == query["code_challenge"][0]
    assert flow["account"]["status"] == "connected" and flow["account"]["expires_at"]
    with database.read_session(x_app) as s:
        row = s.scalar(select(BrandAccount))
    [access] = fake_x.access
    assert access not in row.sealed and "refresh" not in row.sealed
    listed = owner.get("/api/v1/accounts").json["items"]
    assert {a["channel"]: a["status"] for a in listed}["x"] == "connected"
    # The state works once.
    again = owner.client.get(flow["callback"])
    assert again.status_code == 400 and again.json["error"]["code"] == "invalid_state"


def test_connect_refuses_unknown_channels_kits_and_missing_app_registration(app, owner):
    assert owner.client.post("/api/v1/accounts/nope/connect", headers=owner._headers(None)).status_code == 404
    kit = owner.client.post("/api/v1/accounts/qzone/connect", headers=owner._headers(None))
    assert kit.status_code == 422 and kit.json["error"]["code"] == "no_oauth"
    unset = owner.client.post("/api/v1/accounts/x/connect", headers=owner._headers(None))
    assert unset.status_code == 422 and unset.json["error"]["code"] == "not_configured"


def test_a_declined_or_forged_callback_stores_nothing(x_app, owner):
    started = owner.client.post("/api/v1/accounts/x/connect", headers=owner._headers(None)).json["authorize_url"]
    state = parse_qs(urlsplit(started).query)["state"][0]
    declined = owner.client.get(f"/api/v1/accounts/x/callback?error=access_denied&state={state}")
    assert declined.status_code == 400 and declined.json["error"]["code"] == "connect_declined"
    assert owner.client.get(f"/api/v1/accounts/x/callback?state={state}&code=abc").status_code == 400  # used
    forged = owner.client.get("/api/v1/accounts/x/callback?state=forged&code=abc")
    assert forged.status_code == 400
    with database.read_session(x_app) as s:
        assert s.scalar(select(BrandAccount)) is None


def pub_of(app, channel="x") -> Publication:
    with database.read_session(app) as s:
        return s.scalar(select(Publication).where(Publication.channel == channel))


def test_a_scheduled_post_goes_to_the_connected_x_account_once(x_app, owner, fake_x):
    connect_x(owner, fake_x)
    campaign = api_campaign(owner, channels=["x"], images=1)
    go_live(x_app, owner, campaign["id"], channels=["x"])
    pub = pub_of(x_app)
    assert (pub.status, pub.error) == ("published", None)
    assert list(fake_x.tweets) == [pub.external_id] and len(fake_x.tweets[pub.external_id]["media_ids"]) == 1
    shown = owner.get(f"/api/v1/campaigns/{campaign['id']}").json["publications"][0]
    assert shown["delivered_to"] == "account"
    # Run twice: the second job finds it done and posts nothing.
    with x_app.app_context():
        assert _publish(x_app, pub.id) == "skipped"
    assert len(fake_x.tweets) == 1


def test_without_a_connected_account_x_fills_the_libraries_and_says_so(x_app, owner, fake_x):
    campaign = api_campaign(owner, channels=["x"], images=0)
    go_live(x_app, owner, campaign["id"], channels=["x"])
    shown = owner.get(f"/api/v1/campaigns/{campaign['id']}").json["publications"][0]
    assert (shown["status"], shown["delivered_to"], shown["external_id"]) == ("published", "library", None)
    assert fake_x.tweets == {}


def test_an_expired_token_is_refreshed_and_the_post_goes_out(x_app, owner, fake_x):
    connect_x(owner, fake_x)
    [old] = fake_x.access
    fake_x.expire(old)  # X says 401 although our clock thinks it is fresh
    campaign = api_campaign(owner, channels=["x"], images=0)
    go_live(x_app, owner, campaign["id"], channels=["x"])
    pub = pub_of(x_app)
    assert (pub.status, pub.attempts) == ("published", 1)
    assert fake_x.paths().count("/2/oauth2/token") == 2  # the connect, then one refresh


def test_a_token_near_its_end_is_refreshed_ahead_by_the_job(x_app, owner, fake_x):
    connect_x(owner, fake_x)
    with database.new_session(x_app) as s:
        s.execute(update(BrandAccount).values(expires_at=utcnow() + timedelta(minutes=5)))
        s.commit()
    assert refresh_due(x_app) == {"refreshed": 1}
    assert refresh_due(x_app) == {}
    with database.read_session(x_app) as s:
        assert s.scalar(select(BrandAccount.expires_at)) > utcnow() + timedelta(hours=1)
    credentials = account_credentials(x_app, 1, "x")
    assert fake_x.access[credentials["access_token"]] > time.time()


def test_a_revoked_refresh_token_asks_the_brand_to_reconnect_and_fails_the_post(x_app, owner, fake_x):
    connect_x(owner, fake_x)
    fake_x.refresh_tokens.clear()  # the brand revoked Sharecast at X
    [old] = fake_x.access
    fake_x.expire(old)
    campaign = api_campaign(owner, channels=["x"], images=0)
    go_live(x_app, owner, campaign["id"], channels=["x"])
    pub = pub_of(x_app)
    assert pub.status == "failed" and "connecting again" in pub.error and old not in pub.error
    listed = {a["channel"]: a for a in owner.get("/api/v1/accounts").json["items"]}
    assert listed["x"]["status"] == "needs_reconnect" and listed["x"]["error"]


def test_a_rate_limited_post_waits_for_the_reset(app, local_targets, owner):  # noqa: F811
    server = FakeX(post_limit=0, reset_in=1200)
    try:
        app.config.update(X_CLIENT_ID=server.client_id, X_CLIENT_SECRET=server.client_secret,
                          X_API_BASE=server.url(), X_AUTHORIZE_URL=server.url("/i/oauth2/authorize"))
        connect_x(owner, server)
        campaign = api_campaign(owner, channels=["x"], images=0)
        go_live(app, owner, campaign["id"], channels=["x"])
        pub = pub_of(app)
        assert pub.status == "scheduled" and "rate limit" in pub.error
        assert pub.next_attempt_at >= utcnow() + timedelta(seconds=1100)
    finally:
        server.close()


def test_disconnect_forgets_the_tokens(x_app, owner, fake_x):
    connect_x(owner, fake_x)
    assert owner.client.delete("/api/v1/accounts/x", headers=owner._headers(None)).status_code == 204
    assert owner.client.delete("/api/v1/accounts/x", headers=owner._headers(None)).status_code == 404
    with database.read_session(x_app) as s:
        assert s.scalar(select(BrandAccount)) is None


def claimed_by_a_dead_worker(app, owner, campaign: dict, channel: str):
    """The campaign's publication on ``channel`` as a worker left it that took it (attempt 1), then
    died, its lease run out; and the post that worker was sending."""
    assert schedule(owner, campaign["id"], {"channel": channel, "publish_at": iso(soon(3600))}).status_code == 200
    with database.new_session(app) as s:
        pub = s.scalar(select(Publication))
        s.execute(update(Publication).values(status="publishing", attempts=1, publish_at=utcnow() - timedelta(hours=1),
                                             claimed_at=utcnow() - timedelta(hours=1), claim_token="dead"))
        s.commit()
    claimed = Claim(pub.id, "dead", 1, pub.workspace_id, pub.campaign_id, channel)
    with app.app_context(), database.read_session(app) as s:
        return pub, outgoing_post(app, s, claimed, current_version(s, pub.campaign_id))


def taken_over_and_recorded_once(app, pub, channel: str, sent, made: dict) -> None:
    """A second worker takes the dead one's publication: it finds the post ``sent`` on the platform
    and records it (attempt 2) instead of making another (``made``: the fake's posts)."""
    with app.app_context():
        assert _publish(app, pub.id) == "published"
    after = pub_of(app, channel)
    assert (after.status, after.external_id, after.attempts) == ("published", sent.external_id, 2)
    assert len(made) == 1


def test_a_post_sent_by_a_worker_that_died_before_recording_it_is_found_not_sent_again(x_app, owner, fake_x):
    """Worker 1 posts, then dies before recording; after the lease, worker 2 takes over and finds
    the post on X (its links wrapped in t.co) instead of posting it twice."""
    connect_x(owner, fake_x)
    campaign = api_campaign(owner, channels=["x"], images=0)
    pub, post = claimed_by_a_dead_worker(x_app, owner, campaign, "x")
    assert "https://" in post.text
    sent = publisher_for("x").publish(post, account_credentials(x_app, 1, "x"), allow_private=True)
    taken_over_and_recorded_once(x_app, pub, "x", sent, fake_x.tweets)
