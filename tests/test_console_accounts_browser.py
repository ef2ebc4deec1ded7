"""The console's Accounts page in a real Chromium: an owner connects the brand's X account through the
(fake) platform's consent redirect and lands back on the page, connected; then disconnects."""
from __future__ import annotations

import pytest
from conftest import DESKTOP, axe_violations
from playwright.sync_api import expect
from social_fakes import FakeFacebook, FakeMastodon, FakeX
from sqlalchemy import select

from brand_accounts.models import BrandAccount
from plumbing import database

pytestmark = pytest.mark.browser

WORDS = {"zh-CN": {"nav": "账号", "connect": "连接", "connected": "已连接", "done": "账号已连接",
                   "disconnect": "断开", "gone": "已断开"},
         "en-US": {"nav": "Accounts", "connect": "Connect", "connected": "Connected", "done": "account is connected",
                   "disconnect": "Disconnect", "gone": "is disconnected"}}


@pytest.fixture
def fake_x():
    server = FakeX()
    yield server
    server.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_an_owner_connects_and_disconnects_the_brands_x_account(app, page_server, staff, browser_context, fake_x,
                                                                locale):
    app.config.update(ALLOW_PRIVATE_TARGETS=True, X_CLIENT_ID=fake_x.client_id, X_CLIENT_SECRET=fake_x.client_secret,
                      X_API_BASE=fake_x.url(), X_AUTHORIZE_URL=fake_x.url("/i/oauth2/authorize"))
    words = WORDS[locale]
    page = browser_context(DESKTOP, locale=locale)
    page.goto(f"{page_server}/console/accounts")
    page.get_by_label("Email").or_(page.get_by_label("邮箱")).fill(staff["email"])
    page.get_by_label("Password").or_(page.get_by_label("密码")).fill(staff["password"])
    page.get_by_role("button", name="Sign in").or_(page.get_by_role("button", name="登录")).click()
    expect(page.get_by_role("link", name=words["nav"])).to_have_attribute("aria-current", "page")
    row = page.locator("tr[data-channel=x]")
    row.get_by_role("link", name=words["connect"]).click()  # → X's consent (the fake approves) → callback → here
    expect(page.locator(".flash")).to_contain_text(words["done"])
    expect(page.locator("tr[data-channel=x]")).to_contain_text(words["connected"])
    assert page.url == f"{page_server}/console/accounts"
    token_call = next(c for c in fake_x.calls if c["path"] == "/2/oauth2/token")
    assert token_call["fields"]["code_verifier"]
    assert axe_violations(page) == []
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr[data-channel=x]").get_by_role("button", name=words["disconnect"]).click()
    expect(page.locator(".flash")).to_contain_text(words["gone"])
    with database.read_session(app) as s:
        assert s.scalar(select(BrandAccount)) is None


def test_an_owner_connects_the_brands_mastodon_account_on_its_instance(app, page_server, staff, browser_context):
    """No app registered beforehand: the owner types the instance, Sharecast registers itself there,
    and a link (the page's CSP keeps forms on Sharecast) takes the owner to approve and back."""
    server = FakeMastodon()
    try:
        app.config.update(ALLOW_PRIVATE_TARGETS=True)
        page = browser_context(DESKTOP, locale="zh-CN")
        page.goto(f"{page_server}/console/accounts")
        page.get_by_label("邮箱").fill(staff["email"])
        page.get_by_label("密码").fill(staff["password"])
        page.get_by_role("button", name="登录").click()
        row = page.locator("tr[data-channel=mastodon]")
        expect(row).to_contain_text("账号可在任一 Mastodon 实例上")
        row.get_by_label("实例").fill("127.0.0.1:9")  # nothing listens there
        row.get_by_role("button", name="连接").click()
        expect(page.locator(".flash")).to_contain_text("无法连接该服务器")
        page.locator("tr[data-channel=mastodon]").get_by_label("实例").fill(server.url())
        page.locator("tr[data-channel=mastodon]").get_by_role("button", name="连接").click()
        host = server.url().removeprefix("http://")
        expect(page.get_by_role("heading", level=1)).to_have_text("连接 Mastodon")
        assert axe_violations(page) == []
        page.get_by_role("link", name=f"继续前往 {host}").click()  # the instance's consent (the fake approves) → back
        expect(page.locator(".flash")).to_contain_text("账号已连接")
        expect(page.locator("tr[data-channel=mastodon]")).to_contain_text("已连接")
        [registered] = [c for c in server.calls if c["path"] == "/api/v1/apps"]
        client_id = next(c for c in server.calls if c["path"] == "/oauth/token")["fields"]["client_id"]
        assert registered["fields"]["redirect_uris"].endswith("/api/v1/accounts/mastodon/callback")
        assert client_id in server.apps and client_id != server.client_id
        with database.read_session(app) as s:
            assert s.scalar(select(BrandAccount.channel)) == "mastodon"
    finally:
        server.close()


CHOOSE = {"zh-CN": {"refused": "未接受此次连接", "choose": "请选择主页", "submit": "以此主页发帖",
                    "chosen": "今后以你选择的主页发帖", "posts_as": "以 Other Shop 发帖"},
          "en-US": {"refused": "did not accept the connection", "choose": "Choose the page", "submit": "Post as this page",
                    "chosen": "now posts as the page you chose", "posts_as": "Posts as Other Shop"}}


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_a_refused_connect_comes_back_to_accounts_and_several_pages_are_chosen_among(app, page_server, staff,
                                                                                     browser_context, locale):
    """Facebook refuses the code (a wrong app secret): the owner lands back on Accounts with a message,
    not on an API error. Connected right, the person manages two Pages: the owner chooses one there."""
    server = FakeFacebook()
    server.pages.append({"id": "555", "name": "Other Shop", "tasks": ["CREATE_CONTENT"]})
    words = CHOOSE[locale]
    try:
        app.config.update(ALLOW_PRIVATE_TARGETS=True, FACEBOOK_CLIENT_ID=server.client_id,
                          FACEBOOK_CLIENT_SECRET="not-the-secret", FACEBOOK_API_BASE=server.url(),
                          FACEBOOK_AUTHORIZE_URL=server.url("/v21.0/dialog/oauth"))
        page = browser_context(DESKTOP, locale=locale)
        page.goto(f"{page_server}/console/accounts")
        page.get_by_label("Email").or_(page.get_by_label("邮箱")).fill(staff["email"])
        page.get_by_label("Password").or_(page.get_by_label("密码")).fill(staff["password"])
        page.get_by_role("button", name="Sign in").or_(page.get_by_role("button", name="登录")).click()
        connect = WORDS[locale]["connect"]
        page.locator("tr[data-channel=facebook]").get_by_role("link", name=connect).click()
        expect(page.locator(".flash")).to_contain_text(words["refused"])
        assert page.url == f"{page_server}/console/accounts"
        app.config["FACEBOOK_CLIENT_SECRET"] = server.client_secret
        page.locator("tr[data-channel=facebook]").get_by_role("link", name=connect).click()
        row = page.locator("tr[data-channel=facebook]")
        expect(row).to_contain_text(words["choose"])
        assert axe_violations(page) == []
        row.get_by_label("Other Shop").check()
        row.get_by_role("button", name=words["submit"]).click()
        expect(page.locator(".flash")).to_contain_text(words["chosen"])
        expect(page.locator("tr[data-channel=facebook]")).to_contain_text(words["posts_as"])
        with database.read_session(app) as s:
            assert s.scalar(select(BrandAccount.status)) == "connected"
    finally:
        server.close()
