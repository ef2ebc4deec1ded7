"""The seller's shop (选品): pick products a live campaign shares, get the link and poster for each, remove them."""
from __future__ import annotations

import pytest
from conftest import CAMPAIGN, seller_pages
from sqlalchemy import func, select
from test_products import CUP, TEA, add, patch
from test_scheduling import _live
from test_seller_portal import text_of

from plumbing import database
from publishing.models import SellerPick
from referrals.models import Link

SPOON = {"name": "Bamboo spoon", "sku": "SP-1", "price": "12.00", "landing_url": "https://shop.example.com/p/spoon"}


@pytest.fixture
def seller_a(app, make_sharer):
    sharer = make_sharer("小林", email="lin@example.com")
    return sharer, seller_pages(app, sharer["id"])


@pytest.fixture
def shop(app, owner):
    """Tea and cup in a live campaign; a spoon in the catalogue that no campaign shares."""
    tea, cup, spoon = add(owner, TEA), add(owner, CUP), add(owner, SPOON)
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "product_ids": [tea["id"], cup["id"]], "channels": ["weibo"]})
    assert res.status_code == 201, res.json
    _live(app, owner, res.json["id"], "weibo")
    return {"tea": tea, "cup": cup, "spoon": spoon, "campaign": res.json}


def picks(app, sharer_id) -> list[int]:
    with database.read_session(app) as s:
        return sorted(s.scalars(select(SellerPick.product_id).where(SellerPick.sharer_id == sharer_id)))


def test_a_seller_picks_a_product_and_gets_their_link_and_poster(app, owner, shop, seller_a):
    sharer, pages = seller_a
    page = text_of(pages.get("/seller/shop"))
    assert "明前龙井 250g" in page and "Tea cup" in page and "Bamboo spoon" not in page  # only what is shared now
    assert "Nothing picked yet" in page
    res = pages.post("/seller/shop", {"product_id": shop["tea"]["id"], "action": "pick"})
    assert res.status_code == 303
    with database.read_session(app) as s:
        [link] = s.scalars(select(Link).where(Link.sharer_id == sharer["id"])).all()
    assert (link.campaign_id, link.channel, link.product_id) == (shop["campaign"]["id"], "", shop["tea"]["id"])
    assert res.headers["Location"] == f"/seller/links/{link.id}"
    detail = text_of(pages.get(res.headers["Location"]))
    assert "Added to your shop" in detail and f"/r/{link.code}" in detail
    assert "明前龙井 250g" in detail and f"Shared through {CAMPAIGN['title']}" in detail
    assert picks(app, sharer["id"]) == [shop["tea"]["id"]]
    page = text_of(pages.get("/seller/shop"))
    mine, offer = page.split("Products to pick")
    assert "明前龙井 250g" in mine and "Tea cup" not in mine and "Tea cup" in offer
    assert f'href="/seller/links/{link.id}"' in mine and f"Shared through {CAMPAIGN['title']}" in mine
    # Picking again makes no second link; a second product of the same campaign gets its own.
    again = pages.post("/seller/shop", {"product_id": shop["tea"]["id"], "action": "pick"}, token_from="/seller/shop")
    assert again.headers["Location"] == f"/seller/links/{link.id}"
    cup = pages.post("/seller/shop", {"product_id": shop["cup"]["id"], "action": "pick"}, token_from="/seller/shop")
    assert cup.headers["Location"] != f"/seller/links/{link.id}"
    assert picks(app, sharer["id"]) == sorted([shop["tea"]["id"], shop["cup"]["id"]])
    page = text_of(pages.get("/seller/shop"))
    assert f'href="{cup.headers["Location"]}"' in page and f'href="/seller/links/{link.id}"' in page
    # The product links are the shop's, not among the campaign's links per channel.
    assert f"/r/{link.code}" not in text_of(pages.get("/seller/links"))


