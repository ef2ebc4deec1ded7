"""Media storage: uploaded images and renders, content-addressed.

A file's key is derived from its bytes (``ab/<sha256>.jpg``), so the same
bytes are stored once, a key never changes meaning, and whatever serves it
may cache it forever. Backends sit behind the small :class:`Storage`
protocol and are chosen by name (``MEDIA_STORAGE``, default ``local``: a
folder under ``instance/``), as rq picks serializers from ``SERIALIZER_ALIASES``.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from flask import Flask, current_app

from plumbing.appstate import AppSlot

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
MEDIA_TYPES = {ext: media_type for media_type, ext in EXTENSIONS.items()}
KEY_RE = re.compile(r"^[0-9a-f]{2}/([0-9a-f]{64})\.(png|jpg|webp)$")


def key_for(data: bytes, media_type: str) -> str:
    """The storage key of ``data``: ``<first two hex digits>/<sha256>.<ext>``.

    :raise KeyError: a media type storage does not keep.
    """
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest}.{EXTENSIONS[media_type]}"


def media_type_of(key: str) -> str:
    """``image/png`` for ``ab/….png``. :raise ValueError: not a storage key."""
    match = KEY_RE.match(key)
    if match is None:
        raise ValueError(f"not a storage key: {key!r}")
    return MEDIA_TYPES[match.group(2)]


class Storage(Protocol):
    """Where media bytes live. Keys come from :func:`key_for`."""

    def put(self, data: bytes, media_type: str) -> str:
        """Store ``data`` (a no-op when already stored) and return its key."""

    def read(self, key: str) -> bytes:
        """The bytes under ``key``. :raise FileNotFoundError: nothing stored there."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` is stored."""

    def delete(self, key: str) -> None:
        """Remove what is stored under ``key``; nothing stored there is not an error."""


class LocalStorage:
    """A folder on the local disk (by default ``instance/media``)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        media_type_of(key)  # refuses anything that is not a key: no "../" can get through
        return self.root / key

    def put(self, data: bytes, media_type: str) -> str:
        key = key_for(data, media_type)
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file, and two writers
        # of the same key write the same bytes.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".put-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


STORAGES: dict[str, type] = {"local": LocalStorage}
_storage: AppSlot[Storage] = AppSlot("storage")


def init_app(app: Flask) -> None:
    """Build the configured backend once (``MEDIA_STORAGE``, ``MEDIA_ROOT``)."""
    name = app.config["MEDIA_STORAGE"]
    root = app.config["MEDIA_ROOT"] or Path(app.instance_path) / "media"
    try:
        backend = STORAGES[name]
    except KeyError:
        raise RuntimeError(f"unknown MEDIA_STORAGE {name!r}; one of {', '.join(STORAGES)}") from None
    _storage.set(app, backend(root))


def storage(app: Flask | None = None) -> Storage:
    return _storage.get(app)


def public_url(key: str, app: Flask | None = None) -> str:
    """Where ``key`` is served (``GET /media/<key>``, see :mod:`publishing.media`)."""
    return f"{(app or current_app).config['PUBLIC_URL']}/media/{key}"
