"""A brand's own poster template: boxes on a background per aspect, stored as data, refused (422 naming
the box) when it would clip text or shrink or cover the code, and every channel's poster drawn from
it scanning at the size the channel shows it."""
from __future__ import annotations

import copy
import io
from dataclasses import replace

import pytest
import zxingcpp
from conftest import CAMPAIGN, Api, run_cli
from PIL import Image
from test_poster_scan import CASES, CONTENT, DEVICE_PX, VOICE, product_photo, zbar

from channels import REGISTRY
from publishing.render.card import QR_TILE
from publishing.render.poster import avatar_box, render_poster, scan_hint
from publishing.render.template import STARTER_LAYOUTS, aspect_of, layout_problems, place, render_template_base
from publishing.templates import poster_sizes

LAYOUTS = STARTER_LAYOUTS
BACKGROUND_RGB = (20, 60, 120)  # a dark blue backdrop: the code's white tile must still show


def background() -> Image.Image:
    image = Image.new("RGB", (1600, 1600), BACKGROUND_RGB)
    for x in range(0, 1600, 50):  # a pattern, as a brand's artwork would have
        image.paste((200, 170, 60), (x + 25, 0, x + 35, 1600))
    return image


@pytest.fixture(scope="module")
def photo():
    return product_photo()


