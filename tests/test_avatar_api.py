"""The seller's photo through /api/v1 (the seller's own app) under the page's checks, and the files of
replaced, removed or erased photos deleted by a sweep once no poster can be drawn with them."""
from __future__ import annotations

import io
from datetime import timedelta

from conftest import seller_pages
from PIL import Image
from test_avatars import avatar_key, magenta_pixels, phone_photo, poster_of

from accounts.privacy import erase_sharer
from plumbing import database
from plumbing.database import utcnow
from publishing.avatars import GRACE, sweep_retired_avatars
from publishing.publish_jobs import sweep_avatar_files
from publishing.storage import storage
from referrals.models import RetiredAvatar, Sharer


def put_photo(owner, seller, data: bytes, name="me.jpg"):
    return owner.post(f"/api/v1/sharers/{seller['id']}/avatar", key=seller["api_key"],
                      data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def delete_photo(owner, seller, sharer_id=None):
    return owner.client.delete(f"/api/v1/sharers/{sharer_id or seller['id']}/avatar",
                               headers={"Authorization": f"Bearer {seller['api_key']}"})


def photo_of(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 600), colour).save(out, "JPEG")
    return out.getvalue()


def sweep(app, now) -> int:
    with database.new_session(app) as s:
        gone = sweep_retired_avatars(s, storage(app), now)
        s.commit()
    return gone


def retired(app) -> list[str]:
    with database.read_session(app) as s:
        return [r.storage_key for r in s.query(RetiredAvatar).order_by(RetiredAvatar.id)]


def test_a_sellers_app_sets_its_photo_and_the_posters_show_it(app, owner, client, campaign, make_sharer):
    seller = make_sharer("林小红")
    res = put_photo(owner, seller, phone_photo())
    assert res.status_code == 200, res.json
    key = avatar_key(app, seller["id"])
    assert res.json["url"].endswith(f"/media/{key}") and res.json["width"] == 320
    stored = storage(app).read(key)
    assert b"PhoneMaker" not in stored and Image.open(io.BytesIO(stored)).size == (320, 320)
    _, poster = poster_of(owner, client, campaign["id"], seller["id"])
    assert magenta_pixels(poster) > 0

    assert delete_photo(owner, seller).status_code == 204
    assert avatar_key(app, seller["id"]) is None
    assert delete_photo(owner, seller).status_code == 204, "removing no photo is no error"
    _, poster = poster_of(owner, client, campaign["id"], seller["id"])
    assert magenta_pixels(poster) == 0


def test_the_api_refuses_what_the_page_refuses_and_nothing_changes(app, owner, make_sharer):
    seller, other = make_sharer("林小红"), make_sharer("王小明")
    assert put_photo(owner, seller, phone_photo()).status_code == 200
    before = avatar_key(app, seller["id"])
    res = put_photo(owner, seller, b"GIF89a" + b"\0" * 100, "me.gif")
    assert res.status_code == 415, res.json
    res = put_photo(owner, seller, phone_photo()[:200])
    assert res.status_code in (415, 422), res.json
    assert avatar_key(app, seller["id"]) == before
    assert put_photo(owner, {**other, "api_key": seller["api_key"]}, phone_photo()).status_code == 403
    assert delete_photo(owner, seller, other["id"]).status_code == 403
    res = owner.post(f"/api/v1/sharers/{seller['id']}/avatar", data={"file": (io.BytesIO(phone_photo()), "a.jpg")},
                     content_type="multipart/form-data")
    assert res.status_code == 403, "an owner key may not set a seller's face"
    assert owner.post(f"/api/v1/sharers/{seller['id']}/avatar", key=seller["api_key"], json={}).status_code == 422


def test_uploads_are_limited_like_the_pages(app, owner, make_sharer):
    seller = make_sharer("林小红")
    codes = [put_photo(owner, seller, phone_photo(width=300 + i, height=300)).status_code for i in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429


def test_a_replaced_removed_or_erased_photo_and_its_posters_are_deleted_after_the_grace_and_the_sweep_runs_twice(
        app, owner, client, campaign, make_sharer):
    seller = make_sharer("林小红")
    put_photo(owner, seller, phone_photo())
    first = avatar_key(app, seller["id"])
    poster_url, with_face = poster_of(owner, client, campaign["id"], seller["id"])
    assert magenta_pixels(with_face) > 0
    put_photo(owner, seller, photo_of((20, 120, 200)))
    second = avatar_key(app, seller["id"])
    assert retired(app) == [first]

    assert sweep(app, utcnow()) == 0, "within the grace a poster may still be drawn with it"
    assert storage(app).exists(first)
    assert sweep(app, utcnow() + GRACE + timedelta(seconds=1)) == 1
    assert not storage(app).exists(first) and storage(app).exists(second)
    assert retired(app) == []
    assert sweep(app, utcnow() + GRACE + timedelta(seconds=1)) == 0, "a second run finds nothing to do"
    gone_poster = client.get("/" + poster_url.split("/", 3)[3])
    assert gone_poster.status_code == 404, "the poster drawn with the old photo carried the face: it went too"
    again_url, again = poster_of(owner, client, campaign["id"], seller["id"])
    assert again_url != poster_url and magenta_pixels(again) == 0, "asked again, drawn with the photo of now"

    # A photo retired by one seller but used by another (the same bytes) stays.
    twin = make_sharer("王小明")
    put_photo(owner, twin, photo_of((20, 120, 200)))
    assert delete_photo(owner, seller).status_code == 204
    assert sweep(app, utcnow() + GRACE + timedelta(seconds=1)) == 0 and storage(app).exists(second)

    # Erasure retires the photo too; the job deletes it.
    with database.new_session(app) as s:
        erase_sharer(s, s.get(Sharer, twin["id"]))
        s.query(RetiredAvatar).update({"retired_at": utcnow() - GRACE - timedelta(minutes=1)})
        s.commit()
    with app.app_context():
        assert sweep_avatar_files() == 1
        assert sweep_avatar_files() == 0
    assert not storage(app).exists(second)


def test_the_profile_page_retires_the_old_photo_too(app, make_sharer):
    seller = make_sharer("林小红")
    pages = seller_pages(app, seller["id"])
    pages.post("/seller/profile/avatar", {"avatar": (io.BytesIO(phone_photo()), "me.jpg")}, token_from="/seller/profile")
    key = avatar_key(app, seller["id"])
    assert pages.post("/seller/profile/avatar/remove", token_from="/seller/profile").status_code == 303
    assert retired(app) == [key]
