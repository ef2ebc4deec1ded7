"""Rendered images of a content version: planned, drawn once, stored, found again.

Which images a channel's post carries is a pure plan (:func:`plan_slots`).
Each image is found by a key digested from everything it is drawn from, so a
card is drawn once per content version and size, a poster once per card and
sharer, and a second request for either is a database lookup. The bytes go
to media storage under their own digest (same inputs, same file).
"""
from __future__ import annotations

import io
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import lru_cache

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.content import SharerVoice
from channels.spec import ChannelSpec, ImageSize
from plumbing.database import insert_for
from publishing.models import Render
from publishing.render.card import PosterSlots, render_base
from publishing.render.encoding import encode_jpeg, encode_png
from publishing.render.photo import cover, load_photo
from publishing.render.poster import render_poster, scan_hint
from publishing.render.template import aspect_of, place, render_template_base, seller_ink
from publishing.storage import Storage
from publishing.versions import card_hash, digest, master_content

# Part of every key: bump it when drawing code changes, and everything is
# redrawn under new keys while old files stay where grabbed posts point.
RENDERER = 3

_STORY_ASPECT = 1.6  # height/width from which a card keeps clear of a story player's bottom band
_MIN_POSTER_ASPECT = 0.5  # height/width below which a size gets no poster


@dataclass(frozen=True)
class Slot:
    """One image of a post: a card of ``role`` at a size, with a QR poster pasted on or not; or, with
    role ``photo``, the campaign's product photo number ``photo`` (from 1: the first is on the cards)
    cropped to the size, one picture of a carousel."""

    width: int
    height: int
    role: str
    poster: bool = False
    long_press: bool = False  # the channel's app scans a QR code pressed and held in a picture
    photo: int = 0


@dataclass(frozen=True)
class Rendered:
    key: str
    kind: str  # card | poster | photo
    storage_key: str
    media_type: str
    width: int
    height: int
    warnings: tuple[str, ...] = ()
    avatar_key: str | None = None  # the sharer's photo a poster carries


def card_role(size: ImageSize, height: int) -> str:
    """The layout role of ``render_base`` for a channel's image size."""
    if height / size.width >= _STORY_ASPECT:
        return "story"
    return "cover" if size.role.startswith("cover") else "feed"


def resolve_height(size: ImageSize, photo: tuple[int, int] | None) -> int:
    """``size.height``, or where only the width is fixed, the photo's own aspect
    (kept between 2:1 and 4:5), or 1.91:1 without a photo."""
    if size.height is not None:
        return size.height
    if photo is None:
        return round(size.width / 1.91)
    return min(round(size.width * 1.25), max(round(size.width * 0.5), round(size.width * photo[1] / photo[0])))


def plan_slots(spec: ChannelSpec, with_poster: bool, photo: tuple[int, int] | None = None,
               more_photos: int = 0) -> list[Slot]:
    """The images of one channel's post, in order (pure).

    One image per size in the spec. With a poster, the spec's ``poster`` size
    carries it; a channel without one gets the poster at its first size that
    is not a thin banner, in place of the plain card, or after the plain
    cards where the first image must show no QR code (Xiaohongshu). Then, where
    the channel takes several images (``max_images`` of 2 or more), the campaign's
    ``more_photos`` other product photos at its first image's size (a carousel
    keeps one aspect), up to ``max_images`` in all: Moments' nine-grid,
    Xiaohongshu's and Instagram's carousels.
    """
    slots = []
    for size in spec.image_sizes:
        height = resolve_height(size, photo)
        if size.role == "poster":
            slots.append(Slot(size.width, height, "poster", True, spec.long_press_qr) if with_poster
                         else Slot(size.width, height, "feed"))
        else:
            slots.append(Slot(size.width, height, card_role(size, height)))
    if with_poster and not any(slot.poster for slot in slots):
        # Banner covers (2.35:1) leave no room for a scannable code and a name.
        fits = [i for i, slot in enumerate(slots) if slot.height / slot.width >= _MIN_POSTER_ASPECT]
        if fits:
            i = fits[0]
            poster = Slot(slots[i].width, slots[i].height, "poster", True, spec.long_press_qr)
            if spec.first_image_no_qr and i == 0:
                slots.append(poster)
            else:
                slots[i] = poster
    if slots and spec.max_images and spec.max_images >= 2:
        first = next((slot for slot in slots if not slot.poster), slots[0])
        room = max(0, spec.max_images - len(slots))
        slots += [Slot(first.width, first.height, "photo", photo=n) for n in range(1, min(more_photos, room) + 1)]
    return slots


@lru_cache(maxsize=4)  # a product photo and a logo or two; a 3200 px photo is ~30 MB decoded
def _photo(store: Storage, key: str) -> Image.Image:
    return load_photo(store.read(key))


