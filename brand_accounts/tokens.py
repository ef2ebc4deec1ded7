"""Connecting a brand account (OAuth redirect and callback) and keeping its token fresh.

The ``state`` of a connect (workspace, channel, PKCE verifier) waits in Redis,
sealed, for ten minutes and is used once. Tokens are sealed in the database
(plumbing/vault.py). One refresh at a time per account (a Redis lock): X
rotates refresh tokens, so two workers refreshing together would lose the
connection.
"""
from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from brand_accounts.mastodon_apps import registration
from brand_accounts.models import BrandAccount
from brand_accounts.notices import add_notice
from channels import REGISTRY
from channels.mastodon import InstanceError, instance_base
from channels.oauth import OAuthError, OAuthProvider, Tokens, authorize_url, code_verifier, exchange_code, refresh
from plumbing import database, redis_client, vault
from plumbing.database import insert_for, utcnow
from plumbing.errors import ApiError

STATE_TTL_SECONDS = 600
_STATE_KEY = "sharecast:oauth-state:{}"
_LOCK_KEY = "sharecast:account-refresh:{}"


# What a connect's answer may add to the tokens: the account's ids, and when the person connecting
# can post as several Pages or organisations, the ``choices`` (each ``{"id", "name", "values"}``).
KEPT = ("uid", "open_id", "user_id", "page_id", "page_name", "ig_user_id", "username", "organization", "choices")
CHOOSE = "needs_choice"  # connected, waiting for the marketer to choose which Page or organisation


class AccountUnusable(Exception):
    """The account cannot post until the brand connects it again (``message`` says why)."""


class ConnectRefused(ApiError):
    """The platform refused the connect's code (or what follows it); ``return_to``: the page that started it."""

    def __init__(self, message: str, return_to: str | None):
        super().__init__(502, "connect_refused", message)
        self.return_to = return_to


@dataclasses.dataclass(frozen=True)
class Platform:
    provider: OAuthProvider
    client_id: str
    client_secret: str
    api_base: str


def oauth_channels() -> list[str]:
    """Channels whose adapter connects by OAuth, in registry order."""
    return [cid for cid, c in REGISTRY.items() if getattr(c.publisher, "oauth", None) is not None]


def platform(app: Flask, channel: str, instance: str | None = None) -> Platform:
    """The channel's OAuth endpoints as configured (``<CHANNEL>_API_BASE`` moves the token URL too), or
    for Mastodon on ``instance`` (an API base), with Sharecast's registration there (made if need be).

    :raise ApiError 404: unknown channel. :raise ApiError 422: no OAuth, or no client id configured,
        or an instance that is not one or would not register Sharecast.
    """
    if channel not in REGISTRY:
        raise ApiError(404, "not_found", "No such channel.")
    if channel not in oauth_channels():
        raise ApiError(422, "no_oauth", f"The {channel} channel is not connected by OAuth; "
                                        f"accounts connect for {', '.join(oauth_channels())}.")
    prefix, default = channel.upper(), REGISTRY[channel].publisher.oauth
    client_id = app.config.get(f"{prefix}_CLIENT_ID") or ""
    if instance and not (client_id and instance == app.config[f"{prefix}_API_BASE"]):
        try:
            client_id, secret = registration(app, instance, redirect_uri(app, channel))
        except InstanceError as exc:
            raise ApiError(422, "invalid_instance", exc.message, {"instance": exc.kind}) from None
        provider = dataclasses.replace(default, authorize_url=f"{instance}/oauth/authorize",
                                       token_url=f"{instance}/oauth/token")
        return Platform(provider, client_id, secret, instance)
    if not client_id:
        if channel == "mastodon":
            raise ApiError(422, "instance_required", "Say which Mastodon instance the account is on "
                                                     "(instance, e.g. mastodon.social).", {"instance": "required"})
        raise ApiError(422, "not_configured", f"Sharecast has no {channel} app registration: set "
                                              f"SHARECAST_{prefix}_CLIENT_ID (see the README).")
    api_base = app.config[f"{prefix}_API_BASE"]
    # The token endpoint is on the API's host (moved with it), unless configured apart (LinkedIn's is on www).
    token_url = app.config.get(f"{prefix}_TOKEN_URL") or api_base + urlsplit(default.token_url).path
    provider = dataclasses.replace(default, token_url=token_url,
                                   authorize_url=app.config.get(f"{prefix}_AUTHORIZE_URL") or default.authorize_url)
    return Platform(provider, client_id, app.config.get(f"{prefix}_CLIENT_SECRET") or "", api_base)


