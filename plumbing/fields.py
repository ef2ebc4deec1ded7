"""Marshmallow fields shared by the API schemas."""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from marshmallow import Schema, ValidationError, fields, pre_load, validate

# ASCII digits only: str.isdigit() and \d also accept full-width and other digits.
_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?")
MAX_ID = 2**31 - 1  # PostgreSQL integer
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)
CLOCK_SKEW = timedelta(minutes=5)


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored as it is, or None when it can.

    A NUL character: PostgreSQL cannot store or compare it in text. A lone
    surrogate (JSON's ``"\\ud800"`` decodes to one): it is no character at all,
    UTF-8 cannot encode it, so neither a database, a hash nor an answer can
    carry it. No honest input contains either.
    """
    if "\x00" in text:
        return "must not contain NUL characters"
    if _SURROGATE.search(text):
        return "must be valid Unicode (no lone surrogates)"
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")
# Longer than any text a field keeps (a campaign's body is the longest): a field
# without its own Length is held to this, so no text reaches a column or a
# renderer unbounded.
MAX_TEXT = 20_000


class InputSchema(Schema):
    """Base of every request schema: refuses text that cannot be stored anywhere
    in the input (see ``unstorable``), in values and keys alike, and text longer
    than ``MAX_TEXT``; the input is a JSON body, or a query string or form, which
    webargs hands over as a MultiDictProxy: a Mapping, not a dict.
    """

    @pre_load
    def _refuse_unstorable(self, data, **kwargs):
        def walk(value, path):
            if isinstance(value, str):
                reason = unstorable(value) or (f"must be at most {MAX_TEXT} characters"
                                               if len(value) > MAX_TEXT else None)
                if reason:
                    raise ValidationError(reason, path or "_")
            if isinstance(value, Mapping):
                for key, sub in value.items():
                    walk(key, path)
                    walk(sub, f"{path}.{key}" if path else str(key))
            elif isinstance(value, list):
                for sub in value:
                    walk(sub, path)

        walk(data, "")
        return data


class FullMatch(validate.Regexp):
    """A regex the whole value must match, published as an OpenAPI (ECMA-262) ``pattern``.

    Write it ``^...$``: the document shows it as is, and Python checks it with
    ``fullmatch``, so a trailing newline (which ``$`` alone lets through) is refused.
    Python's ``\\Z`` is no ECMA-262 syntax and must not reach the document.
    """

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class Currency(fields.String):
    """An ISO-4217 currency code, upper-cased (``"cny"`` is ``"CNY"``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        from plumbing.money import is_currency

        code = super()._deserialize(value, attr, data, **kwargs).upper()
        if not is_currency(code):
            raise ValidationError("not an ISO-4217 code")
        return code


def Id(**kwargs) -> fields.Integer:
    """A database id: a JSON integer from 1 to 2**31-1."""
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kwargs)


class StrictBoolean(fields.Boolean):
    """JSON ``true`` or ``false`` only: marshmallow's Boolean also takes "yes", "on", 1."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class DecimalString(fields.String):
    """Money or a rate on the wire: a decimal string such as ``"199.00"``, never a float."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update({"example": "199.00", "pattern": f"^{_DECIMAL.pattern}$"})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError('Must be a decimal string such as "199.00" (not a number).')
        value = super()._deserialize(value, attr, data, **kwargs)
        if not _DECIMAL.fullmatch(value):
            raise ValidationError('Must be a non-negative decimal string such as "199.00".')
        return value


class AwareDateTime(fields.AwareDateTime):
    """ISO-8601 with an explicit offset, between 2000 and 2100.

    A time without a zone is ambiguous and refused; far-off years are typos
    (and overflow date arithmetic).
    """

    def __init__(self, *, past: bool = False, **kwargs):
        """``past``: the time of something that happened, so not later than now (give or
        take ``CLOCK_SKEW`` between the caller's clock and ours)."""
        super().__init__(format="iso", **kwargs)
        self.past = past

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            result = super()._deserialize(value, attr, data, **kwargs)
        except OverflowError as exc:
            raise ValidationError("is out of range") from exc
        if not EARLIEST <= result < LATEST:
            raise ValidationError("must be between 2000 and 2100")
        if self.past and result > datetime.now(timezone.utc) + CLOCK_SKEW:
            raise ValidationError("is in the future")
        return result
