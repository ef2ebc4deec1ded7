"""``flask workspace create --name N``: a workspace and its owner key, as JSON."""
from __future__ import annotations

import json
import re
import secrets
from zoneinfo import available_timezones

import click
from flask import Flask
from sqlalchemy import select

from plumbing import database
from workspaces.keys import issue_key
from workspaces.models import Workspace


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48]
    return slug or "ws"


def create_workspace(session, name: str, currency: str = "CNY", timezone: str = "Asia/Shanghai") -> tuple[Workspace, str]:
    """Create a workspace and its first owner key (returned in clear).

    :raise ValueError: empty name.
    """
    name = name.strip()
    if not name:
        raise ValueError("name must not be empty")
    slug = base = slugify(name)
    while session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        slug = f"{base}-{secrets.token_hex(2)}"
    workspace = Workspace(name=name, slug=slug, currency=currency, timezone=timezone)
    session.add(workspace)
    session.flush()
    key = issue_key(session, workspace.id, "owner")
    return workspace, key


def init_app(app: Flask) -> None:
    group = click.Group("workspace", help="Manage workspaces.")

    @group.command("create")
    @click.option("--name", required=True, help="The brand's name.")
    @click.option("--currency", default="CNY", show_default=True)
    @click.option("--timezone", "tz", default="Asia/Shanghai", show_default=True)
    def create(name: str, currency: str, tz: str) -> None:
        """Create a workspace; print it and its owner API key as JSON."""
        from plumbing.money import is_currency

        if not is_currency(currency):
            raise click.BadParameter(f"unknown ISO-4217 currency {currency!r}", param_hint="--currency")
        if tz not in available_timezones():
            raise click.BadParameter(f"unknown IANA time zone {tz!r}", param_hint="--timezone")
        from plumbing import migrate

        migrate.upgrade(app.config["DATABASE_URL"])  # a fresh install may not have served yet
        session = database.new_session(app)
        try:
            workspace, key = create_workspace(session, name, currency, tz)
            session.commit()
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--name") from exc
        finally:
            session.close()
        click.echo(json.dumps({"workspace": {"id": workspace.id, "slug": workspace.slug, "name": workspace.name},
                               "api_key": key}, ensure_ascii=False))

    app.cli.add_command(group)