@pytest.mark.parametrize("channel_id, slot, look", [c for c in CASES if c.values[2] == "clean"])
def test_every_channels_poster_from_a_template_decodes_at_the_size_the_channel_shows_it(channel_id, slot, look,
                                                                                        photo, tmp_path):
    spec = REGISTRY[channel_id].spec
    layout = LAYOUTS[aspect_of(slot.width, slot.height)]
    base = render_template_base(layout, background(), CONTENT, photo, slot.width, slot.height)
    assert "text_truncated" not in base.warnings
    poster = render_poster(base.image, VOICE, scan_hint("zh-CN", slot.long_press), slots=base.slots,
                           avatar=Image.new("RGB", (320, 320), (230, 0, 200)))

    [found] = zxingcpp.read_barcodes(poster, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.text == VOICE.link
    xs = [found.position.top_left.x, found.position.top_right.x, found.position.bottom_right.x]
    assert (max(xs) - min(xs)) / min(slot.width, slot.height) >= 0.22
    assert base.slots.qr[0] <= min(xs) and max(xs) <= base.slots.qr[2]
    ax0, ay0, ax1, ay1 = avatar_box(base.slots)
    qx0, qy0, qx1, qy1 = base.slots.qr
    assert ax1 <= qx0 or ay1 <= qy0 or ax0 >= qx1 or ay0 >= qy1, "the photo never covers the code"

    shown = spec.timeline_width * DEVICE_PX
    small = poster.resize((shown, round(slot.height * shown / slot.width)), Image.Resampling.LANCZOS)
    assert zbar(small, tmp_path / "shown.png") == [VOICE.link]


def test_rendering_is_a_pure_function_of_template_content_and_size(photo):
    one = render_template_base(LAYOUTS["square"], background(), CONTENT, photo, 1080, 1080).image
    two = render_template_base(copy.deepcopy(LAYOUTS["square"]), background(), CONTENT, photo, 1080, 1080).image
    assert one.tobytes() == two.tobytes()


def test_the_starter_layouts_fit_every_size_of_their_aspect():
    assert set(poster_sizes()) == set(LAYOUTS)
    for aspect, layout in LAYOUTS.items():
        assert layout_problems(layout, list(poster_sizes()[aspect]), [CONTENT]) == {}


def _with(aspect: str, box: str, **changes) -> dict:
    layout = copy.deepcopy(LAYOUTS[aspect])
    layout["boxes"][box].update(changes)
    return layout


def test_a_code_under_the_minimum_share_of_the_short_side_is_refused():
    problems = layout_problems(_with("square", "qr", w=0.2, h=0.25), [(1080, 1080)], [CONTENT])
    assert set(problems) == {"qr"} and f"{QR_TILE:.0%}" in problems["qr"]


def test_a_box_over_the_code_is_refused():
    problems = layout_problems(_with("square", "photo", h=0.6), [(1080, 1080)], [CONTENT])
    assert problems["qr"] == "the photo box overlaps the code"


def test_a_title_that_cannot_fit_at_its_smallest_size_is_refused_naming_the_box():
    long = replace(CONTENT, title="明前狮峰龙井" * 20)
    problems = layout_problems(LAYOUTS["square"], [(1080, 1080)], [long])
    assert set(problems) == {"title"} and "120 characters" in problems["title"]


def test_a_price_box_too_small_for_the_price_is_refused():
    problems = layout_problems(_with("square", "price", h=0.03), [(1080, 1080)], [CONTENT])
    assert set(problems) == {"price"}


def test_a_seller_box_too_small_for_a_name_is_refused():
    problems = layout_problems(_with("portrait", "seller", w=0.2), [(1080, 1440)], [CONTENT])
    assert set(problems) == {"seller"} and "16-character name" in problems["seller"]


def test_a_story_code_under_the_players_caption_is_refused():
    problems = layout_problems(_with("story", "qr", x=0.62), [(1080, 1920)], [CONTENT])
    assert "story player" in problems["qr"]


def test_the_qr_tile_is_white_whatever_the_background():
    base = render_template_base(LAYOUTS["square"], background(), CONTENT, None, 1080, 1080)
    qx0, qy0, qx1, qy1 = base.slots.qr
    assert base.image.crop((qx0, qy0, qx1, qy1)).getcolors() == [((qx1 - qx0) * (qy1 - qy0), (255, 255, 255))]
    assert base.image.getpixel((5, 5)) == BACKGROUND_RGB
    assert place(LAYOUTS["square"], 1080, 1080).slots == base.slots


# ------------------------------------------------------------------ the API


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def make_template(owner, layouts=None, name="春茶海报"):
    return owner.post("/api/v1/templates", {"name": name, "layouts": LAYOUTS if layouts is None else layouts})


def test_a_marketer_creates_lists_reads_updates_and_deletes_a_template(owner):
    res = make_template(owner)
    assert res.status_code == 201, res.json
    template = res.json
    assert template["layouts"] == LAYOUTS and template["background"] is None and template["campaign_ids"] == []
    assert [t["id"] for t in owner.get("/api/v1/templates").json["items"]] == [template["id"]]
    assert owner.get(f"/api/v1/templates/{template['id']}").json["name"] == "春茶海报"

    res = owner.post(f"/api/v1/templates/{template['id']}/background",
                     data={"file": (io.BytesIO(png(background())), "bg.png")}, content_type="multipart/form-data")
    assert res.status_code == 200, res.json
    assert res.json["background"]["width"] == 1600

    changed = owner.client.put(f"/api/v1/templates/{template['id']}", headers=owner._headers(None),
                               json={"name": "秋茶", "layouts": {"square": LAYOUTS["square"]}})
    assert changed.status_code == 200 and set(changed.json["layouts"]) == {"square"}

    gone = owner.client.delete(f"/api/v1/templates/{template['id']}", headers=owner._headers(None))
    assert gone.status_code == 204
    assert owner.get(f"/api/v1/templates/{template['id']}").status_code == 404


@pytest.mark.parametrize("layouts, field", [
    ({"square": _with("square", "qr", w=0.2, h=0.25)}, "layouts.square.boxes.qr"),
    ({"square": _with("square", "title", font_min=120, font_max=120)}, "layouts.square.boxes.title"),
    ({"story": _with("story", "qr", x=0.62)}, "layouts.story.boxes.qr"),
])
def test_a_template_that_would_clip_or_cover_is_refused_naming_the_box_and_nothing_is_stored(owner, layouts,
                                                                                              field):
    res = make_template(owner, layouts)
    assert res.status_code == 422 and res.json["error"]["code"] == "template_does_not_fit"
    assert field in res.json["error"]["fields"]
    assert owner.get("/api/v1/templates").json["items"] == []


@pytest.mark.parametrize("layouts", [
    {"square": _with("square", "photo", x=0.5, w=0.6)},  # leaves the canvas
    {"square": _with("square", "title", font_min=70, font_max=40)},
    {"oval": LAYOUTS["square"]},
    {},
])
def test_a_malformed_template_is_refused(owner, layouts):
    res = make_template(owner, layouts)
    assert res.status_code == 422, res.json
    assert owner.get("/api/v1/templates").json["items"] == []


def test_a_campaign_chooses_a_template_and_its_posters_are_drawn_from_it(owner, client, make_sharer):
    template = make_template(owner).json
    owner.post(f"/api/v1/templates/{template['id']}/background",
               data={"file": (io.BytesIO(png(background())), "bg.png")}, content_type="multipart/form-data")
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "template_id": template["id"]})
    assert res.status_code == 201, res.json
    campaign = res.json
    assert campaign["template_id"] == template["id"]
    seller = make_sharer("林小满")
    res = owner.get(f"/api/v1/campaigns/{campaign['id']}/posts?sharer_id={seller['id']}&channel=weibo")
    [poster] = [i for i in res.json["items"][0]["images"] if i["kind"] == "poster"]
    image = Image.open(io.BytesIO(client.get("/" + poster["url"].split("/", 3)[3]).data)).convert("RGB")
    assert image.getpixel((4, 4)) == pytest.approx(BACKGROUND_RGB, abs=6), "the brand's background"
    [found] = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert "/r/" in found.text

    # Deleting a template in use is refused; the campaign goes back to its look, then it can go.
    res = owner.client.delete(f"/api/v1/templates/{template['id']}", headers=owner._headers(None))
    assert res.status_code == 409 and str(campaign["id"]) in res.json["error"]["fields"]["campaign_ids"]
    res = owner.client.patch(f"/api/v1/campaigns/{campaign['id']}", headers=owner._headers(None),
                             json={"template_id": None})
    assert res.status_code == 200 and res.json["template_id"] is None
    assert owner.client.delete(f"/api/v1/templates/{template['id']}", headers=owner._headers(None)).status_code == 204


