"""The sign-in pages in a real Chromium: phone width, both languages, accessibility."""
import pytest
from conftest import PHONE, axe_violations, no_horizontal_scroll, screenshot

pytestmark = pytest.mark.browser


def test_staff_signs_in_with_the_keyboard_in_chinese(page_server, browser_context, staff):
    page = browser_context(PHONE, locale="zh-CN")
    page.goto(f"{page_server}/console/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.url.endswith("/console/sign-in?next=/console/")
    assert axe_violations(page) == []
    assert no_horizontal_scroll(page)
    screenshot(page, "sign-in-phone-zh")
    page.keyboard.press("Tab")  # the skip link first
    page.get_by_label("邮箱").fill(staff["email"])
    page.get_by_label("密码").fill(staff["password"])
    page.get_by_label("密码").press("Enter")
    page.wait_for_url(f"{page_server}/console/")
    assert page.get_by_role("navigation", name="控制台").is_visible()
