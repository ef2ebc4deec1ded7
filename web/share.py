"""Public, non-API pages of a link: its QR code and the buyer's share page.

The share page (``/s/<token>``) is the buyer's own: their poster and link,
and what sharing earns, said honestly. Its address carries a signed secret
(:mod:`referrals.share_tokens`), never the public link code, so nobody who
merely saw the buyer's ``/r/<code>`` link can open it; an old ``/s/<code>``
address is a 404 like any other wrong token.

Its "open my seller space" button signs the buyer in, once: the POST stores
a spent marker (a ``share`` row in seller_passes, unique by hash, so two tabs
cannot both use it), only a buyer enrolled by a sale gets it, and only within
:data:`JOIN_DAYS` of the sale. Whoever holds the thank-you page's address is
the buyer as far as we can tell (the merchant gave it to them); a forwarded
address is a risk we bound by the single use and the time limit, after which
the buyer signs in by email like every seller.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache

import segno
from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from accounts.models import SellerPass
from catalog.models import Campaign
from plumbing import database
from plumbing.database import utcnow
from plumbing.errors import ApiError
from publishing import storage
from publishing.posts import campaign_posts
from publishing.product_posters import poster_channel
from referrals.identity import poster_name
from referrals.links import link_urls
from referrals.models import Link, Sharer
from referrals.share_tokens import ShareToken, read_token, spent_marker
from web import session as web_session
from web.error_pages import error_page
from web.forms import ConfirmForm, DisplayNameForm
from web.i18n import money
from web.security import check_csrf, limiter
from web.share_cards import share_card, wechat_config, wechat_headers
from workspaces.models import Workspace

bp = Blueprint("link_pages", __name__)
bp.before_request(check_csrf)  # the share page's one form
# What a link code can be (the redirect checks the same): anything else is no
# link, and must not reach the database (PostgreSQL refuses a NUL in text).
_CODE = re.compile(r"[A-Za-z0-9]{1,16}")
JOIN_DAYS = 30


@lru_cache(maxsize=4096)
def qr_png(data: str, scale: int = 8) -> bytes:
    """A PNG QR code of ``data`` with the standard 4-module quiet zone."""
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def _link(code: str) -> Link:
    if not _CODE.fullmatch(code):
        abort(404)
    link = database.session().scalar(select(Link).where(Link.code == code, Link.disabled.is_(False)))
    if link is None:
        abort(404)
    return link


@bp.get("/q/<code>.png")
def qr(code: str) -> Response:
    """The PNG QR code of ``/r/<code>``. :raise 404: unknown code."""
    link = _link(code)
    png = qr_png(link_urls(current_app.config["PUBLIC_URL"], link.code)["url"])
    response = Response(png, content_type="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400, immutable"
    return response


def _shared(token: str) -> tuple[ShareToken, Link, Sharer, Campaign]:
    """What a share token names. :raise 404: not our token, or its link is gone or disabled."""
    found = read_token(token)
    if found is None:
        abort(404)
    session = database.session()
    link = session.scalar(select(Link).where(Link.id == found.link_id, Link.workspace_id == found.workspace_id,
                                             Link.disabled.is_(False)))
    if link is None:
        abort(404)
    return found, link, session.get(Sharer, link.sharer_id), session.get(Campaign, link.campaign_id)


def _can_join(found: ShareToken, sharer: Sharer) -> bool:
    """May this token still sign its buyer in? Only the enrolling sale's token, within JOIN_DAYS, once."""
    if not found.may_join or sharer.source != "enrolled" or utcnow() - found.issued_at > timedelta(days=JOIN_DAYS):
        return False
    return database.session().scalar(
        select(SellerPass.id).where(SellerPass.token_hash == spent_marker(found))) is None


def share_images(campaign: Campaign, sharer: Sharer) -> dict[str, dict]:
    """The sharer's personal QR poster and the campaign's card image (each ``url``, ``width``, ``height``),
    drawn now if never drawn; keyed ``poster`` and ``card``, either missing when the campaign has none."""
    channel = poster_channel(campaign)
    if channel is None:
        return {}
    try:
        posts = campaign_posts(database.session(), database.new_session, storage.storage(), campaign,
                               current_app.config["PUBLIC_URL"], sharer, None, channel)
    except ApiError:
        return {}
    found: dict[str, dict] = {}
    for image in (image for item in posts["items"] for image in item["images"]):
        found.setdefault(image["kind"], image)
    return found