def redirect_uri(app: Flask, channel: str) -> str:
    return f"{app.config['PUBLIC_URL']}/api/v1/accounts/{channel}/callback"


def start_connect(app: Flask, workspace_id: int, channel: str, operator_ip: str | None,
                  return_to: str | None = None, instance: str | None = None) -> str:
    """Where to send the marketer's browser; the state waits in Redis. ``return_to``: a path of
    ours to send the browser back to after the callback (a page), else the callback answers JSON.
    ``instance``: the Mastodon instance the account is on, as typed (``mastodon.social``).

    :raise ApiError: see :func:`platform`; 422 for an instance given for another channel.
    """
    base = None
    if instance is not None:
        if channel != "mastodon":
            raise ApiError(422, "validation_error", "Only a Mastodon account is on an instance of its choice.",
                           {"instance": "not for this channel"})
        try:
            base = instance_base(instance, app.config["ALLOW_PRIVATE_TARGETS"])
        except InstanceError as exc:
            raise ApiError(422, "invalid_instance", exc.message, {"instance": exc.kind}) from None
    plat = platform(app, channel, base)
    state = secrets.token_urlsafe(24)
    verifier = code_verifier() if plat.provider.pkce else None
    sealed = vault.for_app(app).seal({"workspace_id": workspace_id, "channel": channel, "verifier": verifier,
                                      "ip": operator_ip, "return_to": return_to, "instance": base})
    redis_client.connection(app).set(_STATE_KEY.format(state), sealed, ex=STATE_TTL_SECONDS)
    return authorize_url(plat.provider, plat.client_id, redirect_uri(app, channel), state, verifier)


def finish_connect(app: Flask, session: Session, channel: str, state: str, code: str | None
                   ) -> tuple[BrandAccount | None, str | None]:
    """Trade the callback's code for tokens and keep them (replacing an earlier connection); the caller commits.

    :return: the account (None when the brand declined: no ``code``) and the state's ``return_to``.
    :raise ApiError 400: unknown, used or expired state, or one for another channel.
    :raise ConnectRefused: the platform refused the code (a 502 that knows the page to go back to).
    """
    sealed = redis_client.connection(app).getdel(_STATE_KEY.format(state)) if state else None
    if sealed is None:
        raise ApiError(400, "invalid_state", "This connect link has expired or was already used; start again.")
    pending = vault.for_app(app).open(sealed.decode())
    if pending["channel"] != channel:
        raise ApiError(400, "invalid_state", "This connect link belongs to another channel.")
    if not code:
        return None, pending.get("return_to")
    plat = platform(app, channel, pending.get("instance"))
    try:
        tokens = exchange_code(plat.provider, plat.client_id, plat.client_secret, code, redirect_uri(app, channel),
                               pending["verifier"], app.config["ALLOW_PRIVATE_TARGETS"])
        # A platform whose grant is not yet what posts (Facebook: a short-lived user token → the Page's token).
        after = getattr(REGISTRY[channel].publisher, "after_connect", None)
        if after is not None:
            tokens = after(tokens, plat.provider, plat.client_id, plat.client_secret, plat.api_base,
                           app.config["ALLOW_PRIVATE_TARGETS"])
    except OAuthError as exc:
        raise ConnectRefused(exc.message, pending.get("return_to")) from None
    keep = {"operator_ip": pending.get("ip"), **({"api_base": pending["instance"]} if pending.get("instance") else {})}
    row = save_tokens(app, session, pending["workspace_id"], channel, tokens, keep)
    return row, pending.get("return_to")


