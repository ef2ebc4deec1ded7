"""The pages' wiring (sessions, CSRF, limits, languages, headers, error pages), the front
door, and the registration of every page blueprint.

Server-rendered Jinja templates on top of the same services the API calls:
CSRF by Flask-WTF, sign-in rate limits by Flask-Limiter (counted in Redis),
languages by Flask-Babel (zh-CN and English).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from plumbing import errors
from referrals.identity import mask_email, mask_phone
from web import auth_routes, i18n, join, phone_sign_in, share, wechat_sign_in
from web.console import (  # noqa: F401  (routes register on bp)
    applications,
    approvals,
    brand_accounts,
    campaigns,
    compliance,
    connect,
    contest_setup,
    customers,
    dashboard,
    funnel,
    imports,
    money,
    payouts,
    poster_templates,
    products,
    programme,
    reviews,
    sharers,
    suspension,
    targets,
    team,
    withdrawals,
)
from web.console.blueprint import bp as console_bp
from web.console.campaign_messages import explain
from web.error_pages import error_page
from web.security import csrf, is_page, limiter, limiter_storage, page_headers
from web.seller import board, contact, contests, customers, earnings, links, profile, shop, today, withdraw  # noqa: F401  (routes register on bp)
from web.seller import targets as seller_targets  # noqa: F401  (routes register on bp)
from web.seller.blueprint import bp as seller_bp
from web.session import SELLER_MAX_AGE, STAFF_MAX_AGE, current_seller, current_staff

bp = Blueprint("web", __name__)


@bp.get("/")
def home():
    """Staff go to the console, sellers to their posts, strangers choose."""
    if current_staff() is not None:
        return redirect(url_for("console.campaigns"))
    if current_seller() is not None:
        return redirect(url_for("seller.today"))
    return render_template("web/home.html")


def init_app(app: Flask) -> None:
    secure = app.config["PUBLIC_URL"].startswith("https://")
    app.config.update(
        # __Host-: only ever sent to this exact host, over HTTPS, for every path.
        SESSION_COOKIE_NAME="__Host-sharecast" if secure else "sharecast",
        SESSION_COOKIE_SECURE=secure, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=max(STAFF_MAX_AGE, SELLER_MAX_AGE)),
    )
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    app.config.setdefault("RATELIMIT_STORAGE_URI", limiter_storage(app.config["REDIS_URL"]))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down: each process counts in memory meanwhile (the limits still hold, per process)
    # and looks for Redis again, rather than every limited page answering 500.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    # Contact details as people without need see them (console lists, the seller's profile).
    app.jinja_env.filters.update(mask_phone=mask_phone, mask_email=mask_email, explain=explain)
    for blueprint in (auth_routes.bp, phone_sign_in.bp, wechat_sign_in.bp, console_bp, seller_bp, share.bp, join.bp,
                      bp):
        app.register_blueprint(blueprint)
    errors.set_page_errors(is_page, error_page)

    @app.errorhandler(CSRFError)
    def _stale_form(_exc):
        return error_page(400, _("This form has expired. Go back, reload the page and try again."))

    app.after_request(page_headers)
