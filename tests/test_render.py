"""Product cards and posters: layout rules, scannable QR codes, safe photo loading."""
import io
from dataclasses import replace
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from test_images import bomb_png

from channels.content import MasterContent, SharerVoice
from publishing.render.card import poster_slots, render_base
from publishing.render.encoding import encode_jpeg, encode_png
from publishing.render.linebreak import NO_LINE_END, NO_LINE_START
from publishing.render.palette import contrast
from publishing.render.photo import InvalidImage, cover, load_photo
from publishing.render.poster import render_poster

SIZES = [
    (1080, 1080, "feed"),
    (1080, 1440, "feed"),
    (1080, 1350, "feed"),
    (1600, 900, "feed"),
    (1200, 630, "feed"),
    (1200, 627, "feed"),
    (900, 383, "cover"),
    (1080, 1920, "story"),
    (1080, 1440, "poster"),
    (1080, 1920, "poster"),
    (1080, 1080, "poster"),
]

TEA = MasterContent(
    title="明前龙井 · 春茶首发 🍵",
    body="西湖产区明前头采，一芽一叶，豆香清雅。每一口都是今年的第一口春天。",
    price=Decimal("128"),
    original_price=Decimal("168"),
    brand_name="西湖茶社",
    brand_color="#2E7D32",
)
LONG_TEA = MasterContent(
    title="【限时特惠】2024 新茶明前特级西湖龙井茶叶礼盒装 250g，送礼自饮两相宜，产地直发顺丰包邮！🎁🍵",
    body="西湖产区明前头采。",
    price=Decimal("1299.90"),
    original_price=Decimal("1699"),
    brand_name="西湖茶社",
)
ENGLISH = MasterContent(
    title="Limited edition: premium first-flush Dragon Well green tea gift box with two porcelain cups",
    body="Hand-picked before Qingming. Chestnut aroma, sweet finish.",
    price=Decimal("19.90"),
    original_price=Decimal("29"),
    currency="USD",
    brand_name="West Lake Tea Co.",
    brand_color="#0B5FFF",
    language="en",
)
SHARER = SharerVoice(name="小王", link="https://sharecast.example/r/Ab3dE9", code="AB3D")


def product_photo(width=1600, height=1200) -> Image.Image:
    """A photo with a black square in the middle: its shape shows stretching."""
    image = Image.new("RGB", (width, height), (214, 226, 205))
    side = min(width, height) // 3
    left, top = (width - side) // 2, (height - side) // 2
    ImageDraw.Draw(image).rectangle((left, top, left + side - 1, top + side - 1), fill=(0, 0, 0))
    return image


def dark_box(image: Image.Image) -> tuple[int, int, int, int]:
    mask = image.convert("L").point(lambda v: 255 if v < 40 else 0)
    return mask.getbbox()


