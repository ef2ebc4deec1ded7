"""WeChat: the Official Account's credentials, the token cache, and web authorisation against a local fake."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Pages, seller_pages
from platform_fakes import FakeWeChat
from sqlalchemy import select

from accounts.models import WeChatIdentity
from credentials.models import WeChatAccount
from platforms import wechat
from plumbing import database, guarded_http, redis_client
from workspaces.models import Workspace

APP_ID, SECRET = "wx0123456789abcdef", "0123456789abcdef0123456789abcdef"
OPEN_BASE = "http://open.wechat.test"


@pytest.fixture
def fake_wechat(app, owner):
    """A fake of WeChat's API; the workspace's Official Account connected to it."""
    fake = FakeWeChat(APP_ID, SECRET)
    app.config.update(ALLOW_PRIVATE_TARGETS=True, WECHAT_API_BASE=fake.url("").rstrip("/"),
                      WECHAT_OPEN_BASE=OPEN_BASE)
    res = owner.client.put("/api/v1/wechat/account", json={"app_id": APP_ID, "app_secret": SECRET},
                           headers={"Authorization": f"Bearer {owner.key}"})
    assert res.status_code == 200 and res.json == {"configured": True, "app_id": APP_ID, "web_app_id": None,
                                                   "updated_at": res.json["updated_at"]}
    yield fake
    fake.close()


def slug(app) -> str:
    with database.read_session(app) as s:
        return s.scalars(select(Workspace.slug)).one()


WECHAT_BROWSER = {"User-Agent": "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.42"}


def authorise(client: Pages, path: str, page: str = "/connect/oauth2/authorize", **kw) -> dict:
    """Follow our redirect to WeChat's authorisation ``page``; the query WeChat would read. The Official
    Account's page is asked for from WeChat's browser (elsewhere there is nothing to authorise)."""
    if page == "/connect/oauth2/authorize":
        kw.setdefault("headers", WECHAT_BROWSER)
    res = client.get(path, **kw)
    assert res.status_code == 302
    location = res.headers["Location"]
    assert location.startswith(f"{OPEN_BASE}{page}?") and location.endswith("#wechat_redirect")
    return {k: v[0] for k, v in parse_qs(urlsplit(location.split("#")[0]).query).items()}


def test_the_account_secret_is_stored_sealed_and_never_shown(app, owner, fake_wechat):
    shown = owner.get("/api/v1/wechat/account")
    assert shown.status_code == 200 and SECRET not in shown.text and shown.json["app_id"] == APP_ID
    with database.read_session(app) as s:
        assert SECRET not in s.scalars(select(WeChatAccount.secret_sealed)).one()
    bad = owner.client.put("/api/v1/wechat/account", json={"app_id": "nope", "app_secret": "x"},
                           headers={"Authorization": f"Bearer {owner.key}"})
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"app_id", "app_secret"}


def test_a_seller_connects_wechat_then_wechat_signs_them_in(app, make_sharer, fake_wechat):
    sharer = make_sharer("小林", phone="13800138000")
    seller = seller_pages(app, sharer["id"])
    query = authorise(seller, f"/seller/wechat/{slug(app)}?connect=1")
    assert query["appid"] == APP_ID and query["scope"] == "snsapi_userinfo" and query["response_type"] == "code"
    assert query["redirect_uri"] == "http://sharecast.test/seller/wechat/callback"
    code = fake_wechat.issue_code("o-lin", "snsapi_userinfo", unionid="u-lin")
    res = seller.get(f"/seller/wechat/callback?code={code}&state={query['state']}")
    assert res.status_code == 303 and res.headers["Location"] == "/seller/?wechat=connected"
    with database.read_session(app) as s:
        [bound] = s.scalars(select(WeChatIdentity)).all()
        assert (bound.sharer_id, bound.openid, bound.unionid) == (sharer["id"], "o-lin", "u-lin")

    # Later, in WeChat's browser on another phone: snsapi_base recognises them silently.
    phone = Pages(app.test_client())
    query = authorise(phone, f"/seller/wechat/{slug(app)}")
    assert query["scope"] == "snsapi_base"
    res = phone.get(f"/seller/wechat/callback?code={fake_wechat.issue_code('o-lin')}&state={query['state']}")
    assert res.status_code == 303 and res.headers["Location"] == "/seller/"
    assert phone.get("/seller/").status_code == 200


def test_a_used_or_invalid_code_is_refused(app, make_sharer, fake_wechat):
    client = Pages(app.test_client())
    code = fake_wechat.issue_code("o-x")
    query = authorise(client, f"/seller/wechat/{slug(app)}")
    first = client.get(f"/seller/wechat/callback?code={code}&state={query['state']}")
    assert first.status_code == 404 and "not connected" in first.text  # a WeChat nobody connected
    query = authorise(client, f"/seller/wechat/{slug(app)}")
    used = client.get(f"/seller/wechat/callback?code={code}&state={query['state']}")  # 40163
    assert used.status_code == 400 and "expired or was used" in used.text
    query = authorise(client, f"/seller/wechat/{slug(app)}")
    invalid = client.get(f"/seller/wechat/callback?code=made-up&state={query['state']}")  # 40029
    assert invalid.status_code == 400
    assert client.get("/seller/").status_code == 302


def test_a_wrong_missing_or_replayed_state_is_refused(app, make_sharer, fake_wechat):
    client = Pages(app.test_client())
    query = authorise(client, f"/seller/wechat/{slug(app)}")
    code = fake_wechat.issue_code("o-x")
    assert client.get(f"/seller/wechat/callback?code={code}&state=forged").status_code == 400
    # The state is spent by the first answer, right or wrong: a replay is refused too.
    assert client.get(f"/seller/wechat/callback?code={code}&state={query['state']}").status_code == 400
    other = Pages(app.test_client())  # a browser that never started the authorisation
    assert other.get(f"/seller/wechat/callback?code={code}&state={query['state']}").status_code == 400
    assert "/sns/oauth2/access_token" not in fake_wechat.calls  # no code was exchanged for a forged request


def test_one_wechat_cannot_be_connected_to_two_sellers(app, make_sharer, fake_wechat):
    for name in ("小林", "小王"):
        seller = seller_pages(app, make_sharer(name)["id"])
        query = authorise(seller, f"/seller/wechat/{slug(app)}?connect=1")
        res = seller.get(f"/seller/wechat/callback?code={fake_wechat.issue_code('o-same', 'snsapi_userinfo')}"
                         f"&state={query['state']}")
    assert res.status_code == 409
    with database.read_session(app) as s:
        assert len(s.scalars(select(WeChatIdentity)).all()) == 1


def test_wechat_sign_in_of_a_workspace_without_an_account_is_404(app, owner):
    assert Pages(app.test_client()).get(f"/seller/wechat/{slug(app)}").status_code == 404


def test_tokens_and_tickets_are_fetched_once_and_refreshed_when_wechat_says_expired(app, fake_wechat):
    account = wechat.OfficialAccount(APP_ID, SECRET, fake_wechat.url("").rstrip("/"))
    with app.app_context(), guarded_http.client(True) as client:
        cache = wechat.TokenCache(redis_client.connection(), prefix="test:wechat")
        first = wechat.jsapi_ticket(account, client, cache)
        assert wechat.jsapi_ticket(account, client, cache) == first
        assert wechat.access_token(account, client, cache) == wechat.access_token(account, client, cache)
        assert fake_wechat.calls.count("/cgi-bin/stable_token") == 1
        assert fake_wechat.calls.count("/cgi-bin/ticket/getticket") == 1
        # WeChat drops the token (42001): the ticket fetch refreshes it once and succeeds.
        cache.forget("ticket", APP_ID)
        fake_wechat.expire_next_token = True
        assert wechat.jsapi_ticket(account, client, cache) != first
        assert fake_wechat.calls.count("/cgi-bin/stable_token") == 2
        with pytest.raises(wechat.WeChatError) as caught:
            wechat.access_token(wechat.OfficialAccount(APP_ID, "wrong", account.api_base), client,
                                wechat.TokenCache(redis_client.connection(), prefix="test:other"))
        assert caught.value.errcode == 40125


def test_js_sdk_signature_matches_wechats_documented_example():
    ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    assert wechat.js_sdk_signature(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value") \
        == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    # The part after # is not signed.
    assert wechat.js_sdk_signature(ticket, "Wm3WZYTPz0wzccnW", 1414587457,
                                   "http://mp.weixin.qq.com?params=value#top") == \
        "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    config = wechat.js_sdk_config(APP_ID, ticket, "http://mp.weixin.qq.com?params=value", 1414587457,
                                  "Wm3WZYTPz0wzccnW")
    assert config["signature"] == "0f9de62fce790f9a083d5c99e95740ceb90c27ed" and config["appId"] == APP_ID


def test_the_authorize_url_is_shaped_as_documented():
    url = wechat.authorize_url(APP_ID, "https://a.example/cb?x=1", "snsapi_base", "st")
    assert url == ("https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx0123456789abcdef"
                   "&redirect_uri=https%3A%2F%2Fa.example%2Fcb%3Fx%3D1&response_type=code&scope=snsapi_base"
                   "&state=st#wechat_redirect")
    with pytest.raises(ValueError):
        wechat.authorize_url(APP_ID, "https://a.example/cb", "snsapi_login", "st")


def test_a_cache_that_does_not_answer_is_a_wechat_error_not_a_crash(fake_wechat):
    import redis

    account = wechat.OfficialAccount(APP_ID, SECRET, fake_wechat.url("").rstrip("/"))
    dead = wechat.TokenCache(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5))
    with guarded_http.client(True) as client, pytest.raises(wechat.WeChatError) as caught:
        wechat.jsapi_ticket(account, client, dead)
    assert caught.value.errcode == -3