def save_tokens(app: Flask, session: Session, workspace_id: int, channel: str, tokens: Tokens,
                keep: dict | None = None) -> BrandAccount:
    """Seal and store the account's tokens (upsert); the caller commits."""
    secret = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
              **{k: v for k, v in tokens.extra.items() if k in KEPT}, **(keep or {})}
    now = utcnow()
    status = CHOOSE if secret.get("choices") else "connected"
    values = {"sealed": vault.for_app(app).seal(secret), "status": status, "error": None,
              "expires_at": tokens.expires_at, "refreshed_at": now}
    stmt = insert_for(session)(BrandAccount).values(workspace_id=workspace_id, channel=channel, connected_at=now,
                                                    **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["workspace_id", "channel"],
                                               set_={**values, "connected_at": now}))
    return session.scalar(select(BrandAccount).where(BrandAccount.workspace_id == workspace_id,
                                                     BrandAccount.channel == channel)
                          .execution_options(populate_existing=True))


def account_credentials(app: Flask, workspace_id: int, channel: str, force_refresh: bool = False) -> dict | None:
    """The adapter's credentials for the workspace's connected account, refreshed first when the
    token ends within ``TOKEN_REFRESH_AHEAD_SECONDS`` (or ``force_refresh``); None when no account.

    :raise AccountUnusable: the account needs connecting again.
    """
    with database.read_session(app) as session:
        row = _account(session, workspace_id, channel)
        if row is None:
            return None
        account_id, expires_at, status, error = row.id, row.expires_at, row.status, row.error
    if status == CHOOSE:
        raise AccountUnusable(f"the {channel} account waits for the choice of the page it posts as; "
                              f"choose it on the Accounts page")
    if status != "connected":
        raise AccountUnusable(f"the {channel} account needs connecting again ({error or 'refused'})")
    ahead = timedelta(seconds=app.config["TOKEN_REFRESH_AHEAD_SECONDS"])
    if force_refresh or (expires_at is not None and expires_at <= utcnow() + ahead):
        refresh_account(app, account_id, seen_expires_at=expires_at)
    with database.read_session(app) as session:
        row = session.get(BrandAccount, account_id)
        if row is None or row.status != "connected":
            raise AccountUnusable(f"the {channel} account needs connecting again "
                                  f"({row.error if row is not None else 'disconnected'})")
        secret = vault.for_app(app).open(row.sealed)
    secret.pop("refresh_token", None)
    prefix = channel.upper()
    # An account on an instance of its own (Mastodon) keeps its API base with its tokens.
    settings = {"api_base": secret.get("api_base") or app.config[f"{prefix}_API_BASE"],
                "secure_domain": app.config.get(f"{prefix}_SECURE_DOMAIN") or urlsplit(app.config["PUBLIC_URL"]).hostname}
    fields = REGISTRY[channel].publisher.fields
    return {**{k: v for k, v in secret.items() if k in fields}, **{k: v for k, v in settings.items() if k in fields}}


def refresh_account(app: Flask, account_id: int, seen_expires_at: datetime | None = None) -> str:
    """Refresh one account's access token, one worker at a time.

    ``seen_expires_at``: the expiry the caller saw; if another worker already
    moved it on, nothing is done. :return: ``refreshed``, ``fresh`` (someone else did),
    ``needs_reconnect`` or ``gone``. Transient failures raise :class:`OAuthError` (retryable).
    """
    lock = redis_client.connection(app).lock(_LOCK_KEY.format(account_id), timeout=60, blocking_timeout=60)
    if not lock.acquire():
        raise OAuthError("another refresh of this account is taking too long", reconnect=False, retryable=True)
    try:
        with database.new_session(app) as session:
            row = session.get(BrandAccount, account_id)
            if row is None:
                return "gone"
            if row.status == CHOOSE:
                return "waiting"
            if row.status != "connected":
                return "needs_reconnect"
            if seen_expires_at is not None and row.expires_at is not None and row.expires_at > seen_expires_at:
                return "fresh"
            secret = vault.for_app(app).open(row.sealed)
            if not secret.get("refresh_token"):
                return _needs_reconnect(session, row, "the platform gave no refresh token; connect again")
            plat = platform(app, row.channel)
            try:
                tokens = refresh(plat.provider, plat.client_id, plat.client_secret, secret["refresh_token"],
                                 app.config["ALLOW_PRIVATE_TARGETS"])
            except OAuthError as exc:
                if not exc.reconnect:
                    raise
                return _needs_reconnect(session, row, exc.message)
            keep = {k: v for k, v in secret.items() if k not in ("access_token", "refresh_token")}
            if tokens.refresh_token is None:  # platforms that do not rotate keep the old one
                tokens = dataclasses.replace(tokens, refresh_token=secret["refresh_token"])
            save_tokens(app, session, row.workspace_id, row.channel, tokens, keep)
            session.commit()
            return "refreshed"
    finally:
        lock.release()


