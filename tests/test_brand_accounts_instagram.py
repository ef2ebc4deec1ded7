"""The brand's Instagram professional account: connected through the Facebook Page's Facebook Login (the
Page's ``instagram_business_account``), one photo, a carousel, a caption too long, a container Instagram
fails, the 24-hour publishing limit, a refused token, the app's rate limit, a lost answer found, metrics,
and images only from a public address; against a fake Graph API on 127.0.0.1 that really fetches each
image from its URL."""
from __future__ import annotations

import io
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from social_fakes import FakeInstagram, ImageHost
from sqlalchemy import select
from test_brand_accounts import claimed_by_a_dead_worker, connect_x, pub_of, taken_over_and_recorded_once
from test_brand_accounts_messages import said
from test_publishing_e2e import api_campaign, go_live
from test_webhooks import local_targets  # noqa: F401 - a fixture

from brand_accounts.models import BrandAccount
from brand_accounts.tokens import account_credentials
from channels import publisher_for
from channels.base import OutgoingImage, OutgoingPost, PublishError, TokenExpired
from channels.instagram import public_image_url
from plumbing import database
from plumbing.database import utcnow
from publishing.publish_jobs import _publish

IG = "17841405822304914"
PAGE = "104829"


def jpeg(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 80), (shade, 120, 90)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def fake_ig():
    server = FakeInstagram()
    server.publisher = publisher_for("instagram")
    server.publisher.poll_delays = (0.05, 0.1)
    yield server
    server.publisher.poll_delays = type(server.publisher).poll_delays
    server.close()


@pytest.fixture
def host():
    server = ImageHost()
    yield server
    server.close()


def ig_creds(server) -> dict:
    return {"access_token": server.page_token(PAGE), "api_base": server.url(), "ig_user_id": IG, "page_id": PAGE}


def photos(host, n: int, first: int = 0) -> tuple[OutgoingImage, ...]:
    return tuple(OutgoingImage(url=host.put(f"/media/p{i}.jpg", jpeg(i * 30)), filename=f"p{i}.jpg")
                 for i in range(first, first + n))


def test_one_photo_is_a_container_instagram_fetches_then_publishes(fake_ig, host):
    post = OutgoingPost(text="明前龙井到了 #龙井", title="明前龙井", images=photos(host, 1))
    result = publisher_for("instagram").publish(post, ig_creds(fake_ig), True)
    media = fake_ig.media[result.external_id]
    assert media["caption"] == post.text and media["images"] == [jpeg(0)]
    assert host.fetches == ["/media/p0.jpg"]  # Instagram's servers downloaded it from its URL
    container = fake_ig.containers[result.detail["container"]]
    assert container["alt"] == "明前龙井" and container["asked"] >= 2  # waited out IN_PROGRESS
    assert fake_ig.paths().index(f"/v21.0/{IG}/content_publishing_limit") < fake_ig.paths().index(f"/v21.0/{IG}/media")


def test_several_photos_are_one_carousel(fake_ig, host):
    post = OutgoingPost(text="多图", images=photos(host, 3))
    result = publisher_for("instagram").publish(post, ig_creds(fake_ig), True)
    assert fake_ig.media[result.external_id]["images"] == [jpeg(0), jpeg(30), jpeg(60)]
    carousel = fake_ig.containers[result.detail["container"]]
    assert carousel["children"] == result.detail["children"] and len(fake_ig.media) == 1
    assert all(fake_ig.containers[c]["item"] and not fake_ig.containers[c]["caption"] for c in carousel["children"])


def test_a_caption_too_long_or_no_image_is_refused_before_any_call(fake_ig, host):
    for post, why in ((OutgoingPost(text="长" * 2201, images=photos(host, 1)), "is 2201 characters"),
                      (OutgoingPost(text="no image"), "needs at least one image")):
        with pytest.raises(PublishError) as caught:
            publisher_for("instagram").publish(post, ig_creds(fake_ig), True)
        assert not caught.value.retryable and why in caught.value.message
    assert fake_ig.paths() == [] and host.fetches == []


