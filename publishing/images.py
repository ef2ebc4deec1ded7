"""Uploading a campaign's images: product photos and the brand's logo.

An upload is decoded by :func:`publishing.photo.load_photo` (format, byte and
pixel limits checked before any pixel is decoded), turned upright, cleaned of
metadata (EXIF can carry a phone's GPS position, and these files are public)
and stored content-addressed. The campaign then gets a new content version,
since its posts now show something new.
"""
from __future__ import annotations

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Campaign
from plumbing.errors import ApiError
from publishing.models import CampaignImage
from publishing.render.encoding import encode_jpeg, encode_png
from publishing.render.photo import InvalidImage, load_photo
from publishing.storage import Storage
from publishing.versions import record_version

MAX_BYTES = 20 * 1024 * 1024
# Pixels decoded per upload, which is what costs a web worker its time (a 40 MP
# PNG of 39 KB took seconds): 16 MP (a 12 MP phone photo fits). A JPEG may be up to
# 50 MP on paper: it is decoded at 1/2, 1/4 or 1/8 scale (see load_photo).
MAX_PIXELS = 16_000_000
MAX_IMAGES = 30
# Cards are at most 1920 px on a side and crop a photo to fill them; beyond
# this a stored photo only costs decoding and encoding time.
MAX_STORED_SIDE = 2400

_STATUS = {"image_too_large": 413, "unsupported_image_type": 415}


def add_image(session: Session, store: Storage, campaign: Campaign, data: bytes, role: str = "product") -> CampaignImage:
    """Store ``data`` as a ``product`` photo or the ``logo`` of ``campaign``.

    A logo becomes the campaign's logo at once. Flushes, records the new
    content version; the caller commits.

    :raise ApiError 413: over ``MAX_BYTES``. :raise ApiError 415: not PNG, JPEG
        or WebP (or not an image). :raise ApiError 422: too many pixels
        (decompression bombs included), a corrupt file, or too many images.
    """
    photo = decode_upload(data, MAX_STORED_SIDE)
    count = session.scalar(select(func.count()).select_from(CampaignImage)
                           .where(CampaignImage.campaign_id == campaign.id))
    if count >= MAX_IMAGES:
        raise ApiError(422, "too_many_images", f"A campaign keeps at most {MAX_IMAGES} images.")
    data, media_type = normalized(photo)
    key = store.put(data, media_type)
    image = CampaignImage(workspace_id=campaign.workspace_id, campaign_id=campaign.id, role=role,
                          sha256=key.split("/")[1].split(".")[0], storage_key=key, media_type=media_type,
                          width=photo.width, height=photo.height, size_bytes=len(data))
    session.add(image)
    session.flush()
    if role == "logo":
        campaign.logo_image_id = image.id
    record_version(session, campaign)
    return image


def decode_upload(data: bytes, max_side: int) -> Image.Image:
    """Decode uploaded bytes under the upload limits (``MAX_BYTES``, ``MAX_PIXELS``), upright, in sRGB.

    :raise ApiError 413: over ``MAX_BYTES``. :raise ApiError 415: not PNG, JPEG or WebP.
    :raise ApiError 422: too many pixels (decompression bombs included), or a corrupt file.
    """
    try:
        return load_photo(data, max_pixels=MAX_PIXELS, max_bytes=MAX_BYTES, max_side=max_side)
    except InvalidImage as exc:
        raise ApiError(_STATUS.get(exc.code, 422), exc.code, f"The file was refused: {exc}.",
                       {"file": str(exc)}) from None


def set_focus(session: Session, campaign: Campaign, image_id: int, x: float, y: float) -> CampaignImage:
    """Mark where the product is in a product photo (fractions of its width and height, 0 to 1);
    crops centre on it from the next content version, recorded here. Flushes; the caller commits.

    :raise ApiError 404: no such image of the campaign. :raise ApiError 422: a point outside the photo.
    """
    image = session.scalar(select(CampaignImage).where(CampaignImage.id == image_id,
                                                       CampaignImage.campaign_id == campaign.id))
    if image is None:
        raise ApiError(404, "not_found", "No such image of this campaign.")
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise ApiError(422, "validation_error", "The focus point must be inside the photo.",
                       {"focus": "x and y between 0 and 1"})
    image.focus_x, image.focus_y = round(x, 4), round(y, 4)
    session.flush()
    record_version(session, campaign)
    return image


def normalized(photo: Image.Image) -> tuple[bytes, str]:
    """What is stored for a decoded upload: at most ``MAX_STORED_SIDE`` on a side,
    no metadata; PNG where there is transparency (logos), else a high-quality JPEG.
    Deterministic, so the same upload always lands under the same key."""
    if max(photo.size) > MAX_STORED_SIDE:
        scale = MAX_STORED_SIDE / max(photo.size)
        # Bilinear (Pillow's is antialiased: a triangle filter as wide as the shrink) at under half
        # LANCZOS's cost: 80 against 180 ms of CPU for 12 MP, inside the request. Every card is
        # drawn from this copy with LANCZOS at no more than 1920 px, where the difference is gone.
        # reducing_gap: box-reduce by a whole factor first when the shrink is 2x or more.
        photo = photo.resize((max(1, round(photo.width * scale)), max(1, round(photo.height * scale))),
                             Image.Resampling.BILINEAR, reducing_gap=2.0)
    if photo.mode == "RGBA":
        return encode_png(photo), "image/png"
    return encode_jpeg(photo, quality=94, subsampling="4:4:4"), "image/jpeg"
