"""Campaigns of several products: feed cards and posters show them as a grid, covers and stories the hero."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image
from test_posts import CHINESE, fetch, make_campaign, posts, qr_texts
from test_products import CUP, add, patch
from test_products import TEA as TEA_PRODUCT
from test_render import SHARER, TEA, inside, product_photo

from catalog.models import Campaign
from channels.content import ProductLine
from plumbing import database
from publishing.render.card import GRID_MAX, grid_cells, render_base
from publishing.render.palette import brand_rgb
from publishing.render.poster import render_poster
from publishing.versions import card_hash, snapshot_of

THREE = (ProductLine("玫瑰面霜 50ml", Decimal("128"), Decimal("168")), ProductLine("洁面乳", Decimal("59")),
         ProductLine("精华液 30ml", Decimal("199")))
SET = replace(TEA, products=THREE)


@pytest.fixture(scope="module")
def photo():
    return product_photo()


def has_colour(image: Image.Image, box, rgb, tolerance=40) -> bool:
    data = image.convert("RGB").crop(box).tobytes()
    return any(sum(abs(data[i + k] - rgb[k]) for k in range(3)) <= tolerance for i in range(0, len(data), 3))


@pytest.mark.parametrize("width,height,role", [(1080, 1080, "feed"), (1080, 1440, "poster"), (1200, 628, "feed"),
                                               (1080, 1350, "feed")])
def test_every_product_gets_a_tile_with_its_name_and_price_inside_the_photo_area(width, height, role, photo):
    result = render_base(SET, photo, width, height, role)
    names = [b for b in result.blocks if b.name == "product"]
    assert ["".join(b.lines) for b in names] == [p.name for p in THREE]
    prices = [b for b in result.blocks if b.name == "price"]
    assert [b.lines[0] for b in prices[:3]] == ["¥128", "¥59", "¥199"] and prices[0].lines[1] == "¥168"
    assert prices[3].lines[0] == "¥128" and len(prices) == 4  # the campaign's own price line, still there
    cells = grid_cells(len(THREE), result.photo_box, 6)
    for block in names + prices[:3]:
        assert inside(block.ink, result.photo_box), block
    for a in range(len(cells)):  # tiles never overlap
        for b in range(a + 1, len(cells)):
            ca, cb = cells[a], cells[b]
            assert ca[2] <= cb[0] or cb[2] <= ca[0] or ca[3] <= cb[1] or cb[3] <= ca[1]
    brand = brand_rgb(TEA.brand_color, [])
    for block in prices[:3]:  # each price is drawn in the brand colour, on the image itself
        assert has_colour(result.image, block.ink, brand), block


def test_covers_and_story_frames_show_the_hero_only(photo):
    for width, height, role in [(1080, 1920, "story"), (1500, 500, "cover")]:
        grid = render_base(SET, photo, width, height, role)
        plain = render_base(TEA, photo, width, height, role)
        assert not [b for b in grid.blocks if b.name == "product"]
        assert grid.image.tobytes() == plain.image.tobytes()


def test_a_single_product_card_is_unchanged_by_the_grid(photo):
    one = replace(TEA, products=THREE[:1])
    assert render_base(one, photo, 1080, 1080).image.tobytes() == render_base(TEA, photo, 1080, 1080).image.tobytes()


def test_more_products_than_tiles_are_counted_on_the_last_tile(photo):
    many = replace(TEA, products=tuple(ProductLine(f"商品 {i}", Decimal(10 + i)) for i in range(6)))
    result = render_base(many, photo, 1080, 1080)
    assert len([b for b in result.blocks if b.name == "product"]) == GRID_MAX
    last = grid_cells(6, result.photo_box, max(6, round(28 * 1.0)))[-1]
    assert has_colour(result.image, last, brand_rgb(TEA.brand_color, []))


def test_a_grid_poster_still_scans_to_the_sharers_link(photo):
    base = render_base(SET, photo, 1080, 1440, "poster")
    poster = render_poster(base.image, SHARER, "长按识别二维码", accent=TEA.brand_color)
    assert [c.text for c in zxingcpp.read_barcodes(poster)] == [SHARER.link]


def test_a_campaign_of_several_products_renders_a_grid_through_the_api(app, owner, client, make_sharer):
    tea, cup = add(owner, TEA_PRODUCT), add(owner, CUP)
    campaign = make_campaign(owner, CHINESE, ["wechat_moments"])
    res = patch(owner, f"/api/v1/campaigns/{campaign['id']}", {"product_ids": [tea["id"]]})
    assert res.status_code == 200
    with database.read_session(app) as s:  # one product: the snapshot (so every hash) is as before products
        assert "products" not in snapshot_of(s, s.get(Campaign, campaign["id"]))
    single = campaign_card_hash(app, campaign["id"])
    res = patch(owner, f"/api/v1/campaigns/{campaign['id']}", {"product_ids": [tea["id"], cup["id"]]})
    assert res.status_code == 200 and res.json["content_version"] > campaign["content_version"]
    assert campaign_card_hash(app, campaign["id"]) != single
    sharer = make_sharer("小林")
    item = posts(owner, campaign["id"], f"?sharer_id={sharer['id']}")["items"][0]
    poster = next(i for i in item["images"] if i["kind"] == "poster")
    image = fetch(client, poster)
    assert image.size == (poster["width"], poster["height"])
    assert qr_texts(image) == [item["link"]]
    # two tiles side by side on a tinted photo area: the hero's photo in the first, the second paper-white
    rgb = image.convert("RGB")
    w, top = rgb.width, round(rgb.height * 0.15)
    assert min(rgb.getpixel((round(w * 0.75), top))) > 240
    assert min(rgb.getpixel((w // 2, top))) < 250  # the gap between them is tinted
    assert min(rgb.getpixel((round(w * 0.25), top))) < 200  # the photo


def campaign_card_hash(app, campaign_id: int) -> str:
    with database.read_session(app) as s:
        return card_hash(snapshot_of(s, s.get(Campaign, campaign_id)))