def test_a_caption_instagram_refuses_is_final_and_names_no_token(fake_ig, host):
    credentials = ig_creds(fake_ig)
    post = OutgoingPost(text=" ".join(f"#t{i}" for i in range(31)), images=photos(host, 1))
    with pytest.raises(PublishError) as caught:
        publisher_for("instagram").publish(post, credentials, True)
    assert not caught.value.retryable and "(2207010)" in caught.value.message
    assert credentials["access_token"] not in caught.value.message and fake_ig.media == {}


def test_a_container_instagram_fails_is_a_final_refusal_with_its_status(fake_ig, host):
    fake_ig.fail_status = "Error: Media upload has failed with error code 2207026"
    with pytest.raises(PublishError) as caught:
        publisher_for("instagram").publish(OutgoingPost(text="坏图", images=photos(host, 1)), ig_creds(fake_ig), True)
    assert not caught.value.retryable and "2207026" in caught.value.message and "(ERROR)" in caught.value.message
    assert fake_ig.media == {}


def test_an_image_instagram_cannot_fetch_is_refused(fake_ig, host):
    missing = OutgoingImage(url=host.put("/media/x.jpg", jpeg(1)).replace("x.jpg", "gone.jpg"))
    with pytest.raises(PublishError) as caught:
        publisher_for("instagram").publish(OutgoingPost(text="缺图", images=(missing,)), ig_creds(fake_ig), True)
    assert not caught.value.retryable and "(2207052)" in caught.value.message


def test_the_publishing_limit_waits_without_making_containers(fake_ig, host):
    credentials = ig_creds(fake_ig)
    fake_ig.quota = 1
    publisher_for("instagram").publish(OutgoingPost(text="第一条", images=photos(host, 1)), credentials, True)
    made = len(fake_ig.containers)
    with pytest.raises(PublishError) as caught:
        publisher_for("instagram").publish(OutgoingPost(text="第二条", images=photos(host, 1, 1)), credentials, True)
    assert caught.value.retryable and caught.value.retry_after == 3600 and "(2207042)" in caught.value.message
    assert len(fake_ig.containers) == made and len(fake_ig.media) == 1


def test_the_limit_hit_at_media_publish_is_honoured_too(fake_ig, host):
    """Another app used the quota between our check and the publish: media_publish answers 9/2207042."""
    credentials = ig_creds(fake_ig)
    publisher_for("instagram").publish(OutgoingPost(text="一", images=photos(host, 1)), credentials, True)
    publisher = publisher_for("instagram")
    checked = publisher._check_quota
    try:
        publisher._check_quota = lambda *a: None
        fake_ig.quota = 1
        with pytest.raises(PublishError) as caught:
            publisher.publish(OutgoingPost(text="二", images=photos(host, 1, 1)), credentials, True)
    finally:
        publisher._check_quota = checked
    assert caught.value.retryable and caught.value.retry_after == 3600


def test_a_refused_token_is_reported_as_expired(fake_ig, host):
    credentials = ig_creds(fake_ig)
    fake_ig.page_tokens.clear()
    with pytest.raises(TokenExpired):
        publisher_for("instagram").publish(OutgoingPost(text="失效", images=photos(host, 1)), credentials, True)


def test_the_app_rate_limit_waits_for_the_usage_headers(fake_ig, host):
    fake_ig.call_limit = 0
    with pytest.raises(PublishError) as caught:
        publisher_for("instagram").publish(OutgoingPost(text="限流", images=photos(host, 1)), ig_creds(fake_ig), True)
    assert caught.value.retryable and caught.value.retry_after == 3600 and "rate limit" in caught.value.message


