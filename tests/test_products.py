"""The product catalogue: /api/v1/products, campaigns of several products, sales with line items."""
from __future__ import annotations

from conftest import CAMPAIGN
from sqlalchemy import func, select

from catalog.models import Product
from plumbing import database
from referrals.models import Commission, Conversion, ConversionItem

TEA = {"name": "明前龙井 250g", "sku": "LJ-250", "price": "199.00", "original_price": "299.00",
       "landing_url": "https://shop.example.com/p/lj250", "cost": "80.00"}
CUP = {"name": "Tea cup", "sku": "CUP-1", "price": "50.00", "landing_url": "https://shop.example.com/p/cup",
       "commission": {"type": "percent", "value": "20"}}


def patch(owner, path, body):
    return owner.client.patch(path, json=body, headers={"Authorization": f"Bearer {owner.key}"})


def add(owner, product):
    res = owner.post("/api/v1/products", product)
    assert res.status_code == 201, res.json
    return res.json


def count(app, model):
    with database.new_session(app) as s:
        return s.scalar(select(func.count()).select_from(model))


def sale(owner, order, **kw):
    body = {"type": "sale", "order_id": order, "customer": {"external_id": f"c-{order}"}, **kw}
    return owner.post("/api/v1/conversions", body)


def test_create_read_list_and_patch_a_product(owner):
    tea = add(owner, TEA)
    assert tea["price"] == "199.00" and tea["cost"] == "80.00" and tea["currency"] == "CNY"
    assert tea["commission"] is None and tea["archived"] is False
    assert owner.get(f"/api/v1/products/{tea['id']}").json["sku"] == "LJ-250"
    res = patch(owner, f"/api/v1/products/{tea['id']}", {"price": "189.00", "commission": {"type": "fixed", "value": "30"}})
    assert res.status_code == 200, res.json
    assert res.json["price"] == "189.00" and res.json["commission"] == {"type": "fixed", "value": "30"}
    assert [p["id"] for p in owner.get("/api/v1/products").json["items"]] == [tea["id"]]


def test_bad_product_input_is_refused_and_stores_nothing(app, owner):
    for bad, field in [({**TEA, "price": "0"}, "price"), ({**TEA, "price": 19.9}, "price"),
                       ({**TEA, "cost": "300.00"}, "cost"), ({**TEA, "landing_url": "ftp://x"}, "landing_url"),
                       ({**TEA, "sku": "bad sku"}, "sku"),
                       ({**TEA, "commission": {"type": "percent", "value": "120"}}, "commission.value")]:
        res = owner.post("/api/v1/products", bad)
        assert res.status_code == 422, (bad, res.json)
        assert field in res.json["error"]["fields"], res.json
    assert count(app, Product) == 0


def test_a_sku_belongs_to_one_product(owner):
    add(owner, TEA)
    res = owner.post("/api/v1/products", {**TEA, "name": "copy"})
    assert res.status_code == 409 and res.json["error"]["code"] == "duplicate_sku"


def test_the_margin_guard_refuses_a_rule_that_could_overrun_the_margin(app, owner):
    # Price 199.00, cost 80.00: the two levels together may take at most 119.00.
    res = owner.post("/api/v1/products", {**TEA, "commission": {"type": "percent", "value": "60"}})
    assert res.status_code == 422 and res.json["error"]["code"] == "margin_exceeded"
    assert "commission" in res.json["error"]["fields"]
    tea = add(owner, {**TEA, "commission": {"type": "percent", "value": "50"}})
    # A campaign whose invite bonus would push it over is refused, naming its rule.
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "product_ids": [tea["id"]],
                                           "invite_bonus": {"type": "percent", "value": "15"}})
    assert res.status_code == 422 and res.json["error"]["code"] == "margin_exceeded", res.json
    assert any("invite_bonus" in k for k in res.json["error"]["fields"])
    ok = owner.post("/api/v1/campaigns", {**CAMPAIGN, "product_ids": [tea["id"]]})
    assert ok.status_code == 201, ok.json
    # Raising the product's rule later is checked against that campaign's bonus too.
    res = patch(owner, f"/api/v1/products/{tea['id']}", {"commission": {"type": "percent", "value": "59"}})
    assert res.status_code == 422 and res.json["error"]["code"] == "margin_exceeded"


