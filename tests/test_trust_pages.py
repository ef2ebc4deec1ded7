"""The console's held sales (release, reject) and compliance report, in both languages and a real browser."""
from __future__ import annotations

import pytest
from conftest import axe_violations, no_horizontal_scroll, screenshot
from test_compliance import make_programme
from test_conversions import sale
from test_withdrawal_pages import signed_in_console


def test_held_sales_are_released_and_rejected_from_the_console(owner, campaign, make_sharer, make_link, console):
    seller = make_sharer("小林")
    link = make_link(campaign["id"], seller["id"])
    sale(owner, "H-1", code=link["code"], customer={"external_id": "c1", "email": "a@mailinator.com"})
    sale(owner, "H-2", code=link["code"], customer={"external_id": "c2", "email": "b@mailinator.com"})
    page = console.get("/console/reviews")
    assert page.status_code == 200 and "Throwaway email address" in page.text and "H-1" in page.text
    first, second = sorted(r["id"] for r in owner.get("/api/v1/risk/reviews").json["items"])
    assert console.post(f"/console/reviews/{first}/release", token_from="/console/reviews").status_code == 303
    console.post(f"/console/reviews/{second}/reject", {"reason": ""}, token_from="/console/reviews")
    assert owner.get(f"/api/v1/risk/reviews?status=open").json["items"][0]["id"] == second
    console.post(f"/console/reviews/{second}/reject", {"reason": "假账号"}, token_from="/console/reviews")
    decided = {r["id"]: (r["status"], r["reason"]) for r in owner.get("/api/v1/risk/reviews").json["items"]}
    assert decided == {first: ("released", None), second: ("rejected", "假账号")}
    assert "假账号" in console.get("/console/reviews?status=rejected").text
    assert console.get("/console/reviews?status=maybe").status_code == 422


def test_the_compliance_page_reads_the_report_for_the_chosen_days(app, client, owner, console):
    make_programme(client, app, 10, 2, [None, 0, 1], [(2, 199), (1, 100)], [0])
    page = console.get("/console/compliance")
    assert page.status_code == 200 and "Every claim holds." in page.text and "12.00" not in page.text  # other workspace
    assert console.get("/console/compliance?from=2026-13-01").status_code == 422
    assert console.get("/console/compliance?from=2026-02-01&to=2026-01-01").status_code == 422
    zh = console.get("/console/compliance", headers={"Accept-Language": "zh-CN"}).text
    assert "合规报告" in zh and "每一项声明都成立" in zh


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_compliance_report_in_a_browser(app, page_server, browser_context, staff, owner, campaign, make_sharer,
                                             make_link, locale):
    leader = make_sharer("队长")
    seller = make_sharer("小林", invited_by=leader["id"])
    link = make_link(campaign["id"], seller["id"])
    for n in range(3):
        sale(owner, f"P-{n}", code=link["code"])
    page = signed_in_console(browser_context, page_server, staff, locale)
    page.goto(f"{page_server}/console/compliance")
    assert page.locator(".claim-holds").count() == 7 and page.locator(".claim-fails").count() == 0  # incl. target bonuses
    assert "12.00" in page.locator("#claim-max_share_paid").locator("..").inner_text()
    assert axe_violations(page) == [] and no_horizontal_scroll(page)
    screenshot(page, f"compliance-{locale}")
