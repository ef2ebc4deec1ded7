"""POST /api/v1/links and the link's QR code."""
from __future__ import annotations

import io

import zxingcpp
from conftest import path_of
from PIL import Image


def test_link_is_idempotent_per_campaign_sharer_and_channel(owner, campaign, make_sharer):
    sharer = make_sharer()
    body = {"campaign_id": campaign["id"], "sharer_id": sharer["id"], "channel": "weibo"}
    first, again = owner.post("/api/v1/links", body), owner.post("/api/v1/links", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json == again.json
    assert first.json["url"] == f"http://sharecast.test/r/{first.json['code']}"
    other = owner.post("/api/v1/links", {**body, "channel": "x"})
    none = owner.post("/api/v1/links", {**body, "channel": None})
    assert len({first.json["code"], other.json["code"], none.json["code"]}) == 3
    assert none.json["channel"] is None


def test_codes_are_short_random_and_distinct(owner, campaign, make_sharer):
    codes = {owner.post("/api/v1/links", {"campaign_id": campaign["id"], "sharer_id": make_sharer(f"s{i}")["id"]}).json["code"]
             for i in range(20)}
    assert len(codes) == 20 and all(len(c) == 8 and c.isalnum() for c in codes)


def test_link_for_a_channel_the_campaign_does_not_use_is_422(owner, campaign, make_sharer):
    res = owner.post("/api/v1/links", {"campaign_id": campaign["id"], "sharer_id": make_sharer()["id"],
                                       "channel": "instagram"})
    assert res.status_code == 422 and "channel" in res.json["error"]["fields"]


def test_link_to_unknown_campaign_or_sharer_is_404(owner, campaign, make_sharer):
    assert owner.post("/api/v1/links", {"campaign_id": 9999, "sharer_id": make_sharer()["id"]}).status_code == 404
    assert owner.post("/api/v1/links", {"campaign_id": campaign["id"], "sharer_id": 9999}).status_code == 404
    assert owner.post("/api/v1/links", {"campaign_id": "1", "sharer_id": 1}).status_code == 422


def test_qr_png_decodes_to_the_link(client, owner, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer()["id"])
    res = client.get(path_of(link["qr_url"]))
    assert res.status_code == 200 and res.content_type == "image/png"
    assert "immutable" in res.headers["Cache-Control"]
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(res.data)))
    assert [d.text for d in decoded] == [link["url"]]
    assert client.get("/q/nosuchcode.png").status_code == 404


def test_link_pages_for_a_code_that_cannot_exist_are_404(client, owner, campaign, make_sharer, make_link):
    make_link(campaign["id"], make_sharer()["id"])
    for code in ("%00", "a%00b", "a" * 17, "a-b", "%E9%BE%99"):
        for path in (f"/q/{code}.png", f"/s/{code}"):
            res = client.get(path)
            assert res.status_code == 404, (path, res.status_code)
