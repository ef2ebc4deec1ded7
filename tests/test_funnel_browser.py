"""The buyers-to-sellers page and the campaign's click sources in a real Chromium, on a phone and at
desktop width, in both languages: axe-core finds no serious violation, nothing scrolls sideways."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from conftest import BROWSER, DESKTOP, PHONE, drain, path_of
from test_teams_browser import check, sign_in

pytestmark = pytest.mark.browser


def test_marketer_reads_the_funnel_and_where_clicks_came_from(app, client, page_server, browser_context, staff,
                                                              owner, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer("小林")["id"])
    client.get(path_of(link["url"]), headers={"User-Agent": BROWSER, "Referer": "https://www.weibo.com/p/1"})
    drain(app)
    now = datetime.now(timezone.utc)
    for order, code, buyer, days in (("o1", link["code"], "x", 3), ("o2", link["code"], "y", 2)):
        assert owner.post("/api/v1/conversions", {
            "type": "sale", "order_id": order, "amount": "99.00", "code": code, "customer": {"external_id": buyer},
            "occurred_at": (now - timedelta(days=days)).isoformat()}).status_code == 201
    for size, locale, name in ((DESKTOP, "zh-CN", "desktop-zh"), (PHONE, "en-US", "phone-en")):
        page = browser_context(size, locale=locale)
        sign_in(page, page_server, staff)
        page.goto(f"{page_server}/console/funnel")
        assert page.locator("svg rect.bar-clicks").count() >= 1
        assert page.locator("tr[data-stage=bought] [data-figure=count]").inner_text() == "2"
        check(page, f"console-funnel-{name}", size is PHONE)
        page.goto(f"{page_server}/console/campaigns/{campaign['id']}/dashboard")
        assert page.locator("table[data-facet=referrer]").inner_text().count("weibo.com") == 1
        check(page, f"console-dashboard-sources-{name}", size is PHONE)
