"""Secrets at rest: Fernet encryption with keys derived from ``SECRET_KEY``.

The newest key encrypts; older ones (``SECRET_KEY_FALLBACKS``) still decrypt,
so a key can be rotated (MultiFernet) without losing stored credentials.
"""
from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"sharecast secrets at rest v1"


def derive_key(secret_key: str) -> bytes:
    """A Fernet key from an application secret (HKDF-SHA256, fixed context)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


class Vault:
    """Encrypts JSON-able values; ``secret_keys`` newest first."""

    def __init__(self, secret_keys: list[str]) -> None:
        if not secret_keys or not secret_keys[0]:
            raise ValueError("a secret key is required")
        self._fernet = MultiFernet([Fernet(derive_key(k)) for k in secret_keys])

    def seal(self, value) -> str:
        return self._fernet.encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()

    def open(self, token: str):
        """:raise ValueError: the token was not made by any of our keys, or was altered."""
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise ValueError("cannot decrypt: wrong key or altered data") from None


def for_app(app) -> Vault:
    fallbacks = app.config.get("SECRET_KEY_FALLBACKS") or []
    if isinstance(fallbacks, str):
        fallbacks = [k for k in fallbacks.split(",") if k]
    return Vault([app.config["SECRET_KEY"], *fallbacks])