def earning_terms(campaign: Campaign) -> dict[str, str | None]:
    """The campaign's commission rule (and invite bonus) in words of the page's language."""

    def rule(kind: str | None, value: str | None) -> str | None:
        if not kind or value is None:
            return None
        if kind == "percent":
            return format_percent(Decimal(value) / 100, "#,##0.##%")
        return money(value, campaign.currency)

    return {"commission": rule(campaign.commission_type, campaign.commission_value),
            "fixed": campaign.commission_type == "fixed",
            "bonus": rule(campaign.invite_type, campaign.invite_value),
            "bonus_fixed": campaign.invite_type == "fixed"}


@bp.get("/s/<token>")
def share(token: str):
    """The buyer's share page. :raise 404: anything but a valid share token (a link code included)."""
    found, link, sharer, campaign = _shared(token)
    workspace = database.session().get(Workspace, link.workspace_id)
    urls = link_urls(current_app.config["PUBLIC_URL"], link.code)
    ended = campaign.ends_at is not None and campaign.ends_at <= utcnow()
    images = share_images(campaign, sharer)
    card = share_card(campaign, urls["url"], (images.get("card") or images.get("poster") or {}).get("url"))
    wx = wechat_config(workspace.id)
    html = render_template("share/page.html", token=token, urls=urls, campaign=campaign, workspace=workspace,
                           poster=images.get("poster"), terms=earning_terms(campaign), ended=ended,
                           can_join=_can_join(found, sharer), form=ConfirmForm(), card=card, wx=wx,
                           shown_name=poster_name(sharer.name, sharer.display_name, sharer.source),
                           name_form=DisplayNameForm(display_name=sharer.display_name or ""))
    return html, 200, {"X-Robots-Tag": "noindex, nofollow", **wechat_headers(wx)}


@bp.post("/s/<token>/name")
@limiter.limit("10 per minute")
def choose_name(token: str):
    """The buyer chooses the name their poster shows (their real name never goes public by default).

    :raise 404: not a share token. :raise 422: an empty, too long or unprintable name.
    """
    _found, _link, sharer, _campaign = _shared(token)
    form = DisplayNameForm()
    if not form.validate_on_submit():
        return error_page(422, " ".join(str(e) for e in form.display_name.errors))
    sharer.display_name = form.display_name.data
    database.session().commit()
    return redirect(url_for("link_pages.share", token=token, _anchor="poster-heading"), 303)


def _joined_already():
    """410, with the ways in for a buyer who gave the shop only a phone number, or only an email."""
    return error_page(410, _("This button signs you in once only. Sign in with the phone number or email address "
                             "you gave the shop instead."),
                      [(url_for("phone_auth.ask_code"), _("Sign in with your phone")),
                       (url_for("web_auth.seller_sign_in"), _("Sign in with your email"))])


@bp.post("/s/<token>/join")
@limiter.limit("10 per minute")
def join(token: str):
    """Spend the token's one-time sign-in: the buyer enters their seller space.

    :raise 400: no valid CSRF token (checked before the view). :raise 404: not a share token.
    :raise 410: used already, too old, or not a buyer's page.
    """
    found, link, sharer, _campaign = _shared(token)
    if not _can_join(found, sharer):
        return _joined_already()
    session = database.session()
    now = utcnow()
    try:
        with session.begin_nested():
            session.add(SellerPass(workspace_id=sharer.workspace_id, sharer_id=sharer.id, kind="share",
                                   token_hash=spent_marker(found), expires_at=now, used_at=now, created_at=now))
    except IntegrityError:  # another tab spent it a moment ago
        session.rollback()
        return _joined_already()
    session.commit()
    web_session.sign_in_seller(sharer)
    return redirect(url_for("seller.today"), 303)
