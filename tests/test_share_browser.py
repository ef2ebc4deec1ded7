"""The buyer's share page in a real Chromium on a phone, in English and Chinese: the poster shows,
the link copies, the honest terms are there, and the page passes axe without sideways scrolling."""
from __future__ import annotations

import pytest
from conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, screenshot

pytestmark = pytest.mark.browser

WORDS = {
    "en-US": {"copy": "Copy link", "free": "Joining is free. There are no fees, and you never have to buy stock.",
              "rule": "10% of each purchase made through your link.", "save": "Save poster",
              "join": "Open my seller space", "today": "Today's posts"},
    "zh-CN": {"copy": "复制链接", "free": "加入免费，不收任何费用，也不用囤货。", "rule": "你得订单金额的 10%",
              "save": "保存海报", "join": "进入我的分享者空间", "today": "今日素材"},
}


@pytest.mark.parametrize("size, locale, tag", [(PHONE, "en-US", "phone-en"), (PHONE, "zh-CN", "phone-zh"),
                                               (DESKTOP, "zh-CN", "desktop-zh")])
def test_a_buyer_opens_their_share_page_copies_their_link_and_enters_their_space(
        app, page_server, browser_context, owner, campaign, make_sharer, make_link, size, locale, tag):
    words = WORDS[locale]
    seller = make_sharer("小林")
    link = make_link(campaign["id"], seller["id"], "weibo")
    res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": f"S-{tag}", "amount": "199.00",
                                             "code": link["code"],
                                             "customer": {"external_id": f"buyer-{tag}", "name": "王芳"}})
    assert res.status_code == 201, res.json
    share_url = res.json["customer_sharer"]["share_url"]
    assert share_url.startswith(f"{page_server}/s/")

    page = browser_context(size, locale=locale, permissions=["clipboard-read", "clipboard-write"])
    page.goto(share_url)
    poster = page.locator(".share-poster img")
    assert poster.is_visible()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", poster.element_handle())
    assert words["free"] in page.inner_text("main") and words["rule"] in page.inner_text("main")
    assert axe_violations(page) == []
    assert no_horizontal_scroll(page)
    screenshot(page, f"share-{tag}")

    page.get_by_role("button", name=words["copy"]).click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#share-link").input_value() and "/r/" in copied
    with page.expect_download() as download:
        page.get_by_role("link", name=words["save"]).click()
    assert download.value.suggested_filename == f"poster-{campaign['id']}.jpg"

    page.get_by_role("button", name=words["join"]).click()
    page.wait_for_url(f"{page_server}/seller/")
    assert page.get_by_role("heading", level=1).inner_text() == words["today"]
