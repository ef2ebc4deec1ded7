"""A seller's photo on their posters: uploaded from the profile under the same checks as every upload,
stored clean and square, drawn round beside their name, and the posters redrawn when it changes."""
from __future__ import annotations

import io

from conftest import seller_pages
from PIL import Image, ImageChops

from plumbing import database
from publishing.render.card import poster_slots
from publishing.render.poster import avatar_box
from publishing.storage import storage
from referrals.models import Sharer

MAGENTA = (230, 0, 200)  # a colour no card or QR code has: where it shows, the photo is drawn


def phone_photo(width=900, height=1200, fmt="JPEG") -> bytes:
    """A portrait from a phone: EXIF with the maker, the time and a GPS position."""
    image = Image.new("RGB", (width, height), MAGENTA)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0132] = "2026:11:30 09:00:00"
    exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 14.0, 5.0), 3: "E", 4: (121.0, 28.0, 9.0)})
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def upload(pages, data: bytes, name="me.jpg"):
    return pages.post("/seller/profile/avatar", {"avatar": (io.BytesIO(data), name)}, token_from="/seller/profile")


def poster_of(owner, client, campaign_id: int, sharer_id: int, channel="wechat_moments") -> tuple[str, Image.Image]:
    res = owner.get(f"/api/v1/campaigns/{campaign_id}/posts?sharer_id={sharer_id}&channel={channel}")
    assert res.status_code == 200, res.json
    [poster] = [i for i in res.json["items"][0]["images"] if i["kind"] == "poster"]
    path = poster["url"].split("://", 1)[1].split("/", 1)[1]
    return poster["url"], Image.open(io.BytesIO(client.get(f"/{path}").data)).convert("RGB")


def magenta_pixels(image: Image.Image) -> int:
    r, g, b = image.split()
    mask = ImageChops.multiply(ImageChops.multiply(r.point(lambda v: 255 if v > 200 else 0),
                                                   g.point(lambda v: 255 if v < 40 else 0)),
                               b.point(lambda v: 255 if v > 170 else 0))
    return mask.histogram()[255]


def avatar_key(app, sharer_id: int) -> str | None:
    with database.read_session(app) as s:
        return s.get(Sharer, sharer_id).avatar_key


def test_a_seller_adds_a_photo_and_their_posters_show_it_beside_their_name(app, owner, client, campaign,
                                                                            make_sharer):
    seller = make_sharer("林小红")
    pages = seller_pages(app, seller["id"])
    before_url, before = poster_of(owner, client, campaign["id"], seller["id"])
    assert magenta_pixels(before) == 0

    res = upload(pages, phone_photo())
    assert res.status_code == 303 and res.headers["Location"].endswith("/seller/profile#name-heading")
    key = avatar_key(app, seller["id"])
    stored = storage(app).read(key)
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (320, 320)
    assert not image.getexif() and b"PhoneMaker" not in stored and b"Exif" not in stored
    assert f"/media/{key}" in pages.get("/seller/profile").text

    after_url, after = poster_of(owner, client, campaign["id"], seller["id"])
    assert after_url != before_url, "a new photo is a new poster, not the cached one"
    drawn = magenta_pixels(after)
    x0, y0, x1, y1 = avatar_box(poster_slots(after.width, after.height))
    side = x1 - x0
    assert magenta_pixels(after.crop((x0, y0, x1, y1))) == drawn, "the photo is only in its place"
    # A disc, not its square: about pi/4 of the square is photo.
    assert 0.70 * side * side < drawn < 0.86 * side * side

    pages.post("/seller/profile", {"display_name": "小红老师"})
    renamed_url, _ = poster_of(owner, client, campaign["id"], seller["id"])
    assert renamed_url not in (after_url, before_url)

    res = pages.post("/seller/profile/avatar/remove", {}, token_from="/seller/profile")
    assert res.status_code == 303 and avatar_key(app, seller["id"]) is None
    plain_url, plain = poster_of(owner, client, campaign["id"], seller["id"])
    assert magenta_pixels(plain) == 0 and plain_url != renamed_url


def test_a_buyer_without_a_chosen_name_shows_no_photo_either(app, owner, client, campaign, make_sharer):
    from test_share_page import buy

    seller = make_sharer("小林")
    link = owner.post("/api/v1/links", {"campaign_id": campaign["id"], "sharer_id": seller["id"]}).json
    buyer_id = buy(owner, link["code"])["customer_sharer"]["id"]
    with database.new_session(app) as s:
        s.get(Sharer, buyer_id).avatar_key = _stored_avatar(app)
        s.commit()
    _, poster = poster_of(owner, client, campaign["id"], buyer_id)
    assert magenta_pixels(poster) == 0, "'a friend' has no face: a photo would say who they are"
    profile = seller_pages(app, buyer_id).get("/seller/profile").text
    assert "Your photo shows on your posters once you save a name to show with it." in profile
    assert "once you save a name" not in seller_pages(app, seller["id"]).get("/seller/profile").text


def _stored_avatar(app) -> str:
    from publishing.avatars import avatar_square
    from publishing.render.encoding import encode_jpeg

    return storage(app).put(encode_jpeg(avatar_square(Image.new("RGB", (400, 400), MAGENTA))), "image/jpeg")


def test_refused_photos_change_nothing_and_say_why(app, make_sharer):
    seller = make_sharer("林小红")
    pages = seller_pages(app, seller["id"])
    assert upload(pages, phone_photo()).status_code == 303
    kept = avatar_key(app, seller["id"])

    gif = io.BytesIO()
    Image.new("RGB", (64, 64), MAGENTA).save(gif, "GIF")
    res = upload(pages, gif.getvalue(), "me.gif")
    assert res.status_code == 415 and "This is not a PNG, JPEG or WebP image." in res.text

    bomb = io.BytesIO()  # 25 megapixels of one colour: a few KB of PNG
    Image.new("L", (5000, 5000), 0).save(bomb, "PNG")
    res = upload(pages, bomb.getvalue(), "me.png")
    assert res.status_code == 422 and "too many pixels" in res.text

    res = upload(pages, b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "me.png")
    assert res.status_code in (415, 422)

    res = pages.post("/seller/profile/avatar", {}, token_from="/seller/profile")
    assert res.status_code == 422 and "Choose an image file." in res.text
    assert avatar_key(app, seller["id"]) == kept


def test_erasure_removes_the_photo_from_future_posters(app, make_sharer):
    seller = make_sharer("林小红")
    pages = seller_pages(app, seller["id"])
    assert upload(pages, phone_photo(fmt="PNG"), "me.png").status_code == 303
    assert avatar_key(app, seller["id"])
    pages.post("/seller/profile/erase", {"confirm": "DELETE"}, token_from="/seller/profile")
    assert avatar_key(app, seller["id"]) is None