def test_a_campaign_promotes_products_and_takes_the_hero_price_and_landing_url(owner):
    tea, cup = add(owner, TEA), add(owner, CUP)
    body = {k: v for k, v in CAMPAIGN.items() if k not in ("price", "original_price", "landing_url")}
    res = owner.post("/api/v1/campaigns", {**body, "product_ids": [tea["id"], cup["id"]]})
    assert res.status_code == 201, res.json
    assert res.json["product_ids"] == [tea["id"], cup["id"]]
    assert res.json["price"] == "199.00" and res.json["landing_url"] == TEA["landing_url"]
    again = owner.get(f"/api/v1/campaigns/{res.json['id']}").json
    assert again["product_ids"] == [tea["id"], cup["id"]]
    res = patch(owner, f"/api/v1/campaigns/{res.json['id']}", {"product_ids": [cup["id"]]})
    assert res.status_code == 200 and res.json["product_ids"] == [cup["id"]]


def test_a_campaign_without_products_works_as_before(owner, campaign):
    assert campaign["product_ids"] == [] and campaign["price"] == "199.00"
    res = owner.post("/api/v1/campaigns", {k: v for k, v in CAMPAIGN.items() if k != "price"})
    assert res.status_code == 422 and "price" in res.json["error"]["fields"]


def test_a_campaign_cannot_promote_an_unknown_or_archived_product(owner):
    tea = add(owner, TEA)
    assert patch(owner, f"/api/v1/products/{tea['id']}", {"archived": True}).json["archived"] is True
    for ids in ([tea["id"]], [999]):
        res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "product_ids": ids})
        assert res.status_code == 422 and "product_ids" in res.json["error"]["fields"]


def test_sale_lines_pay_each_by_its_products_rule(app, owner, campaign, make_sharer):
    tea, cup = add(owner, TEA), add(owner, CUP)
    leader = make_sharer("大李")
    seller = make_sharer("小林", invited_by=leader["id"])
    res = sale(owner, "L-1", amount="310.00", sharer_id=seller["id"], campaign_id=campaign["id"],
               items=[{"sku": "LJ-250", "quantity": 1, "amount": "199.00"},
                      {"product_id": cup["id"], "quantity": 2, "amount": "100.00"}])
    assert res.status_code == 201, res.json
    # Tea by the campaign's 10% + 2%, cups by their own 20% + the campaign's 2%; shipping (11.00) pays nothing.
    assert [(i["sku"], i["commission"], i["invite_bonus"], i["flag"]) for i in res.json["items"]] == [
        ("LJ-250", "19.90", "3.98", None), ("CUP-1", "20.00", "2.00", None)]
    assert [(c["sharer_id"], c["level"], c["amount"], c["status"]) for c in res.json["commissions"]] == [
        (seller["id"], 1, "39.90", "pending"), (leader["id"], 2, "5.98", "pending")]
    assert res.json["attributed_by"] == "sharer"
    assert count(app, ConversionItem) == 2
    # Once sold, a product cannot be deleted, only archived.
    gone = owner.client.delete(f"/api/v1/products/{tea['id']}", headers={"Authorization": f"Bearer {owner.key}"})
    assert gone.status_code == 409 and gone.json["error"]["code"] == "product_sold"
    assert patch(owner, f"/api/v1/products/{tea['id']}", {"archived": True}).status_code == 200
    assert owner.get("/api/v1/products?archived=true").json["items"][0]["id"] == tea["id"]


