"""Rendering benchmark, run by hand: ``.venv/bin/python bench/bench_render.py [sharers]``.

Prints, on one core: the median and p90 time of one personal poster from a
cached base (target <= 10 ms), the time for a whole channel set from a
12-megapixel JPEG (target <= 1 s), both for the pure renderer and through the
service path (upload normalisation, every channel in the registry, encoding,
content-addressed storage), and peak memory while streaming posters for many
sharers to disk (bounded memory: default 10,000 sharers).
"""
from __future__ import annotations

import io
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from channels import REGISTRY  # noqa: E402
from channels.content import MasterContent, SharerVoice  # noqa: E402
from publishing import renders  # noqa: E402
from publishing.images import normalized  # noqa: E402
from publishing.posts import plan  # noqa: E402
from publishing.render.card import render_base  # noqa: E402
from publishing.render.encoding import encode_jpeg, encode_png  # noqa: E402
from publishing.render.photo import load_photo  # noqa: E402
from publishing.render.poster import render_poster  # noqa: E402
from publishing.storage import LocalStorage  # noqa: E402

CHANNEL_SET = [(1080, 1080, "feed"), (1080, 1440, "poster"), (1080, 1350, "feed"), (1600, 900, "feed"),
               (1200, 630, "feed"), (1200, 627, "feed"), (900, 383, "cover"), (1080, 1920, "story")]
CONTENT = MasterContent(title="明前龙井 · 春茶首发 🍵", body="西湖产区明前头采，一芽一叶，豆香清雅。",
                        price=Decimal("128"), original_price=Decimal("168"), brand_name="西湖茶社",
                        brand_color="#2E7D32")
CTA = "长按识别二维码，立即购买"


def twelve_megapixel_jpeg() -> bytes:
    rng = random.Random(7)
    image = Image.new("RGB", (4000, 3000), (205, 220, 195))
    draw = ImageDraw.Draw(image)
    for _ in range(400):
        x, y = rng.randrange(4000), rng.randrange(3000)
        r = rng.randrange(20, 300)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(2))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def voice(i: int) -> SharerVoice:
    return SharerVoice(name=f"分享者{i:05d}", link=f"https://sharecast.example/r/{i:07x}Zq", code=f"C{i:05d}")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def service_path(jpeg: bytes, folder: str, sharers: int = 300) -> None:
    """What a first ``GET /posts`` and ``posters build`` cost, minus the database."""
    store = LocalStorage(folder)
    started = time.perf_counter()
    data, media_type = normalized(load_photo(jpeg))
    key = store.put(data, media_type)
    uploaded = time.perf_counter()
    stored = Image.open(io.BytesIO(data))
    snapshot = {"title": CONTENT.title, "body": CONTENT.body, "hashtags": [], "price": str(CONTENT.price),
                "original_price": str(CONTENT.original_price), "currency": CONTENT.currency,
                "landing_url": "https://shop.example.com/p/1", "channels": list(REGISTRY),
                "brand_name": CONTENT.brand_name, "brand_color": CONTENT.brand_color, "call_to_action": CTA,
                "language": "zh-CN", "publisher": CONTENT.brand_name, "logo": None,
                "photos": [{"id": 1, "sha256": key[3:67], "storage_key": key, "width": stored.width,
                            "height": stored.height}]}
    renders._photo.cache_clear()
    renders._cards.clear()
    renderer = renders.Renderer(snapshot, store)
    slots = plan(renderer, list(REGISTRY), {})
    t = time.perf_counter()
    images = [renderer.image(slot) for channel_slots in slots.values() for slot in channel_slots]
    finished = time.perf_counter()
    print(f"service path, all {len(REGISTRY)} channels ({len(images)} images, {len(set(i.key for i in images))} "
          f"distinct) from a 12 MP upload, one core: {(finished - t) * 1000:.0f} ms to draw, encode and store "
          f"(upload normalisation before that: {(uploaded - started) * 1000:.0f} ms)")
    poster_slot = next(s for s in slots["wechat_moments"] if s.poster)
    times = []
    for i in range(sharers):
        t = time.perf_counter()
        renderer.image(poster_slot, voice(i))
        times.append((time.perf_counter() - t) * 1000)
    print(f"service path, personal poster 1080x1440 (paste, JPEG, store): median {statistics.median(times):.2f} ms, "
          f"p90 {pct(times, 0.9):.2f} ms over {sharers}")


def main() -> None:
    sharers = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    jpeg = twelve_megapixel_jpeg()

    started = time.perf_counter()
    photo = load_photo(jpeg)
    decoded = time.perf_counter()
    results = [render_base(CONTENT, photo, w, h, role) for w, h, role in CHANNEL_SET]
    finished = time.perf_counter()
    print(f"channel set ({len(CHANNEL_SET)} sizes) from a {photo.width}x{photo.height} JPEG, one core: "
          f"{(finished - started) * 1000:.0f} ms (decode {(decoded - started) * 1000:.0f} ms, "
          f"render {(finished - decoded) * 1000:.0f} ms)")

    with tempfile.TemporaryDirectory() as folder:
        service_path(jpeg, folder)

    base = results[1].image  # 1080x1440 poster base, cached per content version
    for i in range(20):  # warm the font and CTA caches
        render_poster(base, voice(i), CTA, accent=CONTENT.brand_color)
    times = []
    for i in range(300):
        t = time.perf_counter()
        render_poster(base, voice(i), CTA, accent=CONTENT.brand_color)
        times.append((time.perf_counter() - t) * 1000)
    print(f"poster from cached base (1080x1440): median {statistics.median(times):.2f} ms, "
          f"p90 {pct(times, 0.9):.2f} ms over {len(times)}")
    for name, encode in (("PNG", encode_png), ("JPEG q88", encode_jpeg)):
        poster = render_poster(base, voice(1), CTA, accent=CONTENT.brand_color)
        t = time.perf_counter()
        size = len(encode(poster))
        print(f"  encode {name}: {(time.perf_counter() - t) * 1000:.1f} ms, {size / 1024:.0f} KiB")

    process = psutil.Process()
    rss_before = process.memory_info().rss
    peak_rss = rss_before
    tracemalloc.start()
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for i in range(sharers):
            poster = render_poster(base, voice(i), CTA, accent=CONTENT.brand_color)
            Path(folder, f"{i:05d}.jpg").write_bytes(encode_jpeg(poster))
            if i % 250 == 0:
                peak_rss = max(peak_rss, process.memory_info().rss)
        written = sum(f.stat().st_size for f in Path(folder).iterdir())
    elapsed = time.perf_counter() - t
    _, peak_traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = max(peak_rss, process.memory_info().rss)
    print(f"{sharers} posters streamed to disk as JPEG: {elapsed:.1f} s ({elapsed / sharers * 1000:.1f} ms each, "
          f"{written / 2**20:.0f} MiB), peak Python allocations {peak_traced / 2**20:.1f} MiB, "
          f"RSS {rss_before / 2**20:.0f} -> peak {peak_rss / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
