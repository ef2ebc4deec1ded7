"""The brand's Official Account: a token from stable_token cached for every worker, the article
published by material → draft/add → freepublish/submit, errors and quotas; against a fake WeChat."""
from __future__ import annotations

import pytest
from social_fakes import FakeWechat
from sqlalchemy import select
from test_brand_accounts import image, pub_of
from test_publishing_e2e import api_campaign, go_live, put_credentials
from test_webhooks import local_targets  # noqa: F401 - a fixture

from brand_accounts.wechat_token import official_account_token
from channels import publisher_for
from channels.base import InvalidCredentials, OutgoingPost, PublishError, TokenExpired
from credentials.models import WeChatAccount
from credentials.wechat import token_cache
from plumbing import database
from publishing.publish_jobs import _publish
from web.share_cards import wechat_config

NO_ACCOUNT = 0  # a workspace id with no Official Account connected: the channel's AppID and AppSecret post
POST = OutgoingPost(text="明前龙井到了\n一芽一叶，春天的第一口 <鲜>", title="春茶首发",
                    link="https://shop.example.com/p/longjing", images=(image(1),))


@pytest.fixture
def wechat():
    server = FakeWechat()
    yield server
    server.close()


def creds(server, **over) -> dict:
    clean = publisher_for("wechat_official").validate(
        {"appid": server.appid, "secret": server.secret, "api_base": server.url(), "author": "茶小二", **over},
        allow_private=True)
    return clean


def with_token(app, server) -> dict:
    credentials = creds(server)
    return {**credentials, "access_token": official_account_token(app, NO_ACCOUNT, credentials)}


def test_the_token_is_fetched_once_and_shared_then_renewed_when_refused(app, local_targets, wechat):  # noqa: F811
    credentials = creds(wechat)
    first = official_account_token(app, NO_ACCOUNT, credentials)
    assert official_account_token(app, NO_ACCOUNT, credentials) == first
    assert wechat.paths().count("/cgi-bin/stable_token") == 1
    second = official_account_token(app, NO_ACCOUNT, credentials, refused=first)
    assert second != first and wechat.calls[-1]["fields"]["force_refresh"] is True
    assert official_account_token(app, NO_ACCOUNT, credentials) == second


def test_an_article_goes_out_with_its_cover_body_and_read_original_link(app, local_targets, wechat):  # noqa: F811
    post = OutgoingPost(text=POST.text, title=POST.title, link=POST.link, images=(image(1), image(2)))
    result = publisher_for("wechat_official").publish(post, with_token(app, wechat), allow_private=True)
    [article] = wechat.published[result.external_id]["articles"]
    assert article["title"] == "春茶首发" and article["author"] == "茶小二"
    assert article["content_source_url"] == POST.link
    assert wechat.materials[article["thumb_media_id"]] == post.images[0].data
    assert "<p>明前龙井到了</p>" in article["content"] and "&lt;鲜&gt;" in article["content"]
    assert all(url in article["content"] for url in wechat.hosted) and len(wechat.hosted) == 2
    status = publisher_for("wechat_official").publish_status(result.external_id, with_token(app, wechat), True)
    assert status["state"] == "published" and status["article_url"].endswith(result.external_id)


def test_a_text_only_article_is_refused_for_want_of_a_cover(app, local_targets, wechat):  # noqa: F811
    with pytest.raises(PublishError) as caught:
        publisher_for("wechat_official").publish(OutgoingPost(text="只有字"), with_token(app, wechat), True)
    assert not caught.value.retryable and "cover" in caught.value.message
    assert wechat.drafts == {} and wechat.published == {}


def test_a_refused_token_a_quota_and_a_bad_secret(app, local_targets, wechat):  # noqa: F811
    credentials = with_token(app, wechat)
    wechat.tokens[credentials["access_token"]] = 0
    with pytest.raises(TokenExpired):
        publisher_for("wechat_official").publish(POST, credentials, allow_private=True)
    renewed = {**credentials,
               "access_token": official_account_token(app, NO_ACCOUNT, credentials, credentials["access_token"])}
    wechat.quota = 0
    with pytest.raises(PublishError) as caught:
        publisher_for("wechat_official").publish(POST, renewed, allow_private=True)
    assert caught.value.retryable and caught.value.retry_after == 60 and "45011" in caught.value.message
    wrong = creds(wechat, secret="f" * 32)
    with pytest.raises(PublishError) as caught:
        official_account_token(app, NO_ACCOUNT, wrong, refused=renewed["access_token"])
    assert not caught.value.retryable and "40125" in caught.value.message and "f" * 32 not in caught.value.message


def test_credentials_are_checked():
    with pytest.raises(InvalidCredentials) as caught:
        publisher_for("wechat_official").validate({"appid": "gh_123", "secret": "short"}, allow_private=False)
    assert set(caught.value.fields) == {"appid", "secret"}