def test_metrics_are_likes_and_comments(fake_ig, host):
    credentials = ig_creds(fake_ig)
    media = publisher_for("instagram").publish(OutgoingPost(text="看数据", images=photos(host, 1)), credentials, True)
    got = publisher_for("instagram").metrics([media.external_id, "18000000000000999"], credentials, True)
    assert set(got) == {media.external_id}
    assert (got[media.external_id].likes, got[media.external_id].replies, got[media.external_id].views) == (31, 5, None)


def test_images_on_a_private_public_url_are_refused_clearly_without_dns(fake_ig):
    """Instagram downloads each image; a local SHARECAST_PUBLIC_URL could never be reached. Judged from the
    URL alone (IP literals, localhost, dotless names), so no resolver is asked."""
    for url in ("http://127.0.0.1:5000/media/a.jpg", "http://localhost/media/a.jpg", "http://[::1]/m.jpg",
                "http://10.0.0.8/m.jpg", "http://sharecast/media/a.jpg"):
        post = OutgoingPost(text="本地", images=(OutgoingImage(url=url),))
        with pytest.raises(PublishError) as caught:
            publisher_for("instagram").publish(post, ig_creds(fake_ig), False)
        assert not caught.value.retryable and "SHARECAST_PUBLIC_URL is not public" in caught.value.message
    assert fake_ig.paths() == []
    for url in ("https://sharecast.example.com/media/a.jpg", "https://[2001:4860:4860::8888]/media/a.jpg",
                "http://8.8.8.8/media/a.jpg"):
        assert public_image_url(OutgoingImage(url=url), False) == url


def test_the_refusals_are_said_in_both_languages(app):
    public = ("instagram: Instagram fetches each image from its public URL, and SHARECAST_PUBLIC_URL is not public "
              "(127.0.0.1): set it to the address the internet reaches Sharecast at")
    assert "SHARECAST_PUBLIC_URL" in said(app, public, "zh-CN") and "公网" in said(app, public, "zh-CN")
    assert said(app, public, "en").startswith("Instagram downloads each image")
    long = "instagram: the Instagram caption is 2301 characters; Instagram takes at most 2200"
    assert "2200" in said(app, long, "zh-CN") and "照片墙" not in said(app, long, "en")
    assert said(app, long, "en") != long


# Through the app.

@pytest.fixture
def ig_app(app, local_targets, fake_ig, page_server):  # noqa: F811 - local_targets is a fixture
    """PUBLIC_URL is the live app (page_server), so the fake fetches the rendered images from Sharecast."""
    app.config.update(INSTAGRAM_CLIENT_ID=fake_ig.client_id, INSTAGRAM_CLIENT_SECRET=fake_ig.client_secret,
                      INSTAGRAM_API_BASE=fake_ig.url(), INSTAGRAM_AUTHORIZE_URL=fake_ig.url("/v21.0/dialog/oauth"))
    return app


def test_connecting_finds_the_pages_instagram_account(ig_app, owner, fake_ig):
    flow = connect_x(owner, fake_ig, "instagram")
    assert flow["account"]["status"] == "connected" and flow["account"]["posts_as"] == "@acmetea"
    assert "instagram_content_publish" in flow["authorize_url"]
    accounts_call = next(c for c in fake_ig.calls if c["path"] == "/v21.0/me/accounts")
    assert "instagram_business_account" in accounts_call["query"]["fields"]
    credentials = account_credentials(ig_app, 1, "instagram")
    assert credentials["ig_user_id"] == IG and fake_ig.page_tokens[credentials["access_token"]] == PAGE
    with database.read_session(ig_app) as s:
        assert credentials["access_token"] not in s.scalar(select(BrandAccount.sealed))


def test_a_page_without_an_instagram_account_cannot_connect(ig_app, owner, fake_ig):
    del fake_ig.pages[0]["instagram_business_account"]
    started = owner.client.post("/api/v1/accounts/instagram/connect", headers=owner._headers(None)).json
    back = urlsplit(httpx.get(started["authorize_url"], follow_redirects=False).headers["location"])
    res = owner.client.get(f"{back.path}?{back.query}")
    assert res.status_code == 502 and "link the brand's Instagram account" in res.json["error"]["message"]


