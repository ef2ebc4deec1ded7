"""Sign-in limits that slow guessing without letting a stranger lock an account's owner out.

Only failures count (a sign-in that succeeds costs nothing), in three Flask-Limiter limits:

- per address: 10 failures a minute, 60 an hour, whatever the account;
- per account and address: 10 failures in 15 minutes, so one address cannot reach the next limit;
- per account, from browsers that have not signed in to it before: 50 failures in 15 minutes,
  against a guessing botnet spread over many addresses.

A browser that signed in to an account carries a signed "device cookie" (OWASP's defence
against lockout abuse): its failures for that account count on their own key, so the owner's
own browser still gets in with the right password while strangers exhaust the shared limit.

Seller sign-in links are limited per email the same way (``LINK_EMAIL_LIMIT``): strangers asking
for someone's links share one bucket (the inbox is not flooded), and a browser that signed in as
that seller before (a spent link set its device cookie) asks on its own bucket, so strangers cannot
keep the seller from getting a link.
"""
from __future__ import annotations

import hashlib
import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from web.security import limiter

DEVICE_COOKIE = "sharecast_device"
DEVICE_MAX_AGE = 180 * 24 * 3600
_MAX_ACCOUNTS = 5  # accounts one browser remembers


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="sign-in-device")


def _form_email() -> str:
    return (request.form.get("email") or "").strip().casefold()[:320]


def _account(email: str) -> str:
    return hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()[:24]


def email_key(email: str) -> str:
    """An address's rate-limit key, as the pages read it from a form (``_form_email``): the API's
    route that emails a link counts on the same key, so a page and the API share one bucket.
    Without an email, the caller's own network address."""
    email = email.strip().casefold()[:320]
    return _account(email) if email else f"address:{request.remote_addr or '-'}"


def _device() -> dict:
    """The signed device cookie's content: ``{"id": nonce, "accounts": [account hashes]}`` or {}."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return {}
    try:
        value = _signer().loads(raw, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return {}
    ok = isinstance(value, dict) and isinstance(value.get("id"), str) and isinstance(value.get("accounts"), list)
    return value if ok else {}


def _account_and_address() -> str:
    return f"{_account(_form_email())}|{request.remote_addr or '-'}"


def _account_for_this_browser() -> str:
    """The account's shared key, or its own key for a browser that signed in to that account before."""
    account = _account(_form_email())
    device = _device()
    if account in device.get("accounts", []):
        return f"{account}|device:{device['id']}"
    return account


def _link_email_for_this_browser() -> str:
    """The per-email key of a seller sign-in link request (see the module's docstring)."""
    email = _form_email()
    key = email_key(email)
    device = _device()
    if email and key in device.get("accounts", []):
        return f"{key}|device:{device['id']}"
    return key


LINK_EMAIL_LIMIT = limiter.limit("3 per 15 minutes", methods=["POST"], key_func=_link_email_for_this_browser,
                                 scope="link-email")
# Sign-in links: per address, and per email as above.
LINK_LIMITS = [limiter.limit("5 per minute;30 per hour", methods=["POST"]), LINK_EMAIL_LIMIT]


# The confirmation of a seller's new address: per address, and one bucket per inbox shared by the
# profile page and ``POST /api/v1/me/email`` (web/contact_api.py), so asking through both sends no
# more. Apart from the sign-in links' bucket: strangers asking for sign-in links to an inbox do not
# keep its owner from confirming it as their new address.
CONFIRM_EMAIL_SCOPE = "confirm-email"
CONFIRM_LIMITS = [limiter.limit("5 per minute;30 per hour", methods=["POST"]),
                  limiter.shared_limit("3 per 15 minutes", scope=CONFIRM_EMAIL_SCOPE, key_func=lambda: email_key(_form_email()),
                                       methods=["POST"])]


def limited(limits):
    """A view decorator applying each of ``limits`` (in order, the first outermost)."""
    def decorate(view):
        for limit in reversed(limits):
            view = limit(view)
        return view

    return decorate


def _failed(response) -> bool:
    return response.status_code != 303  # a sign-in that works answers 303 See Other


SIGN_IN_LIMITS = [
    limiter.limit("10 per minute;60 per hour", methods=["POST"], deduct_when=_failed),
    limiter.limit("10 per 15 minutes", methods=["POST"], key_func=_account_and_address,
                  scope="sign-in-account-address", deduct_when=_failed),
    limiter.limit("50 per 15 minutes", methods=["POST"], key_func=_account_for_this_browser,
                  scope="sign-in-account", deduct_when=_failed),
]


def remember_browser(response, email: str, path: str = "/console/sign-in"):
    """After a successful sign-in: this browser now knows ``email``'s account (the device cookie, sent
    only to the sign-in page at ``path``)."""
    device = _device() or {"id": secrets.token_urlsafe(16), "accounts": []}
    account = _account(email.strip().casefold())
    accounts = [a for a in device["accounts"] if a != account][-(_MAX_ACCOUNTS - 1):] + [account]
    secure = current_app.config["PUBLIC_URL"].startswith("https://")
    response.set_cookie(DEVICE_COOKIE, _signer().dumps({"id": device["id"], "accounts": accounts}),
                        max_age=DEVICE_MAX_AGE, path=path, secure=secure, httponly=True,
                        samesite="Lax")
    return response