@lru_cache(maxsize=64)  # sharers' avatars: 320 px squares, 300 KB each decoded
def _avatar(store: Storage, key: str) -> Image.Image:
    return load_photo(store.read(key))


class _Cards(OrderedDict):
    """The last few decoded poster cards: posters for many sharers paste onto the same few."""

    LIMIT = 8

    def keep(self, key: str, image: Image.Image, warnings: tuple[str, ...]) -> None:
        self[key] = (image, warnings)
        self.move_to_end(key)
        while len(self) > self.LIMIT:
            self.popitem(last=False)


_cards = _Cards()


class Renderer:
    """Draws and finds the images of one content version.

    Use: :meth:`key` for each wanted image, :meth:`load_known` once for all
    of them, :meth:`image` for each, then :meth:`save` the fresh ones in a
    short write transaction. Never holds a session itself.
    """

    def __init__(self, snapshot: dict, store: Storage) -> None:
        self.snapshot = snapshot
        self.content = master_content(snapshot)
        self.card_hash = card_hash(snapshot)
        self.store = store
        self.known: dict[str, Rendered] = {}
        self.fresh: list[Rendered] = []

    @property
    def photo_size(self) -> tuple[int, int] | None:
        photos = self.snapshot["photos"]
        return (photos[0]["width"], photos[0]["height"]) if photos else None

    # ---------------------------------------------------------------- keys

    @property
    def more_photos(self) -> int:
        """How many product photos there are beside the first (the one cards are drawn from)."""
        return max(0, len(self.snapshot["photos"]) - 1)

    def card_key(self, slot: Slot) -> str:
        if slot.role == "photo":  # a carousel picture shows nothing but its photo: only that keys it
            photo = self.snapshot["photos"][slot.photo]
            return digest([RENDERER, "photo", photo["storage_key"], photo.get("focus"), slot.width, slot.height])
        role = "poster" if slot.poster else slot.role
        return digest([RENDERER, "card", self.card_hash, slot.width, slot.height, role])

    def key(self, slot: Slot, voice: SharerVoice | None = None) -> str:
        if not slot.poster:
            return self.card_key(slot)
        voice = voice or self.publisher_voice()
        parts = [RENDERER, "poster", self.card_key(slot), voice.qr_target, voice.name, voice.code,
                 slot.long_press, self.content.brand_color, self.content.language]
        if voice.avatar:  # only then, so that posters without one keep the keys they were stored under
            parts.append(voice.avatar)
        return digest(parts)

    def publisher_voice(self) -> SharerVoice:
        """Who a poster without a sharer is from: the brand, pointing at the landing page."""
        return SharerVoice(name=self.snapshot["publisher"], link=self.content.landing_url, code="")

    # ---------------------------------------------------------------- lookups

    def load_known(self, session: Session, keys: list[str]) -> None:
        """Fetch the stored renders among ``keys`` in one query per 500."""
        wanted = [k for k in dict.fromkeys(keys) if k not in self.known]
        for start in range(0, len(wanted), 500):
            for row in session.scalars(select(Render).where(Render.key.in_(wanted[start:start + 500]))):
                self.known[row.key] = Rendered(row.key, row.kind, row.storage_key, row.media_type, row.width,
                                               row.height, tuple(row.warnings or ()))

    def missing(self, keys: list[str]) -> list[str]:
        return [k for k in keys if k not in self.known]

    # ---------------------------------------------------------------- drawing

    def image(self, slot: Slot, voice: SharerVoice | None = None) -> Rendered:
        """The stored render for ``slot`` (and ``voice`` on a poster), drawn now if missing."""
        key = self.key(slot, voice)
        found = self.known.get(key)
        if found is not None:
            return found
        if slot.poster:
            rendered = self._poster(key, slot, voice or self.publisher_voice())
        elif slot.role == "photo":
            rendered = self._carousel_photo(key, slot)
        else:
            rendered = self._card(key, slot)
        self.known[key] = rendered
        self.fresh.append(rendered)
        return rendered

    def template_layout(self, slot: Slot) -> dict | None:
        """The brand template's layout a poster of ``slot``'s size is drawn in, if the version has one."""
        template = self.snapshot.get("template")
        if not template or not slot.poster:
            return None
        return template["layouts"].get(aspect_of(slot.width, slot.height))

    def poster_slots(self, slot: Slot) -> PosterSlots | None:
        """Where the code and the sharer go on ``slot``'s poster: the template's boxes, or the look's (None)."""
        layout = self.template_layout(slot)
        return place(layout, slot.width, slot.height).slots if layout else None

    def note_ink(self, slot: Slot) -> tuple[int, int, int] | None:
        layout = self.template_layout(slot)
        return seller_ink(layout) if layout else None

    def _draw_card(self, slot: Slot, role: str):
        photos, logo = self.snapshot["photos"], self.snapshot.get("logo")
        photo = _photo(self.store, photos[0]["storage_key"]) if photos else None
        mark = _photo(self.store, logo["storage_key"]) if logo else None
        focus = tuple(photos[0]["focus"]) if photos and photos[0].get("focus") else None
        layout = self.template_layout(slot) if role == "poster" else None
        if layout is not None:
            background = self.snapshot["template"]["background"]
            return render_template_base(layout, _photo(self.store, background) if background else None,
                                        self.content, photo, slot.width, slot.height, focus)
        return render_base(self.content, photo, slot.width, slot.height, role, logo=mark, focus=focus)

    def _card(self, key: str, slot: Slot) -> Rendered:
        result = self._draw_card(slot, slot.role)
        # Cards are drawn once per version: 4:4:4 keeps coloured type crisp.
        data = encode_jpeg(result.image, quality=90, subsampling="4:4:4")
        return self._store(key, "card", data, "image/jpeg", result.image.size, result.warnings)

    def _carousel_photo(self, key: str, slot: Slot) -> Rendered:
        photo = self.snapshot["photos"][slot.photo]
        focus = tuple(photo["focus"]) if photo.get("focus") else None
        image, factor = cover(_photo(self.store, photo["storage_key"]), slot.width, slot.height, focus)
        data = encode_jpeg(image, quality=90, subsampling="4:4:4")
        return self._store(key, "photo", data, "image/jpeg", image.size, ("image_upscaled",) if factor > 1.0 else ())

    def prepare(self, slot: Slot) -> None:
        """Make sure the card under ``slot`` is drawn (the empty card, for a poster slot),
        so that posters for many sharers only paste onto it."""
        if slot.poster:
            self._poster_card(slot)
        else:
            self.image(slot)

    def _poster_card(self, slot: Slot) -> tuple[Image.Image, tuple[str, ...]]:
        """The empty poster card for ``slot``: decoded once, kept while sharers' posters are drawn."""
        key = self.card_key(slot)
        if key in _cards:
            return _cards[key]
        found = self.known.get(key)
        if found is not None:
            image = Image.open(io.BytesIO(self.store.read(found.storage_key)))
            image.load()
            warnings = found.warnings
        else:
            result = self._draw_card(slot, "poster")
            image, warnings = result.image, result.warnings
            # Lossless: every poster is pasted onto this card, then encoded once.
            # Only workers read it back, so speed beats size.
            self.known[key] = self._store(key, "card", encode_png(image, compress_level=1), "image/png",
                                          image.size, warnings)
            self.fresh.append(self.known[key])
        _cards.keep(key, image, warnings)
        return image, warnings

    def _poster(self, key: str, slot: Slot, voice: SharerVoice) -> Rendered:
        card, warnings = self._poster_card(slot)
        try:
            poster = render_poster(card, voice, scan_hint(self.content.language, slot.long_press),
                                   accent=self.content.brand_color, language=self.content.language,
                                   slots=self.poster_slots(slot), note_ink=self.note_ink(slot), avatar=_avatar(self.store, voice.avatar) if voice.avatar else None)
        except ValueError:  # the QR code does not fit this size: a plain card instead
            plain = self.image(Slot(slot.width, slot.height, "feed"))
            return Rendered(key, "card", plain.storage_key, plain.media_type, plain.width, plain.height,
                            plain.warnings + ("qr_unavailable",))
        stored = self._store(key, "poster", encode_jpeg(poster), "image/jpeg", poster.size, warnings)
        return replace(stored, avatar_key=voice.avatar or None)

    def _store(self, key: str, kind: str, data: bytes, media_type: str, size: tuple[int, int],
               warnings: tuple[str, ...]) -> Rendered:
        storage_key = self.store.put(data, media_type)
        return Rendered(key, kind, storage_key, media_type, size[0], size[1], tuple(warnings))

    # ---------------------------------------------------------------- saving

    def save(self, session: Session) -> int:
        """Insert the rows of renders drawn since the last save; a row already there
        (another process drew the same image) is left as it is. Flushes, never commits."""
        if not self.fresh:
            return 0
        insert = insert_for(session)
        rows = [{"key": r.key, "kind": r.kind, "storage_key": r.storage_key, "media_type": r.media_type,
                 "width": r.width, "height": r.height, "warnings": list(r.warnings), "avatar_key": r.avatar_key}
                for r in self.fresh]
        session.execute(insert(Render).values(rows).on_conflict_do_nothing(index_elements=["key"]))
        count = len(self.fresh)
        self.fresh = []
        return count
