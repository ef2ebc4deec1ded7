"""Publishing to channels with an API (``channels.PUBLISHERS``): the brand's own post.

The post is the campaign's render at the published content version, without
a sharer; its ``key`` is stable per publication so a receiver that
deduplicates sees one post even when a retry follows a send whose outcome
was lost.
"""
from __future__ import annotations

from flask import Flask

from brand_accounts.tokens import AccountUnusable, account_credentials, oauth_channels
from brand_accounts.wechat_token import TOKEN_PROVIDERS
from catalog.models import Campaign
from channels import get_channel, publisher_for
from channels.base import OutgoingImage, OutgoingPost, PublishError, TokenExpired
from channels.oauth import OAuthError
from credentials.store import credential_exists, load_credentials
from plumbing import database, vault
from publishing import storage
from publishing.posts import campaign_posts
from publishing.publications import Claim, PublishFailed


def outgoing_images(store: storage.Storage, images: list[dict]) -> tuple[OutgoingImage, ...]:
    """Rendered images (``url``, ``media_type``, size) with their bytes, so adapters upload
    or inline them: a channel's servers cannot be trusted to fetch our URLs (a local
    deployment's are not reachable at all)."""
    return tuple(OutgoingImage(url=i["url"], data=store.read(i["url"].rsplit("/media/", 1)[-1])
                               if "/media/" in i["url"] else None,
                               content_type=i["media_type"], width=i["width"], height=i["height"],
                               filename=f"image-{n}.{i['media_type'].split('/')[-1]}")
                 for n, i in enumerate(images, 1))


def outgoing_post(app: Flask, session, claimed: Claim, version: int) -> OutgoingPost:
    campaign = session.get(Campaign, claimed.campaign_id)
    store = storage.storage(app)
    rendered = campaign_posts(session, lambda: database.new_session(app), store, campaign,
                              app.config["PUBLIC_URL"], None, version, claimed.channel)
    post = rendered["items"][0]
    return OutgoingPost(text=post["text"], title=post["title"], images=outgoing_images(store, post["images"]),
                        link=post["link"],
                        key=f"sharecast-publication-{claimed.publication_id}",
                        extra={"publication_id": claimed.publication_id, "campaign_id": claimed.campaign_id,
                               "channel": claimed.channel, "content_version": version})


def has_account(app: Flask, workspace_id: int, channel: str) -> bool:
    """Whether the publication goes to the brand's own account. OAuth channels: once an account is
    connected. Kit channels with an adapter (the Official Account): once credentials are stored.
    Otherwise (the sellers' libraries) the publication fills the libraries, as a kit does. Other
    API channels always post (and fail without credentials, saying how to set them)."""
    if publisher_for(channel) is None:
        return False
    if channel in oauth_channels():
        try:
            return account_credentials(app, workspace_id, channel) is not None
        except (AccountUnusable, OAuthError):
            return True  # connected but unusable: send() fails it with the reason
    if get_channel(channel).spec.publish_kind == "kit":
        with database.read_session(app) as session:
            return credential_exists(session, workspace_id, channel)
    return True


def send(app: Flask, claimed: Claim, version: int) -> str:
    """Publish through the channel's adapter; the channel's external id.

    An access token the platform refuses (expired or revoked) is renewed once
    (OAuth refresh, or a new token from the channel's token provider) and the
    post tried again.

    :raise PublishFailed: no credentials, an account to connect again, or the adapter's
        error (retryable as it says).
    """
    publisher = publisher_for(claimed.channel)
    renewable = claimed.channel in oauth_channels() or claimed.channel in TOKEN_PROVIDERS
    credentials = credentials_for(app, claimed.workspace_id, claimed.channel, refused=None)
    with database.read_session(app) as session:
        post = outgoing_post(app, session, claimed, version)
    allow_private = app.config["ALLOW_PRIVATE_TARGETS"]
    try:
        try:
            return _send_once(publisher, claimed, post, credentials, allow_private)
        except TokenExpired:
            if not renewable:
                raise
            credentials = credentials_for(app, claimed.workspace_id, claimed.channel,
                                          refused=credentials.get("access_token"))
            return _send_once(publisher, claimed, post, credentials, allow_private)
    except PublishError as exc:
        raise PublishFailed(f"{claimed.channel}: {exc.message}", exc.retryable, exc.retry_after) from None


def _send_once(publisher, claimed: Claim, post: OutgoingPost, credentials: dict, allow_private: bool) -> str:
    """Post, unless an earlier attempt already did: after a first attempt whose outcome may be
    lost (a worker that died after the call, a timeout after the platform took the post), an
    adapter that can look the post up (``find``) is asked first."""
    if claimed.attempt > 1 and hasattr(publisher, "find"):
        found = publisher.find(post, credentials, allow_private)
        if found is not None:
            return found.external_id
    return publisher.publish(post, credentials, allow_private).external_id


def credentials_for(app: Flask, workspace_id: int, channel: str, refused: str | None = None) -> dict:
    """The adapter's credentials with a usable token; ``refused``: the token the platform just refused.

    :raise PublishFailed: none stored, or the account must be connected again (final).
    :raise PublishError: the token provider could not get a token.
    """
    if channel in oauth_channels():
        try:
            credentials = account_credentials(app, workspace_id, channel, force_refresh=refused is not None)
        except AccountUnusable as exc:
            raise PublishFailed(f"{channel}: {exc}", retryable=False) from None
        except OAuthError as exc:
            raise PublishFailed(f"{channel}: {exc.message}", exc.retryable) from None
        if credentials is None:
            raise PublishFailed(f"no {channel} account is connected; connect it with "
                                f"POST /api/v1/accounts/{channel}/connect", retryable=False)
        return credentials
    with database.read_session(app) as session:
        credentials = load_credentials(session, vault.for_app(app), workspace_id, channel)
    if credentials is None:
        raise PublishFailed(f"no credentials for the {channel} channel; set them with "
                            f"PUT /api/v1/channels/{channel}/credentials")
    if channel in TOKEN_PROVIDERS:
        try:
            got = TOKEN_PROVIDERS[channel](app, workspace_id, credentials, refused)
            credentials.update(got if isinstance(got, dict) else {"access_token": got})
        except PublishError as exc:
            raise PublishFailed(f"{channel}: {exc.message}", exc.retryable, exc.retry_after) from None
    return credentials


def ask_with_token(app: Flask, workspace_id: int, channel: str, ask):
    """``ask(credentials)`` (a read from the platform: metrics, a post's state), the access token
    renewed once when the platform refuses it. :raise PublishFailed, PublishError: as ``ask`` or
    :func:`credentials_for`."""
    credentials = credentials_for(app, workspace_id, channel)
    try:
        return ask(credentials)
    except TokenExpired:
        return ask(credentials_for(app, workspace_id, channel, refused=credentials.get("access_token")))
