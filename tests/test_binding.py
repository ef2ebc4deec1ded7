"""Lasting customer relationships: programme settings, bound repeat purchases, the protection period."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest import CAMPAIGN


def put(owner, body):
    return owner.client.put("/api/v1/program", json=body, headers={"Authorization": f"Bearer {owner.key}"})


def sale(owner, order, customer, **kw):
    return owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": "100.00",
                                              "customer": customer, **kw})


BUYER = {"external_id": "shop-42", "email": "Lin@Buyer.example", "phone": "13800138000"}


def at(days: int) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).isoformat()


def test_programme_settings_read_and_change(owner):
    got = owner.get("/api/v1/program").json
    assert got == {"holding_days": 7, "currency": "CNY", "min_payout": "0.00",
                   "binding": {"mode": "none", "days": None, "takeover": False}, "margin_ceiling": "100",
                   "enrollment": "invite", "repeat": {"commission": None, "months": None}}
    res = put(owner, {"holding_days": 14, "min_payout": "50.00",
                      "binding": {"mode": "days", "days": 30, "takeover": False}, "margin_ceiling": "80"})
    assert res.status_code == 200, res.json
    assert res.json["binding"] == {"mode": "days", "days": 30, "takeover": False}
    assert res.json["min_payout"] == "50.00" and res.json["holding_days"] == 14
    assert owner.get("/api/v1/program").json == res.json


def test_bad_programme_settings_change_nothing(owner):
    for bad in [{"binding": {"mode": "forever"}}, {"holding_days": -1}, {"min_payout": "1.001"},
                {"margin_ceiling": "0"}, {"margin_ceiling": "150"}, {"min_payout": 5}]:
        assert put(owner, bad).status_code == 422, bad
    assert owner.get("/api/v1/program").json["binding"]["mode"] == "none"


def test_a_bound_repeat_purchase_without_a_click_credits_the_bound_sharer(owner, campaign, make_sharer, make_link):
    put(owner, {"binding": {"mode": "days", "days": 30}})
    seller = make_sharer()
    link = make_link(campaign["id"], seller["id"])
    first = sale(owner, "B-1", BUYER, code=link["code"], occurred_at=at(-30))
    assert first.status_code == 201 and first.json["binding"]["sharer_id"] == seller["id"]
    # Weeks later (sales are reported after the fact) the same buyer (known by email only this time) buys again with no click or code.
    again = sale(owner, "B-2", {"external_id": "other-id", "email": "lin@buyer.example"}, occurred_at=at(-10))
    assert again.status_code == 201, again.json
    assert again.json["attributed"] and again.json["attributed_by"] == "binding"
    assert again.json["sharer_id"] == seller["id"] and again.json["campaign_id"] == campaign["id"]
    assert [(c["sharer_id"], c["amount"]) for c in again.json["commissions"]] == [(seller["id"], "10.00")]
    customers = owner.get(f"/api/v1/sharers/{seller['id']}/customers").json
    assert customers["customers"] == 1 and customers["repeat_customers"] == 1 and customers["repeat_rate"] == "1.0000"
    row = customers["items"][0]
    assert row["orders"] == 2 and row["net_sales"] == "200.00" and row["contact"] == "+86138****8000"
    # A refund comes off the customer's net sales.
    owner.post("/api/v1/conversions", {"type": "refund", "order_id": "B-2", "amount": "40.00"})
    assert owner.get(f"/api/v1/sharers/{seller['id']}/customers").json["items"][0]["net_sales"] == "160.00"


def test_a_binding_expires_after_its_days(owner, campaign, make_sharer, make_link):
    put(owner, {"binding": {"mode": "days", "days": 30}})
    seller = make_sharer()
    sale(owner, "E-1", BUYER, code=make_link(campaign["id"], seller["id"])["code"], occurred_at=at(-50))
    late = sale(owner, "E-2", BUYER, occurred_at=at(-5))
    assert late.status_code == 201 and late.json["attributed"] is False and late.json["commissions"] == []


def test_without_binding_a_repeat_purchase_with_no_evidence_credits_nobody(owner, campaign, make_sharer, make_link):
    seller = make_sharer()
    sale(owner, "N-1", BUYER, code=make_link(campaign["id"], seller["id"])["code"])
    res = sale(owner, "N-2", BUYER)
    assert res.json["attributed"] is False and "binding" not in res.json


def test_the_protection_period_keeps_the_customer_with_the_first_sharer(owner, campaign, make_sharer, make_link):
    put(owner, {"binding": {"mode": "permanent", "takeover": False}})
    first, second = make_sharer("甲"), make_sharer("乙")
    sale(owner, "P-1", BUYER, code=make_link(campaign["id"], first["id"])["code"])
    attempt = sale(owner, "P-2", BUYER, code=make_link(campaign["id"], second["id"])["code"])
    assert attempt.status_code == 201, attempt.json
    assert attempt.json["sharer_id"] == first["id"] and attempt.json["attributed_by"] == "binding"
    assert attempt.json["binding"]["protected"] is True and attempt.json["binding"]["expires_at"] is None
    assert {c["sharer_id"] for c in attempt.json["commissions"]} == {first["id"]}
    assert owner.get(f"/api/v1/sharers/{second['id']}/customers").json["customers"] == 0


def test_with_takeover_a_newer_link_takes_the_customer_over(owner, campaign, make_sharer, make_link):
    put(owner, {"binding": {"mode": "days", "days": 30, "takeover": True}})
    first, second = make_sharer("甲"), make_sharer("乙")
    sale(owner, "T-1", BUYER, code=make_link(campaign["id"], first["id"])["code"])
    moved = sale(owner, "T-2", BUYER, code=make_link(campaign["id"], second["id"])["code"])
    assert moved.json["sharer_id"] == second["id"] and moved.json["attributed_by"] == "code"
    repeat = sale(owner, "T-3", BUYER)
    assert repeat.json["sharer_id"] == second["id"] and repeat.json["attributed_by"] == "binding"
    old = owner.get(f"/api/v1/sharers/{first['id']}/customers").json["items"][0]
    assert old["bound"] is False and old["orders"] == 1


def test_a_takeover_by_a_sale_rejected_in_review_gives_the_customer_back(owner, campaign, make_sharer, make_link):
    """Every order of the new binding rejected: it ends, and the binding it took over is in force again."""
    put(owner, {"binding": {"mode": "days", "days": 30, "takeover": True}})
    first, second = make_sharer("甲"), make_sharer("乙")
    sale(owner, "F-1", BUYER, code=make_link(campaign["id"], first["id"])["code"])
    fraud = sale(owner, "F-2", {**BUYER, "email": "lin@mailinator.com"}, code=make_link(campaign["id"], second["id"])["code"])
    assert fraud.json["sharer_id"] == second["id"] and fraud.json["review"]
    assert owner.post(f"/api/v1/risk/reviews/{fraud.json['review']['id']}/reject", {"reason": "刷单"}).status_code == 200
    repeat = sale(owner, "F-3", BUYER)
    assert repeat.json["sharer_id"] == first["id"] and repeat.json["attributed_by"] == "binding"
    mine = owner.get(f"/api/v1/sharers/{first['id']}/customers").json
    assert [(c["bound"], c["orders"]) for c in mine["items"]] == [(True, 2)]
    assert owner.get(f"/api/v1/sharers/{second['id']}/customers").json["items"] == []


def test_a_repeat_order_rejected_in_review_takes_back_its_extension_of_the_binding(owner, campaign, make_sharer,
                                                                                 make_link):
    """The binding is as if the rejected order had not been: its days run from the last order left."""
    put(owner, {"binding": {"mode": "days", "days": 30}})
    seller = make_sharer()
    sale(owner, "X-1", BUYER, code=make_link(campaign["id"], seller["id"])["code"], occurred_at=at(-50))
    fraud = sale(owner, "X-2", {**BUYER, "email": "lin@mailinator.com"}, occurred_at=at(-25))
    assert fraud.json["attributed_by"] == "binding" and fraud.json["review"], fraud.json
    assert fraud.json["binding"]["expires_at"] > at(0)  # 30 days from the repeat order
    assert owner.post(f"/api/v1/risk/reviews/{fraud.json['review']['id']}/reject", {"reason": "刷单"}).status_code == 200
    [row] = owner.get(f"/api/v1/sharers/{seller['id']}/customers").json["items"]
    assert row["orders"] == 1 and row["bound"] is False  # 30 days from the first order: ended 20 days ago
    late = sale(owner, "X-3", BUYER)
    assert late.status_code == 201 and late.json["attributed"] is False and late.json["commissions"] == []


def test_a_binding_pays_still_at_most_two_levels(owner, make_sharer, make_link):
    put(owner, {"binding": {"mode": "permanent"}})
    campaign = owner.post("/api/v1/campaigns", CAMPAIGN).json
    top = make_sharer("顶")
    leader = make_sharer("大李", invited_by=top["id"])
    seller = make_sharer("小林", invited_by=leader["id"])
    sale(owner, "M-1", BUYER, code=make_link(campaign["id"], seller["id"])["code"])
    res = sale(owner, "M-2", BUYER)
    assert [(c["sharer_id"], c["level"]) for c in res.json["commissions"]] == [(seller["id"], 1), (leader["id"], 2)]


def test_a_seller_sees_only_their_own_customers(owner, campaign, make_sharer):
    me, other = make_sharer("甲"), make_sharer("乙")
    assert owner.get(f"/api/v1/sharers/{other['id']}/customers", key=me["api_key"]).status_code == 403
    assert owner.get(f"/api/v1/sharers/{me['id']}/customers", key=me["api_key"]).status_code == 200


def test_the_minimum_payout_holds_small_balances(app, owner, campaign, make_sharer, make_link):
    put(owner, {"min_payout": "15.00", "holding_days": 0})
    small, big = make_sharer("甲"), make_sharer("乙")
    sale(owner, "S-1", {"external_id": "a"}, code=make_link(campaign["id"], small["id"])["code"])
    owner.post("/api/v1/conversions", {"type": "sale", "order_id": "S-2", "amount": "200.00",
                                       "customer": {"external_id": "b"},
                                       "code": make_link(campaign["id"], big["id"])["code"]})
    assert owner.post("/api/v1/commissions/approve", {}).status_code == 200
    res = owner.post("/api/v1/payouts")
    assert res.status_code == 201, res.json
    paid = {item["sharer_id"] for item in res.json["items"]}
    assert paid == {big["id"]}


def test_repeat_purchases_may_pay_a_lower_rate_and_stop_after_a_limit_in_months(owner, campaign, make_sharer,
                                                                                 make_link):
    res = put(owner, {"binding": {"mode": "permanent"},
                      "repeat": {"commission": {"type": "percent", "value": "5"}, "months": 3}})
    assert res.status_code == 200 and res.json["repeat"] == {"commission": {"type": "percent", "value": "5"},
                                                              "months": 3}
    seller = make_sharer()
    first = sale(owner, "R-1", BUYER, code=make_link(campaign["id"], seller["id"])["code"],
                 occurred_at=at(-110))
    assert [c["amount"] for c in first.json["commissions"]] == ["10.00"]  # the first sale: the campaign's 10%
    repeat = sale(owner, "R-2", BUYER, occurred_at=at(-80))
    assert repeat.json["attributed_by"] == "binding" and [c["amount"] for c in repeat.json["commissions"]] == ["5.00"]
    late = sale(owner, "R-3", BUYER, occurred_at=at(-10))
    assert late.json["attributed_by"] == "binding" and late.json["commissions"] == []
    assert late.json["reason"] == "repeat_limit_reached"


def test_a_repeat_rule_over_a_products_margin_is_refused(owner):
    owner.post("/api/v1/products", {"name": "thin", "price": "100.00", "cost": "95.00",
                                    "landing_url": "https://shop.example.com/thin"})
    res = put(owner, {"repeat": {"commission": {"type": "percent", "value": "6"}}})
    assert res.status_code == 422 and res.json["error"]["code"] == "margin_exceeded"
    assert "repeat.commission" in res.json["error"]["fields"]
    assert owner.get("/api/v1/program").json["repeat"]["commission"] is None
