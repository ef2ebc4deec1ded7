"""The brand's Facebook Page: connected through Facebook Login (the user token exchanged for a long-lived
one, then the Page's own token), text, one photo, several photos, refusals, a refused token, the Page's
rate limit, a lost answer found, metrics; against a fake Graph API on 127.0.0.1."""
from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from social_fakes import FakeFacebook
from sqlalchemy import select
from test_brand_accounts import claimed_by_a_dead_worker, connect_x, image, pub_of, taken_over_and_recorded_once
from test_publishing_e2e import api_campaign, go_live
from test_webhooks import local_targets  # noqa: F401 - a fixture

from brand_accounts.models import BrandAccount
from brand_accounts.tokens import account_credentials
from channels import publisher_for
from channels.base import OutgoingPost, PublishError, TokenExpired
from plumbing import database
from plumbing.database import utcnow
from publishing.publish_jobs import _publish

PAGE = "104829"


@pytest.fixture
def fake_fb():
    server = FakeFacebook()
    yield server
    server.close()


def page_creds(server) -> dict:
    return {"access_token": server.page_token(PAGE), "api_base": server.url(), "page_id": PAGE}


def test_facebook_posts_text_to_the_page_feed(fake_fb):
    result = publisher_for("facebook").publish(OutgoingPost(text="明前龙井到了"), page_creds(fake_fb), True)
    assert result.external_id.startswith(f"{PAGE}_") and fake_fb.posts[result.external_id]["photos"] == []


def test_one_image_is_a_published_photo_with_its_caption_and_alt_text(fake_fb):
    post = OutgoingPost(text="一张图", title="明前龙井", images=(image(1),))
    result = publisher_for("facebook").publish(post, page_creds(fake_fb), True)
    [photo_id] = fake_fb.posts[result.external_id]["photos"]
    assert fake_fb.posts[result.external_id]["message"] == "一张图"
    assert fake_fb.photos[photo_id]["data"] == post.images[0].data and fake_fb.photos[photo_id]["alt"] == "明前龙井"


def test_several_images_are_attached_to_one_feed_post(fake_fb):
    post = OutgoingPost(text="多图", images=tuple(image(i) for i in range(3)))
    result = publisher_for("facebook").publish(post, page_creds(fake_fb), True)
    photos = fake_fb.posts[result.external_id]["photos"]
    assert len(photos) == 3 and not any(fake_fb.photos[p]["published"] for p in photos)


def test_a_duplicate_is_refused_finally(fake_fb):
    credentials = page_creds(fake_fb)
    publisher_for("facebook").publish(OutgoingPost(text="同一条"), credentials, True)
    with pytest.raises(PublishError) as caught:
        publisher_for("facebook").publish(OutgoingPost(text="同一条"), credentials, True)
    assert not caught.value.retryable and "Duplicate status message (506)" in caught.value.message
    assert credentials["access_token"] not in caught.value.message


def test_a_refused_page_token_is_reported_as_expired(fake_fb):
    credentials = page_creds(fake_fb)
    fake_fb.page_tokens.clear()
    with pytest.raises(TokenExpired):
        publisher_for("facebook").publish(OutgoingPost(text="失效"), credentials, True)


def test_the_page_limit_waits_for_the_estimated_time_to_regain_access(fake_fb):
    fake_fb.post_limit, fake_fb.regain_minutes = 0, 25
    with pytest.raises(PublishError) as caught:
        publisher_for("facebook").publish(OutgoingPost(text="限流"), page_creds(fake_fb), True)
    assert caught.value.retryable and caught.value.retry_after == 25 * 60 and "(32)" in caught.value.message


def test_facebook_metrics_come_from_reactions_comments_and_shares(fake_fb):
    credentials = page_creds(fake_fb)
    post_id = publisher_for("facebook").publish(OutgoingPost(text="看数据"), credentials, True).external_id
    got = publisher_for("facebook").metrics([post_id, f"{PAGE}_404"], credentials, True)
    assert set(got) == {post_id} and (got[post_id].likes, got[post_id].reposts, got[post_id].replies) == (12, 2, 4)


# Through the app.

@pytest.fixture
def fb_app(app, local_targets, fake_fb):  # noqa: F811 - local_targets is a fixture
    app.config.update(FACEBOOK_CLIENT_ID=fake_fb.client_id, FACEBOOK_CLIENT_SECRET=fake_fb.client_secret,
                      FACEBOOK_API_BASE=fake_fb.url(), FACEBOOK_AUTHORIZE_URL=fake_fb.url("/v21.0/dialog/oauth"))
    return app


