"""WeChat sign-in on a computer: the Open Platform website app's QR-code login (qrconnect, snsapi_login),
the code exchanged at sns/oauth2/access_token, and the seller found by the unionid their Official Account
openid shares, against the local WeChat fake (its documented answers and error codes)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
import segno
from conftest import Pages, seller_pages
from platform_fakes import FakeWeChat
from sqlalchemy import select
from test_wechat_sign_in import APP_ID, OPEN_BASE, SECRET, WECHAT_BROWSER, authorise, fake_wechat, slug  # noqa: F401

from accounts.models import WeChatIdentity
from credentials.models import WeChatAccount
from platforms import wechat
from plumbing import database

WEB_APP_ID, WEB_SECRET = "wxfedcba9876543210", "fedcba9876543210fedcba9876543210"


@pytest.fixture
def fake_open_platform(app, owner):
    """The WeChat fake with a website app; the workspace's Official Account and website app connected to it."""
    fake = FakeWeChat(APP_ID, SECRET, WEB_APP_ID, WEB_SECRET)
    app.config.update(ALLOW_PRIVATE_TARGETS=True, WECHAT_API_BASE=fake.url("").rstrip("/"),
                      WECHAT_OPEN_BASE=OPEN_BASE)
    res = owner.client.put("/api/v1/wechat/account", json={"app_id": APP_ID, "app_secret": SECRET,
                                                           "web_app_id": WEB_APP_ID, "web_app_secret": WEB_SECRET},
                           headers={"Authorization": f"Bearer {owner.key}"})
    assert res.status_code == 200 and res.json["web_app_id"] == WEB_APP_ID
    yield fake
    fake.close()


def qr_page(client: Pages, path: str) -> dict:
    """Follow our redirect to WeChat's QR-code login page; the query WeChat would read."""
    return authorise(client, path, page="/connect/qrconnect")


def connect_in_wechat(app, fake, sharer_id: int) -> None:
    """The seller connected WeChat from WeChat's browser (Official Account openid o-lin, unionid u-lin)."""
    seller = seller_pages(app, sharer_id)
    query = authorise(seller, f"/seller/wechat/{slug(app)}?connect=1", headers=WECHAT_BROWSER)
    code = fake.issue_code("o-lin", "snsapi_userinfo", unionid="u-lin")
    assert seller.get(f"/seller/wechat/callback?code={code}&state={query['state']}").status_code == 303


def scanned(app, fake, openid: str, unionid: str | None):
    """A computer's browser starts WeChat sign-in, the QR code is scanned by ``openid``; WeChat's redirect back."""
    desk = Pages(app.test_client())
    query = qr_page(desk, f"/seller/wechat/{slug(app)}")
    code = fake.issue_code(openid, "snsapi_login", unionid, appid=WEB_APP_ID)
    return desk, f"/seller/wechat/callback?code={code}&state={query['state']}"


def identities(app) -> list[tuple[int, str, str, str | None]]:
    with database.read_session(app) as s:
        return sorted((i.sharer_id, i.app_id, i.openid, i.unionid) for i in s.scalars(select(WeChatIdentity)))


def test_a_seller_connected_in_wechat_signs_in_on_a_computer_by_scanning_the_qr_code(app, make_sharer,
                                                                                      fake_open_platform):
    sharer = make_sharer("小林", phone="13800138000")
    connect_in_wechat(app, fake_open_platform, sharer["id"])
    desk = Pages(app.test_client())
    query = qr_page(desk, f"/seller/wechat/{slug(app)}")
    assert query == {"appid": WEB_APP_ID, "redirect_uri": "http://sharecast.test/seller/wechat/callback",
                     "response_type": "code", "scope": "snsapi_login", "state": query["state"]}
    code = fake_open_platform.issue_code("w-lin", "snsapi_login", "u-lin", appid=WEB_APP_ID)
    res = desk.get(f"/seller/wechat/callback?code={code}&state={query['state']}")
    assert res.status_code == 303 and res.headers["Location"] == "/seller/"
    assert desk.get("/seller/").status_code == 200
    # The website app's openid is bound to the same seller: next time it is found directly.
    assert identities(app) == [(sharer["id"], APP_ID, "o-lin", "u-lin"), (sharer["id"], WEB_APP_ID, "w-lin", "u-lin")]
    again = Pages(app.test_client())
    query = qr_page(again, f"/seller/wechat/{slug(app)}")
    code = fake_open_platform.issue_code("w-lin", "snsapi_login", None, appid=WEB_APP_ID)
    assert again.get(f"/seller/wechat/callback?code={code}&state={query['state']}").status_code == 303


