"""Seller grades: rates earned by own sales, a periodic evaluation with history, never more than two levels."""
from __future__ import annotations

from conftest import CAMPAIGN

from referrals.grades import Threshold, grade_for

SILVER = {"name": "银牌", "rank": 1, "commission": {"type": "percent", "value": "15"},
          "invite_bonus": {"type": "percent", "value": "3"}, "min_net_sales": "300.00", "min_orders": 2}
GOLD = {"name": "金牌", "rank": 2, "commission": {"type": "percent", "value": "20"}, "min_net_sales": "1000.00"}


def sale(owner, order, sharer_id, campaign_id, amount="200.00", **kw):
    return owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": amount,
                                              "customer": {"external_id": f"c-{order}"},
                                              "sharer_id": sharer_id, "campaign_id": campaign_id, **kw})


def test_the_highest_grade_met_wins():
    thresholds = [Threshold(1, 1, 300, 2, 30), Threshold(2, 2, 1000, 0, 30), Threshold(3, 3, 0, 50, 7)]
    assert grade_for(thresholds, {30: (200, 5), 7: (0, 0)}) is None
    assert grade_for(thresholds, {30: (300, 2), 7: (0, 0)}) == 1
    assert grade_for(thresholds, {30: (5000, 1), 7: (0, 0)}) == 2
    assert grade_for(thresholds, {30: (5000, 60), 7: (0, 50)}) == 3


def test_grades_are_created_listed_and_validated(owner):
    silver = owner.post("/api/v1/grades", SILVER)
    assert silver.status_code == 201, silver.json
    assert silver.json["min_net_sales"] == "300.00" and silver.json["period_days"] == 30
    assert owner.post("/api/v1/grades", {**GOLD, "rank": 1}).status_code == 409
    assert owner.post("/api/v1/grades", {**GOLD, "commission": {"type": "percent", "value": "101"}}).status_code == 422
    assert owner.post("/api/v1/grades", {**GOLD, "fee": "10.00"}).status_code == 422  # no fee, ever
    assert [g["name"] for g in owner.get("/api/v1/grades").json["items"]] == ["银牌"]
    changed = owner.client.patch(f"/api/v1/grades/{silver.json['id']}", json={"min_orders": 3},
                                 headers={"Authorization": f"Bearer {owner.key}"})
    assert changed.status_code == 200 and changed.json["min_orders"] == 3 and changed.json["name"] == "银牌"


def test_a_grade_that_would_overrun_a_products_margin_is_refused(owner):
    owner.post("/api/v1/products", {"name": "thin", "price": "100.00", "cost": "85.00",
                                    "landing_url": "https://shop.example.com/thin"})
    res = owner.post("/api/v1/grades", {**GOLD, "commission": {"type": "percent", "value": "16"}})
    assert res.status_code == 422 and res.json["error"]["code"] == "margin_exceeded"
    assert "commission" in res.json["error"]["fields"]


def test_a_promotion_by_own_sales_raises_the_rate_and_a_demotion_keeps_what_was_earned(owner, make_sharer):
    campaign = owner.post("/api/v1/campaigns", CAMPAIGN).json
    silver = owner.post("/api/v1/grades", SILVER).json
    leader = make_sharer("大李")
    seller = make_sharer("小林", invited_by=leader["id"])
    # Recruits count for nothing: the leader brought a seller in and is not promoted for it.
    first = sale(owner, "G-1", seller["id"], campaign["id"])
    assert [c["amount"] for c in first.json["commissions"]] == ["20.00", "4.00"]  # campaign: 10% + 2%
    sale(owner, "G-2", seller["id"], campaign["id"])
    res = owner.post("/api/v1/grades/evaluate")
    assert res.status_code == 200
    assert res.json["changes"] == [{"sharer_id": seller["id"], "from_grade_id": None, "to_grade_id": silver["id"]}]
    assert owner.post("/api/v1/grades/evaluate").json["changes"] == []  # safe to run twice
    graded = owner.get(f"/api/v1/sharers/{seller['id']}/grade").json
    assert graded["grade"]["name"] == "银牌" and graded["history"][0]["net_sales"] == "400.00"
    assert owner.get(f"/api/v1/sharers/{leader['id']}/grade").json["grade"] is None
    # The seller's own sales now pay the grade's 15%; still exactly two levels.
    third = sale(owner, "G-3", seller["id"], campaign["id"])
    assert [(c["level"], c["amount"]) for c in third.json["commissions"]] == [(1, "30.00"), (2, "4.00")]
    # Refunds bring the net sales under the threshold: demoted, and nothing earned is clawed back.
    for order in ("G-1", "G-2", "G-3"):
        owner.post("/api/v1/conversions", {"type": "refund", "order_id": order, "amount": "150.00"})
    before = owner.get(f"/api/v1/sharers/{seller['id']}/earnings").json
    res = owner.post("/api/v1/grades/evaluate")
    assert res.json["changes"][0]["to_grade_id"] is None
    assert owner.get(f"/api/v1/sharers/{seller['id']}/earnings").json == before
    assert len(owner.get(f"/api/v1/sharers/{seller['id']}/grade").json["history"]) == 2


def test_an_inviters_grade_sets_their_invite_bonus(owner, make_sharer):
    campaign = owner.post("/api/v1/campaigns", CAMPAIGN).json
    owner.post("/api/v1/grades", {**SILVER, "min_net_sales": "0.00", "min_orders": 1})
    leader = make_sharer("大李")
    sale(owner, "I-1", leader["id"], campaign["id"])
    owner.post("/api/v1/grades/evaluate")
    seller = make_sharer("小林", invited_by=leader["id"])
    res = sale(owner, "I-2", seller["id"], campaign["id"])
    assert [(c["sharer_id"], c["amount"]) for c in res.json["commissions"]] == [
        (seller["id"], "20.00"), (leader["id"], "6.00")]  # leader's silver invite bonus: 3%
