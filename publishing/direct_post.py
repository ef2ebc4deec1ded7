"""Publishing to channels with an API (``channels.PUBLISHERS``): the brand's own post.

The post is the campaign's render at the published content version, without
a sharer; its ``key`` is stable per publication so a receiver that
deduplicates sees one post even when a retry follows a send whose outcome
was lost.
"""
from __future__ import annotations

from flask import Flask

from catalog.models import Campaign
from channels import publisher_for
from channels.base import OutgoingImage, OutgoingPost, PublishError
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


def send(app: Flask, claimed: Claim, version: int) -> str:
    """Publish through the channel's adapter; the channel's external id.

    :raise PublishFailed: no credentials, or the adapter's error (retryable as it says).
    """
    publisher = publisher_for(claimed.channel)
    with database.read_session(app) as session:
        credentials = load_credentials(session, vault.for_app(app), claimed.workspace_id, claimed.channel)
        if credentials is None:
            raise PublishFailed(f"no credentials for the {claimed.channel} channel; set them with "
                                f"PUT /api/v1/channels/{claimed.channel}/credentials")
        post = outgoing_post(app, session, claimed, version)
    try:
        return publisher.publish(post, credentials, app.config["ALLOW_PRIVATE_TARGETS"]).external_id
    except PublishError as exc:
        raise PublishFailed(f"{claimed.channel}: {exc.message}", exc.retryable, exc.retry_after) from None
