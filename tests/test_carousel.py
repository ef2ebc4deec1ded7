"""Every product photo, not only the first: channels that take several images get the other photos as a
carousel (Moments' nine-grid, Xiaohongshu, Instagram), cropped to one aspect, up to the channel's limit."""
from __future__ import annotations

import io

from conftest import path_of
from PIL import Image
from test_images import upload

from channels import REGISTRY
from publishing.renders import plan_slots

COLOURS = [(200, 30, 30), (30, 160, 60), (40, 60, 200), (230, 180, 20)]


def solid(colour, width=1600, height=1200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG", quality=95)
    return out.getvalue()


def test_a_channel_that_takes_several_images_gets_the_other_photos_up_to_its_limit():
    moments = plan_slots(REGISTRY["wechat_moments"].spec, True, (4000, 3000), more_photos=12)
    assert len(moments) == 9 and [s.role for s in moments[:2]] == ["feed", "poster"]
    assert [(s.photo, s.width, s.height) for s in moments[2:]] == [(n, 1080, 1080) for n in range(1, 8)]

    red_note = plan_slots(REGISTRY["xiaohongshu"].spec, True, (4000, 3000), more_photos=3)
    assert red_note[0].role == "feed" and not red_note[0].poster, "the first picture carries no QR code"
    assert [(s.role, s.photo, s.width, s.height) for s in red_note if s.role == "photo"] == [
        ("photo", n, 1080, 1440) for n in (1, 2, 3)], "one aspect across the carousel"

    assert not [s for s in plan_slots(REGISTRY["douyin"].spec, True, (4000, 3000), 5) if s.role == "photo"]
    assert not [s for s in plan_slots(REGISTRY["email"].spec, True, (4000, 3000), 5) if s.role == "photo"]
    assert plan_slots(REGISTRY["instagram"].spec, False, (4000, 3000), 0) == plan_slots(
        REGISTRY["instagram"].spec, False, (4000, 3000)), "one photo: the post is as it was"


def test_posts_carry_each_product_photo_once_cropped_to_the_channel_size(owner, client, campaign):
    for colour in COLOURS[:3]:
        assert upload(owner, campaign["id"], solid(colour)).status_code == 201
    res = owner.get(f"/api/v1/campaigns/{campaign['id']}/posts?channel=wechat_moments")
    images = res.json["items"][0]["images"]
    photos = [i for i in images if i["kind"] == "photo"]
    assert [i["kind"] for i in images[:2]] == ["card", "poster"] and len(photos) == 2
    for image, colour in zip(photos, COLOURS[1:3]):
        assert (image["width"], image["height"]) == (1080, 1080) and image["qr"] is False
        drawn = Image.open(io.BytesIO(client.get(path_of(image["url"])).data)).convert("RGB")
        assert drawn.size == (1080, 1080)
        assert all(abs(a - b) <= 6 for a, b in zip(drawn.getpixel((540, 540)), colour))

    # A new title redraws the cards but not the photos: they show nothing else.
    assert owner.client.patch(f"/api/v1/campaigns/{campaign['id']}", headers=owner._headers(None),
                              json={"title": "新茶到了"}).status_code == 200
    again = owner.get(f"/api/v1/campaigns/{campaign['id']}/posts?channel=wechat_moments").json["items"][0]["images"]
    assert [i["url"] for i in again if i["kind"] == "photo"] == [i["url"] for i in photos]
    assert again[0]["url"] != images[0]["url"]
