"""One outgoing call to a platform's API, through the SSRF guard.

Transport failures become a retryable :class:`~channels.base.PublishError`
that never echoes the URL (it may carry a token); answers come back as they
are, for the adapter to read its platform's error codes.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import httpx

from channels.base import BasePublisher, PublishError, TokenExpired, text_field, url_field
from plumbing import guarded_http


def call(platform: str, method: str, url: str, allow_private: bool, timeout: float, **kwargs) -> httpx.Response:
    """``method url`` with httpx ``kwargs``. :raise PublishError: refused target (final) or unreachable (retryable)."""
    try:
        with guarded_http.client(allow_private, timeout) as http:
            return http.request(method, url, **kwargs)
    except guarded_http.TargetRefused as exc:
        raise PublishError(f"{platform} API refused: {exc}", retryable=False) from None
    except httpx.HTTPError as exc:
        raise PublishError(f"{platform} API unreachable: {type(exc).__name__}", retryable=True) from None


def json_body(res: httpx.Response):
    """The answer's JSON, or ``{}`` when it is not JSON."""
    try:
        return res.json()
    except ValueError:
        return {}


def refused(platform: str, res: httpx.Response, detail: str, reset_header: str) -> PublishError:
    """The error for a bearer-token API's refusal: 401 → :class:`TokenExpired`; 429 → retryable when
    ``reset_header`` says the limit resets; 5xx retryable; the rest final with ``detail``."""
    if res.status_code == 401:
        return TokenExpired(f"{platform} refused the access token ({detail})")
    if res.status_code == 429:
        return rate_limited(platform, seconds_until(res.headers.get(reset_header)), 429)
    return PublishError(f"{platform} refused the post: {detail} ({res.status_code})", retryable=res.status_code >= 500)


def rate_limited(platform: str, retry_after: float | None, code: object = None) -> PublishError:
    """A retryable error saying when the platform's limit resets (the console shows that time)."""
    resets = ""
    if retry_after is not None:
        at = datetime.now(timezone.utc) + timedelta(seconds=retry_after)
        resets = f"; resets at {at.replace(microsecond=0).isoformat()}"
    suffix = f" ({code})" if code is not None else ""
    return PublishError(f"{platform} rate limit reached{resets}{suffix}", retryable=True, retry_after=retry_after)


def seconds_until(reset: str | None, now: datetime | None = None) -> float | None:
    """Seconds from now to a reset time given as epoch seconds (X's ``x-rate-limit-reset``),
    an ISO 8601 time (Mastodon's ``X-RateLimit-Reset``) or ``Retry-After`` (seconds or an HTTP
    date); None when absent or unreadable."""
    if not reset:
        return None
    now = now or datetime.now(timezone.utc)
    try:
        value = float(reset)
    except ValueError:
        for parse in (datetime.fromisoformat, parsedate_to_datetime):
            try:
                at = parse(reset)
            except (TypeError, ValueError):
                continue
            at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
            return max(0.0, (at - now).total_seconds())
        return None
    # A large number is an epoch time; a small one is a delay.
    return max(0.0, value - now.timestamp()) if value > 10**9 else max(0.0, value)


class BearerPublisher(BasePublisher):
    """An adapter for an API called with ``Authorization: Bearer <access_token>`` at ``api_base``
    (``default_api_base`` unless the credentials move it, e.g. to a local fake)."""

    fields = ("access_token", "api_base")
    platform = ""
    default_api_base = ""

    def check(self, credentials: dict, allow_private: bool, errors: dict) -> dict:
        token = text_field(credentials, "access_token", errors, max_length=2000)
        api_base = url_field(credentials, "api_base", errors, allow_private, required=False)
        return {"access_token": token, "api_base": (api_base or self.default_api_base).rstrip("/")}

    def bearer_call(self, method: str, path: str, credentials: dict, allow_private: bool, **kwargs) -> httpx.Response:
        """``method`` on ``path`` under the API base (or on ``path`` itself when it is a whole URL)."""
        url = path if path.startswith(("https://", "http://")) \
            else f"{credentials.get('api_base') or self.default_api_base}{path}"
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {credentials['access_token']}"}
        return call(self.platform, method, url, allow_private, self.timeout, headers=headers, **kwargs)
