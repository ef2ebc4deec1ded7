"""Reading the portal's query strings and form fields: anything malformed is a 422 page, never a 500."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from plumbing.errors import ApiError

_MAX_ID = 2**31 - 1


def optional_id(value: str | None, field: str) -> int | None:
    """``value`` as a database id (1 .. 2³¹-1), None when absent or empty.

    :raise ApiError 422: anything else (letters, signs, NUL, huge numbers).
    """
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or not 1 <= int(value) <= _MAX_ID:
        raise ApiError(422, "validation_error", _("This address has a wrong value for %(field)s.", field=field),
                       {field: "not an id"})
    return int(value)


def required_id(value: str | None, field: str) -> int:
    """Like :func:`optional_id`, but missing is a 422 too."""
    found = optional_id(value, field)
    if found is None:
        raise ApiError(422, "validation_error", _("%(field)s is missing.", field=field), {field: "required"})
    return found


def choice(value: str | None, allowed, field: str, required: bool = False) -> str | None:
    """``value`` if it is one of ``allowed``; None when absent or empty (unless ``required``).

    :raise ApiError 422: anything else.
    """
    if value is None or value == "":
        if required:
            raise ApiError(422, "validation_error", _("%(field)s is missing.", field=field), {field: "required"})
        return None
    if value not in allowed:
        raise ApiError(422, "validation_error", _("This address has a wrong value for %(field)s.", field=field),
                       {field: "not one of the choices"})
    return value


_MAX_CURSOR = 200


def paged(fetch) -> tuple[bool, dict]:
    """``(first page?, fetch(cursor))`` for a list read a page at a time by ``?cursor=``.

    :raise ApiError 422: a cursor too long or not of this list (the page says to start again).
    """
    cursor = request.args.get("cursor") or None
    try:
        if cursor is not None and len(cursor) > _MAX_CURSOR:
            raise ApiError(422, "validation_error", "cursor too long")
        return cursor is None, fetch(cursor)
    except ApiError as exc:
        if exc.status != 422:
            raise
        raise ApiError(422, "validation_error", _("This page address is out of date: start again from the first page."),
                       {"cursor": "not a cursor of this list"}) from None
