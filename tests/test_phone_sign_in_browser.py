"""Phone sign-in in a real Chromium, at phone width in Chinese and desktop width in English: ask for a code,
the worker texts it through the Tencent Cloud SMS fake, a wrong code is refused, the right one signs in."""
from __future__ import annotations

import pytest
from conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, screenshot
from platform_fakes import FakeTencentSms
from test_phone_sign_in import texted_code

pytestmark = pytest.mark.browser

WORDS = {
    "zh-CN": {"with_sms": "用短信验证码登录", "phone": "手机号", "send": "发送验证码", "code": "验证码",
              "sign_in": "登录", "wrong": "验证码不正确", "today": "今日素材"},
    "en-US": {"with_sms": "Sign in with a code by SMS", "phone": "Mobile number", "send": "Text me a code",
              "code": "Code", "sign_in": "Sign in", "wrong": "This code is not right", "today": "Today's posts"},
}


def texting_through_tencent(app) -> FakeTencentSms:
    """The app texting through a local fake of Tencent Cloud SMS (the caller closes it)."""
    fake = FakeTencentSms("AKIDtest", "tencent-secret")
    app.config.update(ALLOW_PRIVATE_TARGETS=True, SMS_PROVIDER="tencent", SMS_ACCESS_KEY_ID="AKIDtest",
                      SMS_ACCESS_KEY_SECRET="tencent-secret", SMS_SIGN_NAME="茶园", SMS_TEMPLATE="1",
                      SMS_APP_ID="1400000000", SMS_ENDPOINT=fake.url("/"))
    return fake


def check(page, name: str) -> None:
    assert axe_violations(page) == [], name
    assert no_horizontal_scroll(page), name
    screenshot(page, name)


@pytest.mark.parametrize("size, locale, tag", [(PHONE, "zh-CN", "phone-zh"), (DESKTOP, "en-US", "desktop-en")])
def test_a_buyer_with_only_a_phone_number_signs_in_with_a_texted_code(app, page_server, browser_context, make_sharer,
                                                                      size, locale, tag):
    words = WORDS[locale]
    fake = texting_through_tencent(app)
    try:
        make_sharer("王芳", phone="13800138000")
        page = browser_context(size, locale=locale)
        page.goto(f"{page_server}/seller/sign-in")
        page.get_by_role("link", name=words["with_sms"]).click()
        page.get_by_label(words["phone"]).fill("138 0013 8000")
        check(page, f"phone-sign-in-{tag}")
        page.get_by_role("button", name=words["send"]).click()
        page.wait_for_url(f"{page_server}/seller/sign-in/phone/code")
        assert "+86138****8000" in page.content()
        code = texted_code(app, fake)
        page.get_by_label(words["code"]).fill("000000" if code != "000000" else "111111")
        page.get_by_role("button", name=words["sign_in"]).click()
        assert words["wrong"] in page.content()
        check(page, f"phone-code-wrong-{tag}")
        page.get_by_label(words["code"]).fill(code)
        page.get_by_role("button", name=words["sign_in"]).click()
        page.wait_for_url(f"{page_server}/seller/")
        assert page.get_by_role("heading", level=1).inner_text() == words["today"]
    finally:
        fake.close()
