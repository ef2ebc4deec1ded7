"""The marketer's journey through the dashboard, sharers, commissions and payouts in a real Chromium.

A campaign with clicks and sales; the marketer reads the dashboard and its CSV,
invites a sharer and copies the link, approves due commissions, pays out and
downloads the batch CSV: at desktop width in Chinese and on a phone in English,
with axe-core finding no serious violation on any page.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from conftest import BROWSER, DESKTOP, PHONE, axe_violations, drain, no_horizontal_scroll, screenshot
from playwright.sync_api import expect
from sqlalchemy import update

from plumbing import database
from workspaces.models import Workspace

pytestmark = pytest.mark.browser

WORDS = {
    "zh-CN": {"figures": "累计数据", "invite": "生成邀请链接", "copied": "已复制", "approve_all": "确认全部可确认佣金",
              "approve_selected": "确认所选佣金", "approved": "已确认佣金", "pay": "结算全部已确认余额",
              "made": "批结算已生成", "csv": "下载 CSV", "export": "导出 CSV", "hour": "近 48 小时",
              "add": "添加分享者", "add_button": "添加", "bad_email": "这不是有效的邮箱地址。"},
    "en-US": {"figures": "Figures so far", "invite": "Create invitation link", "copied": "Copied",
              "approve_all": "Approve all due", "approve_selected": "Approve selected", "approved": "Commissions approved",
              "pay": "Pay all approved balances", "made": "is made", "csv": "Download CSV", "export": "Export CSV",
              "hour": "Last 48 hours", "add": "Add a sharer", "add_button": "Add sharer",
              "bad_email": "This is not an email address."},
}


@pytest.fixture
def seeded(app, client, owner, campaign, make_sharer, make_link):
    """Two sellers (one invited by the other) with clicks and three sales; no holding period."""
    with database.new_session(app) as s:
        s.execute(update(Workspace).values(holding_days=0))
        s.commit()
    leader = make_sharer("大李", email="li@example.com")
    seller = make_sharer("小林", invited_by=leader["id"])
    weibo = make_link(campaign["id"], seller["id"], "weibo")
    lead = make_link(campaign["id"], leader["id"], "x")
    for code, ip in ((weibo["code"], "198.51.100.1"), (weibo["code"], "198.51.100.2"), (weibo["code"], "198.51.100.2"),
                     (lead["code"], "198.51.100.3")):
        assert client.get(f"/r/{code}", headers={"User-Agent": BROWSER},
                          environ_base={"REMOTE_ADDR": ip}).status_code == 302
    drain(app)
    for order, code, amount in (("B-1", weibo["code"], "199.00"), ("B-2", weibo["code"], "99.00"),
                                ("B-3", lead["code"], "50.00")):
        res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": amount, "code": code,
                                                 "customer": {"external_id": f"buyer-{order}"}})
        assert res.status_code == 201, res.json
    stats = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats").json
    return {"leader": leader, "seller": seller, "stats": stats, "campaign": campaign}


def check(page, name: str, phone: bool) -> None:
    """Every page of the journey: accessible, no sideways scroll on a phone, and a screenshot to look at."""
    assert axe_violations(page) == [], name
    if phone:
        assert no_horizontal_scroll(page), name
    screenshot(page, name)


def read_download(download) -> list[dict]:
    with open(download.path(), encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(io.StringIO(fh.read())))


@pytest.mark.parametrize("size, locale, tag", [(DESKTOP, "zh-CN", "desktop-zh"), (PHONE, "en-US", "phone-en")])
def test_marketer_reads_the_dashboard_invites_approves_and_pays_out(page_server, browser_context, staff, seeded,
                                                                    size, locale, tag):
    words, phone = WORDS[locale], size is PHONE
    stats, campaign = seeded["stats"], seeded["campaign"]
    page = browser_context(size, locale=locale, permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"{page_server}/console/sign-in")
    page.fill("input[name=email]", staff["email"])
    page.fill("input[name=password]", staff["password"])
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{page_server}/console/")

    # the dashboard: figures, chart, funnel, top sharers
    page.goto(f"{page_server}/console/campaigns/{campaign['id']}/dashboard")
    assert page.get_by_role("heading", name=words["figures"]).is_visible()
    figure = lambda name: page.locator(f"[data-figure={name}]").inner_text()  # noqa: E731
    assert (figure("clicks"), figure("unique_clicks"), figure("orders")) == ("4", "3", "3")
    assert stats["revenue"] == "348.00" and "348.00" in figure("revenue")
    assert page.locator("svg.chart-bars rect.bar-clicks").count() >= 1
    assert page.get_by_role("img", name=page.locator("#clicks-chart-title").text_content()).is_visible()
    assert page.locator("table:has(caption) >> text=小林").first.is_visible()
    check(page, f"console-dashboard-{tag}", phone)
    page.get_by_role("link", name=words["hour"]).click()
    page.wait_for_url("**granularity=hour")
    check(page, f"console-dashboard-hourly-{tag}", phone)

    with page.expect_download() as download:
        page.get_by_role("link", name=words["export"]).click()
    rows = read_download(download.value)
    assert sum(int(r["clicks"]) for r in rows) == stats["clicks"] == 4
    assert sum(Decimal(r["revenue"]) for r in rows) == Decimal(stats["revenue"])

    # sharers: the list, a sharer's page, adding one (a bad email first), an invitation link copied
    page.goto(f"{page_server}/console/sharers")
    check(page, f"console-sharers-{tag}", phone)
    page.get_by_role("link", name="大李").click()
    check(page, f"console-sharer-{tag}", phone)
    page.goto(f"{page_server}/console/sharers")
    page.get_by_role("link", name=words["add"]).click()
    page.locator("#name").fill("王芳")
    page.locator("#email").fill("not-an-email")
    page.locator("#invited_by").select_option(str(seeded["leader"]["id"]))
    page.locator("#name").press("Enter")
    expect(page.locator("#email-error")).to_have_text(words["bad_email"])
    assert page.locator("#email").get_attribute("aria-invalid") == "true"
    check(page, f"console-sharer-new-error-{tag}", phone)
    page.locator("#email").fill("fang@example.com")
    page.get_by_role("button", name=words["add_button"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("王芳")
    assert page.get_by_role("link", name="大李").is_visible()  # invited by
    page.get_by_role("button", name=words["invite"]).click()
    link_input = page.locator("#invite-link")
    link = link_input.input_value()
    assert link.startswith(f"{page_server}/seller/pass/")
    copy = page.locator("[data-copy='#invite-link']")
    copy.click()
    expect(copy).to_have_text(words["copied"])
    assert page.evaluate("navigator.clipboard.readText()") == link
    check(page, f"console-invite-{tag}", phone)

    # commissions: approve what is due
    page.goto(f"{page_server}/console/commissions")
    check(page, f"console-commissions-{tag}", phone)
    boxes = page.locator("input[name=ids]")
    assert boxes.count() == 5  # three sales' commissions and the leader's invite bonus on B-1 and B-2
    if phone:
        boxes.first.check()
        page.get_by_role("button", name=words["approve_selected"]).click()
        page.wait_for_load_state()
        assert words["approved"] in page.locator(".flash").inner_text()
        assert page.locator("input[name=ids]").count() == 4
    page.get_by_role("button", name=words["approve_all"]).click()
    page.wait_for_load_state()
    assert page.locator("input[name=ids]").count() == 0
    check(page, f"console-commissions-approved-{tag}", phone)

    # payouts: confirm, the batch page, its CSV
    page.goto(f"{page_server}/console/payouts")
    check(page, f"console-payouts-{tag}", phone)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=words["pay"]).click()
    page.wait_for_url("**/console/payouts/*")
    assert words["made"] in page.locator(".flash").inner_text()
    check(page, f"console-batch-{tag}", phone)
    with page.expect_download() as download:
        page.get_by_role("link", name=words["csv"]).click()
    paid = read_download(download.value)
    assert sorted((r["name"], r["amount"]) for r in paid) == [("大李", "10.96"), ("小林", "29.80")]
    total = page.locator("[data-total=CNY]").inner_text()
    assert "40.76" in total
