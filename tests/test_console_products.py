"""The catalogue in the console: list, add (with the margin guard), archive and restore."""
from __future__ import annotations

import re
from html import unescape


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


FORM = {"name": "明前龙井 250g", "sku": "LJ-250", "price": "199.00", "original_price": "", "cost": "80.00",
        "landing_url": "https://shop.example.com/p/lj250", "commission_type": "percent", "commission_value": "15"}


def test_a_marketer_adds_a_product_and_sees_it_listed(console, owner):
    res = console.post("/console/products/new", FORM)
    assert res.status_code == 303, res.text
    page = text_of(console.get("/console/products").text)
    assert "明前龙井 250g" in page and "LJ-250" in page and "199.00 CNY" in page and "15%" in page
    assert owner.get("/api/v1/products").json["items"][0]["commission"] == {"type": "percent", "value": "15"}


def test_a_bad_product_reshows_the_form_with_its_errors(console, owner):
    res = console.post("/console/products/new", {**FORM, "price": "abc"})
    assert res.status_code == 422 and 'aria-invalid="true"' in res.text
    # The margin guard: 70% of 199.00 leaves less than nothing of a 119.00 margin.
    res = console.post("/console/products/new", {**FORM, "commission_value": "70"})
    assert res.status_code == 422 and "margin ceiling" in text_of(res.text)
    assert owner.get("/api/v1/products").json["items"] == []


def test_archive_and_restore_a_product(console, owner):
    product = owner.post("/api/v1/products", {k: v for k, v in FORM.items()
                                              if k in ("name", "sku", "price", "landing_url")}).json
    res = console.post(f"/console/products/{product['id']}/archive", {}, token_from="/console/products")
    assert res.status_code == 303
    assert "No products yet" in text_of(console.get("/console/products").text)
    assert "明前龙井" in text_of(console.get("/console/products?archived=1").text)
    assert owner.get(f"/api/v1/products/{product['id']}").json["archived"] is True
    console.post(f"/console/products/{product['id']}/archive", {"restore": "1"}, token_from="/console/products")
    assert owner.get(f"/api/v1/products/{product['id']}").json["archived"] is False


def test_another_workspaces_product_is_not_found(console, owner, app):
    from conftest import Api, run_cli
    other = Api(owner.client, run_cli(app, "workspace", "create", "--name", "B")["api_key"])
    theirs = other.post("/api/v1/products", {"name": "x", "price": "1.00",
                                             "landing_url": "https://b.example.com/x"}).json
    res = console.post(f"/console/products/{theirs['id']}/archive", {}, token_from="/console/products")
    assert res.status_code == 404


def test_an_owner_changes_the_programme_in_the_console(console, owner):
    page = console.get("/console/programme")
    assert page.status_code == 200 and "/join/acme-tea" in page.text
    res = console.post("/console/programme", {"holding_days": "10", "min_payout": "20.00", "binding_mode": "days",
                                              "binding_days": "15", "takeover": "y", "enrollment": "approval"})
    assert res.status_code == 303, res.text
    assert owner.get("/api/v1/program").json == {
        "holding_days": 10, "currency": "CNY", "min_payout": "20.00", "enrollment": "approval",
        "binding": {"mode": "days", "days": 15, "takeover": True}, "margin_ceiling": "100",
        "repeat": {"commission": None, "months": None}}
    bad = console.post("/console/programme", {"holding_days": "10", "min_payout": "2.001", "binding_mode": "days",
                                              "binding_days": "15", "enrollment": "open"})
    assert bad.status_code == 422 and owner.get("/api/v1/program").json["enrollment"] == "approval"


def test_the_services_refusals_are_said_in_the_consoles_language(app, console, owner):
    """The console says the catalogue's and margin guard's refusals in Chinese; the API keeps its codes
    and English messages."""
    console.get("/lang/zh_CN")
    res = console.post("/console/products/new", {**FORM, "commission_value": "70"})
    page = text_of(res.text)
    assert res.status_code == 422
    assert "按品牌价成交时，产品的佣金将支付 139.30，超过毛利上限 119.00。" in page, page
    assert "将支付 139.30；毛利最多允许 119.00。" in page and "margin ceiling" not in page
    assert console.post("/console/products/new", FORM).status_code == 303
    taken = text_of(console.post("/console/products/new", {**FORM, "name": "另一款"}).text)
    assert "已有其他产品使用 SKU LJ-250。" in taken and "already has" not in taken
    # The API is unchanged: machine codes and English.
    api = owner.post("/api/v1/products", {**{k: v for k, v in FORM.items() if v and not k.startswith("commission")},
                                          "sku": "LJ-500", "commission": {"type": "percent", "value": "70"}})
    assert api.status_code == 422 and api.json["error"]["code"] == "margin_exceeded"
    assert api.json["error"]["message"].startswith("The commission rule would pay 139.30")
    bad = console.post("/console/programme", {"holding_days": "10", "min_payout": "2.001", "binding_mode": "days",
                                              "binding_days": "15", "enrollment": "open"})
    assert bad.status_code == 422 and "decimal places" not in text_of(bad.text)


def test_service_messages_of_refunds_and_rates_in_chinese(app):
    from web.console.campaign_messages import explain

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert explain("at most 12.50 is left of this line") == "该商品行最多还剩 12.50。"
        assert explain("at most 1 left of this line") == "该商品行最多还剩 1 件。"
        assert explain("The refunds would exceed the sale.") == "退款总额将超过订单金额。"
        assert explain("The campaign 7 invite_bonus rule would pay 30.00 on a sale at the brand's price, above the "
                       "margin ceiling of 20.00.") == "按品牌价成交时，活动 7 的邀请奖励将支付 30.00，超过毛利上限 20.00。"
        assert explain("The grade's commission would pay 90.00 on product 3 at the brand's price, above its margin "
                       "ceiling of 80.00.") == "按品牌价成交时，等级的佣金在产品 3 上将支付 90.00，超过其毛利上限 80.00。"
        assert explain("exceeds the margin ceiling of product 3") == "超过产品 3 的毛利上限。"
        assert explain("something new") == "something new"  # unknown: as the service wrote it
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert explain("at most 12.50 is left of this line") == "At most 12.50 is left of this line."
