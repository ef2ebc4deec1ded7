"""A seller adds their photo from the profile page on a 375 px phone, in a real Chromium, and sees it."""
from __future__ import annotations

import pytest
from conftest import PHONE, axe_violations, no_horizontal_scroll, screenshot
from test_avatars import phone_photo
from test_seller_browser import invite_url

pytestmark = pytest.mark.browser


def test_a_seller_adds_their_photo_from_the_profile_on_a_phone(app, page_server, browser_context, make_sharer,
                                                                tmp_path):
    seller = make_sharer("林小红")
    page = browser_context(PHONE, locale="zh-CN")
    page.goto(invite_url(app, page_server, seller["id"]))
    page.get_by_role("button", name="继续").click()
    page.wait_for_url(f"{page_server}/seller/")
    page.goto(f"{page_server}/seller/profile")
    photo = tmp_path / "me.jpg"
    photo.write_bytes(phone_photo())
    page.get_by_label("你的照片").set_input_files(str(photo))
    page.get_by_role("button", name="上传照片").click()
    page.wait_for_url(f"{page_server}/seller/profile#name-heading")
    assert "你的海报现在会在名字旁显示你的照片。" in page.locator("body").inner_text()
    shown = page.get_by_role("img", name="你的照片")
    assert shown.evaluate("img => img.complete && img.naturalWidth") == 320
    assert page.get_by_role("button", name="更换照片").is_visible()
    assert no_horizontal_scroll(page) and axe_violations(page) == []
    screenshot(page, "seller-profile-avatar-zh")
