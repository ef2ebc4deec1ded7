"""The brand's own Bluesky account: an app password signed in once, the session shared and renewed,
posts with facets and images with alt text, refusals, rate limits, a lost answer found, metrics;
against a fake PDS on 127.0.0.1."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from social_fakes import FakeBluesky
from test_brand_accounts import claimed_by_a_dead_worker, image, pub_of, taken_over_and_recorded_once
from test_publishing_e2e import api_campaign, go_live, put_credentials
from test_webhooks import local_targets  # noqa: F401 - a fixture

from brand_accounts.bluesky_session import bluesky_session
from channels import publisher_for
from channels.base import InvalidCredentials, OutgoingImage, OutgoingPost, PublishError, TokenExpired
from channels.bluesky import facets
from plumbing.database import utcnow
from publishing.direct_post import credentials_for
from publishing.publish_jobs import _publish
from web.console.campaign_messages import explain

LINK = "https://shop.example.com/r/AbC"
WORKSPACE = 1  # the owner fixture's workspace


@pytest.fixture
def pds():
    server = FakeBluesky()
    yield server
    server.close()


def session(server) -> dict:
    return publisher_for("bluesky").create_session(
        {"identifier": server.handle, "app_password": server.app_password, "service": server.url()}, True)


def test_facets_cover_links_and_tags_in_utf8_bytes():
    text = f"明前龙井 #春茶 上新 {LINK}"
    found = facets(text)
    raw = text.encode()
    assert [raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode() for f in found] == ["#春茶", LINK]
    assert found[0]["features"] == [{"$type": "app.bsky.richtext.facet#tag", "tag": "春茶"}]
    assert found[1]["features"] == [{"$type": "app.bsky.richtext.facet#link", "uri": LINK}]
    assert facets("no links, no tags") == []


def test_credentials_must_be_a_handle_and_an_app_password():
    with pytest.raises(InvalidCredentials) as caught:
        publisher_for("bluesky").validate({"identifier": "not a handle", "app_password": "hunter2"}, False)
    assert set(caught.value.fields) == {"identifier", "app_password"}
    clean = publisher_for("bluesky").validate({"identifier": "@acmetea.bsky.social",
                                               "app_password": "abcd-efgh-ijkl-mnop"}, False)
    assert clean == {"identifier": "acmetea.bsky.social", "app_password": "abcd-efgh-ijkl-mnop",
                     "service": "https://bsky.social"}


def test_the_session_names_the_accounts_pds(pds):
    got = session(pds)
    assert got["did"] == FakeBluesky.did and got["pds"] == pds.url() and got["access_token"] in pds.access


def test_bluesky_posts_text_with_its_link_clickable(pds):
    result = publisher_for("bluesky").publish(OutgoingPost(text=f"新茶上市 {LINK}"), session(pds), allow_private=True)
    record = pds.records[result.external_id]["value"]
    assert record["text"] == f"新茶上市 {LINK}" and record["facets"][0]["features"][0]["uri"] == LINK
    assert "embed" not in record and result.external_id.startswith(f"at://{FakeBluesky.did}/app.bsky.feed.post/")


def test_bluesky_posts_one_image_with_alt_text_and_aspect_ratio(pds):
    picture = OutgoingImage(data=image(1).data, content_type="image/png", width=40, height=30)
    post = OutgoingPost(text="一张图", title="明前龙井", images=(picture,))
    result = publisher_for("bluesky").publish(post, session(pds), allow_private=True)
    [embedded] = pds.records[result.external_id]["value"]["embed"]["images"]
    assert embedded["alt"] == "明前龙井" and embedded["aspectRatio"] == {"width": 40, "height": 30}
    assert pds.blobs[embedded["image"]["ref"]["$link"]]["data"] == picture.data


def test_bluesky_posts_at_most_four_images(pds):
    result = publisher_for("bluesky").publish(OutgoingPost(text="多图", images=tuple(image(i) for i in range(6))),
                                              session(pds), allow_private=True)
    assert len(pds.records[result.external_id]["value"]["embed"]["images"]) == 4
    assert pds.paths().count("/xrpc/com.atproto.repo.uploadBlob") == 4


def test_refusals_are_final_with_blueskys_reason(pds):
    credentials = session(pds)
    with pytest.raises(PublishError) as caught:
        publisher_for("bluesky").publish(OutgoingPost(text="长" * 301), credentials, allow_private=True)
    assert not caught.value.retryable and "300 graphemes" in caught.value.message and pds.records == {}
    big = OutgoingImage(data=b"\x89PNG" + b"0" * 1_000_000, content_type="image/png")
    with pytest.raises(PublishError) as caught:
        publisher_for("bluesky").publish(OutgoingPost(text="大图", images=(big,)), credentials, allow_private=True)
    assert not caught.value.retryable and "1,000,000" in caught.value.message and pds.blobs == {}


def test_an_expired_access_token_is_reported_as_such(pds):
    credentials = session(pds)
    pds.access[credentials["access_token"]] = 0
    with pytest.raises(TokenExpired):
        publisher_for("bluesky").publish(OutgoingPost(text="过期"), credentials, allow_private=True)


def test_the_rate_limit_waits_for_ratelimit_reset(pds):
    pds.post_limit, pds.reset_at = 0, int(time.time()) + 900
    with pytest.raises(PublishError) as caught:
        publisher_for("bluesky").publish(OutgoingPost(text="限流"), session(pds), allow_private=True)
    assert caught.value.retryable and 890 <= caught.value.retry_after <= 900


def test_bluesky_metrics_come_from_get_posts(pds):
    credentials = session(pds)
    uri = publisher_for("bluesky").publish(OutgoingPost(text="看数据"), credentials, allow_private=True).external_id
    got = publisher_for("bluesky").metrics([uri, "at://did:plc:x/app.bsky.feed.post/404"], credentials, True)
    assert set(got) == {uri} and (got[uri].likes, got[uri].reposts, got[uri].replies, got[uri].views) == (11, 3, 3, None)


# The shared session, and publishing through the app.

@pytest.fixture
def bsky_app(app, local_targets, owner, pds):  # noqa: F811 - local_targets is a fixture
    put_credentials(owner, "bluesky", {"identifier": pds.handle, "app_password": pds.app_password,
                                       "service": pds.url()})
    return app


def test_the_session_is_signed_in_once_refreshed_when_refused_and_signed_in_again_at_last(bsky_app, owner, pds):
    workspace_id = WORKSPACE
    first = credentials_for(bsky_app, workspace_id, "bluesky")
    assert credentials_for(bsky_app, workspace_id, "bluesky")["access_token"] == first["access_token"]
    assert pds.sessions_created == 1 and first["pds"] == pds.url()
    renewed = credentials_for(bsky_app, workspace_id, "bluesky", refused=first["access_token"])
    assert renewed["access_token"] != first["access_token"] and pds.sessions_created == 1
    assert pds.paths().count("/xrpc/com.atproto.server.refreshSession") == 1
    pds.refresh.clear()  # the refresh token ended too
    again = credentials_for(bsky_app, workspace_id, "bluesky", refused=renewed["access_token"])
    assert again["access_token"] in pds.access and pds.sessions_created == 2


def test_a_wrong_app_password_fails_the_post_with_the_reason(bsky_app, owner, pds):
    pds.app_password = "zzzz-zzzz-zzzz-zzzz"  # the brand revoked the app password
    campaign = api_campaign(owner, channels=["bluesky"], images=0)
    go_live(bsky_app, owner, campaign["id"], channels=["bluesky"])
    pub = pub_of(bsky_app, "bluesky")
    assert pub.status == "failed" and "Invalid identifier or password" in pub.error and pds.records == {}
    assert explain(pub.error).startswith("Bluesky refused the handle and app password: create a new app password")


def test_a_scheduled_post_goes_to_the_bluesky_account_once(bsky_app, owner, pds):
    campaign = api_campaign(owner, channels=["bluesky"], images=1)
    go_live(bsky_app, owner, campaign["id"], channels=["bluesky"])
    pub = pub_of(bsky_app, "bluesky")
    assert (pub.status, pub.error) == ("published", None), pub.error
    [record] = pds.records.values()
    assert record["value"]["embed"]["images"] and any(f["features"][0].get("uri") for f in record["value"]["facets"])
    with bsky_app.app_context():
        assert _publish(bsky_app, pub.id) == "skipped"
    assert len(pds.records) == 1


def test_an_expired_session_is_renewed_and_the_post_goes_out(bsky_app, owner, pds):
    stale = credentials_for(bsky_app, WORKSPACE, "bluesky")
    assert bluesky_session(bsky_app, WORKSPACE, {"identifier": pds.handle, "service": pds.url()}) == \
        {k: stale[k] for k in ("access_token", "did", "pds")}  # cached: no sign-in without the password
    pds.access[stale["access_token"]] = 0
    campaign = api_campaign(owner, channels=["bluesky"], images=0)
    go_live(bsky_app, owner, campaign["id"], channels=["bluesky"])
    pub = pub_of(bsky_app, "bluesky")
    assert (pub.status, pub.attempts) == ("published", 1) and pds.sessions_created == 1


def test_a_rate_limited_bluesky_post_waits_for_the_reset(bsky_app, owner, pds):
    pds.post_limit, pds.reset_at = 0, int(time.time()) + 1200
    campaign = api_campaign(owner, channels=["bluesky"], images=0)
    go_live(bsky_app, owner, campaign["id"], channels=["bluesky"])
    pub = pub_of(bsky_app, "bluesky")
    assert pub.status == "scheduled" and "rate limit" in pub.error
    assert pub.next_attempt_at >= utcnow() + timedelta(seconds=1100)


def test_a_post_made_by_a_worker_that_died_is_found_not_made_again(bsky_app, owner, pds):
    campaign = api_campaign(owner, channels=["bluesky"], images=0)
    pub, post = claimed_by_a_dead_worker(bsky_app, owner, campaign, "bluesky")
    sent = publisher_for("bluesky").publish(post, credentials_for(bsky_app, pub.workspace_id, "bluesky"), True)
    taken_over_and_recorded_once(bsky_app, pub, "bluesky", sent, pds.records)
