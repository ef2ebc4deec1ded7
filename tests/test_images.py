"""Uploading product images and logos; storing and serving media content-addressed."""
from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pytest
from conftest import Api, path_of, run_cli
from PIL import Image, ImageDraw


def photo_bytes(width: int = 1600, height: int = 1200, fmt: str = "JPEG", seed: int = 0) -> bytes:
    """A product-like photo: a soft backdrop with a dark 'product' in the middle."""
    image = Image.new("RGB", (width, height), (214 - seed, 226, 205))
    draw = ImageDraw.Draw(image)
    side = min(width, height) // 2
    left, top = (width - side) // 2, (height - side) // 2
    draw.ellipse((left, top, left + side, top + side), fill=(60, 110, 70))
    draw.rectangle((left + side // 3, top + side // 3, left + 2 * side // 3, top + 2 * side // 3), fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A few hundred bytes whose PNG header claims ``width`` x ``height`` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def upload(api: Api, campaign_id: int, data: bytes, name: str = "photo.jpg", role: str | None = None, key=None):
    form = {"file": (io.BytesIO(data), name)}
    if role:
        form["role"] = role
    return api.post(f"/api/v1/campaigns/{campaign_id}/images", key=key, data=form, content_type="multipart/form-data")


def campaign_row(owner: Api, campaign_id: int) -> dict:
    res = owner.get(f"/api/v1/campaigns/{campaign_id}")
    assert res.status_code == 200, res.json
    return res.json


@pytest.mark.parametrize("fmt,name", [("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp")])
def test_png_jpeg_and_webp_uploads_answer_201_with_their_size(owner, campaign, fmt, name):
    res = upload(owner, campaign["id"], photo_bytes(1200, 900, fmt), name)
    assert res.status_code == 201, res.json
    body = res.json
    assert (body["width"], body["height"]) == (1200, 900)
    assert isinstance(body["id"], int) and body["url"].startswith("http://sharecast.test/media/")
    assert [i["id"] for i in campaign_row(owner, campaign["id"])["images"]] == [body["id"]]


def test_uploaded_image_is_served_with_immutable_cache_headers_and_an_etag(owner, campaign, client):
    body = upload(owner, campaign["id"], photo_bytes()).json
    res = client.get(path_of(body["url"]))
    assert res.status_code == 200
    assert res.headers["Content-Type"] == "image/jpeg"
    assert "immutable" in res.headers["Cache-Control"] and "max-age=31536000" in res.headers["Cache-Control"]
    digest = hashlib.sha256(res.data).hexdigest()
    assert res.headers["ETag"] == f'"{digest}"' and digest in body["url"]
    again = client.get(path_of(body["url"]), headers={"If-None-Match": res.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert Image.open(io.BytesIO(res.data)).size == (1600, 1200)


def test_the_same_bytes_are_stored_once_under_their_sha256(owner, campaign, app):
    data = photo_bytes(seed=3)
    first = upload(owner, campaign["id"], data).json
    second = upload(owner, campaign["id"], data).json
    assert first["id"] != second["id"] and first["url"] == second["url"]
    key = first["url"].split("/media/")[1]
    stored = Path(app.instance_path) / "media" / key
    assert stored.is_file()
    assert key == f"{key[:2]}/{hashlib.sha256(stored.read_bytes()).hexdigest()}.jpg"


def test_uploads_are_stripped_of_exif_and_turned_upright(owner, campaign, client):
    image = Image.open(io.BytesIO(photo_bytes(400, 200)))
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90°
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    body = upload(owner, campaign["id"], buffer.getvalue()).json
    assert (body["width"], body["height"]) == (200, 400)
    served = Image.open(io.BytesIO(client.get(path_of(body["url"])).data))
    assert served.size == (200, 400) and not served.getexif()


def test_a_decompression_bomb_is_refused_and_nothing_changes(owner, campaign):
    before = campaign_row(owner, campaign["id"])
    bomb = bomb_png(100_000, 100_000)
    assert len(bomb) < 1000
    res = upload(owner, campaign["id"], bomb, "bomb.png")
    assert res.status_code == 422
    assert res.json["error"]["code"] == "image_too_many_pixels" and "file" in res.json["error"]["fields"]
    res = upload(owner, campaign["id"], bomb_png(8_000, 8_000), "big.png")  # 64 MP: under Pillow's bar, over ours
    assert res.status_code == 422 and res.json["error"]["code"] == "image_too_many_pixels"
    after = campaign_row(owner, campaign["id"])
    assert after["images"] == [] and after["content_version"] == before["content_version"]


def test_a_tiny_file_of_forty_megapixels_is_refused_before_it_is_decoded(owner, campaign):
    """A 40 MP PNG of a few KB used to hold a web worker for seconds; PNG and WebP are decoded
    whole, so they stop at MAX_PIXELS (16 MP)."""
    from publishing.images import MAX_PIXELS

    buf = io.BytesIO()
    Image.new("L", (8000, 5000)).save(buf, "PNG", optimize=True)
    assert len(buf.getvalue()) < 60_000
    res = upload(owner, campaign["id"], buf.getvalue(), "flat.png")
    assert res.status_code == 422 and res.json["error"]["code"] == "image_too_many_pixels", res.json
    assert f"{MAX_PIXELS}" in res.json["error"]["message"]
    assert campaign_row(owner, campaign["id"])["images"] == []


def test_a_large_jpeg_is_decoded_at_reduced_scale_and_stored_at_most_2400_on_a_side(owner, campaign):
    buf = io.BytesIO()
    Image.new("RGB", (7200, 5400), (180, 40, 40)).save(buf, "JPEG", quality=70)  # 39 MP on paper
    res = upload(owner, campaign["id"], buf.getvalue(), "phone.jpg")
    assert res.status_code == 201, res.json
    assert max(res.json["width"], res.json["height"]) <= 3600  # decoded at 1/2 scale, not 7200 x 5400


@pytest.mark.parametrize("data,name", [
    (b"Spring tea is here!\n" * 20, "notes.txt"),
    (b"", "empty.png"),
], ids=["text", "empty"])
def test_a_file_that_is_not_an_image_is_refused_with_415(owner, campaign, data, name):
    res = upload(owner, campaign["id"], data, name)
    assert res.status_code in (415, 422), res.json
    assert res.json["error"]["code"] in ("unsupported_image_type", "corrupt_image")
    if data:
        assert res.status_code == 415 and "not a recognised image" in res.json["error"]["message"]
    assert campaign_row(owner, campaign["id"])["images"] == []


def test_a_gif_is_refused_naming_the_accepted_formats(owner, campaign):
    res = upload(owner, campaign["id"], photo_bytes(64, 64, "GIF"), "anim.gif")
    assert res.status_code == 415
    assert "GIF" in res.json["error"]["message"] and "PNG, JPEG or WebP" in res.json["error"]["message"]


def test_a_truncated_jpeg_is_refused(owner, campaign):
    data = photo_bytes()
    res = upload(owner, campaign["id"], data[: len(data) // 3])
    assert res.status_code == 422 and res.json["error"]["code"] == "corrupt_image"


def test_an_upload_without_a_file_or_with_a_bad_role_is_a_422(owner, campaign):
    res = owner.post(f"/api/v1/campaigns/{campaign['id']}/images", data={}, content_type="multipart/form-data")
    assert res.status_code == 422 and "file" in res.json["error"]["fields"]
    res = upload(owner, campaign["id"], photo_bytes(), role="banner")
    assert res.status_code == 422 and "role" in res.json["error"]["fields"]


def test_a_logo_upload_becomes_the_campaigns_logo_in_a_new_version(owner, campaign):
    logo = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse((10, 10, 110, 110), fill=(46, 125, 50, 255))
    buffer = io.BytesIO()
    logo.save(buffer, "PNG")
    before = campaign_row(owner, campaign["id"])["content_version"]
    res = upload(owner, campaign["id"], buffer.getvalue(), "logo.png", role="logo")
    assert res.status_code == 201 and res.json["role"] == "logo" and res.json["media_type"] == "image/png"
    after = campaign_row(owner, campaign["id"])
    assert after["logo_image_id"] == res.json["id"] and after["content_version"] == before + 1


def test_a_seller_may_not_upload_and_another_workspace_sees_404(owner, campaign, make_sharer, app):
    seller = make_sharer()["api_key"]
    assert upload(owner, campaign["id"], photo_bytes(), key=seller).status_code == 403
    stranger = run_cli(app, "workspace", "create", "--name", "Other Brand")["api_key"]
    res = upload(owner, campaign["id"], photo_bytes(), key=stranger)
    assert res.status_code == 404 and res.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/media/../secret_key", "/media/ab/notahash.png", "/media/" + "0" * 2 + "/" + "0" * 64 + ".png"])
def test_media_answers_404_for_anything_but_a_stored_key(client, app, path):
    assert client.get(path).status_code == 404

