"""The merged whole: a commission held for its price and for risk waits for both; prizes in a
withdrawal and in the compliance report; suspended sharers left out of "Ready to pay"."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from conftest import screenshot
from sqlalchemy import select, update
from test_products import TEA, add
from test_products import sale as line_sale
from test_teams import league, make_contest, ok, shift_into_past  # noqa: F401  (league is a fixture)
from test_teams import sale as contest_sale
from test_withdrawal_pages import signed_in_console
from test_withdrawals import approve_earnings, buckets, put, send, status_of, withdraw

from plumbing import database
from referrals.compliance import report
from referrals.models import Commission, Prize

NOW = datetime.now(timezone.utc)
THROWAWAY = {"external_id": "c-x", "email": "x@mailinator.com"}


def held_twice(owner, campaign, make_sharer) -> tuple[int, int]:
    """A sale off the brand's price by a throwaway email: (its commission id, its review id)."""
    add(owner, TEA)
    seller = make_sharer("小林")
    res = line_sale(owner, "L-1", amount="150.00", sharer_id=seller["id"], campaign_id=campaign["id"],
                    customer=THROWAWAY, items=[{"sku": "LJ-250", "quantity": 1, "amount": "150.00"}])
    assert res.status_code == 201, res.json
    assert [c["status"] for c in res.json["commissions"]] == ["held"] and res.json["review"]["flags"]
    commission = owner.get("/api/v1/commissions?status=held").json["items"][0]["id"]
    return commission, res.json["review"]["id"]


def status(app, commission_id) -> tuple[str, bool]:
    with database.read_session(app) as s:
        c = s.get(Commission, commission_id)
        return c.status, c.price_held


def test_releasing_the_risk_review_leaves_the_price_hold_until_it_is_released_too(app, owner, campaign, make_sharer):
    commission, review = held_twice(owner, campaign, make_sharer)
    assert owner.post(f"/api/v1/risk/reviews/{review}/release").status_code == 200
    assert status(app, commission) == ("held", True)  # the off-price line still holds it
    res = owner.post("/api/v1/commissions/release", {"ids": [commission]})
    assert res.status_code == 200 and status(app, commission) == ("pending", False)


def test_releasing_the_price_first_leaves_the_risk_hold_until_its_review_is_decided(app, owner, campaign,
                                                                                      make_sharer):
    commission, review = held_twice(owner, campaign, make_sharer)
    assert owner.post("/api/v1/commissions/release", {"ids": [commission]}).status_code == 200
    assert status(app, commission) == ("held", False)  # the review is still open
    assert owner.post("/api/v1/commissions/release", {"ids": [commission]}).status_code == 409  # a risk hold now
    assert owner.post(f"/api/v1/risk/reviews/{review}/release").status_code == 200
    assert status(app, commission) == ("pending", False)


def test_a_risk_hold_alone_is_not_released_by_the_price_path(app, owner, campaign, make_sharer, make_link):
    seller = make_sharer("小林")
    link = make_link(campaign["id"], seller["id"])
    res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": "R-1", "amount": "199.00",
                                             "code": link["code"], "customer": THROWAWAY})
    assert [c["status"] for c in res.json["commissions"]] == ["held"]
    commission = owner.get("/api/v1/commissions?status=held").json["items"][0]["id"]
    refused = owner.post("/api/v1/commissions/release", {"ids": [commission]})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "not_held"
    assert status(app, commission) == ("held", False)


def test_rejecting_the_sale_reverses_a_commission_held_for_its_price_as_well(app, owner, campaign, make_sharer):
    commission, review = held_twice(owner, campaign, make_sharer)
    assert owner.post(f"/api/v1/risk/reviews/{review}/reject", {"reason": "假账号"}).status_code == 200
    assert status(app, commission) == ("reversed", False)
    assert owner.post("/api/v1/commissions/release", {"ids": [commission]}).status_code == 409


def finalized_prize(app, owner, league, amount="80.00") -> dict:  # noqa: F811
    """dan's team wins ``amount``; dan also sold 20.00 (2.00 commission); everything approved."""
    contest = make_contest(owner, league, prizes=[{"place": 1, "amount": amount}])
    shift_into_past(app, contest["id"])
    contest_sale(owner, "o1", league["codes"]["dan"], "20.00", NOW - timedelta(days=2))
    ok(owner.post(f"/api/v1/contests/{contest['id']}/finalize"))
    with database.new_session(app) as s:
        s.execute(update(Prize).values(approvable_at=NOW - timedelta(seconds=1)))
        s.commit()
    approve_earnings(app, owner)
    return league["people"]["dan"]


def test_a_withdrawal_pays_a_prize_and_marks_it_paid_without_overpaying_commissions(app, owner, league):  # noqa: F811
    dan = finalized_prize(app, owner, league)
    put(owner, f"/api/v1/sharers/{dan['id']}/payout-method", {"rail": "bank", "account": {
        "bank_name": "招商银行", "account_number": "6225880123456789", "holder_name": "丹"}})
    first = withdraw(owner, dan, "81.00")  # the commission (approved first) and most of the prize
    owner.post(f"/api/v1/withdrawals/{first['id']}/approve")
    assert send(app, first["id"]) == "paid" and status_of(owner, first["id"])["status"] == "paid"
    with database.read_session(app) as s:
        assert s.scalar(select(Commission.status).where(Commission.sharer_id == dan["id"])) == "paid"
        assert s.scalar(select(Prize.status)) == "approved"  # 79.00 of 80.00 paid: not whole yet
    second = withdraw(owner, dan, "1.00")
    owner.post(f"/api/v1/withdrawals/{second['id']}/approve")
    assert send(app, second["id"]) == "paid"
    with database.read_session(app) as s:
        assert s.scalar(select(Prize.status)) == "paid"
    assert buckets(app, dan["id"]) == {"pending": 0, "approved": 0, "withdrawing": 0, "paid": 8200}