def test_connecting_keeps_the_pages_own_token_which_does_not_expire(fb_app, owner, fake_fb):
    flow = connect_x(owner, fake_fb, "facebook")
    assert flow["account"]["status"] == "connected" and flow["account"]["expires_at"] is None
    assert [c["fields"].get("grant_type") or c["query"].get("grant_type") for c in fake_fb.calls
            if c["path"] == "/v21.0/oauth/access_token"] == ["authorization_code", "fb_exchange_token"]
    credentials = account_credentials(fb_app, 1, "facebook")
    assert fake_fb.page_tokens[credentials["access_token"]] == PAGE and credentials["page_id"] == PAGE
    with database.read_session(fb_app) as s:
        assert credentials["access_token"] not in s.scalar(select(BrandAccount.sealed))


def callback_of(owner, server, channel: str) -> str:
    """Start a connect and approve it at the platform (the fake): the callback's path and query."""
    started = owner.client.post(f"/api/v1/accounts/{channel}/connect", headers=owner._headers(None)).json
    back = urlsplit(httpx.get(started["authorize_url"], follow_redirects=False).headers["location"])
    return f"{back.path}?{back.query}"


def test_a_person_who_manages_several_pages_chooses_one_after_connecting(fb_app, owner, fake_fb):
    fake_fb.pages.append({"id": "555", "name": "Other Shop", "tasks": ["CREATE_CONTENT"]})
    fake_fb.pages.append({"id": "777", "name": "Only Reads", "tasks": ["ANALYZE"]})  # cannot post: not offered
    account = owner.client.get(callback_of(owner, fake_fb, "facebook")).json
    assert account["status"] == "needs_choice" and account["posts_as"] is None
    assert account["choices"] == [{"id": PAGE, "name": "Acme Tea"}, {"id": "555", "name": "Other Shop"}]
    with pytest.raises(Exception, match="waits for the choice of the page"):
        account_credentials(fb_app, 1, "facebook")
    for body, status in (({"id": "777"}, 422), ({}, 422), ({"id": "x" * 300}, 422)):
        assert owner.post("/api/v1/accounts/facebook/choose", body).status_code == status
    with database.read_session(fb_app) as s:
        assert s.scalar(select(BrandAccount.status)) == "needs_choice"
    chosen = owner.post("/api/v1/accounts/facebook/choose", {"id": "555"})
    assert chosen.status_code == 200 and (chosen.json["status"], chosen.json["posts_as"]) == ("connected", "Other Shop")
    assert chosen.json["choices"] == []
    credentials = account_credentials(fb_app, 1, "facebook")
    assert credentials["page_id"] == "555" and fake_fb.page_tokens[credentials["access_token"]] == "555"
    again = owner.post("/api/v1/accounts/facebook/choose", {"id": PAGE})
    assert again.status_code == 409 and again.json["error"]["code"] == "nothing_to_choose"
    assert owner.post("/api/v1/accounts/x/choose", {"id": "1"}).status_code == 404


def test_a_publication_waiting_for_the_choice_fails_saying_so(fb_app, owner, fake_fb):
    fake_fb.pages.append({"id": "555", "name": "Other Shop", "tasks": ["CREATE_CONTENT"]})
    owner.client.get(callback_of(owner, fake_fb, "facebook"))
    campaign = api_campaign(owner, channels=["facebook"], images=0)
    go_live(fb_app, owner, campaign["id"], channels=["facebook"])
    pub = pub_of(fb_app, "facebook")
    assert pub.status == "failed" and "choose it on the Accounts page" in pub.error and fake_fb.posts == {}


def test_a_refused_connect_sends_the_browser_back_to_accounts(fb_app, owner, fake_fb):
    """A connect started from the console whose code the platform refuses ends on the Accounts page with
    a message, not on the API's 502; an API-started one still answers 502."""
    from brand_accounts.tokens import start_connect
    with fb_app.test_request_context():
        url = start_connect(fb_app, 1, "facebook", None, return_to="/console/accounts")
    back = urlsplit(httpx.get(url, follow_redirects=False).headers["location"])
    fake_fb.codes.clear()  # the code is refused ("This authorization code has been used.")
    res = owner.client.get(f"{back.path}?{back.query}")
    assert res.status_code == 303 and res.headers["location"] == "/console/accounts?refused=facebook"
    res = owner.client.get(f"{back.path}?{back.query}", headers={"Accept": "text/html,*/*;q=0.8"})
    assert res.status_code == 303 and res.headers["location"] == "/console/accounts?expired=facebook"
    assert owner.client.get(f"{back.path}?{back.query}").status_code == 400  # an API client: JSON
    fake_fb.pages.clear()
    res = owner.client.get(callback_of(owner, fake_fb, "facebook"))
    assert res.status_code == 502 and "no Page" in res.json["error"]["message"]
    with database.read_session(fb_app) as s:
        assert s.scalar(select(BrandAccount)) is None