def test_the_fakes_qr_page_redirects_back_with_a_code_our_callback_accepts(app, make_sharer, fake_open_platform):
    sharer = make_sharer("小林")
    connect_in_wechat(app, fake_open_platform, sharer["id"])
    fake_open_platform.next_web_user = ("w-lin", "u-lin")
    desk = Pages(app.test_client())
    query = qr_page(desk, f"/seller/wechat/{slug(app)}")
    # What WeChat's QR page does once the code is scanned and agreed to (the fake at its own address).
    agreed = httpx.get(fake_open_platform.url("/connect/qrconnect"), params=query, follow_redirects=False)
    assert agreed.status_code == 302
    back = urlsplit(agreed.headers["Location"])
    assert desk.get(f"{back.path}?{back.query}").status_code == 303
    assert desk.get("/seller/").status_code == 200
    wrong_scope = httpx.get(fake_open_platform.url("/connect/qrconnect"), params={**query, "scope": "snsapi_base"})
    assert wrong_scope.status_code == 400


def test_the_unionid_comes_from_userinfo_when_the_code_answer_lacks_it(app, make_sharer, fake_open_platform):
    sharer = make_sharer("小林")
    connect_in_wechat(app, fake_open_platform, sharer["id"])
    desk, back = scanned(app, fake_open_platform, "w-lin", "u-lin")
    answer_without_unionid(fake_open_platform)
    assert desk.get(back).status_code == 303
    assert "/sns/userinfo" in fake_open_platform.calls


def answer_without_unionid(fake) -> None:
    """Make the fake's code exchange leave the unionid out (as older accounts' answers did); userinfo keeps it."""
    original = fake.answer

    def answer(path, headers, body):
        status, data, extra = original(path, headers, body)
        if path.startswith("/sns/oauth2/access_token") and isinstance(data, dict):
            data = {k: v for k, v in data.items() if k != "unionid"}
        return status, data, extra

    fake.answer = answer


def test_a_stranger_or_an_unknown_unionid_is_not_signed_in(app, make_sharer, fake_open_platform):
    sharer = make_sharer("小林")
    connect_in_wechat(app, fake_open_platform, sharer["id"])
    desk, back = scanned(app, fake_open_platform, "w-other", "u-other")
    res = desk.get(back)
    assert res.status_code == 404 and desk.get("/seller/").status_code == 302
    assert [i[2] for i in identities(app)] == ["o-lin"]  # nothing bound


@pytest.mark.parametrize("case", ["used", "other_app", "unknown", "state"])
def test_used_foreign_or_unknown_codes_and_a_wrong_state_sign_nobody_in(app, make_sharer, fake_open_platform, case):
    sharer = make_sharer("小林")
    connect_in_wechat(app, fake_open_platform, sharer["id"])
    desk = Pages(app.test_client())
    query = qr_page(desk, f"/seller/wechat/{slug(app)}")
    state = query["state"]
    code = {"used": fake_open_platform.issue_code("w-lin", "snsapi_login", "u-lin", appid=WEB_APP_ID),
            "other_app": fake_open_platform.issue_code("o-lin", "snsapi_base", "u-lin"),  # the Official Account's
            "unknown": "0" * 32, "state": fake_open_platform.issue_code("w-lin", "snsapi_login", "u-lin",
                                                                        appid=WEB_APP_ID)}[case]
    if case == "used":
        fake_open_platform.codes[code]["used"] = True  # 40163
    if case == "state":
        state = "forged"
    res = desk.get(f"/seller/wechat/callback?code={code}&state={state}")
    assert res.status_code == 400 and desk.get("/seller/").status_code == 302
    assert [i[2] for i in identities(app)] == ["o-lin"]


def test_a_refused_website_secret_is_a_502_and_nothing_changes(app, owner, make_sharer, fake_open_platform):
    fake_open_platform.apps[WEB_APP_ID] = "another-secret-0123456789"  # the secret was reset on the Open Platform
    desk, back = scanned(app, fake_open_platform, "w-lin", "u-lin")
    assert desk.get(back).status_code == 502
    assert identities(app) == []


