"""A campaign's ready posts: each channel's text and images, for one sharer or none.

The shell around the pure parts: gather the content version, the sharer's
links and the stored renders; compose each channel's text
(:mod:`publishing.compose`); draw only the images not drawn before
(:mod:`publishing.renders`); write what is new in one short transaction.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Campaign
from channels import REGISTRY
from channels.content import SharerVoice
from publishing.models import ContentVersion
from publishing.renders import Rendered, Renderer, Slot, plan_slots
from publishing.storage import Storage, public_url
from publishing.versions import get_version, record_version
from referrals.identity import poster_name
from referrals.links import get_or_create_link, link_urls
from referrals.models import Link, Sharer

Writer = Callable[[], Session]  # opens a short write session; the caller of the writer commits

RENDER_WARNINGS = {
    "image_upscaled": "The product photo is smaller than the {size} image and was enlarged; upload a larger one.",
    "no_photo": "No product photo yet: the {size} image shows a plain panel.",
    "photo_contained": "A crop would cut the product on the {size} image, so the whole photo is shown.",
    "text_shrunk": "The title was set smaller to fit the {size} image.",
    "text_truncated": "The title is too long for the {size} image and was cut there.",
    "body_truncated": "The body was cut on the {size} image.",
    "brand_color_adjusted": "The brand colour was darkened on images so that it stays legible on white.",
    "brand_color_invalid": "The brand colour is not valid; images use the default colour.",
    "qr_unavailable": "The QR code does not fit the {size} image, which shows the plain card instead.",
}
CHANNEL_CAUTIONS = {
    "qr_reach_risk": "{channel} is reported to show posts whose images carry a QR code to fewer people.",
    "cover_overlay": "{channel}'s caption and buttons cover the bottom and right of the image: keep the product and "
                     "the QR code clear of them.",
    "text_folds": "{channel} shows the first {limit} characters, then folds the rest: put what matters first, "
                  "or post the details as a first comment.",
}


def channel_cautions(spec, text: str, has_qr: bool) -> list[dict]:
    """What a marketer should know about how ``spec``'s app shows this post (pure)."""
    codes = []
    if has_qr and spec.qr_reduces_reach:
        codes.append("qr_reach_risk")
    if spec.covered_corner:
        codes.append("cover_overlay")
    if spec.preview_limit and spec.measure(text) > spec.preview_limit:
        codes.append("text_folds")
    return [{"code": code, "message": CHANNEL_CAUTIONS[code].format(channel=spec.name, limit=spec.preview_limit)}
            for code in codes]


def current_version(session: Session, writer: Writer, campaign: Campaign,
                    number: int | None = None) -> tuple[ContentVersion, int]:
    """Content version ``number`` (default: the newest) of ``campaign``, and the newest's number.

    A campaign made before versions existed gets its first one here.
    :raise ApiError 404: no such version.
    """
    latest = campaign.content_version
    if latest == 0:
        with writer() as write:
            first = record_version(write, write.get(Campaign, campaign.id))
            write.commit()
        latest = first.number
        if number in (None, latest):
            return first, latest
    return get_version(session, campaign, number or latest), latest


def sharer_links(session: Session, writer: Writer, campaign: Campaign, sharer_id: int,
                 channels: list[str]) -> dict[str, str]:
    """The sharer's link code per channel, made where missing (one short write)."""
    codes = {link.channel: link.code for link in session.scalars(
        select(Link).where(Link.campaign_id == campaign.id, Link.sharer_id == sharer_id, Link.product_id.is_(None)))}
    missing = [c for c in channels if c not in codes]
    if missing:
        with writer() as write:
            for channel in missing:
                link, _ = get_or_create_link(write, campaign.workspace_id, campaign.id, sharer_id, channel)
                codes[channel] = link.code
            write.commit()
    return codes


def post_link(public: str, code: str, version_number: int) -> str:
    """The link a post carries: the sharer's ``/r/`` link for its channel, tagged with the content version
    it was drawn from (``?v=``), so its clicks and sales say which post they came from (see
    :mod:`publishing.creatives`); the redirect reads the tag without any lookup."""
    return f"{link_urls(public, code)['url']}?v={version_number}"


def voices_for(session: Session, writer: Writer, campaign: Campaign, sharer: Sharer, channels: list[str],
               public: str, version_number: int) -> dict[str, SharerVoice]:
    """Each channel's SharerVoice: the sharer's name and avatar, their ``/r/`` link for it (tagged with
    ``version_number``, see :func:`post_link`), their code word."""
    codes = sharer_links(session, writer, campaign, sharer.id, channels)
    name = poster_name(sharer.name, sharer.display_name, sharer.source)
    return {c: SharerVoice(name=name, link=post_link(public, codes[c], version_number), code=sharer.code,
                           avatar=sharer.avatar_key or "") for c in channels}


def plan(renderer: Renderer, channels: list[str], voices: dict[str, SharerVoice]) -> dict[str, list[Slot]]:
    """Each channel's image slots; a poster wherever there is a sharer or links are not clickable."""
    return {c: plan_slots(REGISTRY[c].spec, c in voices or REGISTRY[c].spec.link_policy == "qr_only",
                          renderer.photo_size, renderer.more_photos) for c in channels}


def campaign_posts(session: Session, writer: Writer, store: Storage, campaign: Campaign, public: str,
                   sharer: Sharer | None = None, version_number: int | None = None,
                   channel: str | None = None) -> dict:
    """The posts of ``campaign`` at a content version (default the newest), for ``sharer`` if given.

    :raise ApiError 404: no such version.
    """
    version, latest = current_version(session, writer, campaign, version_number)
    snapshot = version.snapshot
    channels = [c for c in snapshot["channels"] if c in REGISTRY and channel in (None, c)]
    renderer = Renderer(snapshot, store)
    voices = voices_for(session, writer, campaign, sharer, channels, public, version.number) if sharer else {}
    slots = plan(renderer, channels, voices)
    renderer.load_known(session, [renderer.key(s, voices.get(c)) for c in channels for s in slots[c]])
    items = []
    for c in channels:
        voice = voices.get(c)
        composed = REGISTRY[c].compose(renderer.content, voice)
        images = [renderer.image(slot, voice) for slot in slots[c]]
        items.append(post_json(c, composed, images, voice))
    if renderer.fresh:
        with writer() as write:
            renderer.save(write)
            write.commit()
    return {"campaign_id": campaign.id, "content_version": version.number,
            "latest_version": latest, "sharer_id": sharer.id if sharer else None,
            "items": items, "next_cursor": None}


def post_json(channel: str, composed, images: list[Rendered], voice: SharerVoice | None) -> dict:
    warnings = [w.to_json() for w in composed.warnings]
    seen = set()
    for image in images:
        for code in image.warnings:
            if code not in seen:
                seen.add(code)
                message = RENDER_WARNINGS.get(code, code).format(size=f"{image.width}x{image.height}")
                warnings.append({"code": code, "message": message})
    warnings += channel_cautions(REGISTRY[channel].spec, composed.text, any(i.kind == "poster" for i in images))
    return {
        "channel": channel, "name": REGISTRY[channel].spec.name, "text": composed.text, "title": composed.title,
        "summary": composed.summary, "caption": composed.caption, "hashtags": list(composed.hashtags),
        "link": composed.link, "code": voice.code if voice else None,
        "images": [{"url": public_url(i.storage_key), "width": i.width, "height": i.height,
                    "media_type": i.media_type, "kind": i.kind, "qr": i.kind == "poster"} for i in images],
        "warnings": warnings,
    }
