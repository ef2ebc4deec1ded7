"""Sharecast's app registration on each Mastodon instance a brand connects an account on.

Mastodon has no central developer portal: a client registers itself on each instance
(``POST /api/v1/apps``) and keeps the client id and secret it gets. The first connect to an
instance registers; later ones (any workspace) reuse it. Two first connects at once may both
register; the first row stored wins and the other registration is simply never used.
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from brand_accounts.models import MastodonApp
from channels.mastodon import register_app
from plumbing import database, vault
from plumbing.database import insert_for

CLIENT_NAME = "Sharecast"  # shown on the instance's approval page and beside posts ("via Sharecast")


def registration(app: Flask, base: str, redirect_uri: str) -> tuple[str, str]:
    """``(client_id, client_secret)`` of Sharecast's app on the instance at ``base`` for this
    ``redirect_uri``, registering it there the first time. :raise InstanceError: see ``register_app``."""
    found = _stored(app, base, redirect_uri)
    if found:
        return found
    client_id, secret = register_app(base, CLIENT_NAME, redirect_uri, app.config["PUBLIC_URL"],
                                     app.config["ALLOW_PRIVATE_TARGETS"])
    with database.new_session(app) as session:
        session.execute(insert_for(session)(MastodonApp).values(
            instance=base, redirect_uri=redirect_uri, client_id=client_id,
            sealed=vault.for_app(app).seal({"client_secret": secret}), created_at=database.utcnow(),
        ).on_conflict_do_nothing())
        session.commit()
    return _stored(app, base, redirect_uri)


def _stored(app: Flask, base: str, redirect_uri: str) -> tuple[str, str] | None:
    with database.read_session(app) as session:
        row = session.scalar(select(MastodonApp).where(MastodonApp.instance == base,
                                                       MastodonApp.redirect_uri == redirect_uri))
        if row is None:
            return None
        return row.client_id, vault.for_app(app).open(row.sealed)["client_secret"]