def test_a_seller_connects_wechat_from_a_computer_then_wechats_browser_knows_them(app, make_sharer,
                                                                                   fake_open_platform):
    sharer = make_sharer("小林", phone="13800138000")
    desk = seller_pages(app, sharer["id"])
    assert f"/seller/wechat/{slug(app)}?connect=1" in desk.get("/seller/profile").text
    query = qr_page(desk, f"/seller/wechat/{slug(app)}?connect=1")
    code = fake_open_platform.issue_code("w-lin", "snsapi_login", "u-lin", appid=WEB_APP_ID)
    res = desk.get(f"/seller/wechat/callback?code={code}&state={query['state']}")
    assert res.status_code == 303 and res.headers["Location"] == "/seller/?wechat=connected"
    assert identities(app) == [(sharer["id"], WEB_APP_ID, "w-lin", "u-lin")]
    assert "Disconnect WeChat" in desk.get("/seller/profile").text
    # In WeChat's browser, the Official Account is used (never the QR page), and the unionid finds them.
    phone = Pages(app.test_client())
    query = authorise(phone, f"/seller/wechat/{slug(app)}", headers=WECHAT_BROWSER)
    assert query["scope"] == "snsapi_base" and query["appid"] == APP_ID
    state = query["state"]
    code = fake_open_platform.issue_code("o-lin", "snsapi_base", "u-lin")
    assert phone.get(f"/seller/wechat/callback?code={code}&state={state}").status_code == 303
    assert phone.get("/seller/").status_code == 200


def test_the_website_app_is_stored_sealed_and_comes_in_pairs(app, owner, fake_open_platform):
    with database.read_session(app) as s:
        row = s.scalars(select(WeChatAccount)).one()
        assert row.web_app_id == WEB_APP_ID and WEB_SECRET not in row.web_secret_sealed
    shown = owner.get("/api/v1/wechat/account")
    assert shown.json["web_app_id"] == WEB_APP_ID and WEB_SECRET not in shown.text
    put = {"app_id": APP_ID, "app_secret": SECRET}
    for bad, field in [({"web_app_id": WEB_APP_ID}, "web_app_secret"), ({"web_app_secret": WEB_SECRET}, "web_app_id"),
                       ({"web_app_id": "nope", "web_app_secret": WEB_SECRET}, "web_app_id"),
                       ({"web_app_id": APP_ID, "web_app_secret": WEB_SECRET}, "web_app_id")]:
        res = owner.client.put("/api/v1/wechat/account", json={**put, **bad},
                               headers={"Authorization": f"Bearer {owner.key}"})
        assert res.status_code == 422 and field in res.json["error"]["fields"], bad
    assert owner.get("/api/v1/wechat/account").json["web_app_id"] == WEB_APP_ID  # nothing changed
    # Without a website app, a computer is told to open the page in WeChat (WeChat's browser still goes
    # to the Official Account's page).
    assert owner.client.put("/api/v1/wechat/account", json=put,
                            headers={"Authorization": f"Bearer {owner.key}"}).json["web_app_id"] is None
    res = Pages(app.test_client()).get(f"/seller/wechat/{slug(app)}")
    assert res.status_code == 200 and "Open this page in WeChat" in res.text
    res = Pages(app.test_client()).get(f"/seller/wechat/{slug(app)}", headers=WECHAT_BROWSER)
    assert res.headers["Location"].startswith(f"{OPEN_BASE}/connect/oauth2/authorize?")


def test_the_qr_login_address_is_built_as_documented():
    url = wechat.qr_login_url("wxbdc5610cc59c1631", "https://passport.yhd.com/wechat/callback.do",
                              "3d6be0a4035d839573b04816624a415e")
    assert url == ("https://open.weixin.qq.com/connect/qrconnect?appid=wxbdc5610cc59c1631&redirect_uri="
                   "https%3A%2F%2Fpassport.yhd.com%2Fwechat%2Fcallback.do&response_type=code&scope=snsapi_login"
                   "&state=3d6be0a4035d839573b04816624a415e#wechat_redirect")


@pytest.mark.parametrize(("language", "heading"), [("en", "Open this page in WeChat"), ("zh-CN", "请在微信中打开此页面")])
def test_without_a_website_app_a_computer_is_told_to_open_the_page_in_wechat(app, make_sharer, fake_wechat,
                                                                             language, heading):
    seller = make_sharer("小林", phone="13800138000")
    for client, path in [(Pages(app.test_client()), f"/seller/wechat/{slug(app)}"),
                         (seller_pages(app, seller["id"]), f"/seller/wechat/{slug(app)}?connect=1")]:
        res = client.get(path, headers={"Accept-Language": language})
        assert res.status_code == 200 and heading in res.text and "Acme Tea" in res.text
        # The QR code is this very page's address, for WeChat's scanner.
        drawn = re.search(r'<path [^>]*d="([^"]+)"', res.text).group(1)
        expected = segno.make(f"http://sharecast.test{path}", error="m").svg_inline(scale=5, border=4)
        assert f'd="{drawn}"' in expected
    assert fake_wechat.calls == []  # nobody was sent to WeChat's page