def _needs_reconnect(session: Session, row: BrandAccount, why: str) -> str:
    """Mark the account and, in the same transaction, the email to the staff (once per incident)."""
    row.status, row.error = "needs_reconnect", why[:500]
    add_notice(session, row)
    session.commit()
    return "needs_reconnect"


def refresh_due(app: Flask) -> dict[str, int]:
    """Refresh every connected account whose token ends within the refresh window (the periodic job)."""
    ahead = timedelta(seconds=app.config["TOKEN_REFRESH_AHEAD_SECONDS"])
    with database.read_session(app) as session:
        due = session.execute(select(BrandAccount.id, BrandAccount.expires_at).where(
            BrandAccount.status == "connected", BrandAccount.expires_at.is_not(None),
            BrandAccount.expires_at <= utcnow() + ahead).order_by(BrandAccount.id)).all()
    outcome: dict[str, int] = {}
    for account_id, expires_at in due:
        try:
            result = refresh_account(app, account_id, seen_expires_at=expires_at)
        except OAuthError:
            result = "retry_later"
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


def _account(session: Session, workspace_id: int, channel: str) -> BrandAccount | None:
    return session.scalar(select(BrandAccount).where(BrandAccount.workspace_id == workspace_id,
                                                     BrandAccount.channel == channel))


def accounts(session: Session, workspace_id: int) -> list[dict]:
    """Every OAuth channel with its connection: who is connected, until when, and whether it needs reconnecting."""
    rows = {r.channel: r for r in session.scalars(select(BrandAccount).where(BrandAccount.workspace_id == workspace_id))}
    out = []
    for channel in oauth_channels():
        row = rows.get(channel)
        secret = vault.for_app(current_app).open(row.sealed) if row is not None else {}
        out.append({"channel": channel, "connected": row is not None,
                    "status": row.status if row else "not_connected", "error": row.error if row else None,
                    "expires_at": row.expires_at if row else None, "connected_at": row.connected_at if row else None,
                    "refreshed_at": row.refreshed_at if row else None,
                    "posts_as": f"@{secret['username']}" if secret.get("username")
                    else secret.get("page_name") or secret.get("organization"),
                    "choices": [{"id": c["id"], "name": c["name"]} for c in secret.get("choices") or []]})
    return out


def choose(app: Flask, session: Session, workspace_id: int, channel: str, choice: str) -> BrandAccount:
    """Keep the Page or organisation the marketer chose among the connect's ``choices``; the caller commits.

    :raise ApiError 404: no account connected. :raise ApiError 409: nothing to choose.
    :raise ApiError 422: not one of the choices.
    """
    row = _account(session, workspace_id, channel)
    if row is None:
        raise ApiError(404, "not_found", f"No {channel} account is connected.")
    secret = vault.for_app(app).open(row.sealed)
    choices = secret.get("choices") or []
    if row.status != CHOOSE or not choices:
        raise ApiError(409, "nothing_to_choose", f"The {channel} account has no choice waiting; connect it again "
                                                 "to choose another page.")
    chosen = next((c for c in choices if c["id"] == choice), None)
    if chosen is None:
        raise ApiError(422, "validation_error", "Not one of the account's choices.",
                       fields={"id": f"one of {', '.join(c['id'] for c in choices)}"})
    secret = {**{k: v for k, v in secret.items() if k != "choices"}, **chosen["values"]}
    row.sealed, row.status, row.error = vault.for_app(app).seal(secret), "connected", None
    return row


def disconnect(session: Session, workspace_id: int, channel: str) -> None:
    """Forget the account's tokens. :raise ApiError 404: none connected."""
    row = _account(session, workspace_id, channel)
    if row is None:
        raise ApiError(404, "not_found", f"No {channel} account is connected.")
    session.delete(row)
