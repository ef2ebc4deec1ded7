"""A sharer's avatar: the photo their posters show, round, beside their name.

An upload passes the same checks as a campaign's images (:func:`publishing.images.decode_upload`:
type, bytes, pixels before decoding, EXIF orientation applied), is cut to a centred square
and re-encoded, so no metadata (a phone's GPS position) survives into the public file.
The key of what is stored goes into every poster's render key (see
:meth:`publishing.renders.Renderer.key`), so changing or removing it redraws the posters.

A replaced, removed or erased photo is retired (:class:`referrals.models.RetiredAvatar`): posters
already drawn carry its pixels in their own files, and a poster is only ever drawn with a sharer's
current photo, so once :data:`GRACE` has passed (for a poster being drawn at that moment)
:func:`sweep_retired_avatars` deletes the file, and the poster files drawn with it (they carry the
face), unless a sharer uses the same bytes again.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from PIL import Image, ImageOps
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, object_session

from publishing.images import decode_upload
from publishing.models import Render
from publishing.render.encoding import encode_jpeg
from publishing.storage import Storage
from referrals.models import RetiredAvatar, Sharer

GRACE = timedelta(hours=1)  # far longer than drawing a poster takes, even on a busy worker
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
    key = store.put(encode_jpeg(avatar_square(photo), quality=90), "image/jpeg")
    if key != sharer.avatar_key:
        _retire(sharer)
    sharer.avatar_key = key
    return key


def remove_avatar(sharer: Sharer) -> None:
    """Posters show the name alone again; the old file is retired (deleted by the sweep)."""
    _retire(sharer)
    sharer.avatar_key = None


def _retire(sharer: Sharer) -> None:
    if sharer.avatar_key:
        object_session(sharer).add(RetiredAvatar(storage_key=sharer.avatar_key))


def sweep_retired_avatars(session: Session, store: Storage, now: datetime, grace: timedelta = GRACE) -> int:
    """Delete the files of photos retired before ``now - grace`` that no sharer uses any more, and
    forget the retirements. Returns how many files went. Safe to run twice or at once on two workers:
    deleting a missing file is no error, and a file some sharer uses again is kept. The caller commits."""
    due = session.scalars(select(RetiredAvatar).where(RetiredAvatar.retired_at <= now - grace)
                          .order_by(RetiredAvatar.id).limit(1000)).all()
    keys = {row.storage_key for row in due}
    if not keys:
        return 0
    in_use = set(session.scalars(select(Sharer.avatar_key).where(Sharer.avatar_key.in_(keys))))
    gone = 0
    for key in sorted(keys - in_use):
        # The posters drawn with it carry the face too: their files and rows go (a poster asked for
        # again is drawn with the sharer's photo of now).
        posters = session.execute(select(Render.key, Render.storage_key).where(Render.avatar_key == key)).all()
        for _, poster_file in posters:
            store.delete(poster_file)
        session.execute(delete(Render).where(Render.key.in_([k for k, _ in posters])))
        store.delete(key)
        gone += 1
    session.execute(delete(RetiredAvatar).where(RetiredAvatar.id.in_([row.id for row in due])))
    return gone
