"""Bearer-key authentication and role checks for the API.

``@requires("owner", "marketer")`` loads the key from ``Authorization: Bearer``
and puts ``g.key`` (role, workspace, sharer) in reach; every query a route
makes then filters on ``g.key.workspace_id`` so workspaces never mix.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import g, request

from plumbing import database, redis_client
from plumbing.errors import ApiError
from workspaces.keys import note_use, use_is_stale, verify_key_cached


@dataclass(frozen=True)
class Principal:
    workspace_id: int
    role: str
    sharer_id: int | None
    key_id: int | None = None

    def check_acts_for(self, sharer_id: int) -> None:
        """Staff may act for any sharer; a seller only for themselves.

        :raise ApiError 403: a seller key naming another sharer.
        """
        if self.role == "seller" and self.sharer_id != sharer_id:
            raise ApiError(403, "forbidden", "A seller may act only for themselves.")


def current() -> Principal:
    return g.key


def requires(*roles: str):
    """Let through requests whose key has one of ``roles`` (``"any"`` for every role).

    :raise 401: no key, or an unknown or revoked one.
    :raise 403: a valid key of another role.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(401, "unauthorized", "Send an API key as 'Authorization: Bearer <key>'.")
            # Remembered in Redis, else a short read of its own, so the request's write
            # transaction (if any) starts only when the service needs it.
            row = verify_key_cached(redis_client.connection(), database.read_session, token.strip())
            if row is None:
                raise ApiError(401, "unauthorized", "The API key is unknown or revoked.")
            # "any" means every role that acts in the console or library; a server key is
            # a merchant's backend and is let in only where it is named.
            if row.role not in roles and ("any" not in roles or row.role == "server"):
                raise ApiError(403, "forbidden", f"A {row.role} key may not do this.")
            if use_is_stale(row):
                with database.new_session() as s:
                    note_use(s, row, redis_client.connection(), token.strip())
            g.key = Principal(row.workspace_id, row.role, row.sharer_id, row.id)
            return view(*args, **kwargs)

        wrapper._sharecast_roles = roles  # read by the OpenAPI security docs
        return wrapper

    return decorate
