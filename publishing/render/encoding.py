"""Image bytes that depend only on the pixels, so equal renders store as one file."""
from __future__ import annotations

import io

from PIL import Image


def encode_png(image: Image.Image, compress_level: int = 6) -> bytes:
    """PNG bytes that depend only on the pixels: no timestamps, no metadata.

    ``compress_level=1`` is about twice as fast for a few per cent more bytes.
    """
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=compress_level, optimize=False, icc_profile=None, pnginfo=None)
    return buffer.getvalue()


def encode_jpeg(image: Image.Image, quality: int = 88, subsampling: str = "4:2:0") -> bytes:
    """Baseline JPEG bytes without EXIF or ICC data, deterministic for equal pixels.

    ``subsampling="4:4:4"`` keeps small coloured type crisp at some cost in size.
    """
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality, optimize=True, subsampling=subsampling,
                              exif=b"", icc_profile=None)
    return buffer.getvalue()
