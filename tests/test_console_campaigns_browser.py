"""The marketer's journey in a real Chromium: sign in, write a campaign while its live preview
follows, save it, upload a photo, schedule two channels on the calendar page and see them
scheduled. Desktop in Chinese, phone in English; axe-core and sideways scrolling checked on
every page, screenshots saved to look at."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, screenshot
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CST = timezone(timedelta(hours=8))  # the workspace's zone

WORDS = {
    "zh-CN": {"email": "邮箱", "password": "密码", "new": "新建活动", "name": "活动名称", "title": "标题",
              "body": "正文", "hashtags": "话题标签", "price": "售价", "original": "原价", "landing": "商品页面",
              "commission": "佣金数值", "channels": ["微博", "朋友圈"], "save": "保存活动", "file": "图片文件",
              "upload": "上传", "uploaded": "照片已上传", "schedule": "排期", "when": "日期和时间",
              "scheduled_flash": "已安排 2 次发布", "scheduled": "已排期", "no_campaigns": "还没有活动",
              "nav": "控制台", "campaigns": "活动", "edit": "编辑", "save_changes": "保存修改",
              "saved": "修改已保存"},
    "en-US": {"email": "Email", "password": "Password", "new": "New campaign", "name": "Campaign name",
              "title": "Title", "body": "Text", "hashtags": "Hashtags", "price": "Price",
              "original": "Original price", "landing": "Product page", "commission": "Commission value",
              "channels": ["Weibo", "WeChat Moments"], "save": "Save campaign", "file": "Image file",
              "upload": "Upload", "uploaded": "The photo is uploaded", "schedule": "Schedule",
              "when": "Date and time", "scheduled_flash": "Scheduled: 2 publication(s)", "scheduled": "Scheduled",
              "no_campaigns": "No campaigns yet", "nav": "Console",
              "campaigns": "Campaigns", "edit": "Edit", "save_changes": "Save changes",
              "saved": "Your changes are saved."},
}


def check_page(page, name: str, phone: bool) -> None:
    """Accessible, no sideways scrolling on a phone, and a screenshot to look at."""
    assert axe_violations(page) == [], name
    if phone:
        assert no_horizontal_scroll(page), name
        # A mobile viewport widens itself to overflowing content, so also measure against 375 px.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"], name
    screenshot(page, name)


def settled_preview(page):
    """Wait for the preview that typing asks for, as a person would, before saving: a preview
    answered after the save's redirect would hand the browser an older session cookie."""
    return page.expect_response(lambda response: response.url.endswith("/preview"))


def product_photo(tmp_path) -> str:
    path = tmp_path / "tea.png"
    image = Image.new("RGB", (1200, 1200), (236, 240, 229))
    for x in range(300, 900):
        for y in range(420, 780, 6):
            image.putpixel((x, y), (46, 125, 50))
    image.save(path)
    return str(path)


