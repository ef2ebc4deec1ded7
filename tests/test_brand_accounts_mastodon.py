"""The brand's own Mastodon account: OAuth 2.0 with PKCE, media with alt text, statuses with an
Idempotency-Key, refusals, a revoked token, rate limits and metrics; against a fake instance on 127.0.0.1."""
from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from social_fakes import FakeMastodon, FakePlatform, s256
from sqlalchemy import select, update
from test_brand_accounts import connect_x, image, pub_of
from test_publishing_e2e import api_campaign, go_live
from test_webhooks import local_targets  # noqa: F401 - a fixture

from brand_accounts.models import BrandAccount, MastodonApp
from brand_accounts.tokens import account_credentials
from channels import publisher_for
from channels.base import OutgoingImage, OutgoingPost, PublishError, TokenExpired
from channels.mastodon import MastodonPublisher
from plumbing import database
from plumbing.database import utcnow
from publishing.models import Publication
from publishing.publish_jobs import _publish
from web.console.campaign_messages import explain


@pytest.fixture
def fake_md():
    server = FakeMastodon()
    yield server
    server.close()


def creds(server) -> dict:
    return {"access_token": server.issue(), "api_base": server.url()}


def test_mastodon_posts_text(fake_md):
    result = publisher_for("mastodon").publish(OutgoingPost(text="明前龙井到了 https://shop.example.com/r/AbC"),
                                               creds(fake_md), allow_private=True)
    status = fake_md.statuses[result.external_id]
    assert status == {"text": "明前龙井到了 https://shop.example.com/r/AbC", "media_ids": [], "visibility": "public"}
    assert result.detail["url"].endswith(result.external_id)


def test_mastodon_uploads_one_image_with_its_alt_text(fake_md):
    post = OutgoingPost(text="新茶\n第二行", title="明前龙井", images=(image(1),))
    result = publisher_for("mastodon").publish(post, creds(fake_md), allow_private=True)
    [media_id] = fake_md.statuses[result.external_id]["media_ids"]
    assert fake_md.media[media_id]["data"] == post.images[0].data
    assert fake_md.media[media_id]["description"] == "明前龙井"
    described = OutgoingPost(text="x", images=(OutgoingImage(data=image(2).data, content_type="image/png",
                                                             alt="一杯茶，" * 600),))
    publisher_for("mastodon").publish(described, creds(fake_md), allow_private=True)
    assert len(list(fake_md.media.values())[-1]["description"]) == 1500


def test_mastodon_posts_at_most_four_images(fake_md):
    post = OutgoingPost(text="多图", images=tuple(image(i) for i in range(6)))
    result = publisher_for("mastodon").publish(post, creds(fake_md), allow_private=True)
    assert len(fake_md.statuses[result.external_id]["media_ids"]) == 4
    assert fake_md.paths().count("/api/v2/media") == 4


def test_an_image_still_processing_is_waited_for_before_the_status():
    server = FakeMastodon(processing=2)
    try:
        publisher = MastodonPublisher(media_waits=(0.01, 0.01, 0.01, 0.01))
        result = publisher.publish(OutgoingPost(text="处理中", images=(image(1), image(2))), creds(server),
                                   allow_private=True)
        assert len(server.statuses[result.external_id]["media_ids"]) == 2
        assert sum(1 for c in server.calls if c["path"].startswith("/api/v1/media/")) == 6  # 206, 206, 200 each
        # An instance that never finishes: a retryable failure, no status.
        slow = MastodonPublisher(media_waits=(0.01,))
        server.processing = 1
        with pytest.raises(PublishError) as caught:
            slow.publish(OutgoingPost(text="太慢", images=(image(3),)), creds(server), allow_private=True)
        assert caught.value.retryable and len(server.statuses) == 1
    finally:
        server.close()


def test_a_refused_status_is_final_with_mastodons_reason(fake_md):
    credentials = creds(fake_md)
    with pytest.raises(PublishError) as caught:
        publisher_for("mastodon").publish(OutgoingPost(text="长" * 501), credentials, allow_private=True)
    assert not caught.value.retryable and "character limit of 500" in caught.value.message
    assert credentials["access_token"] not in caught.value.message and fake_md.statuses == {}
    said = explain(f"mastodon: {caught.value.message}")
    assert said.startswith("Mastodon refused the post: Validation failed")


