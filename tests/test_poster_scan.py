"""Every poster of every channel and look scans where it is seen: scaled to the width a phone timeline
shows it at (at two device pixels per CSS pixel) and decoded with zbar, as a reviewer would."""
from __future__ import annotations

import subprocess
from dataclasses import replace
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from channels import REGISTRY
from channels.content import MasterContent, SharerVoice
from publishing.render.card import STORY_COVERED, poster_slots, render_base
from publishing.render.looks import LOOKS
from publishing.render.poster import avatar_box, render_poster, scan_hint
from publishing.renders import plan_slots

DEVICE_PX = 2  # a phone shows a CSS pixel as 2 to 3 device pixels: the smaller is the harder case
# A real link: a public host of ordinary length and an 8-letter code.
VOICE = SharerVoice(name="林小满", link="https://share.shanjian-tea.cn/r/Hk7PqZ2x", code="HK7PQZ2X")
CONTENT = MasterContent(
    title="明前狮峰龙井 · 2026 春茶首发，一芽一叶手工炒制 🍵",
    body="西湖产区明前头采，豆香清雅。",
    price=Decimal("268"), original_price=Decimal("328"), brand_name="山间茶舍", brand_color="#2E7D32",
)


def product_photo(width=4000, height=3000) -> Image.Image:
    image = Image.new("RGB", (width, height), (236, 230, 218))
    draw = ImageDraw.Draw(image)
    for y in range(0, height, 40):  # a busy background, like a wooden table
        draw.line((0, y, width, y + 200), fill=(190, 160, 120), width=12)
    draw.ellipse((width * 0.3, height * 0.2, width * 0.7, height * 0.8), fill=(40, 90, 50))
    return image


def poster_cases():
    for look in LOOKS:
        for channel_id, channel in REGISTRY.items():
            for slot in plan_slots(channel.spec, True, (4000, 3000)):
                if slot.poster:
                    yield pytest.param(channel_id, slot, look, id=f"{look}-{channel_id}-{slot.width}x{slot.height}")


CASES = list(poster_cases())


@pytest.fixture(scope="module")
def photo():
    return product_photo()


def zbar(image: Image.Image, path) -> list[str]:
    image.save(path)
    done = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(path)],
                          capture_output=True, text=True, timeout=30)
    return done.stdout.split()


def test_every_channel_that_carries_a_poster_is_covered():
    assert {c for c in REGISTRY if REGISTRY[c].spec.image_sizes and c != "webhook"} <= {p.values[0] for p in CASES}
    assert {p.values[2] for p in CASES} == set(LOOKS)


@pytest.mark.parametrize("channel_id, slot, look", CASES)
def test_poster_decodes_at_the_size_the_channel_shows_it(channel_id, slot, look, photo, tmp_path):
    spec = REGISTRY[channel_id].spec
    content = replace(CONTENT, look=look, badges=("包邮", "赠品", "限时"))
    base = render_base(content, photo, slot.width, slot.height, "poster")
    poster = render_poster(base.image, VOICE, scan_hint("zh-CN", slot.long_press), accent=CONTENT.brand_color)

    [found] = zxingcpp.read_barcodes(poster, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.text == VOICE.link
    xs = [found.position.top_left.x, found.position.top_right.x, found.position.bottom_right.x]
    short = min(slot.width, slot.height)
    assert (max(xs) - min(xs)) / short >= 0.22, "the code's modules span at least 22% of the short side"
    tile = poster_slots(slot.width, slot.height).qr
    assert tile[0] <= min(xs) and max(xs) <= tile[2]

    shown = spec.timeline_width * DEVICE_PX
    assert shown < slot.width, "the check must shrink the poster"
    small = poster.resize((shown, round(slot.height * shown / slot.width)), Image.Resampling.LANCZOS)
    assert zbar(small, tmp_path / "shown.png") == [VOICE.link]
    assert [c.text for c in zxingcpp.read_barcodes(small, formats=zxingcpp.BarcodeFormat.QRCode)] == [VOICE.link]


def test_poster_says_how_to_scan_it_in_the_channels_own_words():
    assert scan_hint("zh-CN", True) == "长按识别二维码"
    assert scan_hint("zh-CN", False) == "扫码立即购买"
    assert scan_hint("en", True) == "Press and hold to scan"
    assert REGISTRY["wechat_moments"].spec.long_press_qr and not REGISTRY["x"].spec.long_press_qr


def test_a_poster_thats_too_small_for_its_code_says_so(photo):
    base = render_base(CONTENT, photo, 200, 200, "poster").image
    with pytest.raises(ValueError, match="does not fit"):
        render_poster(base, VOICE, "长按识别二维码")


FACE = Image.new("RGB", (320, 320), (230, 0, 200))


@pytest.mark.parametrize("channel_id, slot, look", [c for c in CASES if c.values[2] == "clean"])
def test_a_poster_with_the_sharers_photo_still_decodes_and_keeps_the_photo_off_the_code(channel_id, slot, look,
                                                                                         photo):
    base = render_base(CONTENT, photo, slot.width, slot.height, "poster")
    poster = render_poster(base.image, VOICE, scan_hint("zh-CN", slot.long_press), avatar=FACE)
    [found] = zxingcpp.read_barcodes(poster, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.text == VOICE.link
    where = poster_slots(slot.width, slot.height)
    x0, y0, x1, y1 = avatar_box(where)
    assert x1 - x0 >= 24 and x1 <= where.note[2] and y0 >= where.note[1]
    qx0, qy0, qx1, qy1 = where.qr
    assert x1 <= qx0 or y1 <= qy0 or x0 >= qx1 or y0 >= qy1, "the photo never covers the code"
    centre = poster.getpixel(((x0 + x1) // 2, (y0 + y1) // 2))
    corner = poster.getpixel((x0 + 1, y0 + 1))
    assert centre[0] > 200 and centre[1] < 40 and not (corner[0] > 200 and corner[1] < 40), "a disc, not a square"


@pytest.mark.parametrize("channel_id, slot, look", [c for c in CASES if c.values[1].height / c.values[1].width >= 1.6
                                                    and c.values[2] == "clean"])
def test_a_story_poster_keeps_the_code_and_the_sharer_clear_of_the_players_caption_and_buttons(channel_id, slot,
                                                                                                look, photo):
    where = poster_slots(slot.width, slot.height)
    bottom, right = STORY_COVERED
    for box in (where.qr, where.hint, where.note, avatar_box(where)):
        assert box[3] <= slot.height * (1 - bottom), "above the caption"
        assert box[2] <= slot.width * (1 - right), "left of the buttons"
    base = render_base(CONTENT, photo, slot.width, slot.height, "poster")
    poster = render_poster(base.image, VOICE, scan_hint("zh-CN", slot.long_press), avatar=FACE)
    covered = poster.copy()
    covered.paste((0, 0, 0), (0, round(slot.height * (1 - bottom)), slot.width, slot.height))
    covered.paste((0, 0, 0), (round(slot.width * (1 - right)), slot.height // 2, slot.width, slot.height))
    [found] = zxingcpp.read_barcodes(covered, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.text == VOICE.link, "it scans with the player's overlay on it"