def walk(page, base: str, staff: dict, tmp_path, locale: str, tag: str, phone: bool) -> None:
    words = WORDS[locale]
    # The campaign page draws every channel's images after each change: allow for a busy machine.
    page.set_default_timeout(45_000)
    page.goto(f"{base}/console/")
    page.get_by_label(words["email"]).fill(staff["email"])
    page.get_by_label(words["password"]).fill(staff["password"])
    page.get_by_label(words["password"]).press("Enter")
    page.wait_for_url(f"{base}/console/")
    expect(page.get_by_role("heading", name=words["no_campaigns"])).to_be_visible()
    check_page(page, f"console-campaigns-empty-{tag}", phone)

    # Write the campaign; the preview follows the unsaved form.
    page.get_by_role("link", name=words["new"]).first.click()
    page.wait_for_url(f"{base}/console/campaigns/new")
    page.get_by_label(words["name"], exact=True).fill("Spring Longjing")
    page.get_by_label(words["title"], exact=True).fill("明前龙井 · 春茶首发")
    page.get_by_label(words["body"], exact=True).fill("今年的明前龙井到了，香气清雅，回甘悠长。产自西湖龙井村核心产区。")
    page.get_by_label(words["hashtags"], exact=True).fill("春茶 龙井")
    page.get_by_label(words["price"], exact=True).fill("199.00")
    page.get_by_label(words["original"], exact=True).fill("299.00")
    page.get_by_label(words["landing"], exact=True).fill("https://shop.example.com/p/longjing")
    preview = page.locator("#preview")
    for channel in words["channels"]:
        page.locator("#campaign-form").get_by_label(channel, exact=True).check()
    expect(preview.locator("pre.post-text").first).to_contain_text("【明前龙井 · 春茶首发】")
    expect(preview.locator("h3")).to_have_count(2)
    page.get_by_label(words["title"], exact=True).fill("明前龙井 · 限量预售")
    expect(preview.locator("pre.post-text").first).to_contain_text("【明前龙井 · 限量预售】")
    expect(preview).to_contain_text("#春茶# #龙井#")
    check_page(page, f"console-campaign-form-{tag}", phone)

    # Saved without a commission: the form comes back with the message by the field, values kept.
    page.get_by_role("button", name=words["save"]).click()
    expect(page.get_by_role("alert")).to_contain_text(words["commission"])
    commission = page.get_by_label(words["commission"], exact=True)
    expect(commission).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label(words["title"], exact=True)).to_have_value("明前龙井 · 限量预售")
    check_page(page, f"console-campaign-form-errors-{tag}", phone)
    with settled_preview(page):
        commission.fill("10")
    page.get_by_role("button", name=words["save"]).click()
    page.wait_for_url(re.compile(r".*/console/campaigns/\d+$"))
    campaign_url = page.url

    # Upload a product photo on the campaign page.
    page.get_by_label(words["file"]).set_input_files(product_photo(tmp_path))
    page.get_by_role("button", name=words["upload"], exact=True).click()
    page.wait_for_url(f"{campaign_url}#images")
    expect(page.locator(".flash")).to_contain_text(words["uploaded"])
    expect(page.locator("#images img")).to_have_count(1)
    page.locator(".channel-post img").first.scroll_into_view_if_needed()
    check_page(page, f"console-campaign-page-{tag}", phone)

    # Editing: the preview shows the saved images beside the text as it is typed.
    page.get_by_role("link", name=words["edit"], exact=True).click()
    page.wait_for_url(f"{campaign_url}/edit")
    expect(preview.locator("img").first).to_be_visible()
    page.get_by_label(words["body"], exact=True).fill("今年的明前龙井到了，只要¥99！")
    expect(preview.locator(".warning").first).to_be_visible()
    expect(preview.locator("pre.post-text").first).to_contain_text("只要¥99")
    check_page(page, f"console-campaign-edit-{tag}", phone)
    with settled_preview(page):
        page.get_by_label(words["body"], exact=True).fill("今年的明前龙井到了，香气清雅，回甘悠长。")
    page.get_by_role("button", name=words["save_changes"]).click()
    page.wait_for_url(campaign_url)
    expect(page.locator(".flash")).to_contain_text(words["saved"])

    # Schedule two channels at one time on the calendar page.
    page.get_by_role("link", name=words["schedule"], exact=True).click()
    page.wait_for_url(f"{campaign_url}/schedule")
    at = (datetime.now(CST) + timedelta(days=2)).replace(hour=10, minute=30, second=0, microsecond=0)
    form = page.locator("form", has=page.get_by_label(words["when"], exact=True))
    for channel in words["channels"]:
        form.get_by_label(channel, exact=True).check()
    form.get_by_label(words["when"], exact=True).fill(at.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_role("button", name=words["schedule"]).click()
    page.wait_for_url(re.compile(rf".*/schedule\?month={at.strftime('%Y-%m')}#publications$"))
    expect(page.locator(".flash")).to_contain_text(words["scheduled_flash"])
    table = page.locator("table.publications")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator(".badge-scheduled")).to_have_count(2)
    day = page.locator("table.calendar td", has=page.locator(".day", has_text=re.compile(rf"^{at.day}\b")))
    expect(day.locator(".entry-scheduled")).to_have_count(2)
    check_page(page, f"console-schedule-{tag}", phone)

    # The list shows the campaign as scheduled, with its next publication.
    page.get_by_role("navigation", name=words["nav"]).get_by_role("link", name=words["campaigns"]).click()
    page.wait_for_url(f"{base}/console/")
    row = page.locator("table.campaign-list tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".badge-scheduled")).to_have_text(words["scheduled"])
    check_page(page, f"console-campaigns-{tag}", phone)


def test_marketer_writes_previews_uploads_and_schedules_in_chinese_at_desktop(page_server, browser_context, staff,
                                                                             tmp_path):
    page = browser_context(DESKTOP, locale="zh-CN")
    walk(page, page_server, staff, tmp_path, "zh-CN", "desktop-zh", phone=False)


def test_marketer_walks_the_same_journey_on_a_phone_in_english(page_server, browser_context, staff, tmp_path):
    page = browser_context(PHONE, locale="en-US")
    walk(page, page_server, staff, tmp_path, "en-US", "phone-en", phone=True)
