"""The brand's LinkedIn page: OAuth connect, posts as the one page the member administers, images
uploaded then attached with alt text, little-text escaping, refusals, an expired token refreshed, the
daily limit, a lost answer found; against a fake LinkedIn on 127.0.0.1."""
from __future__ import annotations

from datetime import timedelta

import pytest
from social_fakes import FakeLinkedIn
from test_brand_accounts import claimed_by_a_dead_worker, connect_x, image, pub_of, taken_over_and_recorded_once
from test_publishing_e2e import api_campaign, go_live
from test_webhooks import local_targets  # noqa: F401 - a fixture

from brand_accounts.tokens import account_credentials
from channels import publisher_for
from channels.base import OutgoingPost, PublishError, TokenExpired
from channels.linkedin import little_text
from plumbing.database import utcnow
from publishing.publish_jobs import _publish, sweep_brand_accounts
from web.console.campaign_messages import explain

PAGE = "urn:li:organization:2414183"


@pytest.fixture
def fake_li():
    server = FakeLinkedIn()
    yield server
    server.close()


def creds(server) -> dict:
    return {"access_token": server.issue()["access_token"], "api_base": server.url()}


def test_little_text_escapes_reserved_characters_keeps_links_and_makes_hashtags():
    text = "新茶 (明前) #春茶 *限量* https://shop.example.com/r/A_b(1)"
    assert little_text(text) == "新茶 \\(明前\\) {hashtag|\\#|春茶} \\*限量\\* https://shop.example.com/r/A_b(1)"


def test_linkedin_posts_text_as_the_page(fake_li):
    result = publisher_for("linkedin").publish(OutgoingPost(text="明前龙井到了"), creds(fake_li), allow_private=True)
    assert fake_li.posts[result.external_id] == {"commentary": "明前龙井到了", "author": PAGE, "images": []}


def test_linkedin_uploads_one_image_and_attaches_it_with_alt_text(fake_li):
    post = OutgoingPost(text="一张图", title="明前龙井", images=(image(1),))
    result = publisher_for("linkedin").publish(post, creds(fake_li), allow_private=True)
    [attached] = fake_li.posts[result.external_id]["images"]
    upload = next(u for u in fake_li.uploads.values() if u["urn"] == attached["id"])
    assert upload["data"] == post.images[0].data and attached["altText"] == "明前龙井"


def test_several_images_go_as_a_multi_image_post(fake_li):
    post = OutgoingPost(text="多图", images=tuple(image(i) for i in range(3)))
    result = publisher_for("linkedin").publish(post, creds(fake_li), allow_private=True)
    assert len(fake_li.posts[result.external_id]["images"]) == 3
    assert sum(1 for c in fake_li.calls if c["method"] == "PUT") == 3


def test_a_duplicate_is_refused_finally_with_linkedins_reason(fake_li):
    credentials = creds(fake_li)
    first = publisher_for("linkedin").publish(OutgoingPost(text="同一条"), credentials, allow_private=True)
    with pytest.raises(PublishError) as caught:
        publisher_for("linkedin").publish(OutgoingPost(text="同一条"), credentials, allow_private=True)
    assert not caught.value.retryable and f"duplicate of {first.external_id}" in caught.value.message
    assert credentials["access_token"] not in caught.value.message


def test_a_member_with_no_page_or_several_cannot_post(fake_li):
    fake_li.pages = []
    with pytest.raises(PublishError) as caught:
        publisher_for("linkedin").publish(OutgoingPost(text="无主页"), creds(fake_li), allow_private=True)
    assert not caught.value.retryable and "administer 0 (none)" in caught.value.message
    fake_li.pages = [PAGE, "urn:li:organization:1"]
    with pytest.raises(PublishError) as caught:
        publisher_for("linkedin").publish(OutgoingPost(text="两个主页"), creds(fake_li), allow_private=True)
    assert "administer 2 (urn:li:organization:1, urn:li:organization:2414183)" in caught.value.message
    said = explain(f"linkedin: {caught.value.message}")
    assert said.startswith("LinkedIn posts as the one page the connecting member administers; this member "
                           "administers 2 (urn:li:organization:1, urn:li:organization:2414183)")
    assert fake_li.posts == {}


def test_linkedin_metrics_come_from_the_pages_share_statistics(fake_li):
    credentials = creds(fake_li)
    li = publisher_for("linkedin")
    urns = [li.publish(OutgoingPost(text=f"看数据 {n}"), credentials, allow_private=True).external_id for n in range(3)]
    fake_li.posts["urn:li:ugcPost:7200000000000000001"] = {"commentary": "旧帖", "author": PAGE, "images": []}
    asked = [*urns, "urn:li:ugcPost:7200000000000000001", "urn:li:share:404"]
    got = li.metrics(asked, credentials, allow_private=True)
    assert set(got) == {*urns, "urn:li:ugcPost:7200000000000000001"}  # the unknown post is left out
    first = got[urns[0]]
    assert (first.likes, first.reposts, first.replies, first.views) == (11, 2, 4, 90 + len("看数据 0"))
    [call] = [c for c in fake_li.calls if c["path"] == "/rest/organizationalEntityShareStatistics"]
    assert call["query"]["organizationalEntity"] == PAGE and call["headers"]["x-restli-protocol-version"] == "2.0.0"
    assert call["query"]["shares"] == f"List({','.join([*urns, 'urn:li:share:404'])})"
    assert call["query"]["ugcPosts"] == "List(urn:li:ugcPost:7200000000000000001)"


