"""A buyer who gave the shop only a phone number, in a real Chromium (phone width in Chinese, desktop in
English): they open their seller space from the share page once, come back on another device through
"sign in with your phone" and a texted code, then add an email address on their profile, used once the
link emailed to it is opened. Every page passes axe and never scrolls sideways."""
from __future__ import annotations

import pytest
from conftest import DESKTOP, PHONE
from test_contact_change import emailed_link, smtp  # noqa: F401 - a fixture
from test_phone_sign_in import texted_code
from test_phone_sign_in_browser import check, texting_through_tencent
from test_webhooks import local_targets  # noqa: F401 - a fixture

from plumbing import database
from referrals.models import Sharer

pytestmark = pytest.mark.browser

WORDS = {
    "zh-CN": {"join": "进入我的分享者空间", "with_phone": "用手机号登录", "phone": "手机号", "send": "发送验证码",
              "code": "验证码", "sign_in": "登录", "today": "今日素材", "new_email": "新邮箱地址",
              "change_email": "添加或更换邮箱", "sent": "确认链接已发送到", "use": "使用这个地址",
              "changed": "你的邮箱地址已更新为 w***@example.com"},
    "en-US": {"join": "Open my seller space", "with_phone": "Sign in with your phone", "phone": "Mobile number",
              "send": "Text me a code", "code": "Code", "sign_in": "Sign in", "today": "Today's posts",
              "new_email": "New email address", "change_email": "Add or change email", "sent": "We emailed a link to",
              "use": "Use this address", "changed": "Your email address is now w***@example.com"},
}


@pytest.mark.parametrize("size, locale, tag", [(PHONE, "zh-CN", "phone-zh"), (DESKTOP, "en-US", "desktop-en")])
def test_a_buyer_with_only_a_phone_comes_back_by_sms_and_adds_an_email(app, page_server, browser_context, owner,
                                                                        campaign, make_sharer, make_link, smtp,
                                                                        size, locale, tag):
    words = WORDS[locale]
    fake = texting_through_tencent(app)
    try:
        link = make_link(campaign["id"], make_sharer("小林")["id"], "weibo")
        sale = owner.post("/api/v1/conversions", {"type": "sale", "order_id": f"S-{tag}", "amount": "199.00",
                                                  "code": link["code"],
                                                  "customer": {"external_id": f"b-{tag}", "phone": "138 0013 8000",
                                                               "name": "王芳"}})
        assert sale.status_code == 201, sale.json
        buyer_id, share_url = sale.json["customer_sharer"]["id"], sale.json["customer_sharer"]["share_url"]

        first = browser_context(size, locale=locale)
        first.goto(share_url)
        first.get_by_role("button", name=words["join"]).click()
        first.wait_for_url(f"{page_server}/seller/")

        # Another day, another device: the button has done its one sign-in; the phone is the way in.
        page = browser_context(size, locale=locale)
        page.goto(share_url)
        assert page.get_by_role("button", name=words["join"]).count() == 0
        page.get_by_role("link", name=words["with_phone"]).click()
        page.get_by_label(words["phone"]).fill("138 0013 8000")
        page.get_by_role("button", name=words["send"]).click()
        page.wait_for_url(f"{page_server}/seller/sign-in/phone/code")
        page.get_by_label(words["code"]).fill(texted_code(app, fake))
        page.get_by_role("button", name=words["sign_in"]).click()
        page.wait_for_url(f"{page_server}/seller/")
        assert page.get_by_role("heading", level=1).inner_text() == words["today"]

        page.goto(f"{page_server}/seller/profile")
        page.get_by_label(words["new_email"]).fill("wang@example.com")
        page.get_by_role("button", name=words["change_email"]).click()
        page.get_by_text(words["sent"]).wait_for()
        check(page, f"profile-email-pending-{tag}")
        with database.read_session(app) as s:
            assert s.get(Sharer, buyer_id).email is None
        page.goto(f"{page_server}{emailed_link(app, smtp, 'wang@example.com')}")
        check(page, f"email-confirm-{tag}")
        page.get_by_role("button", name=words["use"]).click()
        page.get_by_role("status").filter(has_text=words["changed"]).wait_for()
        assert page.url == f"{page_server}/seller/profile#contact-heading"
        with database.read_session(app) as s:
            assert s.get(Sharer, buyer_id).email == "wang@example.com"
    finally:
        fake.close()
