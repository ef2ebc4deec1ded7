"""Standard Webhooks: secrets, signatures and the signed JSON POST.

Used by outgoing webhooks and by the generic webhook channel, so both sign
exactly alike: ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``
over ``{id}.{timestamp}.{body}`` with HMAC-SHA256 (the ``standardwebhooks``
library does the signing; receivers verify with the same library).
"""
from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime, timezone

import httpx
from standardwebhooks import Webhook

from plumbing import guarded_http

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def is_secret(value: str) -> bool:
    """True for a ``whsec_`` secret whose key decodes to 24 to 64 bytes."""
    if not isinstance(value, str) or not value.startswith(SECRET_PREFIX):
        return False
    try:
        key = base64.b64decode(value[len(SECRET_PREFIX):], validate=True)
    except ValueError:
        return False
    return 24 <= len(key) <= 64


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def signed_headers(secret: str, message_id: str, body: str, when: datetime | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` (the exact bytes sent, as text)."""
    when = when or datetime.now(timezone.utc)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, when, body),
    }


def post_signed(url: str, secret: str, message_id: str, body: str, allow_private: bool,
                timeout: float = 15.0) -> httpx.Response:
    """POST ``body`` (JSON text) to ``url``, signed, through the SSRF guard.

    :raise guarded_http.TargetRefused: the URL may not be called.
    :raise httpx.HTTPError: the call failed (connect, timeout, protocol).
    """
    headers = {"content-type": "application/json", "user-agent": "Sharecast-Webhooks/1",
               **signed_headers(secret, message_id, body)}
    with guarded_http.client(allow_private, timeout) as http:
        return http.post(url, content=body.encode(), headers=headers)
