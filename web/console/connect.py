"""The console's "Connect" page (owners): the landing-page snippet, API keys, shop and payment integrations."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from integrations import REGISTRY
from integrations.store import connect, deliveries, disconnect, overview
from plumbing import database, vault
from plumbing.errors import ApiError
from referrals.models import Sharer
from referrals.snippet import cookie_days, script_tag, snippet
from web.console.blueprint import NAV, bp
from web.console.sharers import shown_name
from web.session import staff_required
from workspaces.keys import ISSUABLE_ROLES, issue_key, list_keys, revoke_key

NAV.append(("console.connect_page", _l("Connect")))
KEY_ROLES = {"owner": _l("Owner"), "server": _l("Server: posts sales and refunds, reads campaigns"),
             "marketer": _l("Marketer: campaigns and sharers")}


def _page(status: int = 200, new_key: str | None = None, errors: dict | None = None, shown_once: dict | None = None):
    session = database.session()
    public_url = current_app.config["PUBLIC_URL"]
    days = cookie_days(session, g.key.workspace_id)
    return render_template(
        "console/connect.html", tag=script_tag(public_url, days), days=days, integrity=snippet()[1],
        keys=list_keys(session, g.key.workspace_id), key_roles=KEY_ROLES, issuable=ISSUABLE_ROLES,
        new_key=new_key, integrations=_with_deliveries(overview(session, g.key.workspace_id, public_url)),
        adapters=REGISTRY, errors=errors or {}, shown_once=shown_once or {},
    ), status


def _with_deliveries(integrations: list[dict]) -> list[dict]:
    """Each connected integration with its latest deliveries, each order with its sharer's name."""
    session = database.session()
    for item in integrations:
        item["deliveries"] = deliveries(session, item["id"]) if item["connected"] else []
    ids = {o["sharer_id"] for i in integrations for d in i["deliveries"] for o in d.orders if o.get("sharer_id")}
    names = dict(session.execute(select(Sharer.id, Sharer.name).where(
        Sharer.workspace_id == g.key.workspace_id, Sharer.id.in_(ids))).all()) if ids else {}
    for item in integrations:
        item["sharer_names"] = {i: shown_name(names[i], i) for i in names}
    return integrations


@bp.get("/connect")
@staff_required("owner")
def connect_page():
    """The snippet to paste, the workspace's API keys and its integrations."""
    return _page()


@bp.post("/connect/keys")
@staff_required("owner")
def issue_api_key():
    """Issue a key and show it this once (never stored in clear). :raise 422: bad role or name."""
    role, name = request.form.get("role", ""), request.form.get("name", "").strip()
    if role not in ISSUABLE_ROLES or not 1 <= len(name) <= 100 or not name.isprintable():
        return _page(422, errors={"key": _("Give the key a name (up to 100 characters) and a role.")})
    session = database.session()
    key = issue_key(session, g.key.workspace_id, role, name=name)
    session.commit()
    return _page(201, new_key=key)


@bp.post("/connect/keys/<int(min=1, max=2147483647):key_id>/revoke")
@staff_required("owner")
def revoke_api_key(key_id: int):
    """Revoke a key at once. :raise 404: unknown or already revoked."""
    session = database.session()
    try:
        revoke_key(session, g.key.workspace_id, key_id)
    except ApiError:
        session.rollback()
        return _page(404, errors={"key": _("This key is already revoked.")})
    session.commit()
    flash(_("The key is revoked; it no longer works."))
    return redirect(url_for("console.connect_page"), 303)


@bp.post("/connect/integrations/<provider>")
@staff_required("owner")
def connect_integration(provider: str):
    """Connect a platform with the settings pasted from its side. :raise 404/422: unknown platform, bad settings."""
    if provider not in REGISTRY:
        return _page(404)
    given = {k: request.form.get(k, "") for k in REGISTRY[provider].fields}
    session = database.session()
    try:
        shown_once = connect(session, vault.for_app(current_app), g.key.workspace_id, provider, given)
    except ApiError as exc:
        session.rollback()
        return _page(422, errors={provider: exc.fields})
    session.commit()
    return _page(200, shown_once={provider: shown_once} if shown_once else None)


@bp.post("/connect/integrations/<provider>/disconnect")
@staff_required("owner")
def disconnect_integration(provider: str):
    """Disconnect a platform: its address answers 404 from now on."""
    session = database.session()
    try:
        disconnect(session, g.key.workspace_id, provider)
    except ApiError:
        session.rollback()
        return _page(404)
    session.commit()
    flash(_("Disconnected."))
    return redirect(url_for("console.connect_page"), 303)
