"""Uploaded product photos: decoded safely, turned upright, cropped to fit.

:func:`load_photo` is the only way bytes from outside become pixels: it checks
format, size and pixel count before decoding anything. :func:`cover` fills a
box the way a designer would (scale, centre, crop; never stretch).
"""
from __future__ import annotations

import io
import warnings as _warnings

from PIL import Image, ImageOps

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


def cover(photo: Image.Image, width: int, height: int) -> tuple[Image.Image, float]:
    """Scale and centre-crop ``photo`` to fill ``width`` x ``height`` exactly.

    Never stretches: one scale factor for both axes. Returns the image and
    that factor (above 1 means the photo was enlarged).
    """
    scale = max(width / photo.width, height / photo.height)
    # min(): float error must not make the crop a hair wider than the photo
    # (Pillow refuses a box with a negative offset).
    crop_w, crop_h = min(photo.width, width / scale), min(photo.height, height / scale)
    left = (photo.width - crop_w) / 2
    top = (photo.height - crop_h) / 2
    # reducing_gap=1.5: a fast box reduction first, then Lanczos over at least
    # 1.5x the target, which looks the same as a full Lanczos and costs a third.
    fitted = photo.resize(
        (width, height), Image.Resampling.LANCZOS, box=(left, top, left + crop_w, top + crop_h), reducing_gap=1.5
    )
    return fitted, scale
