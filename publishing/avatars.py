"""A sharer's avatar: the photo their posters show, round, beside their name.

An upload passes the same checks as a campaign's images (:func:`publishing.images.decode_upload`:
type, bytes, pixels before decoding, EXIF orientation applied), is cut to a centred square
and re-encoded, so no metadata (a phone's GPS position) survives into the public file.
The key of what is stored goes into every poster's render key (see
:meth:`publishing.renders.Renderer.key`), so changing or removing it redraws the posters.
"""
from __future__ import annotations

from PIL import Image, ImageOps

from publishing.images import decode_upload
from publishing.render.encoding import encode_jpeg
from publishing.storage import Storage
from referrals.models import Sharer

AVATAR_SIDE = 320  # a poster draws it at most ~100 px across on a 1080 px poster; twice that for sharpness


def avatar_square(photo: Image.Image) -> Image.Image:
    """The centred square of ``photo`` at ``AVATAR_SIDE``, opaque (transparency on white); pure.
    Faces sit a little above the middle of a portrait, so a tall photo keeps more of its top."""
    if photo.mode == "RGBA":
        flat = Image.new("RGB", photo.size, (255, 255, 255))
        flat.paste(photo, mask=photo.getchannel("A"))
        photo = flat
    centring = (0.5, 0.4) if photo.height > photo.width else (0.5, 0.5)
    return ImageOps.fit(photo.convert("RGB"), (AVATAR_SIDE, AVATAR_SIDE), Image.Resampling.LANCZOS,
                        centering=centring)


def set_avatar(store: Storage, sharer: Sharer, data: bytes) -> str:
    """Store ``data`` as ``sharer``'s avatar and return its storage key. Changes the sharer
    (the caller commits); a refused file changes nothing.

    :raise ApiError 413, 415, 422: as :func:`publishing.images.decode_upload`.
    """
    photo = decode_upload(data, AVATAR_SIDE * 2)
    sharer.avatar_key = store.put(encode_jpeg(avatar_square(photo), quality=90), "image/jpeg")
    return sharer.avatar_key


def remove_avatar(sharer: Sharer) -> None:
    """Posters show the name alone again. The file stays: posters already grabbed still point at it."""
    sharer.avatar_key = None