def test_linkedin_metrics_go_in_batches_of_twenty(fake_li):
    credentials = creds(fake_li)
    li = publisher_for("linkedin")
    urns = [li.publish(OutgoingPost(text=f"第 {n} 帖"), credentials, allow_private=True).external_id for n in range(25)]
    assert set(li.metrics(urns, credentials, allow_private=True)) == set(urns)
    assert len([c for c in fake_li.calls if c["path"] == "/rest/organizationalEntityShareStatistics"]) == 2


def test_an_expired_token_is_reported_as_such(fake_li):
    credentials = creds(fake_li)
    fake_li.access[credentials["access_token"]] = 0
    with pytest.raises(TokenExpired):
        publisher_for("linkedin").publish(OutgoingPost(text="过期"), credentials, allow_private=True)


def test_the_daily_limit_waits_until_midnight_utc(fake_li):
    fake_li.post_limit = 0
    with pytest.raises(PublishError) as caught:
        publisher_for("linkedin").publish(OutgoingPost(text="限流"), creds(fake_li), allow_private=True)
    now = utcnow()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert caught.value.retryable and abs(caught.value.retry_after - (midnight - now).total_seconds()) < 5


# Through the app.

@pytest.fixture
def li_app(app, local_targets, fake_li):  # noqa: F811 - local_targets is a fixture
    app.config.update(LINKEDIN_CLIENT_ID=fake_li.client_id, LINKEDIN_CLIENT_SECRET=fake_li.client_secret,
                      LINKEDIN_API_BASE=fake_li.url(), LINKEDIN_AUTHORIZE_URL=fake_li.url("/oauth/v2/authorization"),
                      LINKEDIN_TOKEN_URL=fake_li.url("/oauth/v2/accessToken"))
    return app


def test_a_scheduled_post_goes_to_the_linkedin_page_once(li_app, owner, fake_li):
    flow = connect_x(owner, fake_li, "linkedin")
    assert "code_challenge" not in flow["authorize_url"] and flow["account"]["expires_at"]
    campaign = api_campaign(owner, channels=["linkedin"], images=1)
    go_live(li_app, owner, campaign["id"], channels=["linkedin"])
    pub = pub_of(li_app, "linkedin")
    assert (pub.status, pub.error) == ("published", None), pub.error
    assert list(fake_li.posts) == [pub.external_id] and fake_li.posts[pub.external_id]["images"]
    with li_app.app_context():
        assert _publish(li_app, pub.id) == "skipped"
    assert len(fake_li.posts) == 1
    # The sweep asks how the post did; the campaign shows it.
    with li_app.app_context():
        assert sweep_brand_accounts()["metrics"] == {"fetched": 1}
    shown = owner.get(f"/api/v1/campaigns/{campaign['id']}").json["publications"][0]["metrics"]
    n = len(fake_li.posts[pub.external_id]["commentary"])
    assert (shown["likes"], shown["reposts"], shown["replies"], shown["views"]) == (11, 2, 4, 90 + n)


def test_an_expired_linkedin_token_is_refreshed_and_the_post_goes_out(li_app, owner, fake_li):
    connect_x(owner, fake_li, "linkedin")
    [old] = fake_li.access
    fake_li.access[old] = 0  # LinkedIn says 401 EXPIRED_ACCESS_TOKEN although our clock thinks it is fresh
    campaign = api_campaign(owner, channels=["linkedin"], images=0)
    go_live(li_app, owner, campaign["id"], channels=["linkedin"])
    pub = pub_of(li_app, "linkedin")
    assert (pub.status, pub.attempts) == ("published", 1)
    assert fake_li.paths().count("/oauth/v2/accessToken") == 2  # the connect, then one refresh


def test_a_rate_limited_linkedin_post_waits_for_the_next_day(li_app, owner, fake_li):
    connect_x(owner, fake_li, "linkedin")
    fake_li.post_limit = 0
    campaign = api_campaign(owner, channels=["linkedin"], images=0)
    go_live(li_app, owner, campaign["id"], channels=["linkedin"])
    pub = pub_of(li_app, "linkedin")
    assert pub.status == "scheduled" and "rate limit" in pub.error
    assert pub.next_attempt_at.date() > utcnow().date()  # LinkedIn's limits are daily, reset at midnight UTC


def test_a_post_made_by_a_worker_that_died_is_found_not_made_again(li_app, owner, fake_li):
    connect_x(owner, fake_li, "linkedin")
    campaign = api_campaign(owner, channels=["linkedin"], images=0)
    pub, post = claimed_by_a_dead_worker(li_app, owner, campaign, "linkedin")
    sent = publisher_for("linkedin").publish(post, account_credentials(li_app, pub.workspace_id, "linkedin"), True)
    taken_over_and_recorded_once(li_app, pub, "linkedin", sent, fake_li.posts)


def test_a_member_administering_several_pages_chooses_one_and_posts_as_it(li_app, owner, fake_li):
    other = "urn:li:organization:1"
    fake_li.pages = (PAGE, other)
    account = connect_x(owner, fake_li, "linkedin")["account"]
    assert account["status"] == "needs_choice" and account["choices"] == [
        {"id": other, "name": f"Acme Tea Europe ({other})"}, {"id": PAGE, "name": f"Acme Tea ({PAGE})"}]
    chosen = owner.post("/api/v1/accounts/linkedin/choose", {"id": other})
    assert chosen.status_code == 200 and chosen.json["posts_as"] == other
    asked = fake_li.paths().count("/rest/organizationAcls")
    campaign = api_campaign(owner, channels=["linkedin"], images=0)
    go_live(li_app, owner, campaign["id"], channels=["linkedin"])
    pub = pub_of(li_app, "linkedin")
    assert (pub.status, pub.error) == ("published", None), pub.error
    assert fake_li.posts[pub.external_id]["author"] == other
    assert fake_li.paths().count("/rest/organizationAcls") == asked  # the chosen page is kept, not asked again