def test_the_same_key_twice_makes_one_status(fake_md):
    """The platform's own idempotency: a retry whose first answer was lost gets the same status back."""
    credentials = creds(fake_md)
    post = OutgoingPost(text="只发一次", key="sharecast-publication-7")
    first = publisher_for("mastodon").publish(post, credentials, allow_private=True)
    again = publisher_for("mastodon").publish(post, credentials, allow_private=True)
    assert first.external_id == again.external_id and len(fake_md.statuses) == 1
    sent = [c for c in fake_md.calls if c["path"] == "/api/v1/statuses"]
    assert {c["headers"]["idempotency-key"] for c in sent} == {"sharecast-publication-7"}
    other = publisher_for("mastodon").publish(OutgoingPost(text="只发一次", key="sharecast-publication-8"),
                                              credentials, allow_private=True)
    assert other.external_id != first.external_id


def test_a_refused_token_is_reported_as_expired(fake_md):
    credentials = creds(fake_md)
    fake_md.tokens.clear()
    with pytest.raises(TokenExpired):
        publisher_for("mastodon").publish(OutgoingPost(text="撤销"), credentials, allow_private=True)


def test_the_rate_limit_waits_for_x_ratelimit_reset(fake_md):
    fake_md.post_limit, fake_md.reset_at = 0, time.time() + 1800
    with pytest.raises(PublishError) as caught:
        publisher_for("mastodon").publish(OutgoingPost(text="限流"), creds(fake_md), allow_private=True)
    assert caught.value.retryable and 1790 <= caught.value.retry_after <= 1800
    assert "rate limit reached; resets at" in caught.value.message


def test_mastodon_metrics_come_from_the_statuses(fake_md):
    credentials = creds(fake_md)
    sid = publisher_for("mastodon").publish(OutgoingPost(text="看数据"), credentials, allow_private=True).external_id
    got = publisher_for("mastodon").metrics([sid, "404"], credentials, allow_private=True)
    assert set(got) == {sid}
    assert (got[sid].likes, got[sid].reposts, got[sid].replies, got[sid].views) == (7, 3, 1, None)


# Through the app: connect, schedule, publish.

@pytest.fixture
def md_app(app, local_targets, fake_md):  # noqa: F811 - local_targets is a fixture
    app.config.update(MASTODON_CLIENT_ID=fake_md.client_id, MASTODON_CLIENT_SECRET=fake_md.client_secret,
                      MASTODON_API_BASE=fake_md.url(), MASTODON_AUTHORIZE_URL=fake_md.url("/oauth/authorize"))
    return app