def test_a_scheduled_post_goes_to_instagram_once_with_images_fetched_from_sharecast(ig_app, owner, fake_ig):
    connect_x(owner, fake_ig, "instagram")
    campaign = api_campaign(owner, channels=["instagram"], images=2)
    go_live(ig_app, owner, campaign["id"], channels=["instagram"])
    pub = pub_of(ig_app, "instagram")
    assert (pub.status, pub.error) == ("published", None), pub.error
    images = fake_ig.media[pub.external_id]["images"]
    assert list(fake_ig.media) == [pub.external_id] and len(images) >= 2 and len(images) == len(fake_ig.fetched)
    assert all(u.startswith(ig_app.config["PUBLIC_URL"] + "/media/") for u in fake_ig.fetched)
    with ig_app.app_context():
        assert _publish(ig_app, pub.id) == "skipped"


def test_a_private_public_url_fails_the_publication_clearly(ig_app, owner, fake_ig):
    connect_x(owner, fake_ig, "instagram")
    ig_app.config["ALLOW_PRIVATE_TARGETS"] = False  # PUBLIC_URL is 127.0.0.1: Instagram could not fetch it
    campaign = api_campaign(owner, channels=["instagram"], images=1)
    go_live(ig_app, owner, campaign["id"], channels=["instagram"])
    pub = pub_of(ig_app, "instagram")
    assert pub.status == "failed" and "SHARECAST_PUBLIC_URL is not public" in pub.error
    assert fake_ig.containers == {} and fake_ig.fetched == []


def test_the_publishing_limit_keeps_the_publication_waiting(ig_app, owner, fake_ig):
    connect_x(owner, fake_ig, "instagram")
    fake_ig.quota = 0
    campaign = api_campaign(owner, channels=["instagram"], images=1)
    go_live(ig_app, owner, campaign["id"], channels=["instagram"])
    pub = pub_of(ig_app, "instagram")
    assert pub.status == "scheduled" and "rate limit" in pub.error
    assert (pub.next_attempt_at - utcnow()).total_seconds() >= 59 * 60


def test_a_post_made_by_a_worker_that_died_is_found_not_made_again(ig_app, owner, fake_ig):
    connect_x(owner, fake_ig, "instagram")
    campaign = api_campaign(owner, channels=["instagram"], images=1)
    pub, post = claimed_by_a_dead_worker(ig_app, owner, campaign, "instagram")
    sent = publisher_for("instagram").publish(post, account_credentials(ig_app, pub.workspace_id, "instagram"), True)
    taken_over_and_recorded_once(ig_app, pub, "instagram", sent, fake_ig.media)


def test_a_page_token_refused_asks_the_brand_to_reconnect(ig_app, owner, fake_ig):
    connect_x(owner, fake_ig, "instagram")
    fake_ig.page_tokens.clear()  # the person changed their password
    campaign = api_campaign(owner, channels=["instagram"], images=1)
    go_live(ig_app, owner, campaign["id"], channels=["instagram"])
    pub = pub_of(ig_app, "instagram")
    assert pub.status == "failed" and "connecting again" in pub.error and fake_ig.media == {}
    listed = {a["channel"]: a for a in owner.get("/api/v1/accounts").json["items"]}
    assert listed["instagram"]["status"] == "needs_reconnect"


def test_the_accounts_page_says_what_instagram_needs_and_how_a_refused_connect_ended(ig_app, console, owner, fake_ig):
    connect_x(owner, fake_ig, "instagram")
    html = console.get("/console/accounts").get_data(as_text=True)
    assert "Posts as @acmetea" in html and "reachable from the internet" in html
    for arg, said_ in (("refused", "did not accept the connection"), ("expired", "has expired or was already used")):
        res = console.get(f"/console/accounts?{arg}=instagram")
        assert res.status_code == 303
        assert said_ in console.get("/console/accounts").get_data(as_text=True)
