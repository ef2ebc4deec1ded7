"""Rich share cards: Open Graph and Twitter tags everywhere, WeChat's JS-SDK inside WeChat.

A link pasted into most apps shows as a card from the page's Open Graph tags.
WeChat ignores them: inside its browser a page sets its card through the
JS-SDK (``wx.config`` signed over the ``jsapi_ticket``, then
``updateAppMessageShareData`` / ``updateTimelineShareData``). The card's link
is always the sharer's ``/r/`` link, so a friend's click counts; the redirect
itself is untouched.
"""
from __future__ import annotations

from flask import current_app, request

from catalog.models import Campaign
from channels.textcut import cut_text
from credentials.wechat import load_account, token_cache
from platforms import wechat
from plumbing import database, guarded_http
from web.security import CSP

WX_SCRIPT = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js"
DESCRIPTION_LIMIT = 120  # WeChat shows about two lines; Open Graph readers about as much


def share_card(campaign: Campaign, link_url: str, image_url: str | None) -> dict:
    """The card: ``title``, ``description`` (the body cut at a clause boundary), ``url`` (the /r/ link), ``image``."""
    description, _ = cut_text(" ".join((campaign.body or "").split()), DESCRIPTION_LIMIT)
    return {"title": campaign.title or campaign.name, "description": description, "url": link_url,
            "image": image_url}


def in_wechat() -> bool:
    return "MicroMessenger" in (request.headers.get("User-Agent") or "")


def wechat_config(workspace_id: int) -> dict | None:
    """``wx.config`` for this page when it is opened in WeChat and the brand connected an Official Account.

    None otherwise, or when WeChat cannot be reached (the page still works; the card is plainer).
    """
    if not in_wechat():
        return None
    account = load_account(database.session(), workspace_id)
    if account is None:
        return None
    page_url = current_app.config["PUBLIC_URL"] + request.full_path.rstrip("?")
    try:
        with guarded_http.client(current_app.config["ALLOW_PRIVATE_TARGETS"], timeout=5.0) as client:
            ticket = wechat.jsapi_ticket(account, client, token_cache())
    except wechat.WeChatError as exc:
        current_app.logger.warning("no JS-SDK ticket for workspace %s: %s", workspace_id, exc)
        return None
    return wechat.js_sdk_config(account.app_id, ticket, page_url)


def wechat_headers(config: dict | None) -> dict:
    """The page's CSP, allowing WeChat's JS-SDK script when the page loads it."""
    if config is None:
        return {}
    return {"Content-Security-Policy": CSP.replace("script-src 'self'", f"script-src 'self' {WX_SCRIPT}")}
