"""``flask user create``: a staff account (owner or marketer) for the console."""
from __future__ import annotations

import json
import sys

import click
from flask import Flask
from sqlalchemy import select

from accounts.models import STAFF_ROLES
from accounts.users import AccountError, create_user
from plumbing import database
from workspaces.models import Workspace


def _read_password() -> str:
    """Asked twice at a terminal; piped, the first line of stdin (``echo pw | flask user create ...``).

    :raise click.UsageError: nothing on stdin.
    """
    stdin = sys.stdin  # (click.get_text_stream is deprecated; the test runner swaps sys.stdin too)
    if stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = stdin.readline()
    if not line.strip():
        raise click.UsageError("no password on stdin (pipe one line, or run it at a terminal to be asked)")
    return line.rstrip("\r\n")


def init_app(app: Flask) -> None:
    group = click.Group("user", help="Manage console accounts.")

    @group.command("create")
    @click.option("--workspace", "slug", required=True, help="The workspace's slug (from `workspace create`).")
    @click.option("--email", required=True)
    @click.option("--role", type=click.Choice(STAFF_ROLES), default="owner", show_default=True)
    @click.option("--name", default="")
    @click.option("--password", default=None,
                  help="Prompted for (twice) at a terminal when not given; else one line read from stdin.")
    def create(slug: str, email: str, role: str, name: str, password: str | None) -> None:
        """Create a console account; print it as JSON (never the password)."""
        if password is None:
            password = _read_password()
        from plumbing import migrate

        migrate.upgrade(app.config["DATABASE_URL"])
        session = database.new_session(app)
        try:
            workspace = session.scalar(select(Workspace).where(Workspace.slug == slug))
            if workspace is None:
                raise click.BadParameter(f"no workspace with slug {slug!r}", param_hint="--workspace")
            try:
                user = create_user(session, workspace.id, email, password, role, name)
            except AccountError as exc:
                raise click.BadParameter(str(exc), param_hint=f"--{exc.field}") from None
            session.commit()
            click.echo(json.dumps({"user": {"id": user.id, "email": user.email, "role": user.role,
                                            "workspace": workspace.slug}}, ensure_ascii=False))
        finally:
            session.close()

    app.cli.add_command(group)