def test_a_scheduled_article_is_published_once_with_one_shared_token(app, local_targets, owner, wechat):  # noqa: F811
    put_credentials(owner, "wechat_official", {"appid": wechat.appid, "secret": wechat.secret,
                                               "api_base": wechat.url()})
    campaign = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, campaign["id"], channels=["wechat_official"])
    pub = pub_of(app, "wechat_official")
    assert (pub.status, pub.error) == ("published", None), pub.error
    assert list(wechat.published) == [pub.external_id]
    with app.app_context():
        assert _publish(app, pub.id) == "skipped"
    assert len(wechat.published) == 1
    # A second campaign reuses the cached token.
    other = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, other["id"], channels=["wechat_official"])
    assert len(wechat.published) == 2 and wechat.paths().count("/cgi-bin/stable_token") == 1


def test_an_expired_token_mid_publication_is_renewed_once(app, local_targets, owner, wechat):  # noqa: F811
    put_credentials(owner, "wechat_official", {"appid": wechat.appid, "secret": wechat.secret,
                                               "api_base": wechat.url()})
    stale = official_account_token(app, NO_ACCOUNT, creds(wechat))
    wechat.tokens[stale] = 0  # WeChat ended it early (another client forced a refresh)
    campaign = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, campaign["id"], channels=["wechat_official"])
    pub = pub_of(app, "wechat_official")
    assert (pub.status, pub.attempts) == ("published", 1)
    assert wechat.paths().count("/cgi-bin/stable_token") == 2


def test_without_credentials_the_official_account_stays_a_kit(app, owner, wechat):
    campaign = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, campaign["id"], channels=["wechat_official"])
    shown = owner.get(f"/api/v1/campaigns/{campaign['id']}").json["publications"][0]
    assert (shown["status"], shown["delivered_to"]) == ("published", "library")
    assert wechat.calls == []


def connect_official_account(app, owner, server) -> int:
    """The workspace's Official Account (``PUT /api/v1/wechat/account``) on the fake; its workspace id."""
    app.config["WECHAT_API_BASE"] = server.url()
    res = owner.client.put("/api/v1/wechat/account", json={"app_id": server.appid, "app_secret": server.secret},
                           headers={"Authorization": f"Bearer {owner.key}"})
    assert res.status_code == 200, res.json
    with database.read_session(app) as session:
        return session.scalar(select(WeChatAccount.workspace_id).where(WeChatAccount.app_id == server.appid))


def test_posting_sign_in_pages_and_the_js_sdk_share_one_token_of_the_workspaces_account(
        app, local_targets, owner, wechat):  # noqa: F811
    workspace_id = connect_official_account(app, owner, wechat)
    # The share page inside WeChat signs wx.config with the ticket: one token fetched.
    with app.test_request_context("/s/x", headers={"User-Agent": "Mozilla/5.0 MicroMessenger/8.0.47"}):
        config = wechat_config(workspace_id)
    assert config is not None and config["appId"] == wechat.appid
    [ticket_call] = [c for c in wechat.calls if c["path"] == "/cgi-bin/ticket/getticket"]
    token = ticket_call["query"]["access_token"]
    # Articles go out as the same account, with the same token: no AppID or AppSecret in the channel's credentials.
    put_credentials(owner, "wechat_official", {"api_base": wechat.url(), "author": "茶小二"})
    campaign = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, campaign["id"], channels=["wechat_official"])
    pub = pub_of(app, "wechat_official")
    assert (pub.status, pub.error) == ("published", None), pub.error
    posted = [c for c in wechat.calls if c["path"].startswith(("/cgi-bin/draft", "/cgi-bin/freepublish"))]
    assert posted and {c["query"]["access_token"] for c in posted} == {token}
    assert wechat.paths().count("/cgi-bin/stable_token") == 1
    # WeChat ends the token: posting renews it once (force_refresh), and the JS-SDK ticket's next
    # fetch uses the renewed token from the same cache, not a token of its own.
    wechat.tokens[token] = 0
    other = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, other["id"], channels=["wechat_official"])
    assert len(wechat.published) == 2 and wechat.paths().count("/cgi-bin/stable_token") == 2
    assert wechat.calls[[c["path"] for c in wechat.calls].index("/cgi-bin/stable_token", 1)]["fields"][
        "force_refresh"] is True
    with app.app_context():
        token_cache(app).forget("ticket", wechat.appid)
    with app.test_request_context("/s/x", headers={"User-Agent": "Mozilla/5.0 MicroMessenger/8.0.47"}):
        assert wechat_config(workspace_id) is not None
    renewed = [c for c in wechat.calls if c["path"] == "/cgi-bin/ticket/getticket"][-1]["query"]["access_token"]
    assert renewed != token and renewed == wechat.current
    assert wechat.paths().count("/cgi-bin/stable_token") == 2


def test_without_an_account_or_a_secret_posting_fails_with_how_to_connect(app, local_targets, owner, wechat):  # noqa: F811
    put_credentials(owner, "wechat_official", {"api_base": wechat.url()})
    campaign = api_campaign(owner, channels=["wechat_official"], images=1)
    go_live(app, owner, campaign["id"], channels=["wechat_official"])
    pub = pub_of(app, "wechat_official")
    assert pub.status == "failed" and "PUT /api/v1/wechat/account" in pub.error
    assert wechat.calls == []
