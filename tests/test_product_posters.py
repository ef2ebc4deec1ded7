"""A picked product's own poster: the product's photo, name and brand price, and the QR code of the
seller's link for that product (not the campaign's general link), in the seller's shop and the API."""
from __future__ import annotations

import io
import subprocess

import pytest
import zxingcpp
from conftest import CAMPAIGN, path_of, seller_pages
from PIL import Image
from sqlalchemy import func, select
from test_images import photo_bytes, upload
from test_products import CUP, TEA, add, patch
from test_scheduling import _live
from test_seller_portal import text_of

from catalog.models import Campaign, Product
from plumbing import database
from publishing.models import Render
from publishing.product_posters import product_photos
from publishing.versions import get_version
from referrals.models import Link

SPOON = {"name": "Bamboo spoon", "sku": "SP-1", "price": "12.00", "landing_url": "https://shop.example.com/p/spoon"}


@pytest.fixture
def shop(app, owner):
    """Tea (hero) and cup in a live campaign; the cup has its own uploaded photo; a spoon no campaign shares."""
    tea, cup, spoon = add(owner, TEA), add(owner, CUP), add(owner, SPOON)
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "product_ids": [tea["id"], cup["id"]], "channels": ["weibo"]})
    assert res.status_code == 201, res.json
    campaign = res.json
    photo = upload(owner, campaign["id"], photo_bytes(1200, 1200, seed=40))
    assert photo.status_code == 201, photo.json
    assert patch(owner, f"/api/v1/products/{cup['id']}", {"images": [photo.json["url"]]}).status_code == 200
    _live(app, owner, campaign["id"], "weibo")
    return {"tea": tea, "cup": cup, "spoon": spoon, "campaign": campaign}


@pytest.fixture
def seller(make_sharer):
    return make_sharer("小林", email="lin@example.com")


def decoded(client, url: str, tmp_path) -> tuple[str, str]:
    """What zxing-cpp and zbar read off the image at ``url``."""
    res = client.get(path_of(url))
    assert res.status_code == 200
    image = Image.open(io.BytesIO(res.data))
    [found] = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    path = tmp_path / "poster.png"
    image.save(path)
    done = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(path)],
                          capture_output=True, text=True, timeout=30)
    return found.text, done.stdout.strip()


def renders(app) -> int:
    with database.read_session(app) as s:
        return s.scalar(select(func.count()).select_from(Render))


def test_the_api_gives_a_seller_the_poster_of_their_product_link(app, owner, client, shop, seller, tmp_path):
    base = f"/api/v1/campaigns/{shop['campaign']['id']}/products/{shop['cup']['id']}/poster"
    res = owner.get(base, key=seller["api_key"])
    assert res.status_code == 200, res.json
    body = res.json
    assert (body["campaign_id"], body["product_id"], body["sharer_id"]) == (
        shop["campaign"]["id"], shop["cup"]["id"], seller["id"])
    link = body["link"]
    assert link["product_id"] == shop["cup"]["id"] and link["channel"] is None and "/r/" in link["url"]
    poster = body["poster"]
    assert poster["kind"] == "poster" and poster["qr"] is True and poster["media_type"] == "image/jpeg"
    assert decoded(client, poster["url"], tmp_path) == (link["url"], link["url"])
    # The same link POST /links gives; drawn once: asked again, found in the cache, nothing new drawn.
    made = owner.post("/api/v1/links", {"campaign_id": shop["campaign"]["id"], "sharer_id": seller["id"],
                                        "product_id": shop["cup"]["id"]})
    assert made.status_code == 200 and made.json["id"] == link["id"]
    drawn = renders(app)
    again = owner.get(f"{base}?sharer_id={seller['id']}")  # the owner, naming the seller
    assert again.status_code == 200 and again.json["poster"] == poster and renders(app) == drawn
    # Not the campaign's general poster: another link, another image.
    posts = owner.get(f"/api/v1/campaigns/{shop['campaign']['id']}/posts?sharer_id={seller['id']}").json
    general = [i["url"] for item in posts["items"] for i in item["images"] if i["kind"] == "poster"]
    assert general and poster["url"] not in general
    # The hero product, without a photo of its own, is drawn on the campaign's photos, never on
    # another product's own: here none is left, so a plain panel.
    tea = owner.get(f"/api/v1/campaigns/{shop['campaign']['id']}/products/{shop['tea']['id']}/poster",
                    key=seller["api_key"])
    assert tea.status_code == 200 and tea.json["link"]["id"] != link["id"]
    assert decoded(client, tea.json["poster"]["url"], tmp_path)[0] == tea.json["link"]["url"]
    with app.app_context(), database.read_session(app) as session:
        campaign = session.get(Campaign, shop["campaign"]["id"])
        snapshot = get_version(session, campaign, campaign.content_version).snapshot
        [cup_photo] = snapshot["photos"]
        assert product_photos(session, campaign, session.get(Product, shop["cup"]["id"]), snapshot) == [cup_photo]
        assert product_photos(session, campaign, session.get(Product, shop["tea"]["id"]), snapshot) == []


