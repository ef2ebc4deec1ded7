"""Cursor pagination for every list: ``{"items": [...], "next_cursor": "..."|null}``.

A cursor is the sort key of the last item a page showed, packed as
URL-safe base64 of JSON so clients treat it as opaque. Keyset pages (rather
than offsets) neither skip nor repeat rows when new ones arrive meanwhile.
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime, timezone

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import and_, or_

from plumbing.errors import ApiError
from plumbing.fields import InputSchema

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _no_cursor(value: str) -> None:
    raise ValidationError("this list is always one page: it has no cursor to continue from")


class OnePageQuery(InputSchema):
    """The query of a list that is always one page (``next_cursor`` always null): any
    ``?cursor=`` was made up, and is refused (422) rather than silently ignored."""

    cursor = fields.String(load_default=None, validate=_no_cursor,
                           metadata={"description": "none: the list is one page"})


class PageQuery(InputSchema):
    """``?cursor=`` (from the previous page's ``next_cursor``) and ``?limit=`` (1 to 200, default 50)."""

    cursor = fields.String(load_default=None, validate=validate.Length(1, 200),
                           metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """The schema of a page of ``item``s: ``{"items": [...], "next_cursor": "..."|null}``, named ``name``."""
    return Schema.from_dict({"items": fields.List(fields.Nested(item)),
                             "next_cursor": fields.String(allow_none=True, metadata={
                                 "description": "pass as ?cursor= for the next page; null on the last"})}, name=name)


def check_limit(limit: int) -> None:
    """:raise ApiError 422: a page size outside 1..MAX_LIMIT (services check what pages pass them)."""
    if not (isinstance(limit, int) and 1 <= limit <= MAX_LIMIT):
        raise ApiError(422, "validation_error", "The request has invalid fields.",
                       {"limit": f"must be between 1 and {MAX_LIMIT}"})


def encode_cursor(*key) -> str:
    """The opaque cursor for a sort key of ints, strings and aware datetimes."""
    values = [v.isoformat() if isinstance(v, datetime) else v for v in key]
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# A cursor value that is a row id: an int within the database's integer column.
ID = "id"
_ID_MAX = 2**31 - 1


def decode_cursor(cursor: str, *types: type | str) -> tuple:
    """The sort key ``cursor`` packs, each value checked against ``types``
    (int, :data:`ID`, str, or an aware datetime in the years 2000..2100).

    :raise ApiError 422: not a cursor of this shape (made up, cut short, or from another list).
    """
    def bad() -> ApiError:
        return ApiError(422, "validation_error", "The request has invalid fields.",
                        {"cursor": "not a cursor of this list; pass next_cursor as it was given"})

    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad() from None
    if not isinstance(values, list) or len(values) != len(types):
        raise bad()
    key = []
    for value, kind in zip(values, types):
        if kind is datetime:
            try:
                value = datetime.fromisoformat(value) if isinstance(value, str) else None
                # Years at the calendar's edges overflow when converted to UTC.
                if value is not None and not 2000 <= value.astimezone(timezone.utc).year <= 2100:
                    value = None
            except (ValueError, OverflowError):
                value = None
            if value is None or value.tzinfo is None:
                raise bad()
        elif kind == ID and (type(value) is not int or not 1 <= value <= _ID_MAX):
            raise bad()
        elif kind is int and (type(value) is not int or abs(value) >= 2**63):
            raise bad()
        elif kind is str and not isinstance(value, str):
            raise bad()
        key.append(value)
    return tuple(key)


def after(columns: list, key: tuple, descending: list[bool]):
    """The SQL condition "comes after ``key``" for rows sorted by ``columns`` (each ascending or not)."""
    clauses = []
    for i, (column, value, desc) in enumerate(zip(columns, key, descending)):
        step = column < value if desc else column > value
        clauses.append(and_(*[c == v for c, v in zip(columns[:i], key[:i])], step))
    return or_(*clauses)


def newest_first(session, query, created_at, id_column, cursor: str | None, limit: int,
                 keep: Callable[[list], list] | None = None) -> tuple[list, str | None]:
    """One page of ``query`` (a ``select`` of ORM rows with ``created_at`` and ``id``), newest first.

    ``keep``, when given, filters each batch of rows read (for a condition SQL
    cannot express); batches are read until the page is full or rows run out.

    :return: the rows and the cursor of the next page (None on the last).
    :raise ApiError 422: a bad cursor.
    """
    check_limit(limit)
    columns = [created_at, id_column]
    key = decode_cursor(cursor, datetime, ID) if cursor is not None else None
    size = limit + 1 if keep is None else max(limit + 1, 200)
    page: list = []
    while len(page) <= limit:
        batch_query = query.where(after(columns, key, [True, True])) if key else query
        batch = list(session.scalars(batch_query.order_by(created_at.desc(), id_column.desc()).limit(size)))
        page.extend(keep(batch) if keep else batch)
        if len(batch) < size:
            break
        key = (batch[-1].created_at, batch[-1].id)
    if len(page) <= limit:
        return page, None
    page = page[:limit]
    return page, encode_cursor(page[-1].created_at, page[-1].id)