def test_a_scheduled_post_goes_to_the_page_once(fb_app, owner, fake_fb):
    connect_x(owner, fake_fb, "facebook")
    campaign = api_campaign(owner, channels=["facebook"], images=1)
    go_live(fb_app, owner, campaign["id"], channels=["facebook"])
    pub = pub_of(fb_app, "facebook")
    assert (pub.status, pub.error) == ("published", None), pub.error
    assert list(fake_fb.posts) == [pub.external_id] and fake_fb.posts[pub.external_id]["photos"]
    with fb_app.app_context():
        assert _publish(fb_app, pub.id) == "skipped"


def test_a_page_token_facebook_refuses_asks_the_brand_to_reconnect(fb_app, owner, fake_fb):
    connect_x(owner, fake_fb, "facebook")
    fake_fb.page_tokens.clear()  # the person changed their password
    campaign = api_campaign(owner, channels=["facebook"], images=0)
    go_live(fb_app, owner, campaign["id"], channels=["facebook"])
    pub = pub_of(fb_app, "facebook")
    assert pub.status == "failed" and "connecting again" in pub.error and fake_fb.posts == {}
    listed = {a["channel"]: a for a in owner.get("/api/v1/accounts").json["items"]}
    assert listed["facebook"]["status"] == "needs_reconnect"


def test_a_rate_limited_page_post_waits(fb_app, owner, fake_fb):
    connect_x(owner, fake_fb, "facebook")
    fake_fb.post_limit, fake_fb.regain_minutes = 0, 40
    campaign = api_campaign(owner, channels=["facebook"], images=0)
    go_live(fb_app, owner, campaign["id"], channels=["facebook"])
    pub = pub_of(fb_app, "facebook")
    assert pub.status == "scheduled" and "rate limit" in pub.error
    assert (pub.next_attempt_at - utcnow()).total_seconds() >= 39 * 60


def test_a_post_made_by_a_worker_that_died_is_found_not_made_again(fb_app, owner, fake_fb):
    connect_x(owner, fake_fb, "facebook")
    campaign = api_campaign(owner, channels=["facebook"], images=0)
    pub, post = claimed_by_a_dead_worker(fb_app, owner, campaign, "facebook")
    sent = publisher_for("facebook").publish(post, account_credentials(fb_app, pub.workspace_id, "facebook"), True)
    taken_over_and_recorded_once(fb_app, pub, "facebook", sent, fake_fb.posts)


def test_the_console_choice_refuses_a_page_not_offered_and_changes_nothing(fb_app, owner, console, fake_fb):
    fake_fb.pages.append({"id": "555", "name": "Other Shop", "tasks": ["CREATE_CONTENT"]})
    owner.client.get(callback_of(owner, fake_fb, "facebook"))
    page = console.get("/console/accounts").get_data(as_text=True)
    assert 'value="555"' in page and "Other Shop" in page and "Choose the page" in page
    for data in ({}, {"id": "777"}):
        res = console.post("/console/accounts/facebook/choose", data, token_from="/console/accounts")
        assert res.status_code == 303
        assert "Choose one of the listed pages." in console.get("/console/accounts").get_data(as_text=True)
    with database.read_session(fb_app) as s:
        assert s.scalar(select(BrandAccount.status)) == "needs_choice"
    res = console.post("/console/accounts/facebook/choose", {"id": "555"}, token_from="/console/accounts")
    assert res.status_code == 303 and "Posts as Other Shop" in console.get("/console/accounts").get_data(as_text=True)
    res = console.post("/console/accounts/facebook/choose", {"id": "555"}, token_from="/console/accounts")
    assert res.status_code == 303  # nothing waits now: said, not a 500
    assert "no page waiting to be chosen" in console.get("/console/accounts").get_data(as_text=True)