def test_bad_poster_requests_are_refused_and_change_nothing(app, owner, shop, seller, make_sharer):
    other = make_sharer("小王")
    campaign_id = shop["campaign"]["id"]
    base = f"/api/v1/campaigns/{campaign_id}/products"

    def links() -> int:
        with database.read_session(app) as s:
            return s.scalar(select(func.count()).select_from(Link))

    before = links()
    cases = [
        (owner.get(f"{base}/{shop['cup']['id']}/poster"), 422),  # a marketer must name the sharer
        (owner.get(f"{base}/{shop['cup']['id']}/poster?sharer_id=x"), 422),
        (owner.get(f"{base}/{shop['spoon']['id']}/poster", key=seller["api_key"]), 422),  # not promoted
        (owner.get(f"{base}/{shop['cup']['id']}/poster?sharer_id={other['id']}", key=seller["api_key"]), 403),
        (owner.get(f"/api/v1/campaigns/999999/products/{shop['cup']['id']}/poster", key=seller["api_key"]), 404),
        (owner.get(f"{base}/{shop['cup']['id']}/poster?sharer_id=999999"), 404),
        (owner.get(f"{base}/{shop['cup']['id']}/poster?sharer_id=0"), 422),
    ]
    for res, status in cases:
        assert res.status_code == status, (res.status_code, res.json)
        assert res.json["error"]["code"]
    assert links() == before


def test_the_shop_shows_and_offers_each_picked_products_poster(app, owner, client, shop, seller, make_sharer,
                                                                 tmp_path):
    pages = seller_pages(app, seller["id"])
    res = pages.post("/seller/shop", {"product_id": shop["cup"]["id"], "action": "pick"})
    assert res.status_code == 303
    with database.read_session(app) as s:
        [link] = s.scalars(select(Link).where(Link.sharer_id == seller["id"])).all()
    page = text_of(pages.get("/seller/shop"))
    poster_path = f"/seller/links/{link.id}/poster"
    assert f'src="{poster_path}"' in page and f'href="{poster_path}"' in page and "Save poster" in page
    shown = pages.get(poster_path)
    assert shown.status_code == 302 and "/media/" in shown.headers["Location"]
    url = shown.headers["Location"]
    link_url = f"{app.config['PUBLIC_URL']}/r/{link.code}"
    assert decoded(client, url, tmp_path) == (link_url, link_url)
    detail = text_of(pages.get(f"/seller/links/{link.id}"))
    assert "My poster" in detail and path_of(url) in detail
    # Another seller cannot see it; a campaign link (no product) has no product poster.
    other = make_sharer("小王")
    assert seller_pages(app, other["id"]).get(poster_path).status_code == 404
    general = owner.post("/api/v1/links", {"campaign_id": shop["campaign"]["id"], "sharer_id": seller["id"],
                                           "channel": "weibo"})
    assert pages.get(f"/seller/links/{general.json['id']}/poster").status_code == 404
