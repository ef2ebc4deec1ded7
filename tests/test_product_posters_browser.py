"""The seller's shop in a phone browser: a picked product shows its own poster, which loads, and can be saved."""
from __future__ import annotations

import pytest
from conftest import PHONE
from test_product_posters import shop  # noqa: F401 (fixture)
from test_seller_browser import check, invite_url

pytestmark = pytest.mark.browser


def test_a_picked_product_shows_its_own_poster_in_the_shop(app, page_server, browser_context, shop,  # noqa: F811
                                                           make_sharer):
    seller = make_sharer("小林", email="lin@example.com")
    page = browser_context(PHONE, locale="zh-CN")
    page.goto(invite_url(app, page_server, seller["id"]))
    page.get_by_role("button", name="继续").click()
    page.wait_for_url(f"{page_server}/seller/")
    page.goto(f"{page_server}/seller/shop")
    page.get_by_role("button", name="加入我的小店").last.click()
    page.wait_for_url(f"{page_server}/seller/links/*")
    poster = page.locator(".share-poster img")
    poster.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth", poster.element_handle()) == 1080
    check(page, "seller-product-link-phone-zh")
    page.goto(f"{page_server}/seller/shop")
    thumb = page.locator("img.poster-thumb")
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('img.poster-thumb').naturalWidth > 0")
    save = page.get_by_role("link", name="保存海报")
    assert save.get_attribute("download") and save.is_visible()
    check(page, "seller-shop-poster-phone-zh")