def test_the_compliance_report_shows_contest_prizes_from_the_ledger(app, owner, league):  # noqa: F811
    finalized_prize(app, owner, league, "100.00")
    with database.read_session(app) as s:
        workspace_id = s.scalar(select(Prize.workspace_id))
        result = report(s, workspace_id, NOW - timedelta(days=30), NOW + timedelta(days=1))
    claims = {c["id"]: c for c in result["claims"]}
    assert result["holds"] and claims["no_entry_fee"]["holds"]
    assert claims["no_entry_fee"]["figures"]["ledger_credits_by_reason"]["contest_prize"] == 1
    prizes = claims["contest_prizes"]
    assert prizes["holds"] and "prizes" in prizes["query"]
    assert prizes["figures"]["prizes"] == 1 and prizes["figures"]["prize_credits_minor"] == 10000
    assert prizes["figures"]["contests"][0]["winners_own_net_sales"] == "20.00"
    assert claims["max_share_paid"]["figures"]["max_share_percent"] == "10.00"  # the prize is on no sale
    with database.new_session(app) as s:  # a prize credit without its prize row: the claim fails
        s.execute(update(Prize).values(amount_minor=9000))
        s.commit()
    with database.read_session(app) as s:
        again = report(s, workspace_id, NOW - timedelta(days=30), NOW + timedelta(days=1))
    assert not next(c for c in again["claims"] if c["id"] == "contest_prizes")["holds"] and not again["holds"]


def test_ready_to_pay_leaves_suspended_sharers_out(app, owner, campaign, make_sharer, make_link, console):
    sharers = [make_sharer(name) for name in ("甲", "乙")]
    for n, sharer in enumerate(sharers):
        link = make_link(campaign["id"], sharer["id"])
        owner.post("/api/v1/conversions", {"type": "sale", "order_id": f"S-{n}", "amount": "199.00",
                                           "code": link["code"], "customer": {"external_id": f"c{n}"}})
    approve_earnings(app, owner)
    assert "Sharers: 2" in console.get("/console/payouts").text
    assert owner.post(f"/api/v1/sharers/{sharers[0]['id']}/suspend", {"reason": "刷单"}).status_code == 200
    page = console.get("/console/payouts").text
    assert "Sharers: 1" in page and "19.90" in page and "39.80" not in page
    run = owner.post("/api/v1/payouts")
    assert [p["sharer_id"] for p in run.json["items"]] == [sharers[1]["id"]]  # as the page said


def test_a_sharer_is_suspended_and_reinstated_from_their_console_page(owner, make_sharer, console):
    sharer = make_sharer("小林")
    page = f"/console/sharers/{sharer['id']}"
    assert console.post(f"{page}/suspend", {"reason": ""}, token_from=page).status_code == 303
    assert console.post(f"{page}/suspend", {"reason": "a\x00b"}, token_from=page).status_code == 303  # unstorable
    assert not owner.get(f"/api/v1/sharers/{sharer['id']}").json.get("suspended")
    assert console.post(f"{page}/suspend", {"reason": "刷单"}, token_from=page).status_code == 303
    assert "刷单" in console.get(page).text
    assert console.post(f"{page}/suspend", {"reason": "again"}, token_from=page).status_code == 409
    assert console.post(f"{page}/reinstate", token_from=page).status_code == 303
    assert console.post(f"{page}/reinstate", token_from=page).status_code == 409
    assert console.post("/console/sharers/99999/suspend", {"reason": "x"}, token_from=page).status_code == 404


@pytest.mark.browser
def test_suspending_from_the_console_in_a_browser(page_server, browser_context, staff, owner, make_sharer):
    sharer = make_sharer("小林")
    page = signed_in_console(browser_context, page_server, staff, "zh-CN")
    page.goto(f"{page_server}/console/sharers/{sharer['id']}")
    page.fill("#suspend-reason", "刷单")
    page.locator("#suspend-reason ~ button").click()
    page.wait_for_selector("#suspended-note", timeout=10_000)
    assert "刷单" in page.locator("#suspended-note").inner_text()
    screenshot(page, "sharer-suspended-zh-CN")


def test_the_compliance_page_states_claims_and_figures_in_chinese(app, owner, league, console):  # noqa: F811
    finalized_prize(app, owner, league, "100.00")
    zh = console.get("/console/compliance", headers={"Accept-Language": "zh-CN"}).text
    assert "没有任何一笔销售向超过两级支付佣金" in zh and "比赛奖金在每场比赛开始前即已确定" in zh
    assert "实际支付的最深层级" in zh and "获奖者本人净销售额" in zh and "deepest_paid_level" not in zh
    en = console.get("/console/compliance").text
    assert "No sale paid more than two levels" in en and "Winners' own net sales: 20.00" in en
