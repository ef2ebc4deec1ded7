"""Uploaded product photos: decoded safely, turned upright, cropped to fit.

:func:`load_photo` is the only way bytes from outside become pixels: it checks
format, size and pixel count before decoding anything. :func:`cover` fills a
box the way a designer would (scale, centre, crop; never stretch).
"""
from __future__ import annotations

import io
import warnings as _warnings

from PIL import Image, ImageChops, ImageFilter, ImageOps

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
DEFAULT_MAX_PIXELS = 50_000_000
DEFAULT_MAX_BYTES = 30 * 1024 * 1024


class InvalidImage(ValueError):
    """Uploaded bytes that are not a photo we will decode.

    ``code`` says why: ``image_too_large`` (bytes), ``image_too_many_pixels``
    (dimensions, decompression bombs), ``unsupported_image_type`` (not PNG,
    JPEG or WebP, or not an image at all), ``corrupt_image`` (empty, truncated).
    """

    def __init__(self, message: str, code: str = "corrupt_image") -> None:
        super().__init__(message)
        self.code = code


def load_photo(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_bytes: int = DEFAULT_MAX_BYTES,
               max_side: int | None = None) -> Image.Image:
    """Decode an uploaded photo safely and turn it upright.

    Accepts PNG, JPEG and WebP (first frame). Dimensions are checked from the
    header before any pixel is decoded, so a decompression bomb costs nothing.
    Returns an RGB or RGBA image with EXIF orientation applied. With ``max_side``
    a JPEG is decoded at the smallest of 1/2, 1/4 or 1/8 scale that still keeps
    ``max_side`` pixels on its longer side (libjpeg's DCT scaling: a fraction
    of the work); the caller shrinks the rest of the way.

    :raise InvalidImage: for too many bytes, bytes that are not an image, an
        unsupported format, too many pixels, or a truncated or corrupt file.
    """
    if len(data) > max_bytes:
        raise InvalidImage(f"image is {len(data)} bytes; the limit is {max_bytes}", "image_too_large")
    if not data:
        raise InvalidImage("image is empty")
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError as exc:
        raise InvalidImage(f"image has too many pixels: {exc}", "image_too_many_pixels") from None
    except Image.DecompressionBombWarning:
        raise InvalidImage("image has too many pixels", "image_too_many_pixels") from None
    except Exception:
        raise InvalidImage(_describe_rejected(data), "unsupported_image_type") from None
    pixels = image.width * image.height
    # A JPEG decoded at reduced scale (max_side) may be larger on paper: up to Pillow's own
    # bomb limit here, and max_pixels once reduced, below.
    if pixels > (max(max_pixels, DEFAULT_MAX_PIXELS) if max_side and image.format == "JPEG" else max_pixels):
        raise InvalidImage(f"image has {image.width}x{image.height} = {pixels} pixels; the limit is {max_pixels}",
                           "image_too_many_pixels")
    try:
        image.seek(0)
        if max_side and image.format == "JPEG":
            scale = max_side / max(image.size)
            image.draft("RGB" if image.mode != "CMYK" else image.mode,
                        (max(1, round(image.width * scale)), max(1, round(image.height * scale))))
        if image.width * image.height > max_pixels:
            raise InvalidImage(f"image has {image.width}x{image.height} pixels to decode; the limit is {max_pixels}",
                               "image_too_many_pixels")
        image.load()
        image = ImageOps.exif_transpose(image)
    except InvalidImage:
        raise
    except Exception as exc:
        raise InvalidImage(f"image data is corrupt or truncated: {exc}") from None
    return _to_srgb(image)


def _describe_rejected(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as other:
            found = other.format
    except Exception:
        return "data is not a recognised image"
    return f"{found} images are not accepted; use PNG, JPEG or WebP"


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    if icc:
        try:
            from PIL import ImageCms

            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            image = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode)
        except Exception:
            pass  # an unreadable profile: the pixels are still usable as they are
    image.info.clear()
    return image


Focus = tuple[float, float]  # a point of the photo as fractions of its width and height


def cover(photo: Image.Image, width: int, height: int, focus: Focus | None = None) -> tuple[Image.Image, float]:
    """Scale and crop ``photo`` to fill ``width`` x ``height`` exactly, keeping what matters.

    Never stretches: one scale factor for both axes. The crop is centred on
    ``focus`` when given (clamped to the photo), else placed where the photo
    has most detail (:func:`crop_offset`). Returns the image and that factor
    (above 1 means the photo was enlarged).
    """
    scale = max(width / photo.width, height / photo.height)
    # min(): float error must not make the crop a hair wider than the photo
    # (Pillow refuses a box with a negative offset).
    crop_w, crop_h = min(photo.width, width / scale), min(photo.height, height / scale)
    left, top = crop_offset(photo, crop_w, crop_h, focus)
    # reducing_gap=1.5: a fast box reduction first, then Lanczos over at least
    # 1.5x the target, which looks the same as a full Lanczos and costs a third.
    fitted = photo.resize(
        (width, height), Image.Resampling.LANCZOS, box=(left, top, left + crop_w, top + crop_h), reducing_gap=1.5
    )
    return fitted, scale