def test_a_campaign_whose_title_cannot_fit_the_template_is_refused(owner):
    template = make_template(owner).json
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "title": "明前狮峰龙井春茶" * 30, "template_id": template["id"]})
    assert res.status_code == 422
    assert "boxes.title" in res.json["error"]["fields"]["template_id"]
    ok = owner.post("/api/v1/campaigns", {**CAMPAIGN, "template_id": template["id"]}).json
    res = owner.client.patch(f"/api/v1/campaigns/{ok['id']}", headers=owner._headers(None),
                             json={"title": "明前狮峰龙井春茶" * 30})
    assert res.status_code == 422 and "template_id" in res.json["error"]["fields"]
    # A template update that would clip a campaign using it is refused too.
    tight = {"square": _with("square", "title", h=0.06, font_min=40, font_max=40)}
    res = owner.client.put(f"/api/v1/templates/{template['id']}", headers=owner._headers(None),
                           json={"name": "x", "layouts": tight})
    assert res.status_code == 422 and "layouts.square.boxes.title" in res.json["error"]["fields"]


def test_another_workspaces_template_cannot_be_chosen_or_read(owner, app, client):
    other = Api(client, run_cli(app, "workspace", "create", "--name", "Other")["api_key"])
    template = make_template(owner).json
    assert other.get(f"/api/v1/templates/{template['id']}").status_code == 404
    res = other.post("/api/v1/campaigns", {**CAMPAIGN, "template_id": template["id"]})
    assert res.status_code == 422 and "template_id" in res.json["error"]["fields"]


@pytest.mark.parametrize("aspect, size", [(a, s) for a, sizes in poster_sizes().items() for s in sizes],
                         ids=lambda v: v if isinstance(v, str) else f"{v[0]}x{v[1]}")
def test_every_size_a_layout_serves_scans_whatever_the_photos_shape(aspect, size, photo, tmp_path):
    """Sizes whose height follows the photo (an email's picture) fall in any aspect: each one checked."""
    width, height = size
    base = render_template_base(LAYOUTS[aspect], background(), CONTENT, photo, width, height)
    poster = render_poster(base.image, VOICE, scan_hint("zh-CN", True), slots=base.slots)
    small = poster.resize((DEVICE_PX * 300, round(height * DEVICE_PX * 300 / width)), Image.Resampling.LANCZOS)
    assert zbar(small, tmp_path / "small.png") == [VOICE.link]


def test_editing_a_template_redraws_the_posters_of_its_campaigns_and_earlier_versions_keep_theirs(owner, client,
                                                                                                  make_sharer):
    template = make_template(owner).json
    campaign = owner.post("/api/v1/campaigns", {**CAMPAIGN, "template_id": template["id"]}).json
    seller = make_sharer("林小满")
    posts = f"/api/v1/campaigns/{campaign['id']}/posts?channel=weibo&sharer_id={seller['id']}"
    before = owner.get(posts).json
    moved = copy.deepcopy(LAYOUTS)
    moved["square"]["background_color"] = "#101820"
    res = owner.client.put(f"/api/v1/templates/{template['id']}", headers=owner._headers(None),
                           json={"name": "春茶海报", "layouts": moved})
    assert res.status_code == 200, res.json
    after = owner.get(posts).json
    assert after["content_version"] == before["content_version"] + 1
    [new] = [i for i in after["items"][0]["images"] if i["kind"] == "poster"]
    [old] = [i for i in before["items"][0]["images"] if i["kind"] == "poster"]
    assert new["url"] != old["url"]
    image = Image.open(io.BytesIO(client.get("/" + new["url"].split("/", 3)[3]).data)).convert("RGB")
    assert image.getpixel((3, 3)) == pytest.approx((16, 24, 32), abs=4)
    earlier = owner.get(f"{posts}&version={before['content_version']}").json
    assert [i["url"] for i in earlier["items"][0]["images"]] == [i["url"] for i in before["items"][0]["images"]]


def test_a_background_that_is_not_an_image_is_refused_and_nothing_changes(owner):
    template = make_template(owner).json
    res = owner.post(f"/api/v1/templates/{template['id']}/background",
                     data={"file": (io.BytesIO(b"GIF89a" + b"\0" * 64), "bg.gif")}, content_type="multipart/form-data")
    assert res.status_code == 415, res.json
    assert owner.get(f"/api/v1/templates/{template['id']}").json["background"] is None
    other = owner.post("/api/v1/templates/999/background",
                       data={"file": (io.BytesIO(png(background())), "bg.png")}, content_type="multipart/form-data")
    assert other.status_code == 404