def test_connecting_mastodon_uses_pkce_and_form_client_credentials(md_app, owner, fake_md):
    flow = connect_x(owner, fake_md, "mastodon")
    query = parse_qs(urlsplit(flow["authorize_url"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["scope"] == ["read:statuses write:statuses write:media"]
    token_call = next(c for c in fake_md.calls if c["path"] == "/oauth/token")
    assert s256(token_call["fields"]["code_verifier"]) == query["code_challenge"][0]
    assert "authorization" not in token_call["headers"] and token_call["fields"]["client_secret"] == "md-secret"
    assert flow["account"]["status"] == "connected" and flow["account"]["expires_at"] is None
    with database.read_session(md_app) as s:
        row = s.scalar(select(BrandAccount).where(BrandAccount.channel == "mastodon"))
    [token] = fake_md.tokens
    assert token not in row.sealed
    assert account_credentials(md_app, row.workspace_id, "mastodon") == {"access_token": token,
                                                                        "api_base": fake_md.url()}


def test_a_scheduled_post_goes_to_the_connected_mastodon_account_once(md_app, owner, fake_md):
    connect_x(owner, fake_md, "mastodon")
    campaign = api_campaign(owner, channels=["mastodon"], images=2)
    go_live(md_app, owner, campaign["id"], channels=["mastodon"])
    pub = pub_of(md_app, "mastodon")
    assert (pub.status, pub.error) == ("published", None), pub.error
    [status] = fake_md.statuses.values()
    assert status["media_ids"] and "https://" in status["text"] and len(status["text"]) <= 500
    assert all(fake_md.media[m]["description"] for m in status["media_ids"])
    shown = owner.get(f"/api/v1/campaigns/{campaign['id']}").json["publications"][0]
    assert shown["delivered_to"] == "account" and shown["external_id"] == pub.external_id
    with md_app.app_context():
        assert _publish(md_app, pub.id) == "skipped"
    assert len(fake_md.statuses) == 1


def test_a_worker_that_died_after_posting_is_followed_by_one_status(md_app, owner, fake_md):
    """Worker 1 posted, then died before recording it; the lease runs out and worker 2 posts again
    with the same Idempotency-Key: Mastodon answers with the first status, and no second one is made."""
    connect_x(owner, fake_md, "mastodon")
    campaign = api_campaign(owner, channels=["mastodon"], images=0)
    go_live(md_app, owner, campaign["id"], channels=["mastodon"])
    pub = pub_of(md_app, "mastodon")
    with database.new_session(md_app) as s:  # as if the recording had been lost
        s.execute(update(Publication).values(status="publishing", external_id=None, published_at=None,
                                             claimed_at=utcnow() - timedelta(hours=1), claim_token="dead"))
        s.commit()
    with md_app.app_context():
        assert _publish(md_app, pub.id) == "published"
    again = pub_of(md_app, "mastodon")
    assert again.external_id == pub.external_id and len(fake_md.statuses) == 1


def test_a_revoked_mastodon_token_fails_the_post_and_asks_to_reconnect(md_app, owner, fake_md):
    connect_x(owner, fake_md, "mastodon")
    fake_md.tokens.clear()  # the brand revoked Sharecast in the instance's settings
    campaign = api_campaign(owner, channels=["mastodon"], images=0)
    go_live(md_app, owner, campaign["id"], channels=["mastodon"])
    pub = pub_of(md_app, "mastodon")
    assert pub.status == "failed" and "connecting again" in pub.error and fake_md.statuses == {}
    listed = {a["channel"]: a for a in owner.get("/api/v1/accounts").json["items"]}
    assert listed["mastodon"]["status"] == "needs_reconnect"


def test_a_rate_limited_mastodon_post_waits_for_the_reset(app, local_targets, owner):  # noqa: F811
    server = FakeMastodon(post_limit=0, reset_in=1200)
    try:
        app.config.update(MASTODON_CLIENT_ID=server.client_id, MASTODON_CLIENT_SECRET=server.client_secret,
                          MASTODON_API_BASE=server.url(), MASTODON_AUTHORIZE_URL=server.url("/oauth/authorize"))
        connect_x(owner, server, "mastodon")
        campaign = api_campaign(owner, channels=["mastodon"], images=0)
        go_live(app, owner, campaign["id"], channels=["mastodon"])
        pub = pub_of(app, "mastodon")
        assert pub.status == "scheduled" and "rate limit" in pub.error
        assert pub.next_attempt_at >= utcnow() + timedelta(seconds=1100)
    finally:
        server.close()


# An account on any instance: Sharecast registers its app there the first time (POST /api/v1/apps).

def connect_on(owner, instance: str, channel: str = "mastodon"):
    return owner.client.post(f"/api/v1/accounts/{channel}/connect", json={"instance": instance},
                             headers=owner._headers(None))


def approve_and_return(owner, authorize_url: str) -> dict:
    at = httpx.get(authorize_url, follow_redirects=False)
    assert at.status_code == 302, at.text
    back = urlsplit(at.headers["location"])
    done = owner.client.get(f"{back.path}?{back.query}")
    assert done.status_code == 200, done.json
    return done.json


def test_an_account_on_any_instance_registers_sharecast_there_once_and_posts_there(app, local_targets, owner):  # noqa: F811
    """No deployment-wide registration: the owner names the instance; the first connect registers
    Sharecast's app on it with the callback and the scopes the adapter needs, a second connect (also
    from another workspace) reuses it, and posts go to that instance with the token it issued."""
    server = FakeMastodon(client_id="preconfigured-elsewhere")
    try:
        assert app.config["MASTODON_CLIENT_ID"] == ""
        res = connect_on(owner, server.url() + "/")
        assert res.status_code == 200, res.json
        [registered] = [c for c in server.calls if c["path"] == "/api/v1/apps"]
        assert registered["fields"]["client_name"] == "Sharecast"
        assert registered["fields"]["redirect_uris"] == f"{app.config['PUBLIC_URL']}/api/v1/accounts/mastodon/callback"
        assert registered["fields"]["scopes"] == "read:statuses write:statuses write:media"
        query = parse_qs(urlsplit(res.json["authorize_url"]).query)
        assert res.json["authorize_url"].startswith(server.url("/oauth/authorize?"))
        assert query["client_id"] != ["preconfigured-elsewhere"] and query["code_challenge_method"] == ["S256"]
        account = approve_and_return(owner, res.json["authorize_url"])
        assert account["status"] == "connected"
        with database.read_session(app) as s:
            apps = s.scalars(select(MastodonApp)).all()
            row = s.scalar(select(BrandAccount).where(BrandAccount.channel == "mastodon"))
        assert [(a.instance, a.client_id) for a in apps] == [(server.url(), query["client_id"][0])]
        assert server.apps[query["client_id"][0]]["secret"] not in apps[0].sealed
        [token] = server.tokens
        assert account_credentials(app, row.workspace_id, "mastodon") == {"access_token": token, "api_base": server.url()}
        # Again (a reconnect): no second registration.
        again = connect_on(owner, server.url())
        assert again.status_code == 200 and len([c for c in server.calls if c["path"] == "/api/v1/apps"]) == 1
        # A post goes to that instance.
        campaign = api_campaign(owner, channels=["mastodon"], images=1)
        go_live(app, owner, campaign["id"], channels=["mastodon"])
        pub = pub_of(app, "mastodon")
        assert (pub.status, pub.error) == ("published", None) and list(server.statuses) == [pub.external_id]
    finally:
        server.close()


@pytest.mark.parametrize("typed, code", [
    ("", "validation_error"), ("mastodon.social/@brand", "invalid_instance"), ("ftp://mastodon.social", "invalid_instance"),
    ("https://user:pw@mastodon.social", "invalid_instance"), ("masto don.social", "invalid_instance"),
    ("https://mastodon.social/?x=1", "invalid_instance"), ("x" * 301, "validation_error"),
])
def test_a_bad_instance_address_is_422_and_registers_nothing(app, owner, typed, code):
    res = connect_on(owner, typed)
    assert res.status_code == 422 and res.json["error"]["code"] == code, res.json
    with database.read_session(app) as s:
        assert s.scalars(select(MastodonApp)).all() == []


def test_an_instance_that_is_not_mastodon_or_refuses_is_422_and_stores_nothing(app, local_targets, owner):  # noqa: F811
    class NotMastodon(FakePlatform):  # a web server that is not a Mastodon instance
        def answer(self, method, path, query, headers, fields, files):
            return 404, {"error": "no such page"}, {}

    not_mastodon = NotMastodon()
    refusing = FakeMastodon()
    refusing.SCOPES = {"read"}  # an instance that does not know the granular scopes
    try:
        for server in (not_mastodon, refusing):
            res = connect_on(owner, server.url())
            assert res.status_code == 422 and res.json["error"]["code"] == "invalid_instance", res.json
            assert "would not register" in res.json["error"]["message"]
        closed = connect_on(owner, "http://127.0.0.1:9")
        assert closed.status_code == 422 and "could not be reached" in closed.json["error"]["message"]
        with database.read_session(app) as s:
            assert s.scalars(select(MastodonApp)).all() == [] and s.scalars(select(BrandAccount)).all() == []
    finally:
        not_mastodon.close()
        refusing.close()


def test_an_instance_is_refused_for_other_channels_and_needed_when_none_is_configured(app, owner):
    res = connect_on(owner, "mastodon.social", channel="x")
    assert res.status_code == 422 and res.json["error"]["fields"] == {"instance": "not for this channel"}
    res = owner.client.post("/api/v1/accounts/mastodon/connect", headers=owner._headers(None))
    assert res.status_code == 422 and res.json["error"]["code"] == "instance_required"


def test_instance_addresses_are_read_as_people_type_them():
    from channels.mastodon import InstanceError, instance_base

    assert instance_base("Mastodon.Social", False) == "https://mastodon.social"
    assert instance_base("https://fosstodon.org/", False) == "https://fosstodon.org"
    assert instance_base("@acmetea@fosstodon.org", False) == "https://fosstodon.org"
    assert instance_base("social.bücher.example", False) == "https://social.xn--bcher-kva.example"
    assert instance_base("http://127.0.0.1:8080", True) == "http://127.0.0.1:8080"
    for bad in ("http://mastodon.social", "127.0.0.1", "https://localhost", "https://mastodon.social:99999"):
        with pytest.raises(InstanceError):
            instance_base(bad, False)


def test_the_consoles_instance_connect_is_a_csrf_checked_post_not_a_link_another_site_can_send(app, console):
    """Naming the instance makes Sharecast call it (``POST /api/v1/apps``) and keep a registration, and the
    page that follows sends the owner there to sign in: another site's link (``?instance=`` on a GET, or a
    POST without the page's token) must neither call the instance nor show that page."""
    from conftest import csrf_token_of

    server = FakeMastodon()
    try:
        app.config.update(ALLOW_PRIVATE_TARGETS=True)
        lured = console.get("/console/accounts/mastodon/connect", query_string={"instance": server.url()})
        assert lured.status_code == 303 and server.calls == []
        forged = console.client.post("/console/accounts/mastodon/connect", data={"instance": server.url()})
        assert forged.status_code in (400, 403) and server.calls == []
        with database.read_session(app) as s:
            assert s.scalars(select(MastodonApp)).all() == []
        token = csrf_token_of(console.get("/console/accounts").text)
        typed = console.client.post("/console/accounts/mastodon/connect",
                                    data={"instance": server.url(), "csrf_token": token})
        assert typed.status_code == 200 and server.url("/oauth/authorize?") in typed.text
        assert [c["path"] for c in server.calls] == ["/api/v1/apps"]
    finally:
        server.close()


def test_an_instance_is_on_https_default_port_so_its_address_cannot_probe_other_ports():
    """Mastodon federates over https on port 443 only: another port is no instance, and naming one would
    let the connect's 'could not be reached' versus 'would not register' tell which ports of a public
    host are open."""
    from channels.mastodon import InstanceError, instance_base

    assert instance_base("https://mastodon.social:443/", False) == "https://mastodon.social"
    for bad in ("mastodon.social:22", "https://mastodon.social:8443", "@brand@mastodon.social:25"):
        with pytest.raises(InstanceError):
            instance_base(bad, False)


def test_an_instance_answering_the_registration_with_an_endless_body_is_refused_and_stores_nothing(app, local_targets, owner):  # noqa: F811
    """Any server can be named as the instance: its answer to ``POST /api/v1/apps`` (a few hundred bytes
    from Mastodon) is read only up to a bound, so a server sending megabytes cannot fill the web
    process's memory; the connect is refused as not a Mastodon instance and nothing is kept."""
    from channels.mastodon import MAX_ANSWER_BYTES

    class Flooding(FakeMastodon):
        def answer(self, method, path, query, headers, fields, files):
            if path == "/api/v1/apps":
                return 200, {"client_id": "flood", "client_secret": "flood", "padding": "x" * (MAX_ANSWER_BYTES * 4)}, {}
            return super().answer(method, path, query, headers, fields, files)

    server = Flooding()
    try:
        res = connect_on(owner, server.url())
        assert res.status_code == 422 and res.json["error"]["code"] == "invalid_instance", res.json
        assert res.json["error"]["fields"] == {"instance": "refused"}
        with database.read_session(app) as s:
            assert s.scalars(select(MastodonApp)).all() == []
    finally:
        server.close()