def inside(inner, outer) -> bool:
    return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def png_bytes(image: Image.Image, fmt="PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def photo():
    return product_photo()


@pytest.mark.parametrize("content", [TEA, LONG_TEA, ENGLISH], ids=["short-zh", "long-zh", "en"])
@pytest.mark.parametrize("width,height,role", SIZES)
def test_every_text_box_stays_inside_its_box_and_the_canvas(content, width, height, role, photo):
    result = render_base(content, photo, width, height, role)
    assert result.image.size == (width, height)
    assert result.image.mode == "RGB"
    canvas = (0, 0, width, height)
    names = [block.name for block in result.blocks]
    assert names[:2] == ["brand", "title"] and names[-1] == "price"
    for block in result.blocks:
        assert inside(block.ink, canvas), block
        assert inside(block.ink, block.box), block
        assert block.ink[1] >= result.photo_box[3] or block.ink[0] >= 0  # below or beside the photo
        if result.slots:  # nothing the card draws reaches where the poster's QR code and sharer line go
            for slot in (result.slots.qr, result.slots.hint, result.slots.note):
                assert not overlaps(block.ink, slot), (block, slot)
    boxes = [block.box for block in result.blocks]
    for upper, lower in zip(boxes, boxes[1:]):
        assert upper[3] <= lower[1], "text blocks overlap"


@pytest.mark.parametrize("width,height,role", SIZES)
def test_title_lines_obey_kinsoku_rules(width, height, role, photo):
    title = next(b for b in render_base(LONG_TEA, photo, width, height, role).blocks if b.name == "title")
    for line in title.lines[1:]:
        assert line[0] not in NO_LINE_START
    for line in title.lines:
        assert line[-1] not in NO_LINE_END


def test_short_title_keeps_its_full_size_and_long_title_shrinks_without_truncation(photo):
    short = render_base(TEA, photo, 1080, 1440)
    long = render_base(LONG_TEA, photo, 1080, 1440)
    short_title = next(b for b in short.blocks if b.name == "title")
    long_title = next(b for b in long.blocks if b.name == "title")
    assert "text_shrunk" not in short.warnings
    assert "text_shrunk" in long.warnings and "text_truncated" not in long.warnings
    assert long_title.size < short_title.size
    assert long_title.size >= 36, "shrunk to an unreadable size"
    assert "".join(long_title.lines).replace(" ", "") == LONG_TEA.title.replace(" ", "")


def test_ellipsis_only_when_the_minimum_size_overflows(photo):
    essay = MasterContent(title="好茶" * 200, body="", price=Decimal("1"))
    result = render_base(essay, photo, 900, 383, "cover")
    title = next(b for b in result.blocks if b.name == "title")
    assert "text_truncated" in result.warnings
    assert title.lines[-1].endswith("…")
    assert inside(title.ink, title.box)


def test_emoji_is_drawn_in_colour(photo):
    result = render_base(TEA, photo, 1080, 1080)
    title = next(b for b in result.blocks if b.name == "title")
    region = result.image.crop(title.ink).convert("HSV")
    data = region.tobytes()
    saturated = sum(1 for i in range(0, len(data), 3) if data[i + 1] > 100 and data[i + 2] > 80)
    assert saturated > 200, "the tea emoji should add coloured pixels to dark title text"


def test_price_is_in_the_brand_colour_with_the_original_price_struck(photo):
    result = render_base(TEA, photo, 1080, 1080)
    price = next(b for b in result.blocks if b.name == "price")
    assert price.lines == ("¥128", "¥168")
    colours = {c for _, c in result.image.crop(price.ink).getcolors(1_000_000)}
    assert (0x2E, 0x7D, 0x32) in colours


def test_pale_brand_colour_is_darkened_for_legibility(photo):
    pale = MasterContent(title="Lemon tea", body="", price=Decimal("9"), brand_color="#FFE94D")
    result = render_base(pale, photo, 1080, 1080)
    assert "brand_color_adjusted" in result.warnings
    assert contrast((0xFF, 0xE9, 0x4D), (255, 255, 255)) < 3


def test_invalid_brand_colour_falls_back_with_a_warning(photo):
    odd = MasterContent(title="茶", body="", price=Decimal("9"), brand_color="not-a-colour")
    assert "brand_color_invalid" in render_base(odd, photo, 1080, 1080).warnings


@pytest.mark.parametrize("width,height,role", SIZES)
def test_photo_is_cropped_to_cover_without_stretching(width, height, role):
    result = render_base(TEA, product_photo(2400, 1200), width, height, role)
    photo_area = result.image.crop(result.photo_box)
    left, top, right, bottom = dark_box(photo_area)
    assert abs((right - left) - (bottom - top)) <= 2, "the square in the photo is no longer square"
    centre_x = (left + right) / 2
    assert abs(centre_x - photo_area.width / 2) <= 2


def test_cover_fills_exactly_and_reports_the_scale():
    fitted, scale = cover(product_photo(400, 200), 300, 300)
    assert fitted.size == (300, 300) and scale == pytest.approx(1.5)


def test_cover_survives_float_error_at_the_photo_edge():
    # 900 * (307 / 900) comes back as 900.0000000000001: the crop must not leave the photo.
    fitted, _ = cover(product_photo(1200, 900), 300, 307)
    assert fitted.size == (300, 307)


def test_small_photo_is_reported_as_upscaled():
    result = render_base(TEA, product_photo(300, 200), 1080, 1080)
    assert "image_upscaled" in result.warnings and result.upscale > 1


def test_without_photo_the_card_still_renders():
    result = render_base(TEA, None, 1080, 1080)
    assert "no_photo" in result.warnings and result.image.size == (1080, 1080)


def test_logo_sits_in_the_brand_row(photo):
    logo = Image.new("RGBA", (200, 100), (200, 30, 30, 255))
    result = render_base(TEA, photo, 1080, 1080, logo=logo)
    brand = next(b for b in result.blocks if b.name == "brand")
    assert inside(brand.ink, brand.box)


@pytest.mark.parametrize("width,height", [(1080, 1440), (1080, 1920), (1080, 1080), (1600, 900)])
def test_poster_qr_code_decodes_to_the_sharers_link(width, height, photo):
    base = render_base(TEA, photo, width, height, "poster")
    poster = render_poster(base.image, SHARER, "长按识别二维码，立即购买", accent=TEA.brand_color)
    assert poster.size == (width, height)
    found = zxingcpp.read_barcodes(poster)
    assert [code.text for code in found] == [SHARER.link]
    # still scannable when a chat app shrinks the picture to half its size
    half = poster.resize((width // 2, height // 2), Image.Resampling.LANCZOS)
    assert [code.text for code in zxingcpp.read_barcodes(half)] == [SHARER.link]
    slot = poster_slots(width, height).qr
    box = found[0].position
    xs = [box.top_left.x, box.top_right.x, box.bottom_left.x, box.bottom_right.x]
    ys = [box.top_left.y, box.top_right.y, box.bottom_left.y, box.bottom_right.y]
    assert inside((min(xs), min(ys), max(xs), max(ys)), slot)
    assert max(xs) - min(xs) >= 150, "QR code too small to scan comfortably"


def test_poster_uses_the_qr_payload_when_given_and_leaves_the_base_untouched(photo):
    base = render_base(ENGLISH, photo, 1080, 1440, "poster").image
    before = encode_png(base)
    voice = SharerVoice(name="Amy", link="https://sharecast.example/r/x", code="", qr_payload="https://shop.example/p?ref=AMY42")
    poster = render_poster(base, voice, "Scan to buy now", language="en")
    assert [c.text for c in zxingcpp.read_barcodes(poster)] == ["https://shop.example/p?ref=AMY42"]
    assert encode_png(base) == before


def test_feed_image_carries_no_qr_code(photo):
    assert zxingcpp.read_barcodes(render_base(TEA, photo, 1080, 1440, "feed").image) == []


def test_encoding_is_deterministic_for_identical_inputs(photo):
    first = encode_png(render_base(TEA, photo, 1200, 630).image)
    second = encode_png(render_base(TEA, photo, 1200, 630).image)
    assert first == second and first.startswith(b"\x89PNG")
    image = render_base(TEA, photo, 900, 383, "cover").image
    assert encode_jpeg(image) == encode_jpeg(image.copy())


def test_unknown_role_and_empty_size_are_refused(photo):
    with pytest.raises(ValueError):
        render_base(TEA, photo, 1080, 1080, role="billboard")
    with pytest.raises(ValueError):
        render_base(TEA, photo, 0, 1080)


# ---------------------------------------------------------------- loading photos


def test_load_photo_accepts_png_jpeg_and_webp():
    image = product_photo(64, 48)
    for fmt in ("PNG", "JPEG", "WEBP"):
        loaded = load_photo(png_bytes(image, fmt))
        assert loaded.size == (64, 48) and loaded.mode == "RGB"


def test_load_photo_rejects_non_images():
    with pytest.raises(InvalidImage, match="not a recognised image"):
        load_photo(b"<html>definitely not a photo</html>")
    with pytest.raises(InvalidImage):
        load_photo(b"")


def test_load_photo_rejects_other_formats():
    with pytest.raises(InvalidImage, match="GIF images are not accepted"):
        load_photo(png_bytes(product_photo(32, 32), "GIF"))


def test_load_photo_rejects_a_decompression_bomb_before_decoding():
    bomb = bomb_png(100_000, 100_000)
    assert len(bomb) < 5_000
    with pytest.raises(InvalidImage, match="too many pixels"):
        load_photo(bomb)
    with pytest.raises(InvalidImage, match="pixels"):
        load_photo(bomb_png(8_000, 8_000))  # 64 MP: under Pillow's limit, over ours


def test_load_photo_enforces_pixel_and_byte_limits():
    data = png_bytes(product_photo(200, 100))
    with pytest.raises(InvalidImage, match="pixels"):
        load_photo(data, max_pixels=10_000)
    with pytest.raises(InvalidImage, match="bytes"):
        load_photo(data, max_bytes=len(data) - 1)


def test_load_photo_rejects_truncated_data():
    data = png_bytes(product_photo(200, 100), "JPEG")
    with pytest.raises(InvalidImage):
        load_photo(data[: len(data) // 3])


def test_load_photo_applies_exif_orientation():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    data = png_bytes(product_photo(200, 100), "JPEG", exif=exif.tobytes())
    assert load_photo(data).size == (100, 200)


def test_load_photo_keeps_transparency_and_cards_flatten_it():
    cutout = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(cutout).ellipse((50, 50, 250, 250), fill=(200, 40, 40, 255))
    loaded = load_photo(png_bytes(cutout))
    assert loaded.mode == "RGBA"
    assert render_base(TEA, loaded, 1080, 1080).image.mode == "RGB"


def off_centre_product(width=4000, height=3000, at=0.8) -> Image.Image:
    """A studio shot: plain backdrop, a dark product near the right edge."""
    image = Image.new("RGB", (width, height), (240, 238, 232))
    side = height // 3
    cx = round(width * at)
    ImageDraw.Draw(image).rectangle((cx - side // 2, height // 3, cx + side // 2, height // 3 + side), fill=(10, 30, 15))
    return image


def test_crop_follows_the_product_not_the_middle():
    fitted, _ = cover(off_centre_product(), 600, 600)
    left, top, right, bottom = dark_box(fitted)
    assert right - left >= 190, "the whole product is in the square"
    assert 0 < left and right < 600
    # A centre crop would have cut it: the product starts at 80% - 1/6 of a 4000 px photo.
    centre_crop = off_centre_product().crop((500, 0, 3500, 3000)).resize((600, 600))
    box = dark_box(centre_crop)
    assert box[2] >= 599, "the old centre crop cut the product at the edge"


def test_a_focus_point_the_marketer_set_wins_over_the_detected_one():
    photo = off_centre_product(at=0.8)
    ImageDraw.Draw(photo).ellipse((200, 1200, 600, 1600), fill=(200, 20, 20))
    fitted, _ = cover(photo, 600, 600, focus=(0.1, 0.5))
    reds = fitted.convert("RGB").getpixel((70, 300))
    assert reds[0] > 150 and reds[1] < 80, "the crop starts at the left edge, where the focus is"


def test_a_card_shows_the_whole_photo_when_any_crop_would_cut_the_product():
    wide = Image.new("RGB", (4000, 1000), (240, 238, 232))
    ImageDraw.Draw(wide).rectangle((300, 300, 3700, 700), fill=(10, 30, 15))  # a long product: a tea tray
    result = render_base(TEA, wide, 1080, 1440, "feed")
    assert "photo_contained" in result.warnings
    photo_area = result.image.crop(result.photo_box)
    left, _, right, _ = dark_box(photo_area)
    assert left > 0 and right < photo_area.width, "both ends of the product are in the picture"
    assert "photo_contained" not in render_base(TEA, off_centre_product(), 1080, 1440, "feed").warnings


@pytest.mark.parametrize("look", ["clean", "bold_price", "festive"])
@pytest.mark.parametrize("width,height,role", [(1080, 1080, "poster"), (1600, 900, "feed"), (1080, 1920, "story"),
                                               (1080, 1440, "poster")])
def test_every_look_keeps_text_inside_its_boxes_and_clear_of_the_qr_tile(look, width, height, role, photo):
    content = replace(LONG_TEA, look=look, badges=("包邮", "赠品", "限时"))
    result = render_base(content, photo, width, height, role)
    for block in result.blocks:
        assert inside(block.ink, block.box), block
        assert inside(block.box, (0, 0, width, height)), block
        if result.slots:
            assert not overlaps(block.box, result.slots.note), "the price's colour block never meets the sharer line"
            assert not overlaps(block.ink, result.slots.qr) and not overlaps(block.ink, result.slots.note)


def test_looks_differ_where_a_marketer_would_see_it(photo):
    def pixel_at_price(look):
        result = render_base(replace(TEA, look=look, badges=("包邮",)), photo, 1080, 1080)
        price = next(b for b in result.blocks if b.name == "price")
        return result.image.getpixel((price.box[0] + 2, price.ink[1] + 2)), result.image
    clean, clean_image = pixel_at_price("clean")
    bold, _ = pixel_at_price("bold_price")
    assert clean == (255, 255, 255) and bold != (255, 255, 255), "bold price sits on a block of colour"
    festive = render_base(replace(TEA, look="festive", badges=("包邮",)), photo, 1080, 1080).image
    assert festive.getpixel((70, 40)) == (198, 40, 40), "a red badge pill in the photo's corner"
    assert clean_image.getpixel((70, 40)) != (198, 40, 40)


def test_an_unknown_look_is_refused():
    with pytest.raises(ValueError, match="look must be one of"):
        render_base(replace(TEA, look="neon"), None, 1080, 1080)
