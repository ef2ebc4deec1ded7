"""Publishing to channels with an API (``channels.PUBLISHERS``): the brand's own post.

The post is the campaign's render at the published content version, without
a sharer; its ``key`` is stable per publication so a receiver that
deduplicates sees one post even when a retry follows a send whose outcome
was lost.
"""
from __future__ import annotations

from flask import Flask

from brand_accounts.tokens import AccountUnusable, account_credentials, oauth_channels
from catalog.models import Campaign
from channels import publisher_for
from channels.base import OutgoingImage, OutgoingPost, PublishError, TokenExpired
from channels.oauth import OAuthError
from credentials.store import load_credentials
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
    """Whether the publication goes to the brand's own account: always for channels set up with
    credentials; for OAuth channels only once an account is connected (else it fills the
    sellers' libraries, as a copy-ready kit channel does)."""
    if publisher_for(channel) is None:
        return False
    if channel not in oauth_channels():
        return True
    try:
        return account_credentials(app, workspace_id, channel) is not None
    except (AccountUnusable, OAuthError):
        return True  # connected but unusable: send() fails it with the reason


def send(app: Flask, claimed: Claim, version: int) -> str:
    """Publish through the channel's adapter; the channel's external id.

    An access token the platform refuses as expired is refreshed once and the
    post tried again.

    :raise PublishFailed: no credentials, an account to connect again, or the adapter's
        error (retryable as it says).
    """
    publisher = publisher_for(claimed.channel)
    oauth = claimed.channel in oauth_channels()
    credentials = _credentials(app, claimed, oauth, force_refresh=False)
    with database.read_session(app) as session:
        post = outgoing_post(app, session, claimed, version)
    allow_private = app.config["ALLOW_PRIVATE_TARGETS"]
    try:
        try:
            return publisher.publish(post, credentials, allow_private).external_id
        except TokenExpired:
            if not oauth:
                raise
            return publisher.publish(post, _credentials(app, claimed, oauth, force_refresh=True),
                                     allow_private).external_id
    except PublishError as exc:
        raise PublishFailed(f"{claimed.channel}: {exc.message}", exc.retryable, exc.retry_after) from None


def _credentials(app: Flask, claimed: Claim, oauth: bool, force_refresh: bool) -> dict:
    """:raise PublishFailed: none stored, or the account must be connected again (final)."""
    if oauth:
        try:
            credentials = account_credentials(app, claimed.workspace_id, claimed.channel, force_refresh)
        except AccountUnusable as exc:
            raise PublishFailed(f"{claimed.channel}: {exc}", retryable=False) from None
        except OAuthError as exc:
            raise PublishFailed(f"{claimed.channel}: {exc.message}", exc.retryable) from None
        if credentials is None:
            raise PublishFailed(f"no {claimed.channel} account is connected; connect it with "
                                f"POST /api/v1/accounts/{claimed.channel}/connect", retryable=False)
        return credentials
    with database.read_session(app) as session:
        credentials = load_credentials(session, vault.for_app(app), claimed.workspace_id, claimed.channel)
    if credentials is None:
        raise PublishFailed(f"no credentials for the {claimed.channel} channel; set them with "
                            f"PUT /api/v1/channels/{claimed.channel}/credentials")
    return credentials
