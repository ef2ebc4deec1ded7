"""The console's Connect page: snippet tag with its SRI hash, API keys, integrations (owners only)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
from conftest import CAMPAIGN, DESKTOP, PHONE, Pages, axe_violations, no_horizontal_scroll, screenshot
from platform_senders import ShopifySender
from test_integrations import _test_start, conversions, shopify_order  # noqa: F401 (an autouse fixture)

from catalog.models import Campaign
from plumbing import database
from referrals.snippet import snippet


def test_connect_page_shows_the_snippet_and_its_integrity_hash(console):
    html = console.get("/console/connect").text
    assert snippet()[1] in html and "/sc.js" in html


def test_snippet_keeps_the_click_for_the_longest_window_of_the_running_campaigns(app, console, owner):
    assert 'data-days="30"' in unescape(console.get("/console/connect").text)  # no campaign yet: the default window
    for name, days in (("short", 7), ("long", 45)):
        res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "name": name, "attribution_window_days": days})
        assert res.status_code == 201, res.json
    html = unescape(console.get("/console/connect").text)
    assert 'data-days="45"' in html and "45" in re.sub(r"<[^>]+>", "", html.split('id="snippet-days"')[1])[:200]
    long_id = [c["id"] for c in owner.get("/api/v1/campaigns").json["items"] if c["name"] == "long"][0]
    with database.new_session(app) as s:  # ended longer ago than its window: it credits no click any more
        s.get(Campaign, long_id).ends_at = datetime.now(timezone.utc) - timedelta(days=46)
        s.commit()
    assert 'data-days="7"' in unescape(console.get("/console/connect").text)


def test_issue_a_key_shown_once_then_revoke_it(console, owner):
    res = console.post("/console/connect/keys", {"name": "shop backend", "role": "server"}, token_from="/console/connect")
    assert res.status_code == 201
    key = re.search(r'id="new-key">(sc_[^<]+)<', res.text).group(1)
    assert owner.get("/api/v1/campaigns", key=key).status_code == 200
    page = console.get("/console/connect").text
    assert key not in page and "shop backend" in page
    key_id = [k for k in owner.get("/api/v1/keys").json["items"] if k["name"] == "shop backend"][0]["id"]
    res = console.post(f"/console/connect/keys/{key_id}/revoke", token_from="/console/connect")
    assert res.status_code == 303
    assert owner.get("/api/v1/campaigns", key=key).status_code == 401


def test_bad_key_and_integration_settings_are_refused(console, owner):
    assert console.post("/console/connect/keys", {"name": "", "role": "server"}, token_from="/console/connect").status_code == 422
    assert console.post("/console/connect/keys", {"name": "x", "role": "owner"}, token_from="/console/connect").status_code == 422
    res = console.post("/console/connect/integrations/wechatpay", {"apiv3_key": "short"}, token_from="/console/connect")
    assert res.status_code == 422 and 'aria-invalid="true"' in res.text
    assert len(owner.get("/api/v1/keys").json["items"]) == 1
    assert not any(i["connected"] for i in owner.get("/api/v1/integrations").json["items"])


def test_marketers_cannot_open_the_connect_page(app, console, owner):
    from accounts.users import create_user
    from plumbing import database

    with database.new_session(app) as s:
        create_user(s, 1, "m@acme-tea.com", "correct horse battery staple", "marketer", "M")
        s.commit()
    pages = Pages(app.test_client())
    pages.sign_in("m@acme-tea.com", "correct horse battery staple")
    assert pages.get("/console/connect").status_code == 403


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()


def test_connect_shopify_in_the_console_and_a_test_order_is_credited(app, console, owner, campaign, make_sharer,
                                                                     make_link, page_server):
    sender = ShopifySender()
    res = console.post("/console/connect/integrations/shopify", {"secret": sender.secret}, token_from="/console/connect")
    assert res.status_code == 200
    sender.url = re.search(r'id="url-shopify">([^<]+)<', res.text).group(1)
    sharer = make_sharer()
    make_link(campaign["id"], sharer["id"])
    order = shopify_order(discount_codes=[{"code": sharer["code"], "amount": "0.00", "type": "fixed_amount"}])
    assert sender.send("orders/paid", order).status_code == 200
    assert conversions(app)[0].sharer_id == sharer["id"]
    assert "—" not in re.search(r"Last notification:[^<]*", console.get("/console/connect").text).group(0)
    # The page's log of the latest notifications says what came of each one.
    assert sender.send("orders/paid", order).status_code == 200  # Shopify delivers again
    assert sender.send("orders/paid", order, secret="not the secret").status_code == 401
    assert sender.send("orders/paid", shopify_order(order_id=99)).status_code == 200  # no code, no click
    log = text_of(re.search(r'<table data-deliveries="shopify">.*?</table>', console.get("/console/connect").text,
                            re.S).group(0))
    rows = re.findall(r"\d\d:\d\d (.*?)(?= \S+ \d\d?, \d{4}|$)", log)
    assert "Recorded Sale 99 · 199.00 CNY · not attributed (no click, code or sharer)" in log
    assert "Refused: the signature does not match. Check the secret you pasted." in log
    assert "Recorded Sale 820982911946154508 · 199.00 CNY · already recorded" in log
    assert f"Recorded Sale 820982911946154508 · 199.00 CNY · credited to {sharer['name']}" in log
    assert log.index("Sale 99") < log.index("signature does not match") < log.index("already recorded") \
        < log.index("credited to"), rows  # newest first
    assert len(conversions(app)) == 2  # the refused and the repeated deliveries stored nothing


def test_only_the_latest_deliveries_are_kept(app, owner):
    from sqlalchemy import func, select

    from integrations.inbound import KEEP_DELIVERIES, _log
    from integrations.models import Integration, IntegrationDelivery
    from integrations.store import deliveries
    from plumbing.database import utcnow

    res = owner.client.put("/api/v1/integrations/shopify", json={"secret": "s" * 32}, headers=owner._headers(None))
    assert res.status_code == 200, res.json
    with database.new_session(app) as s:
        integration_id = s.scalar(select(Integration.id))
        for n in range(KEEP_DELIVERIES + 7):
            _log(s, integration_id, utcnow(), 200, None, [{"order_id": str(n)}])
        s.commit()
        assert s.scalar(select(func.count(IntegrationDelivery.id))) == KEEP_DELIVERIES
        assert [d.orders[0]["order_id"] for d in deliveries(s, integration_id, 3)] == ["56", "55", "54"]
    assert owner.client.delete("/api/v1/integrations/shopify", headers=owner._headers(None)).status_code == 204
    with database.new_session(app) as s:
        assert s.scalar(select(func.count(IntegrationDelivery.id))) == 0


@pytest.mark.browser
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_connect_page_in_a_browser(page_server, browser_context, staff, size):
    page = browser_context(size)
    page.goto(f"{page_server}/console/sign-in")
    page.fill("input[name=email]", staff["email"])
    page.fill("input[name=password]", staff["password"])
    page.click("button[type=submit]")
    page.goto(f"{page_server}/console/connect")
    page.fill("#key-name", "checkout server")
    page.click("text=Issue key")
    assert page.inner_text("#new-key").startswith("sc_")
    assert no_horizontal_scroll(page)
    assert axe_violations(page) == []
    screenshot(page, f"console-connect-{'phone' if size is PHONE else 'desktop'}")
