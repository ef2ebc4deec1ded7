"""The seller's Today page on a 375 px phone, in a real Chromium: pictures first, the text folded to
three lines with 展开, the save hint by the first picture, the campaign's title (never its private
name), brand-only channels left out, and "coming up" apart from "ready now"."""
from __future__ import annotations

import io

import pytest
from conftest import CAMPAIGN, DESKTOP, PHONE, axe_violations, no_horizontal_scroll, screenshot
from PIL import Image, ImageDraw
from test_images import upload
from test_scheduling import _live, iso, schedule, soon
from test_seller_browser import invite_url

from publishing.library import library_channels

pytestmark = pytest.mark.browser

BODY = ("今年的明前狮峰龙井到了！🍵 西湖产区核心茶园，清明前头采，一芽一叶，老师傅手工炒制。"
        "干茶扁平挺直，色泽嫩绿；冲泡后豆香清雅，入口鲜爽，回甘悠长。\n\n"
        "这一批只有 200 盒，每盒 250 克，附赠青瓷盖碗一只，顺丰包邮。\n"
        "适合自饮、送长辈、送客户。喝过的朋友都说：今年的春天，是从这一口开始的。\n\n"
        "下单备注口令，还有小惊喜 🎁")


def photo_bytes() -> bytes:
    image = Image.new("RGB", (4000, 3000), (236, 230, 218))
    ImageDraw.Draw(image).ellipse((2300, 900, 3500, 2300), fill=(40, 90, 50))  # the product, right of centre
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def test_brand_only_channels_are_not_in_the_sellers_library():
    channels = library_channels()
    assert "telegram" not in channels and "email" not in channels and "webhook" not in channels
    assert {"wechat_moments", "weibo", "xiaohongshu"} <= set(channels)


def test_todays_posts_on_a_phone_show_pictures_first_and_fold_the_text(app, page_server, browser_context, owner,
                                                                        make_sharer):
    campaign = owner.post("/api/v1/campaigns", {**CAMPAIGN, "name": "内部代号 Q2-清仓", "title": "明前狮峰龙井 · 春茶首发",
                                                "body": BODY, "brand_name": "山间茶舍", "look": "festive",
                                                "badges": ["包邮", "赠品"],
                                                "channels": ["wechat_moments", "weibo", "xiaohongshu"]}).json
    assert upload(owner, campaign["id"], photo_bytes()).status_code == 201
    _live(app, owner, campaign["id"], "wechat_moments", "weibo")
    assert schedule(owner, campaign["id"], {"channel": "xiaohongshu", "publish_at": iso(soon(3600))}).status_code == 200
    seller = make_sharer("小林")

    page = browser_context(PHONE, locale="zh-CN", permissions=["clipboard-read", "clipboard-write"])
    page.goto(invite_url(app, page_server, seller["id"]))
    page.get_by_role("button", name="继续").click()
    page.wait_for_url(f"{page_server}/seller/")
    page.wait_for_load_state("networkidle")

    body = page.locator("main").inner_text()
    assert "明前狮峰龙井 · 春茶首发" in body and "内部代号" not in body
    ready = page.get_by_role("heading", name="可以发了")
    coming = page.get_by_role("heading", name="即将发布")
    assert ready.is_visible() and coming.is_visible()
    assert ready.bounding_box()["y"] < coming.bounding_box()["y"]
    assert "小红书" in page.locator("section[aria-labelledby=upcoming-heading]").inner_text()

    moments = page.locator("article", has=page.get_by_role("heading", name="微信朋友圈"))
    # Pictures come before the words, and the hint to save them sits by the first one.
    order = moments.evaluate("""(a) => [a.querySelector('.thumbs'), a.querySelector('.post-text')]
        .map((el) => el.getBoundingClientRect().top)""")
    assert order[0] < order[1]
    hint = page.locator(".save-hint")
    assert hint.count() == 1 and "长按" in hint.inner_text()

    # Three lines until 展开; then all of it, and 收起 folds it again.
    text = moments.locator(".post-text")
    line = float(text.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight)"))
    folded = text.bounding_box()["height"]
    assert folded <= line * 3 + 30, (folded, line)
    more = moments.get_by_role("button", name="展开")
    assert more.is_visible() and more.get_attribute("aria-expanded") == "false"
    more.click()
    assert text.bounding_box()["height"] > folded * 2
    assert moments.get_by_role("button", name="收起").get_attribute("aria-expanded") == "true"
    moments.get_by_role("button", name="收起").click()
    assert text.bounding_box()["height"] == pytest.approx(folded, abs=1)

    # Folded or not, one tap copies every word.
    [weibo] = owner.get("/api/v1/library?channel=weibo", key=seller["api_key"]).json["items"]
    page.locator("article", has=page.get_by_role("heading", name="微博")).get_by_role("button", name="复制文案").click()
    assert page.evaluate("navigator.clipboard.readText()") == weibo["text"]

    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"Today page at 375 px: {height} px tall")  # the issue measured 6,200 px before
    assert height < 3200, height
    assert axe_violations(page) == []
    assert no_horizontal_scroll(page)
    screenshot(page, "seller-today-folded-phone-zh")


def test_every_channel_shows_pictures_then_poster_then_text_then_copy(app, page_server, browser_context, owner,
                                                                      make_sharer):
    """Weibo drew its poster first and Moments second: the seller now meets one order on every channel."""
    campaign = owner.post("/api/v1/campaigns", {**CAMPAIGN, "channels": ["wechat_moments", "weibo"]}).json
    assert upload(owner, campaign["id"], photo_bytes()).status_code == 201
    _live(app, owner, campaign["id"], "wechat_moments", "weibo")
    seller = make_sharer("小林")
    page = browser_context(DESKTOP, locale="en-US")
    page.goto(invite_url(app, page_server, seller["id"]))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{page_server}/seller/")

    def seen(channel: str) -> list[str]:
        """The card's parts from top to bottom, as the seller meets them."""
        card = page.locator("article", has=page.get_by_role("heading", name=channel))
        return card.evaluate("""(a) => [...a.querySelectorAll('figure[data-kind], .post-text, [data-copy]')]
            .filter((el) => !el.matches('[data-copy$=-title]'))
            .map((el) => [el.getBoundingClientRect().top, el.getBoundingClientRect().left,
                          el.dataset.kind === 'poster' ? 'poster' : el.dataset.kind ? 'picture'
                          : el.matches('[data-copy]') ? 'copy' : 'text'])
            .sort((x, y) => x[0] - y[0] || x[1] - y[1]).map((part) => part[2])""")

    moments, weibo = seen("WeChat Moments"), seen("Weibo")
    assert moments == weibo, (moments, weibo)
    assert moments[-3:] == ["poster", "text", "copy"] and set(moments[:-3]) == {"picture"}, moments
    # A tall poster beside square pictures: every Save button of a row sits on one line.
    for channel in ("WeChat Moments", "Weibo"):
        rows = page.locator("article", has=page.get_by_role("heading", name=channel)).evaluate(
            """(a) => [...a.querySelectorAll('figure[data-kind]')].map((f) => [Math.round(f.getBoundingClientRect().top),
                Math.round(f.querySelector('figcaption a').getBoundingClientRect().top),
                f.querySelector('img').getBoundingClientRect().height])""")
        heights = {round(h) for _, _, h in rows}
        assert len(heights) > 1, rows  # the pictures are not all one height: the test means something
        for top in {t for t, _, _ in rows}:
            assert len({button for t, button, _ in rows if t == top}) == 1, (channel, rows)
    assert axe_violations(page) == []
    screenshot(page, "seller-today-order-desktop-en")
