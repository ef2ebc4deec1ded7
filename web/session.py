"""Who is signed in to the pages: a staff account or a seller, in the signed session cookie.

The cookie holds ids and a sign-in time only. Each request reloads the
account, checks its ``session_epoch`` (so "sign out everywhere" and a password
change end old sessions) and the session's age, then sets ``g.key`` to the
same :class:`~workspaces.auth.Principal` an API key would give, so services
and ownership checks are shared with the API. Every query then filters on
the principal's workspace: a page of another workspace is a 404.
"""
from __future__ import annotations

import time
from functools import wraps

from flask import abort, g, redirect, request, session, url_for

from accounts import sessions
from accounts.models import User
from plumbing import database
from referrals.models import Sharer
from workspaces.auth import Principal
from workspaces.models import Workspace

STAFF_MAX_AGE = 7 * 24 * 3600  # a week at a desk
SELLER_MAX_AGE = 60 * 24 * 3600  # sellers live on a phone; asking again often loses them


def sign_in_staff(user: User) -> None:
    """Start a console session for ``user`` (recorded and committed here)."""
    sid = _open("staff", user.id, user.workspace_id)
    session.clear()  # a fresh session: nothing carried over from before sign-in
    session.permanent = True
    session["staff"] = {"id": user.id, "epoch": user.session_epoch, "at": int(time.time()), "sid": sid}


def sign_in_seller(sharer: Sharer) -> None:
    """Start a seller-space session for ``sharer`` (recorded and committed here)."""
    sid = _open("seller", sharer.id, sharer.workspace_id)
    staff = session.get("staff")
    session.clear()
    if staff:  # a marketer trying the portal on their own phone stays signed in to the console
        session["staff"] = staff
    session.permanent = True
    session["seller"] = {"id": sharer.id, "ws": sharer.workspace_id, "at": int(time.time()), "sid": sid}


def _open(kind: str, account_id: int, workspace_id: int) -> str:
    db = database.session()
    sid = sessions.open_session(db, kind, account_id, workspace_id)
    db.commit()
    return sid


def sign_out(which: str) -> None:
    """End this browser's ``which`` session here and on the server (a copied cookie dies too)."""
    entry = session.pop(which, None)
    if isinstance(entry, dict):
        db = database.session()
        sessions.close_session(db, entry.get("sid"))
        db.commit()
    if not session.get("staff") and not session.get("seller"):
        session.clear()


def _fresh(entry: dict, max_age: int) -> bool:
    at = entry.get("at")
    return isinstance(at, int) and 0 <= time.time() - at <= max_age


def current_staff() -> User | None:
    entry = session.get("staff")
    if not isinstance(entry, dict) or not _fresh(entry, STAFF_MAX_AGE):
        return None
    user = database.session().get(User, entry.get("id")) if isinstance(entry.get("id"), int) else None
    if user is None or user.session_epoch != entry.get("epoch"):
        return None
    return user if sessions.is_live(database.session(), entry.get("sid"), "staff", user.id) else None


def current_seller() -> Sharer | None:
    entry = session.get("seller")
    if not isinstance(entry, dict) or not _fresh(entry, SELLER_MAX_AGE):
        return None
    sharer = database.session().get(Sharer, entry.get("id")) if isinstance(entry.get("id"), int) else None
    if sharer is None or sharer.workspace_id != entry.get("ws"):
        return None
    return sharer if sessions.is_live(database.session(), entry.get("sid"), "seller", sharer.id) else None


def _enter(workspace_id: int) -> Workspace:
    workspace = database.session().get(Workspace, workspace_id)
    g.workspace = workspace
    g.timezone = workspace.timezone
    return workspace


def staff_required(*roles: str):
    """Pages for console accounts (``roles``: which may enter; none means any staff).

    Not signed in: a redirect to the sign-in page, back here afterwards.
    :raise 403: a signed-in account of another role.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = current_staff()
            if user is None:
                return redirect(url_for("web_auth.staff_sign_in", next=request.full_path.rstrip("?")))
            if roles and user.role not in roles:
                abort(403)
            g.user = user
            g.key = Principal(user.workspace_id, user.role, None)
            _enter(user.workspace_id)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def seller_required(view):
    """Pages for a signed-in seller; otherwise a redirect to the seller sign-in page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        sharer = current_seller()
        if sharer is None:
            return redirect(url_for("web_auth.seller_sign_in", next=request.full_path.rstrip("?")))
        g.sharer = sharer
        g.key = Principal(sharer.workspace_id, "seller", sharer.id)
        _enter(sharer.workspace_id)
        return view(*args, **kwargs)

    return wrapper
