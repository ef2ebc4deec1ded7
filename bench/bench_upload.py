"""What an image upload costs a web worker, stage by stage (issue 10: a 12 MP PNG took 1.3-1.8 s).

Run by hand:  .venv/bin/python bench/bench_upload.py [--runs 5]
Each upload is a photo-like picture (gradients, detail and noise, so PNG cannot
compress it to nothing), timed as ``publishing.images.add_image`` spends it:
decoding under the limits (``decode_upload``), shrinking and encoding what is
stored (``normalized``). Bombs and over-limit files are refused from the header
and should cost about nothing. Prints the median milliseconds of each stage in
CPU time (this process only, so other load on the machine barely moves it) and
the wall-clock total.
"""
from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from PIL import Image, ImageDraw, ImageFilter  # noqa: E402
from timing import timed  # noqa: E402

from plumbing.errors import ApiError  # noqa: E402
from publishing.images import MAX_STORED_SIDE, decode_upload, normalized  # noqa: E402


def photo_like(width: int, height: int, seed: int = 10) -> Image.Image:
    """A picture with what a product photo has: smooth light, hard edges, texture, sensor noise."""
    rng = random.Random(seed)
    small = Image.new("RGB", (width // 8, height // 8))
    draw = ImageDraw.Draw(small)
    for y in range(small.height):
        draw.line((0, y, small.width, y), fill=(200 - y * 80 // small.height, 180, 150 + y * 60 // small.height))
    for _ in range(60):
        x, y, r = rng.randrange(small.width), rng.randrange(small.height), rng.randrange(10, small.width // 6)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    image = small.resize((width, height), Image.Resampling.BICUBIC).filter(ImageFilter.DETAIL)
    noise = Image.effect_noise((width, height), 18).convert("RGB")
    return Image.blend(image, noise, 0.12)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    twelve = photo_like(4000, 3000)
    cases = {
        "12 MP PNG": encoded(twelve, "PNG"),
        "12 MP JPEG": encoded(twelve, "JPEG", quality=92),
        "12 MP WebP": encoded(twelve, "WEBP", quality=90),
        "16 MP PNG": encoded(photo_like(4608, 3456), "PNG"),
        "48 MP JPEG": encoded(photo_like(8000, 6000), "JPEG", quality=92),
        "40 MP PNG bomb": encoded(Image.new("L", (8000, 5000), 0), "PNG"),
    }
    cpu = time.process_time
    print(f"{'upload':16} {'bytes':>10} {'decode':>8} {'store':>8} {'CPU ms':>8} {'wall ms':>8}  result")
    for name, data in cases.items():
        try:
            decode_ms, photo = timed(lambda data=data: decode_upload(data, MAX_STORED_SIDE), args.runs, cpu)
        except ApiError as exc:
            refuse_ms, _ = timed(lambda data=data: _refused(data), args.runs, cpu)
            wall_ms, _ = timed(lambda data=data: _refused(data), args.runs)
            print(f"{name:16} {len(data):>10} {refuse_ms:>8.1f} {'-':>8} {refuse_ms:>8.1f} {wall_ms:>8.1f}"
                  f"  refused: {exc.code}")
            continue
        store_ms, (stored, media_type) = timed(lambda photo=photo: normalized(photo), args.runs, cpu)
        wall_ms, _ = timed(lambda data=data: normalized(decode_upload(data, MAX_STORED_SIDE)), args.runs)
        size = Image.open(io.BytesIO(stored)).size
        print(f"{name:16} {len(data):>10} {decode_ms:>8.1f} {store_ms:>8.1f} {decode_ms + store_ms:>8.1f}"
              f" {wall_ms:>8.1f}  {photo.width}x{photo.height} decoded, {size[0]}x{size[1]} {media_type} stored")


def _refused(data: bytes) -> None:
    try:
        decode_upload(data, MAX_STORED_SIDE)
    except ApiError:
        return


if __name__ == "__main__":
    main()
