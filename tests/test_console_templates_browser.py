"""A marketer lays out the brand's own poster in a real Chromium: the preview drawn by the server follows
the numbers as they are typed, says which box is wrong, and the saved poster's code scans."""
from __future__ import annotations

import base64
import io

import pytest
import zxingcpp
from conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, screenshot
from PIL import Image
from playwright.sync_api import expect
from test_poster_templates import background

pytestmark = pytest.mark.browser

WORDS = {"zh-CN": {"email": "邮箱", "password": "密码", "nav": "模板", "name": "模板名称", "create": "创建模板",
                   "save": "保存布局", "saved": "布局已保存。", "upload": "上传背景", "file": "背景图片",
                   "overlap": "the photo box overlaps the code", "story": "竖屏全屏（抖音）"},
         "en-US": {"email": "Email", "password": "Password", "nav": "Templates", "name": "Template name",
                   "create": "Create template", "save": "Save layout", "saved": "The layout was saved.",
                   "upload": "Upload background", "file": "Background image",
                   "overlap": "the photo box overlaps the code", "story": "Story (Douyin)"}}


def shown_preview(page) -> Image.Image:
    src = page.locator("#template-preview img").get_attribute("src")
    return Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB")


def walk(page, base: str, staff: dict, tmp_path, locale: str, tag: str, phone: bool) -> None:
    words = WORDS[locale]
    page.set_default_timeout(45_000)
    page.goto(f"{base}/console/")
    page.get_by_label(words["email"]).fill(staff["email"])
    page.get_by_label(words["password"]).fill(staff["password"])
    page.get_by_label(words["password"]).press("Enter")
    page.wait_for_url(f"{base}/console/")
    page.get_by_role("link", name=words["nav"], exact=True).click()
    page.get_by_label(words["name"]).fill("春茶海报")
    page.get_by_role("button", name=words["create"]).click()
    expect(page.locator("#template-preview img")).to_be_visible()

    path = tmp_path / "bg.png"
    background().save(path)
    page.get_by_label(words["file"]).set_input_files(str(path))
    page.get_by_role("button", name=words["upload"]).click()
    expect(page.locator("#template-preview img")).to_be_visible()
    assert shown_preview(page).getpixel((3, 3))[2] > 90, "the uploaded background shows"

    # The photo pulled down over the code: the preview names the box before anything is saved.
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/preview")):
        page.locator("#photo_h").fill("70")
    expect(page.locator("#template-preview")).to_contain_text(words["overlap"])
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/preview")):
        page.locator("#photo_h").fill("40")
    expect(page.locator("#template-preview")).not_to_contain_text(words["overlap"])
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/preview")):
        page.locator("#title_color").fill("#FFFFFF")
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/preview")):
        page.locator("#seller_color").fill("#FFF4CC")
    [found] = zxingcpp.read_barcodes(shown_preview(page), formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.text.endswith("/r/SAMPLE01"), "the code scans in the preview at the size it is shown"
    # The boxes' names never cover the title or price they frame: hidden at rest, shown above the box's
    # edge while its numbers are typed.
    title_box = page.locator(".template-box[data-box=title]")
    expect(title_box.locator("span")).to_have_css("opacity", "0")
    page.locator("#title_y").focus()
    expect(title_box.locator("span")).to_have_css("opacity", "1")
    assert title_box.locator("span").bounding_box()["y"] + title_box.locator("span").bounding_box()["height"] \
        <= title_box.bounding_box()["y"] + 0.5
    page.locator("#title_y").blur()
    expect(title_box.locator("span")).to_have_css("opacity", "0")
    # Dragging the seller's box over the preview moves it: the numbers follow and the preview is redrawn.
    if not phone:
        handle = page.locator(".template-box[data-box=seller]")
        expect(handle).to_be_visible()
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        page.mouse.move(box["x"] + 20, box["y"] + 5)
        page.mouse.down()
        page.mouse.move(box["x"] + 20, box["y"] - 10, steps=3)
        with page.expect_response(lambda r: r.url.split("?")[0].endswith("/preview")):
            page.mouse.up()
        assert int(page.locator("#seller_y").input_value()) < 90
        page.locator("#seller_y").fill("90")
    page.get_by_role("button", name=words["save"]).click()
    expect(page.get_by_text(words["saved"])).to_be_visible()
    assert page.locator("#photo_h").input_value() == "40"
    assert axe_violations(page) == []
    if phone:
        assert no_horizontal_scroll(page)
    screenshot(page, f"console-template-square-{tag}")
    shown_preview(page).save(tmp_path / "square.png")

    page.get_by_role("link", name=words["story"]).click()
    expect(page.locator("#template-preview img")).to_be_visible()
    screenshot(page, f"console-template-story-{tag}")


def test_marketer_lays_out_a_template_in_chinese_at_desktop(page_server, browser_context, staff, tmp_path):
    walk(browser_context(DESKTOP, locale="zh-CN"), page_server, staff, tmp_path, "zh-CN", "zh-desktop", False)


def test_marketer_lays_out_a_template_on_a_phone_in_english(page_server, browser_context, staff, tmp_path):
    walk(browser_context(PHONE, locale="en-US"), page_server, staff, tmp_path, "en-US", "en-phone", True)
