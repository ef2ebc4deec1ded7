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
