"""The console's imports in a real Chromium: an owner uploads a CSV of good and bad rows, watches the
import's page (which refreshes itself) go from its progress bar to the report, and reads each row's
outcome, refused rows with their reasons. Sales at desktop width in English, sharers on a phone in
Chinese; axe-core finds no serious violation, nothing scrolls sideways on the phone."""
from __future__ import annotations

import re

import pytest
from conftest import DESKTOP, PHONE
from playwright.sync_api import expect
from test_console_imports import work
from test_imports import backfill
from test_sharer_import import FILE
from test_teams_browser import check, sign_in

pytestmark = pytest.mark.browser


def upload(page, name: str, content: str) -> None:
    page.set_input_files("input[type=file]", {"name": name, "mimeType": "text/csv", "buffer": content.encode("utf-8")})


def test_an_owner_dry_runs_a_sales_file_and_reads_each_row_at_desktop_width_in_english(
        app, page_server, browser_context, staff, campaign, make_sharer, make_link):
    code = make_link(campaign["id"], make_sharer("小林")["id"])["code"]
    page = browser_context(DESKTOP, locale="en-US")
    sign_in(page, page_server, staff)
    page.get_by_role("link", name="Import", exact=True).first.click()
    expect(page.get_by_role("heading", name="Import sales")).to_be_visible()
    assert page.get_by_label("Dry run: show what would be credited, keep nothing").is_checked()
    check(page, "imports-sales-desktop-en", False)
    upload(page, "orders.csv", backfill(code))
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_url(re.compile(r".*/console/imports/\d+$"))
    expect(page.get_by_role("heading", name="Importing…")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("0 of 6 rows")
    expect(page.get_by_role("progressbar")).to_be_visible()
    check(page, "import-sales-running-desktop-en", False)
    work(app)  # the worker; the page refreshes itself until the import is done
    expect(page.get_by_role("heading", name="Dry run: nothing was kept")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("status")).to_have_text(
        "Rows: 6 · recorded: 3 · already recorded: 0 · refused: 3")
    rows = page.locator("table.report tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.nth(1)).to_contain_text("refused")
    expect(rows.nth(1)).to_contain_text("amount")  # line 3's reason
    expect(rows.nth(5)).to_contain_text("The refunds would exceed the sale.")
    expect(rows.nth(0)).to_contain_text("credited to sharer")
    check(page, "import-sales-report-desktop-en", False)


def test_an_owner_imports_sharers_on_a_phone_in_chinese(app, page_server, browser_context, staff):
    page = browser_context(PHONE, locale="zh-CN")
    sign_in(page, page_server, staff)
    page.goto(f"{page_server}/console/sharers")
    page.get_by_role("link", name="导入分享者").click()
    expect(page.get_by_role("heading", name="导入分享者", exact=True)).to_be_visible()
    check(page, "imports-sharers-phone-zh", True)
    upload(page, "sharers.csv", FILE)
    page.get_by_label("试运行：只显示会添加谁，不保存任何内容").uncheck()
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_url(re.compile(r".*/console/imports/sharers/\d+$"))
    expect(page.get_by_role("heading", name="正在导入…")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_be_visible()
    check(page, "import-sharers-running-phone-zh", True)
    work(app)
    expect(page.get_by_role("heading", name="已导入")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("status")).to_have_text("行数：5 · 已添加：2 · 已存在：1 · 被拒绝：2")
    rows = page.locator("table.report tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_contain_text("邀请邮件已发出")
    expect(rows.nth(1)).to_contain_text("没有邮箱：请在其页面创建邀请链接")
    expect(rows.nth(2)).to_contain_text("被拒绝")
    expect(rows.nth(3)).to_contain_text("email")  # line 5's reason: the field named
    expect(rows.nth(4)).to_contain_text("已存在")
    check(page, "import-sharers-report-phone-zh", True)
    rows.nth(1).get_by_role("link", name="阿美").click()
    expect(page.get_by_role("heading", name="阿美")).to_be_visible()
