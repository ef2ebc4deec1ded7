"""Signing in with WeChat (OAuth 2.0), and connecting WeChat to a seller.

``/seller/wechat/<workspace slug>`` opened inside WeChat's browser sends it to WeChat with
``snsapi_base`` (网页授权, silent) to recognise a seller whose WeChat is connected; a signed-in
seller connects theirs with ``?connect=1`` (``snsapi_userinfo``, WeChat asks them). Opened
elsewhere (a computer) when the workspace has a website app (网站应用), the same addresses go to
WeChat's QR-code login (``snsapi_login``): the seller scans it with WeChat; without a website app,
a page says to open it in WeChat, with its QR code. The website app's
openid is its own, so a seller is recognised by it once bound, or else by the ``unionid`` that
every app of one Open Platform account shares (and the website openid is then bound to them). The
``state`` is a random value kept in this browser's session and checked, once,
on the way back, so nobody can make a seller's browser finish someone else's
authorisation (CSRF). The openid (and unionid) is all that is kept: no nickname,
no picture.
"""
from __future__ import annotations

import hmac
import secrets
import time

import segno
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accounts.models import WeChatIdentity
from credentials.wechat import account_row, load_account, load_website_app
from platforms import wechat
from plumbing import database, guarded_http
from referrals.models import Sharer
from web import session as web_session
from web.error_pages import error_page
from web.security import limiter
from web.share_cards import in_wechat
from workspaces.models import Workspace

bp = Blueprint("wechat_auth", __name__)
STATE_SECONDS = 10 * 60


def _workspace(slug: str) -> tuple[Workspace, wechat.OfficialAccount]:
    """:raise 404: no such workspace, or it has no Official Account connected."""
    db = database.session()
    workspace = db.scalar(select(Workspace).where(Workspace.slug == slug[:64]))
    account = load_account(db, workspace.id) if workspace is not None else None
    if account is None:
        abort(404)
    return workspace, account


@bp.get("/seller/wechat/<slug>")
@limiter.limit("20 per minute")
def start(slug: str):
    """Off to WeChat's authorisation page, with a fresh ``state``."""
    workspace, account = _workspace(slug)
    connect = request.args.get("connect") == "1"
    if connect:
        seller = web_session.current_seller()
        if seller is None or seller.workspace_id != workspace.id:
            return redirect(url_for("web_auth.seller_sign_in"), 303)
    website = None if in_wechat() else load_website_app(database.session(), workspace.id)
    if website is None and not in_wechat():
        return _open_in_wechat(workspace)
    state = secrets.token_urlsafe(16)
    session["wechat_state"] = {"state": state, "ws": workspace.id, "connect": connect, "qr": website is not None,
                               "at": int(time.time())}
    callback = f"{current_app.config['PUBLIC_URL']}{url_for('wechat_auth.callback')}"
    if website is not None:
        return redirect(wechat.qr_login_url(website.app_id, callback, state, current_app.config["WECHAT_OPEN_BASE"]),
                        302)
    scope = "snsapi_userinfo" if connect else "snsapi_base"
    return redirect(wechat.authorize_url(account.app_id, callback, scope, state,
                                         current_app.config["WECHAT_OPEN_BASE"]), 302)


def _open_in_wechat(workspace: Workspace):
    """Outside WeChat with no website app, WeChat's authorisation page would only say "open this in
    WeChat" (and in Chinese): say so here, with this page's QR code to scan with WeChat."""
    here = f"{current_app.config['PUBLIC_URL']}{request.full_path.rstrip('?')}"
    qr = Markup(segno.make(here, error="m").svg_inline(scale=5, border=4, title=_("This page's QR code")))
    return render_template("web/wechat_open_in_wechat.html", workspace=workspace, qr=qr, url=here)


def _state_matches(given: str | None) -> dict | None:
    entry = session.pop("wechat_state", None)
    if not (isinstance(entry, dict) and isinstance(given, str) and isinstance(entry.get("at"), int)):
        return None
    if time.time() - entry["at"] > STATE_SECONDS or not hmac.compare_digest(entry.get("state", ""), given):
        return None
    return entry


