"""The seller's customers and grade page: their own customers only, masked; the grade, the next one and the history."""
from __future__ import annotations

import re

import pytest
from conftest import seller_pages
from test_binding import BUYER, at, put
from test_binding import sale as bound_sale
from test_grades import GOLD, SILVER
from test_grades import sale as graded_sale
from test_seller_portal import text_of


@pytest.fixture
def seller_a(app, make_sharer):
    sharer = make_sharer("小林", email="lin@example.com")
    return sharer, seller_pages(app, sharer["id"])


def test_customers_show_masked_contacts_orders_and_the_repeat_rate(owner, campaign, seller_a, make_sharer, make_link):
    sharer, pages = seller_a
    put(owner, {"binding": {"mode": "days", "days": 30}})
    link = make_link(campaign["id"], sharer["id"])
    assert bound_sale(owner, "C-1", BUYER, code=link["code"], occurred_at=at(-20)).status_code == 201
    again = bound_sale(owner, "C-2", {"external_id": "other-id", "email": "lin@buyer.example"}, occurred_at=at(-5))
    assert again.json.get("attributed_by") == "binding", again.json
    other = make_link(campaign["id"], make_sharer("小王")["id"])
    bound_sale(owner, "C-3", {"external_id": "someone-else", "email": "zhang@else.example"}, code=other["code"])
    res = pages.get("/seller/customers")
    assert res.status_code == 200
    page = text_of(res)
    assert "+86138****8000" in page and "13800138000" not in page and "lin@buyer" not in page
    assert "z***@else.example" not in page  # another seller's customer
    assert "CN¥200.00" in page and "Orders: 2" in page and "Yours until" in page
    assert re.search(r"Customers</div><div class=\"value\">1<", page)
    assert re.search(r"Repeat rate</div><div class=\"value\">100%<", page)


def test_without_customers_the_page_says_how_they_come(seller_a):
    _, pages = seller_a
    page = text_of(pages.get("/seller/customers"))
    assert "No customers yet." in page and "My grade" not in page  # no grades in this programme


def test_the_grade_its_rates_the_next_one_and_the_history(owner, campaign, seller_a):
    sharer, pages = seller_a
    assert owner.post("/api/v1/grades", SILVER).status_code == 201
    assert owner.post("/api/v1/grades", GOLD).status_code == 201
    page = text_of(pages.get("/seller/customers"))
    assert "You have no grade yet" in page and "Next: 银牌" in page and "CN¥300.00 of your own sales" in page
    for order in ("G-1", "G-2"):
        assert graded_sale(owner, order, sharer["id"], campaign["id"]).status_code == 201
    assert owner.post("/api/v1/grades/evaluate").json["changes"][0]["sharer_id"] == sharer["id"]
    page = text_of(pages.get("/seller/customers"))
    assert "银牌" in page and "Your commission: 15%. On sales of friends you invited: 3%." in page
    assert "Next: 金牌" in page and "So far: CN¥400.00 and 2 orders; CN¥600.00 and 0 orders to go." in page
    assert "no grade → 银牌" in page


@pytest.mark.parametrize("cursor", ["x", "a" * 500])
def test_a_bad_customers_cursor_is_a_422_page(seller_a, cursor):
    _, pages = seller_a
    res = pages.get(f"/seller/customers?cursor={cursor}")
    assert res.status_code == 422 and "start again from the first page" in res.text


def test_the_page_needs_a_signed_in_seller(client):
    res = client.get("/seller/customers")
    assert res.status_code in (302, 303, 401)


def test_a_sale_rejected_in_review_leaves_the_customers_binding(owner, campaign, seller_a, make_link):
    """Its order and net sales come off (a refund after it takes nothing off twice); a binding that
    only a rejected sale made ends, and the customer is the seller's no more."""
    sharer, pages = seller_a
    put(owner, {"binding": {"mode": "days", "days": 30}})
    code = make_link(campaign["id"], sharer["id"])["code"]
    assert bound_sale(owner, "B-1", BUYER, code=code, occurred_at=at(-3)).status_code == 201
    held = bound_sale(owner, "B-2", {**BUYER, "email": "lin@mailinator.com"}, code=code, occurred_at=at(-2))
    stranger = bound_sale(owner, "B-3", {"external_id": "fraud-1", "email": "f@mailinator.com"}, code=code,
                          occurred_at=at(-1))
    assert held.json["review"] and stranger.json["review"]
    page = text_of(pages.get("/seller/customers"))
    assert "CN¥200.00" in page and "Orders: 2" in page
    assert re.search(r"Customers</div><div class=\"value\">2<", page)
    for res in (held, stranger):
        rejected = owner.post(f"/api/v1/risk/reviews/{res.json['review']['id']}/reject", {"reason": "刷单"})
        assert rejected.status_code == 200
    assert owner.post("/api/v1/conversions", {"type": "refund", "order_id": "B-2", "amount": "100.00"}).status_code == 201
    page = text_of(pages.get("/seller/customers"))
    assert "CN¥100.00" in page and "Orders: 1" in page and "CN¥0.00" not in page
    assert re.search(r"Customers</div><div class=\"value\">1<", page) and "f***@mailinator.com" not in page