def crop_offset(photo: Image.Image, crop_w: float, crop_h: float, focus: Focus | None = None) -> tuple[float, float]:
    """Where a ``crop_w`` x ``crop_h`` window of ``photo`` starts (left, top).

    Only one axis is ever cut. With ``focus`` the window is centred on it;
    otherwise it is slid along the cut axis to hold the most *interest*: edge
    energy plus distance from the background colour (the photo's border), so
    a product off to one side of a plain backdrop stays in the picture. Ties
    go to the centre.
    """
    spare_x, spare_y = photo.width - crop_w, photo.height - crop_h
    if focus is not None:
        fx = min(1.0, max(0.0, focus[0])) * photo.width
        fy = min(1.0, max(0.0, focus[1])) * photo.height
        return (min(spare_x, max(0.0, fx - crop_w / 2)), min(spare_y, max(0.0, fy - crop_h / 2)))
    if spare_x < 1 and spare_y < 1:
        return (spare_x / 2, spare_y / 2)
    along_x = spare_x >= spare_y
    profile = interest_profile(photo, along_x)
    span = (crop_w / photo.width) if along_x else (crop_h / photo.height)
    start = _best_window(profile, span)
    return (start * photo.width, spare_y / 2) if along_x else (spare_x / 2, start * photo.height)


def kept_interest(photo: Image.Image, width: int, height: int, focus: Focus | None = None) -> float:
    """The share (0..1) of the photo's interest that :func:`cover` keeps at ``width`` x ``height``."""
    scale = max(width / photo.width, height / photo.height)
    crop_w, crop_h = min(photo.width, width / scale), min(photo.height, height / scale)
    along_x = photo.width - crop_w >= photo.height - crop_h
    profile = interest_profile(photo, along_x)
    total = sum(profile)
    if total <= 0:
        return 1.0
    left, top = crop_offset(photo, crop_w, crop_h, focus)
    start, length, extent = (left, crop_w, photo.width) if along_x else (top, crop_h, photo.height)
    n = len(profile)
    i0, i1 = round(start / extent * n), round((start + length) / extent * n)
    return sum(profile[i0:i1]) / total


def contain(photo: Image.Image, width: int, height: int) -> tuple[Image.Image, float]:
    """The whole photo scaled into ``width`` x ``height``, the rest filled with its own background colour."""
    scale = min(width / photo.width, height / photo.height)
    size = (max(1, round(photo.width * scale)), max(1, round(photo.height * scale)))
    fitted = photo.resize(size, Image.Resampling.LANCZOS, reducing_gap=1.5)
    canvas = Image.new(photo.mode, (width, height), _border_colour(photo.convert("RGB")) + (
        (255,) if photo.mode == "RGBA" else ()))
    canvas.paste(fitted, ((width - size[0]) // 2, (height - size[1]) // 2))
    return canvas, scale


_PROFILE_SIDE = 160  # interest is judged on a thumbnail: layout, not detail


def interest_profile(photo: Image.Image, along_x: bool) -> list[float]:
    """How interesting each column (``along_x``) or row of a thumbnail of ``photo`` is.

    Interest is edge energy plus distance from the background colour, with the
    quietest quarter of the picture's level taken as nothing (noise, texture).
    """
    small = photo.convert("RGB")
    small.thumbnail((_PROFILE_SIDE, _PROFILE_SIDE), Image.Resampling.BOX)
    edges = small.convert("L").filter(ImageFilter.FIND_EDGES)
    edges = ImageOps.crop(edges, 1).resize(small.size)  # FIND_EDGES marks the frame itself
    away = ImageChops.difference(small, Image.new("RGB", small.size, _border_colour(small))).convert("L")
    energy = ImageChops.add(edges, away, scale=2.0)
    line = energy.resize((small.width, 1) if along_x else (1, small.height), Image.Resampling.BOX)
    values = [float(v) for v in line.tobytes()]  # mode L: one byte a pixel
    floor = sorted(values)[len(values) // 4]
    return [max(0.0, v - floor) for v in values]


def _best_window(profile: list[float], span: float) -> float:
    """The start (fraction of the whole) of the window of ``span`` holding the most of ``profile``."""
    n = len(profile)
    length = max(1, min(n, round(span * n)))
    sums = [0.0]
    for v in profile:
        sums.append(sums[-1] + v)
    if span >= 1:
        return 0.0
    centre = (n - length) // 2
    best = max(range(n - length + 1), key=lambda i: (sums[i + length] - sums[i], -abs(i - centre)))
    # A thumbnail column is many photo pixels wide: a window about as good as the
    # centred one is taken as centred, so a centred product stays exactly centred.
    if sums[centre + length] - sums[centre] >= 0.97 * (sums[best + length] - sums[best]):
        return (1.0 - span) / 2
    return min(1.0 - span, best / n)


def _border_colour(image: Image.Image) -> tuple[int, int, int]:
    """The median colour of the outermost pixels: the backdrop a product was shot on."""
    w, h = image.size
    edge = [image.getpixel((x, 0)) for x in range(0, w, max(1, w // 64))]
    edge += [image.getpixel((x, h - 1)) for x in range(0, w, max(1, w // 64))]
    edge += [image.getpixel((0, y)) for y in range(0, h, max(1, h // 64))]
    edge += [image.getpixel((w - 1, y)) for y in range(0, h, max(1, h // 64))]
    return tuple(sorted(p[i] for p in edge)[len(edge) // 2] for i in range(3))  # type: ignore[return-value]
