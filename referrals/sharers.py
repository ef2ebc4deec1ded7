"""Sharers: sellers a marketer invites, and buyers enrolled by their purchase."""
from __future__ import annotations

import shortuuid
from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from plumbing import database
from plumbing.errors import ApiError
from referrals.identity import normalize_email, normalize_phone
from referrals.models import Sharer

# Code words are quoted aloud or typed from a poster: no 0/O, 1/I/l.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_codes = shortuuid.ShortUUID(alphabet=CODE_ALPHABET)


def get_sharer(session: Session, workspace_id: int, sharer_id: int) -> Sharer:
    """:raise ApiError 404: no such sharer in this workspace."""
    sharer = session.scalar(select(Sharer).where(Sharer.id == sharer_id, Sharer.workspace_id == workspace_id))
    if sharer is None:
        raise ApiError(404, "not_found", "No such sharer.")
    return sharer


def create_sharer(session: Session, workspace_id: int, name: str, email: str | None = None,
                  phone: str | None = None, external_id: str | None = None,
                  invited_by: int | None = None, source: str = "invited", looked_up: bool = False) -> Sharer:
    """Add a sharer. Joining is free: there is no fee field anywhere.

    ``looked_up``: the caller has just found no sharer with ``external_id`` in this
    transaction (the unique constraint still decides a race).

    :raise ApiError 422: bad email or phone, unknown inviter.
    :raise ApiError 409: ``external_id`` already used in this workspace.
    """
    values = _new_values(session, workspace_id, name, email, phone, external_id, invited_by, source)
    if external_id and not looked_up and session.scalar(select(Sharer.id).where(
            Sharer.workspace_id == workspace_id, Sharer.external_id == external_id)) is not None:
        raise ApiError(409, "duplicate_external_id", "A sharer with this external_id exists.", {"external_id": "taken"})
    for _ in range(5):
        # One statement, no savepoint: a taken code word or external_id inserts nothing.
        sharer = database.insert_row(session, Sharer, {**values, "code": _new_code()})
        if sharer is not None:
            return sharer
        # Either the random code word collided, or a concurrent request took
        # the external_id: look again before retrying.
        if external_id and session.scalar(select(Sharer.id).where(
                Sharer.workspace_id == workspace_id, Sharer.external_id == external_id)) is not None:
            raise ApiError(409, "duplicate_external_id", "A sharer with this external_id exists.",
                           {"external_id": "taken"})
    raise ApiError(503, "busy", "Could not allocate a sharer code; try again.")  # pragma: no cover


def unsaved_sharer(session: Session, sharer_id: int, workspace_id: int, name: str, email: str | None = None,
                   phone: str | None = None, external_id: str | None = None, invited_by: int | None = None,
                   source: str = "invited") -> Sharer:
    """The sharer :func:`create_sharer` would add, with ``sharer_id`` (drawn beforehand) and a new
    code word, not yet inserted: for a statement that writes it with other rows (a sale's new buyer,
    see ``ledger.book_new``), which fails as a whole on a taken code word or ``external_id``.

    :raise ApiError 422: as :func:`create_sharer`."""
    values = _new_values(session, workspace_id, name, email, phone, external_id, invited_by, source)
    return Sharer(id=sharer_id, code=_new_code(), **values)


def _new_code() -> str:
    """A new sharer's code word (their coupon): 6 letters of ``CODE_ALPHABET``."""
    return _codes.random(length=6)


def _new_values(session: Session, workspace_id: int, name: str, email: str | None, phone: str | None,
                external_id: str | None, invited_by: int | None, source: str) -> dict:
    """A new sharer's columns, checked and normalised. :raise ApiError 422: see :func:`create_sharer`."""
    errors = {}
    norm_email = normalize_email(email)
    if email and not norm_email:
        errors["email"] = "not an email address"
    norm_phone = normalize_phone(phone)
    if phone and not norm_phone:
        errors["phone"] = "not a phone number"
    inviter = session.get(Sharer, invited_by) if invited_by is not None else None  # often already loaded
    if invited_by is not None and (inviter is None or inviter.workspace_id != workspace_id):
        errors["invited_by"] = "no such sharer in this workspace"
    if errors:
        raise ApiError(422, "validation_error", "The sharer has invalid fields.", errors)
    return dict(workspace_id=workspace_id, name=name.strip(), email=norm_email, phone=norm_phone,
                external_id=external_id or None, invited_by=invited_by, source=source)


def customer_query(workspace_id, external_id, email, phone):
    """The sharers this buyer may already be, the best first (by external id, else the oldest by email
    or phone); None when nothing identifies them. Email and phone come normalised; any argument may
    be a bound parameter (for a query built once)."""
    conditions = []
    if external_id is not None:
        conditions.append(Sharer.external_id == external_id)
    if email is not None:
        conditions.append(Sharer.email == email)
    if phone is not None:
        conditions.append(Sharer.phone == phone)
    if not conditions:
        return None
    order = [case((Sharer.external_id == external_id, 0), else_=1)] if external_id is not None else []
    return (select(Sharer.id).where(Sharer.workspace_id == workspace_id, or_(*conditions))
            .order_by(*order, Sharer.id))


def find_customer(session: Session, workspace_id: int, external_id: str | None,
                  email: str | None, phone: str | None) -> Sharer | None:
    """The sharer this buyer already is: by external id, else by email or phone (the oldest). One query."""
    query = customer_query(workspace_id, external_id or None, normalize_email(email), normalize_phone(phone))
    if query is None:
        return None
    return session.scalar(select(Sharer).where(Sharer.id == query.limit(1).scalar_subquery()))
