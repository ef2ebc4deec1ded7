"""The whole story in one real Chromium run, each person in their own browser:

a marketer writes and schedules a campaign in the console; it goes live; the
seller, invited from the console, opens today's post on a phone and copies it;
a friend clicks the seller's link and buys; the buyer opens their share page;
the marketer sees the click, the order and the new sharer on the dashboard.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from conftest import BROWSER, DESKTOP, PHONE, axe_violations, drain, no_horizontal_scroll, screenshot
from playwright.sync_api import expect
from sqlalchemy import select, update

from plumbing import database
from publishing.models import Grab, Publication
from publishing.publish_jobs import publish

pytestmark = pytest.mark.browser

CST = timezone(timedelta(hours=8))


def look(page, name: str) -> None:
    assert axe_violations(page) == [], name
    assert no_horizontal_scroll(page), name
    screenshot(page, f"journey-{name}")


def time_passes_until_due(app, campaign_id: int) -> list[str]:
    """The clock reaches the publications (instead of waiting for them), then the publish job runs."""
    with database.new_session(app) as s:
        s.execute(update(Publication).where(Publication.campaign_id == campaign_id)
                  .values(publish_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        s.commit()
        ids = list(s.scalars(select(Publication.id).where(Publication.campaign_id == campaign_id)))
    with app.app_context():
        return [publish(pid) for pid in ids]


def test_campaign_to_post_to_sale_to_share_page_to_stats(app, page_server, browser_context, staff, owner):
    base = page_server
    marketer = browser_context(DESKTOP, locale="en-US", permissions=["clipboard-read", "clipboard-write"])

    # The marketer signs in and writes the campaign.
    marketer.goto(f"{base}/console/")
    marketer.get_by_label("Email").fill(staff["email"])
    marketer.get_by_label("Password").fill(staff["password"])
    marketer.get_by_label("Password").press("Enter")
    marketer.wait_for_url(f"{base}/console/")
    marketer.get_by_role("link", name="New campaign").first.click()
    for label, value in [("Campaign name", "Spring Longjing"), ("Title", "明前龙井 · 春茶首发"),
                         ("Text", "今年的明前龙井到了，香气清雅，回甘悠长。"), ("Hashtags", "春茶 龙井"),
                         ("Price", "199.00"), ("Product page", "https://shop.example.com/p/longjing"),
                         ("Commission value", "10")]:
        marketer.get_by_label(label, exact=True).fill(value)
    marketer.locator("#campaign-form").get_by_label("Weibo", exact=True).check()
    expect(marketer.locator("#preview pre.post-text").first).to_contain_text("【明前龙井 · 春茶首发】")
    with marketer.expect_response(lambda r: r.url.endswith("/preview")):
        marketer.get_by_label("Commission value", exact=True).fill("10")
    marketer.get_by_role("button", name="Save campaign").click()
    marketer.wait_for_url(re.compile(r".*/console/campaigns/(\d+)$"))
    campaign_id = int(marketer.url.rsplit("/", 1)[1])
    look(marketer, "marketer-campaign")

    # ... and schedules Weibo for tomorrow morning on the calendar page.
    marketer.get_by_role("link", name="Schedule", exact=True).click()
    at = (datetime.now(CST) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    form = marketer.locator("form", has=marketer.get_by_label("Date and time", exact=True))
    form.get_by_label("Weibo", exact=True).check()
    form.get_by_label("Date and time", exact=True).fill(at.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_role("button", name="Schedule").click()
    expect(marketer.locator("table.publications .badge-scheduled")).to_have_count(1)
    look(marketer, "marketer-schedule")

    # The marketer adds a seller and copies their invitation link.
    marketer.goto(f"{base}/console/sharers/new")
    marketer.get_by_label("Name", exact=True).fill("小林")
    marketer.get_by_label("Email", exact=True).fill("lin@example.com")
    marketer.get_by_role("button", name=re.compile("Add")).click()
    marketer.wait_for_url(re.compile(r".*/console/sharers/\d+$"))
    seller_id = int(marketer.url.rsplit("/", 1)[1])
    marketer.get_by_role("button", name="Create invitation link").click()
    marketer.locator("[data-copy='#invite-link']").click()
    invite = marketer.evaluate("navigator.clipboard.readText()")
    assert invite.startswith(f"{base}/seller/pass/")

    # Tomorrow morning comes: the post goes live.
    assert time_passes_until_due(app, campaign_id) == ["published"]

    # The seller opens the invitation on a phone, in Chinese, and copies today's Weibo post.
    seller = browser_context(PHONE, locale="zh-CN", permissions=["clipboard-read", "clipboard-write"])
    seller.goto(invite)
    seller.get_by_role("button", name="继续").click()
    seller.wait_for_url(f"{base}/seller/")
    post = seller.locator("article", has=seller.get_by_role("heading", name="微博"))
    post.get_by_role("button", name="复制文案").click()
    text = seller.evaluate("navigator.clipboard.readText()")
    assert "明前龙井" in text and f"{base}/r/" in text
    deadline = time.time() + 10
    while time.time() < deadline:
        with database.read_session(app) as s:
            if s.scalars(select(Grab).where(Grab.sharer_id == seller_id)).first():
                break
        time.sleep(0.1)
    else:
        pytest.fail("the grab was not recorded")
    look(seller, "seller-today")

    # A friend follows the link in the post (the shop itself is not on this machine) and buys.
    code = re.search(r"/r/(\w+)", text).group(1)
    click = app.test_client().get(f"/r/{code}", headers={"User-Agent": BROWSER})
    assert click.status_code == 302
    click_id = re.search(r"sc_click=(\w+)", click.headers["Location"]).group(1)
    drain(app)
    sale = owner.post("/api/v1/conversions", {"type": "sale", "order_id": "A-1001", "amount": "199.00",
                                              "click_id": click_id,
                                              "customer": {"external_id": "c-1", "email": "mei@example.com",
                                                           "name": "美美"}})
    assert sale.status_code == 201 and sale.json["attributed"] and sale.json["sharer_id"] == seller_id

    # The buyer opens their share page from the thank-you page, on a phone, in English.
    buyer = browser_context(PHONE, locale="en-US", permissions=["clipboard-read", "clipboard-write"])
    buyer.goto(sale.json["customer_sharer"]["share_url"])
    expect(buyer.locator("img").first).to_be_visible()
    expect(buyer.get_by_text("Joining is free", exact=False)).to_be_visible()
    buyer.get_by_role("button", name="Copy link").click()
    assert "/r/" in buyer.evaluate("navigator.clipboard.readText()")
    look(buyer, "buyer-share")

    # The seller sees the order and the pending commission.
    seller.goto(f"{base}/seller/earnings")
    expect(seller.locator("main")).to_contain_text("19.90")
    look(seller, "seller-earnings")

    # The marketer sees the click, the order, the revenue and the new sharer.
    marketer.goto(f"{base}/console/campaigns/{campaign_id}/dashboard")
    figure = lambda name: marketer.locator(f"[data-figure={name}]").inner_text()  # noqa: E731
    assert (figure("clicks"), figure("orders"), figure("new_sharers")) == ("1", "1", "1")
    assert "199.00" in figure("revenue")
    look(marketer, "marketer-dashboard")