@bp.get("/seller/wechat/callback")
@limiter.limit("20 per minute")
def callback():
    """WeChat sends the browser back with ``code`` and ``state``.

    :raise 400: a missing, wrong or old state (CSRF), or a code WeChat refuses (40029 invalid, 40163 used).
    """
    entry = _state_matches(request.args.get("state"))
    if entry is None:
        return error_page(400, _("This WeChat sign-in was not started here, or took too long. Please try again."))
    code = request.args.get("code")
    if not code:  # the user said no on WeChat's page
        return redirect(url_for("web_auth.seller_sign_in"), 303)
    db = database.session()
    workspace = db.get(Workspace, entry["ws"])
    load = load_website_app if entry.get("qr") else load_account
    account = load(db, workspace.id) if workspace is not None else None
    if account is None:
        abort(404)
    try:
        with guarded_http.client(current_app.config["ALLOW_PRIVATE_TARGETS"], timeout=10.0) as client:
            grant = wechat.exchange_code(account, code[:512], client)
            # The unionid ties a website app's openid to the Official Account's: ask for it when the
            # grant may read the profile and did not bring it.
            if grant.unionid is None and {"snsapi_userinfo", wechat.QR_SCOPE} & set(grant.scope.split(",")):
                grant_unionid = wechat.user_info(account, grant, client).get("unionid") or None
            else:
                grant_unionid = grant.unionid
    except wechat.WeChatError as exc:
        if exc.errcode in (wechat.INVALID_CODE, wechat.CODE_USED):
            return error_page(400, _("This WeChat sign-in has expired or was used already. Please try again."))
        current_app.logger.warning("WeChat sign-in failed: %s", exc)
        return error_page(502, "")
    if entry["connect"]:
        return _connect(workspace, account, grant.openid, grant_unionid)
    sharer = _recognised(workspace.id, account.app_id, grant.openid, grant_unionid)
    if sharer is None:
        return render_template("web/wechat_not_connected.html", workspace=workspace), 404
    db.commit()
    web_session.sign_in_seller(sharer)
    return redirect(url_for("seller.today"), 303)


def _recognised(workspace_id: int, app_id: str, openid: str, unionid: str | None) -> Sharer | None:
    """The seller whose WeChat this is: by this app's openid, else by the unionid of the same user in
    another app of the Open Platform account (one seller only), binding this app's openid to them too."""
    db = database.session()
    found = db.scalar(select(WeChatIdentity.sharer_id).where(WeChatIdentity.app_id == app_id,
                                                             WeChatIdentity.openid == openid,
                                                             WeChatIdentity.workspace_id == workspace_id))
    if found is None and unionid:
        owners = set(db.scalars(select(WeChatIdentity.sharer_id).where(WeChatIdentity.workspace_id == workspace_id,
                                                                       WeChatIdentity.unionid == unionid)))
        if len(owners) == 1 and _bind(workspace_id, owners.pop(), app_id, openid, unionid):
            found = db.scalar(select(WeChatIdentity.sharer_id).where(WeChatIdentity.app_id == app_id,
                                                                     WeChatIdentity.openid == openid))
    return db.get(Sharer, found) if found is not None else None


def _bind(workspace_id: int, sharer_id: int, app_id: str, openid: str, unionid: str | None) -> bool:
    """Bind the app's openid to the seller; False when it is bound to another seller already."""
    db = database.session()
    try:
        with db.begin_nested():
            db.add(WeChatIdentity(workspace_id=workspace_id, sharer_id=sharer_id, app_id=app_id,
                                  openid=openid, unionid=unionid))
    except IntegrityError:
        db.rollback()
        return db.scalar(select(WeChatIdentity.id).where(WeChatIdentity.app_id == app_id,
                                                         WeChatIdentity.openid == openid,
                                                         WeChatIdentity.sharer_id == sharer_id)) is not None
    return True


def _connect(workspace: Workspace, account: wechat.OfficialAccount, openid: str, unionid: str | None):
    seller = web_session.current_seller()
    if seller is None or seller.workspace_id != workspace.id:
        return redirect(url_for("web_auth.seller_sign_in"), 303)
    if not _bind(workspace.id, seller.id, account.app_id, openid, unionid):
        return error_page(409, _("This WeChat is already connected to another seller."))
    database.session().commit()
    return redirect(url_for("seller.today", wechat="connected"), 303)


def wechat_status(sharer: Sharer) -> str | None:
    """For the seller's pages: None (no Official Account), ``connect`` or ``connected``."""
    db = database.session()
    account = account_row(db, sharer.workspace_id)
    if account is None:
        return None
    apps = [account.app_id] + ([account.web_app_id] if account.web_app_id else [])
    bound = db.scalar(select(WeChatIdentity.id).where(WeChatIdentity.sharer_id == sharer.id,
                                                      WeChatIdentity.app_id.in_(apps)).limit(1))
    return "connected" if bound is not None else "connect"