def test_a_line_off_the_brand_price_is_flagged_and_its_commissions_held(app, owner, campaign, make_sharer):
    add(owner, TEA)
    seller = make_sharer()
    res = sale(owner, "L-2", amount="150.00", sharer_id=seller["id"], campaign_id=campaign["id"],
               items=[{"sku": "LJ-250", "quantity": 1, "amount": "150.00"}])
    assert res.status_code == 201, res.json
    assert res.json["items"][0]["flag"] == "below_brand_price"
    assert {w["code"] for w in res.json["warnings"]} == {"below_brand_price"}
    assert {c["status"] for c in res.json["commissions"]} == {"held"}
    approve = owner.post("/api/v1/commissions/approve", {})
    assert approve.status_code == 200
    with database.new_session(app) as s:
        assert set(s.scalars(select(Commission.status))) == {"held"}
    held = owner.get("/api/v1/commissions?status=held").json["items"]
    assert [c["status"] for c in held] == ["held"]
    assert owner.post("/api/v1/commissions/release", {"ids": [999]}).status_code == 409
    res = owner.post("/api/v1/commissions/release", {"ids": [held[0]["id"]]})
    assert res.status_code == 200 and res.json["released"] == [held[0]["id"]]
    assert owner.get("/api/v1/commissions?status=pending").json["items"][0]["id"] == held[0]["id"]


def test_a_line_is_never_paid_above_its_margin_ceiling(owner, campaign, make_sharer):
    # Cost 180.00 of 199.00: whatever the campaign's 10% + 2% says, the line may pay at most 19.00 in all.
    add(owner, {**TEA, "cost": "185.00", "sku": "THIN"})
    leader = make_sharer("大李")
    seller = make_sharer("小林", invited_by=leader["id"])
    res = sale(owner, "L-3", amount="199.00", sharer_id=seller["id"], campaign_id=campaign["id"],
               items=[{"sku": "THIN", "quantity": 1, "amount": "199.00"}])
    assert res.status_code == 201, res.json
    line = res.json["items"][0]
    assert (line["commission"], line["invite_bonus"]) == ("14.00", "0.00")


def test_an_unknown_sku_follows_the_campaign_rule_and_is_flagged(owner, campaign, make_sharer):
    seller = make_sharer()
    res = sale(owner, "L-4", amount="100.00", sharer_id=seller["id"], campaign_id=campaign["id"],
               items=[{"sku": "NOT-IN-CATALOGUE", "quantity": 1, "amount": "100.00"}])
    assert res.status_code == 201, res.json
    assert res.json["items"][0]["flag"] == "unknown_sku" and res.json["items"][0]["commission"] == "10.00"
    assert res.json["commissions"][0]["status"] == "pending"


def test_bad_items_are_refused_and_store_nothing(app, owner, campaign, make_sharer):
    add(owner, TEA)
    seller = make_sharer()
    for items, field in [([{"sku": "LJ-250", "quantity": 1, "amount": "300.00"}], "items"),
                         ([{"product_id": 999, "quantity": 1, "amount": "1.00"}], "items.0.product_id"),
                         ([{"sku": "LJ-250", "product_id": 1, "quantity": 1, "amount": "1.00"}], "items.0"),
                         ([{"sku": "LJ-250", "quantity": 0, "amount": "1.00"}], "items.0.quantity"),
                         ([{"sku": "LJ-250", "quantity": 1, "amount": "1.001"}], "items.0.amount")]:
        res = sale(owner, "L-5", amount="199.00", sharer_id=seller["id"], campaign_id=campaign["id"], items=items)
        assert res.status_code == 422, (items, res.json)
        assert field in res.json["error"]["fields"], res.json
    assert count(app, Conversion) == 0 and count(app, ConversionItem) == 0


def test_a_refund_of_a_sale_with_lines_nets_exactly(owner, campaign, make_sharer):
    add(owner, CUP)
    seller = make_sharer()
    sale(owner, "L-6", amount="150.00", sharer_id=seller["id"], campaign_id=campaign["id"],
         items=[{"sku": "CUP-1", "quantity": 3, "amount": "150.00"}])
    for n, amount in enumerate(("33.33", "66.67", "50.00")):
        res = owner.post("/api/v1/conversions", {"type": "refund", "order_id": "L-6", "amount": amount,
                                                 "refund_id": f"r{n}"})
        assert res.status_code == 201, res.json
    earned = owner.get(f"/api/v1/sharers/{seller['id']}/earnings").json
    assert earned["pending"] == "0.00" and earned["reversed"] == "30.00"
