"""A seller's day in a real Chromium: sign in by an invite link, copy today's post (the grab is
recorded), save the poster, see links, earnings after a sale, and the board. Phone in Chinese,
desktop in English; every page passes axe and never scrolls sideways."""
from __future__ import annotations

import time

import pytest
from conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, screenshot
from sqlalchemy import select
from test_scheduling import _live

from accounts.passes import issue_pass
from plumbing import database
from publishing.models import Grab
from referrals.models import Sharer

pytestmark = pytest.mark.browser

WORDS = {
    "zh-CN": {"continue": "继续", "copy": "复制文案", "save_poster": "保存海报", "links": "链接", "earnings": "收益",
              "board": "排行", "pending": "待确认", "weibo": "微博", "today": "今日素材", "copy_link": "复制链接",
              "show_qr": "显示二维码"},
    "en-US": {"continue": "Continue", "copy": "Copy text", "save_poster": "Save poster", "links": "Links",
              "earnings": "Earnings", "board": "Board", "pending": "Pending", "weibo": "Weibo",
              "today": "Today's posts", "copy_link": "Copy link", "show_qr": "Show QR code"},
}


def invite_url(app, base, sharer_id) -> str:
    with database.new_session(app) as s:
        issued = issue_pass(s, s.get(Sharer, sharer_id), "invite")
        s.commit()
    return f"{base}/seller/pass/{issued.token}"


def grabs(app) -> list[tuple[int, str, int]]:
    with database.read_session(app) as s:
        return [(g.sharer_id, g.channel, g.content_version) for g in s.scalars(select(Grab))]


def check(page, name: str) -> None:
    """Every page of the journey: accessible, no sideways scrolling, and a screenshot to look at."""
    assert axe_violations(page) == [], name
    assert no_horizontal_scroll(page), name
    screenshot(page, name)


@pytest.mark.parametrize("size, locale, tag", [(PHONE, "zh-CN", "phone-zh"), (DESKTOP, "en-US", "desktop-en")])
def test_a_seller_grabs_todays_post_and_follows_their_earnings(app, page_server, browser_context, owner, campaign,
                                                               make_sharer, size, locale, tag):
    words = WORDS[locale]
    seller = make_sharer("小林", email="lin@example.com")
    _live(app, owner, campaign["id"], "wechat_moments", "weibo")
    page = browser_context(size, locale=locale, permissions=["clipboard-read", "clipboard-write"])

    page.goto(invite_url(app, page_server, seller["id"]))
    page.get_by_role("button", name=words["continue"]).click()
    page.wait_for_url(f"{page_server}/seller/")
    assert page.get_by_role("heading", level=1).inner_text() == words["today"]
    check(page, f"seller-today-{tag}")

    # One tap copies the Weibo text exactly as the seller pastes it, and the grab is recorded.
    [weibo] = owner.get("/api/v1/library?channel=weibo", key=seller["api_key"]).json["items"]
    post = page.locator("article", has=page.get_by_role("heading", name=words["weibo"]))
    post.get_by_role("button", name=words["copy"]).click()
    assert page.evaluate("navigator.clipboard.readText()") == weibo["text"]
    deadline = time.time() + 10
    while not grabs(app) and time.time() < deadline:
        time.sleep(0.1)
    assert grabs(app) == [(seller["id"], "weibo", 1)]

    # One tap saves the personal poster: the last picture, after the product's card, on every channel.
    with page.expect_download() as download:
        post.get_by_role("link", name=words["save_poster"]).click()
    assert download.value.suggested_filename == f"weibo-{campaign['id']}-2.jpg"

    page.get_by_role("link", name=words["links"], exact=True).click()
    page.wait_for_url(f"{page_server}/seller/links")
    assert page.get_by_role("button", name=words["copy_link"]).count() >= 2
    check(page, f"seller-links-{tag}")
    page.get_by_role("link", name=words["show_qr"]).first.click()
    page.wait_for_url(f"{page_server}/seller/links/*")
    assert page.locator("img.qr").evaluate("(img) => img.complete && img.naturalWidth > 0")
    check(page, f"seller-link-qr-{tag}")

    res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": f"W-{tag}", "amount": "199.00",
                                             "code": weibo["link"].rsplit("/", 1)[1].split("?")[0],
                                             "customer": {"external_id": "buyer-1", "name": "王芳"}})
    assert res.status_code == 201, res.json
    page.get_by_role("link", name=words["earnings"], exact=True).click()
    page.wait_for_url(f"{page_server}/seller/earnings")
    pending = page.locator(".stat-pending .value").first.inner_text()
    assert "19.90" in pending
    assert f"W-{tag}" in page.locator(".ledger").inner_text()
    check(page, f"seller-earnings-{tag}")

    page.get_by_role("link", name=words["board"], exact=True).click()
    page.wait_for_url(f"{page_server}/seller/board")
    assert page.locator(".stat-me .value").inner_text() == "1"
    assert "小林" in page.locator("tr.mine").inner_text()
    check(page, f"seller-board-{tag}")


def test_an_empty_portal_explains_itself_on_a_phone(app, page_server, browser_context, owner, make_sharer):
    seller = make_sharer("小王")
    page = browser_context(PHONE, locale="en-US")
    page.goto(invite_url(app, page_server, seller["id"]))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{page_server}/seller/")
    assert page.get_by_text("Posts appear here the moment the brand publishes a campaign").is_visible()
    check(page, "seller-today-empty-phone-en")
    page.goto(f"{page_server}/seller/links")
    check(page, "seller-links-empty-phone-en")
    page.goto(f"{page_server}/seller/earnings")
    check(page, "seller-earnings-empty-phone-en")
    page.goto(f"{page_server}/seller/board")
    check(page, "seller-board-empty-phone-en")
