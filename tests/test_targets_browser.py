"""Individual targets in a real Chromium: the marketer's progress page at desktop width in Chinese, the
seller's "7 of 10" on a phone in English and Chinese; axe-core finds no serious violation, nothing scrolls
sideways."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, screenshot
from playwright.sync_api import expect
from sqlalchemy import update

from accounts.passes import issue_pass
from plumbing import database
from referrals.models import Sharer
from teams.models import Target

pytestmark = pytest.mark.browser
NOW = datetime.now(timezone.utc)


def check(page, name: str, phone: bool) -> None:
    assert axe_violations(page) == [], name
    if phone:
        assert no_horizontal_scroll(page), name
    screenshot(page, name)


def test_the_seller_follows_their_target_and_the_marketer_everyone(app, page_server, browser_context, staff, owner,
                                                                   campaign, make_sharer, make_link):
    seller = make_sharer("小林")
    code = make_link(campaign["id"], seller["id"])["code"]
    made = owner.post("/api/v1/targets", {
        "name": "十单奖", "starts_at": (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat(),
        "ends_at": (NOW + timedelta(days=30)).isoformat(), "measure": "orders", "threshold": "10", "bonus": "50.00"})
    assert made.status_code == 201, made.json
    with database.new_session(app) as s:
        s.execute(update(Target).values(starts_at=NOW - timedelta(days=5), ends_at=NOW + timedelta(days=25)))
        s.commit()
    for i in range(7):
        res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": f"o{i}", "amount": "20.00", "code": code,
                                                 "occurred_at": (NOW - timedelta(days=2)).isoformat(),
                                                 "customer": {"external_id": f"buyer-{i}"}})
        assert res.status_code == 201, res.json

    with database.new_session(app) as s:
        issued = issue_pass(s, s.get(Sharer, seller["id"]), "invite")
        s.commit()
    phone = browser_context(PHONE, locale="en-US")
    phone.goto(f"{page_server}/seller/pass/{issued.token}")
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url(f"{page_server}/seller/")
    phone.goto(f"{page_server}/seller/board")
    phone.get_by_role("link", name="My targets").click()
    expect(phone.get_by_role("heading", name="十单奖")).to_be_visible()
    shown = phone.locator("[data-figure=progress]").inner_text()
    assert shown.startswith("7 of 10 orders, ") and shown.endswith("¥50.00 bonus"), shown
    check(phone, "seller-targets-phone-en", True)
    phone.get_by_role("link", name="中文").first.click()
    assert "¥50.00" in phone.locator("[data-figure=progress]").inner_text()
    assert "7 / 10" in phone.locator("[data-figure=progress]").inner_text()
    check(phone, "seller-targets-phone-zh", True)

    page = browser_context(DESKTOP, locale="zh-CN")
    page.goto(f"{page_server}/console/sign-in")
    page.fill("input[name=email]", staff["email"])
    page.fill("input[name=password]", staff["password"])
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{page_server}/console/")
    page.get_by_role("link", name="个人目标").first.click()
    page.get_by_role("link", name="十单奖").click()
    expect(page.locator("table >> text=小林").first).to_be_visible()
    check(page, "console-target-desktop-zh", False)
    page.goto(f"{page_server}/console/targets/new")
    check(page, "console-target-new-desktop-zh", False)