def test_a_product_link_lands_on_that_products_page_and_credits_the_seller(app, owner, client, shop, seller_a):
    sharer, pages = seller_a
    pages.post("/seller/shop", {"product_id": shop["cup"]["id"], "action": "pick"})
    with database.read_session(app) as s:
        [link] = s.scalars(select(Link).where(Link.sharer_id == sharer["id"])).all()
    res = client.get(f"/r/{link.code}", headers={"User-Agent": "Mozilla/5.0 (iPhone) Mobile Safari"})
    # The cup's own page, not the campaign's hero (the tea).
    assert res.status_code == 302 and res.headers["Location"].startswith(CUP["landing_url"] + "?sc_click="), \
        res.headers["Location"]
    click_id = res.headers["Location"].split("sc_click=")[1]
    sale = owner.post("/api/v1/conversions", {"type": "sale", "order_id": "cup-1", "amount": "50.00",
                                              "click_id": click_id, "customer": {"external_id": "b1"},
                                              "items": [{"product_id": shop["cup"]["id"], "quantity": 1,
                                                         "amount": "50.00"}]})
    assert sale.status_code == 201 and sale.json["sharer_id"] == sharer["id"], sale.json
    assert sale.json["campaign_id"] == shop["campaign"]["id"] and sale.json["attributed_by"] == "click"


def test_the_api_makes_a_product_link_only_for_a_product_the_campaign_promotes(app, owner, shop, make_sharer):
    seller = make_sharer("王")
    body = {"campaign_id": shop["campaign"]["id"], "sharer_id": seller["id"]}
    general = owner.post("/api/v1/links", body)
    own = owner.post("/api/v1/links", {**body, "product_id": shop["cup"]["id"]})
    assert general.status_code == own.status_code == 201, own.json
    assert general.json["product_id"] is None and own.json["product_id"] == shop["cup"]["id"]
    assert own.json["code"] != general.json["code"]
    again = owner.post("/api/v1/links", {**body, "product_id": shop["cup"]["id"]})
    assert again.status_code == 200 and again.json["id"] == own.json["id"]
    for bad in (shop["spoon"]["id"], 999999):
        res = owner.post("/api/v1/links", {**body, "product_id": bad})
        assert res.status_code == 422 and "product_id" in res.json["error"]["fields"], res.json
    assert patch(owner, f"/api/v1/products/{shop['tea']['id']}", {"archived": True}).status_code == 200
    res = owner.post("/api/v1/links", {**body, "product_id": shop["tea"]["id"]})
    assert res.status_code == 422
    bulk = owner.post("/api/v1/links/bulk", {"links": [{**body, "product_id": shop["cup"]["id"]},
                                                       {**body, "product_id": shop["spoon"]["id"]}]})
    assert [r["status"] for r in bulk.json["items"]] == ["existing", "failed"]
    with database.read_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Link).where(Link.sharer_id == seller["id"])) == 2


def test_removing_a_product_keeps_the_link(app, owner, shop, seller_a):
    sharer, pages = seller_a
    pages.post("/seller/shop", {"product_id": shop["tea"]["id"], "action": "pick"})
    res = pages.post("/seller/shop", {"product_id": shop["tea"]["id"], "action": "remove"}, token_from="/seller/shop")
    assert res.status_code == 303 and picks(app, sharer["id"]) == []
    with database.read_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Link).where(Link.sharer_id == sharer["id"])) == 1


def test_an_archived_product_stays_picked_but_is_not_shareable(app, owner, shop, seller_a):
    sharer, pages = seller_a
    pages.post("/seller/shop", {"product_id": shop["cup"]["id"], "action": "pick"})
    assert patch(owner, f"/api/v1/products/{shop['cup']['id']}", {"archived": True}).json["archived"] is True
    page = text_of(pages.get("/seller/shop"))
    assert "Tea cup" in page and "No campaign shares this product now." in page


@pytest.mark.parametrize("field", ["spoon", "other", "bad", "missing", "action"])
def test_bad_picks_are_refused_and_store_nothing(app, owner, shop, seller_a, field):
    sharer, pages = seller_a
    data, status = {
        "spoon": ({"product_id": shop["spoon"]["id"], "action": "pick"}, 422),  # no live campaign shares it
        "other": ({"product_id": 999999, "action": "pick"}, 404),
        "bad": ({"product_id": "x1", "action": "pick"}, 422),
        "missing": ({"action": "pick"}, 422),
        "action": ({"product_id": shop["tea"]["id"], "action": "delete-all"}, 422),
    }[field]
    res = pages.post("/seller/shop", data, token_from="/seller/shop")
    assert res.status_code == status
    assert picks(app, sharer["id"]) == []
    with database.read_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Link)) == 0


def test_the_shop_needs_a_signed_in_seller(client):
    assert client.get("/seller/shop").status_code in (302, 303, 401)
