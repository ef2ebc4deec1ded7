"""WeChat sign-in in a real Chromium posing as WeChat's browser (phone width, Chinese): a seller connects
WeChat from their profile, then WeChat alone signs them in on another phone. WeChat's endpoints and its
authorisation page are a local fake that agrees at once."""
from __future__ import annotations

import pytest
from conftest import BROWSER, PHONE, axe_violations, no_horizontal_scroll, screenshot
from platform_fakes import FakeWeChat
from sqlalchemy import select
from test_seller_browser import invite_url
from test_wechat_sign_in import APP_ID, SECRET, slug

from accounts.models import WeChatIdentity
from plumbing import database

pytestmark = pytest.mark.browser


def official_account(app, owner) -> FakeWeChat:
    """The WeChat fake (its authorisation page agrees at once), the workspace's Official Account connected to it."""
    fake = FakeWeChat(APP_ID, SECRET)
    base = fake.url("").rstrip("/")
    app.config.update(ALLOW_PRIVATE_TARGETS=True, WECHAT_API_BASE=base, WECHAT_OPEN_BASE=base)
    assert owner.client.put("/api/v1/wechat/account", json={"app_id": APP_ID, "app_secret": SECRET},
                            headers={"Authorization": f"Bearer {owner.key}"}).status_code == 200
    return fake


def test_a_seller_connects_wechat_and_is_then_signed_in_by_it(app, page_server, browser_context, owner,
                                                              make_sharer):
    fake = official_account(app, owner)
    try:
        seller = make_sharer("小林", phone="13800138000")
        fake.next_user = ("o-lin", "u-lin")
        page = browser_context(PHONE, locale="zh-CN", user_agent=BROWSER)
        page.goto(invite_url(app, page_server, seller["id"]))
        page.get_by_role("button", name="继续").click()
        page.wait_for_url(f"{page_server}/seller/")
        page.get_by_role("link", name="小林").click()
        page.wait_for_url(f"{page_server}/seller/profile")
        assert axe_violations(page) == [] and no_horizontal_scroll(page)
        screenshot(page, "seller-profile-phone-zh")
        page.get_by_role("link", name="绑定微信").click()
        page.get_by_role("status").filter(has_text="微信已绑定").wait_for()
        # The browser keeps WeChat's #wechat_redirect across the redirects, as WeChat's own browser does.
        assert page.url.split("#")[0] == f"{page_server}/seller/?wechat=connected"
        with database.read_session(app) as s:
            assert s.scalars(select(WeChatIdentity.openid)).all() == ["o-lin"]

        other = browser_context(PHONE, locale="zh-CN", user_agent=BROWSER)
        other.goto(f"{page_server}/seller/wechat/{slug(app)}", wait_until="commit")
        other.get_by_role("heading", level=1, name="今日素材").wait_for()
        assert other.url.split("#")[0] == f"{page_server}/seller/"

        stranger = browser_context(PHONE, locale="zh-CN", user_agent=BROWSER)
        fake.next_user = ("o-stranger", None)
        stranger.goto(f"{page_server}/seller/wechat/{slug(app)}", wait_until="commit")
        stranger.get_by_role("heading", level=1, name="微信尚未绑定").wait_for()
        assert axe_violations(stranger) == [] and no_horizontal_scroll(stranger)
        screenshot(stranger, "wechat-not-connected-phone-zh")
    finally:
        fake.close()


def test_on_a_computer_the_seller_scans_wechats_qr_code_and_the_unionid_signs_them_in(app, page_server,
                                                                                      browser_context, owner,
                                                                                      make_sharer):
    from conftest import DESKTOP
    from test_wechat_qr_login import WEB_APP_ID, WEB_SECRET

    fake = FakeWeChat(APP_ID, SECRET, WEB_APP_ID, WEB_SECRET)
    base = fake.url("").rstrip("/")
    app.config.update(ALLOW_PRIVATE_TARGETS=True, WECHAT_API_BASE=base, WECHAT_OPEN_BASE=base)
    try:
        assert owner.client.put("/api/v1/wechat/account", json={
            "app_id": APP_ID, "app_secret": SECRET, "web_app_id": WEB_APP_ID, "web_app_secret": WEB_SECRET},
            headers={"Authorization": f"Bearer {owner.key}"}).status_code == 200
        seller = make_sharer("小林", phone="13800138000")
        fake.next_user = ("o-lin", "u-lin")
        phone = browser_context(PHONE, locale="zh-CN", user_agent=BROWSER)
        phone.goto(invite_url(app, page_server, seller["id"]))
        phone.get_by_role("button", name="继续").click()
        phone.wait_for_url(f"{page_server}/seller/")
        phone.goto(f"{page_server}/seller/profile")
        phone.get_by_role("link", name="绑定微信").click()
        phone.get_by_role("status").filter(has_text="微信已绑定").wait_for()

        fake.next_web_user = ("w-lin", "u-lin")  # the same person scans the QR code on the computer
        desk = browser_context(DESKTOP, locale="en-US")
        desk.goto(f"{page_server}/seller/wechat/{slug(app)}", wait_until="commit")
        desk.get_by_role("heading", level=1, name="Today's posts").wait_for()
        assert desk.url.split("#")[0] == f"{page_server}/seller/"
        assert "/connect/qrconnect" in fake.calls and "/connect/oauth2/authorize" in fake.calls
        with database.read_session(app) as s:
            assert sorted(s.scalars(select(WeChatIdentity.openid)).all()) == ["o-lin", "w-lin"]
    finally:
        fake.close()


@pytest.mark.parametrize(("locale", "heading"), [("zh-CN", "请在微信中打开此页面"), ("en-US", "Open this page in WeChat")])
def test_a_phone_browser_outside_wechat_is_told_to_open_the_page_in_wechat(app, page_server, browser_context, owner,
                                                                           locale, heading):
    fake = official_account(app, owner)
    try:
        page = browser_context(PHONE, locale=locale)  # a phone's own browser, not WeChat's
        page.goto(f"{page_server}/seller/wechat/{slug(app)}")
        page.get_by_role("heading", level=1, name=heading).wait_for()
        assert page.locator("figure.wechat-qr svg").is_visible() and fake.calls == []
        assert axe_violations(page) == [] and no_horizontal_scroll(page)
        screenshot(page, f"wechat-open-in-wechat-phone-{locale}")
    finally:
        fake.close()
