"""OAuth 2.0 authorization code flow with PKCE (RFC 6749, RFC 7636), for the brand's own accounts.

Pure of the database: the caller keeps the ``state`` and verifier between
the redirect and the callback, and stores the tokens. Hand-written because it
is three small requests and must go through the SSRF guard; the PKCE transform
is checked against RFC 7636's own example (appendix B).
"""
from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from channels.base import PublishError
from channels.remote import call, json_body


class OAuthError(Exception):
    """The platform refused the grant. ``reconnect``: the brand must connect the account again."""

    def __init__(self, message: str, reconnect: bool, retryable: bool = False):
        super().__init__(message)
        self.message, self.reconnect, self.retryable = message, reconnect, retryable


@dataclass(frozen=True)
class OAuthProvider:
    """A platform's OAuth endpoints and habits (what its documentation prescribes)."""

    platform: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    pkce: bool = True
    # Confidential clients authenticate with HTTP Basic (X) or with form fields (Weibo).
    basic_auth: bool = True
    scope_separator: str = " "


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scope: str | None
    extra: dict


def code_verifier() -> str:
    """A high-entropy verifier: 43 characters of the unreserved set (RFC 7636 §4.1)."""
    return secrets.token_urlsafe(32)


def code_challenge(verifier: str) -> str:
    """The S256 challenge: BASE64URL(SHA256(verifier)) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(provider: OAuthProvider, client_id: str, redirect_uri: str, state: str,
                  verifier: str | None) -> str:
    """Where to send the marketer's browser to grant access."""
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
              "scope": provider.scope_separator.join(provider.scopes), "state": state}
    if provider.pkce and verifier:
        params.update(code_challenge=code_challenge(verifier), code_challenge_method="S256")
    return f"{provider.authorize_url}?{urlencode(params)}"


def exchange_code(provider: OAuthProvider, client_id: str, client_secret: str, code: str, redirect_uri: str,
                  verifier: str | None, allow_private: bool, now: datetime | None = None) -> Tokens:
    """Trade the callback's ``code`` for tokens. :raise OAuthError: refused or unreachable."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if provider.pkce and verifier:
        form["code_verifier"] = verifier
    return _token_request(provider, client_id, client_secret, form, allow_private, now)


def refresh(provider: OAuthProvider, client_id: str, client_secret: str, refresh_token: str,
            allow_private: bool, now: datetime | None = None) -> Tokens:
    """New tokens from a refresh token (X rotates it: keep the new one). :raise OAuthError."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token_request(provider, client_id, client_secret, form, allow_private, now)


def _token_request(provider: OAuthProvider, client_id: str, client_secret: str, form: dict,
                   allow_private: bool, now: datetime | None) -> Tokens:
    form = {**form, "client_id": client_id}
    auth = None
    if provider.basic_auth and client_secret:
        auth = (client_id, client_secret)
    elif client_secret:
        form["client_secret"] = client_secret
    try:
        res = call(provider.platform, "POST", provider.token_url, allow_private, 20.0, data=form, auth=auth)
    except PublishError as exc:
        raise OAuthError(exc.message, reconnect=False, retryable=exc.retryable) from None
    body = json_body(res)
    if res.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
        error = body.get("error") if isinstance(body, dict) else None
        detail = (body.get("error_description") or body.get("error") or "") if isinstance(body, dict) else ""
        if isinstance(error, dict):  # the Graph API's {"error": {"message", "code", ...}}
            error, detail = None, error.get("message") or ""
        # invalid_grant: the code or refresh token is used up or revoked; only a new connect helps.
        reconnect = error in {"invalid_grant", "invalid_request", "unauthorized_client", "expired_token"} \
            or res.status_code in (400, 401)
        raise OAuthError(f"{provider.platform} token request refused ({res.status_code}"
                         f"{': ' + str(detail)[:200] if detail else ''})", reconnect=reconnect,
                         retryable=res.status_code >= 500 or res.status_code == 429)
    now = now or datetime.now(timezone.utc)
    expires_in = body.get("expires_in")
    try:
        expires_at = now + timedelta(seconds=int(expires_in)) if expires_in is not None else None
    except (TypeError, ValueError):
        expires_at = None
    extra = {k: v for k, v in body.items() if k not in {"access_token", "refresh_token", "expires_in", "scope"}}
    return Tokens(body["access_token"], body.get("refresh_token"), expires_at, body.get("scope"), extra)
