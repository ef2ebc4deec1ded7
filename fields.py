"""Marshmallow fields shared by the API schemas."""
from __future__ import annotations

import re

from marshmallow import ValidationError, fields

_DECIMAL = re.compile(r"^\d{1,12}(\.\d{1,6})?$")


class DecimalString(fields.String):
    """Money or a rate on the wire: a decimal string such as ``"199.00"``, never a float."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update({"example": "199.00", "pattern": _DECIMAL.pattern})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError('Must be a decimal string such as "199.00" (not a number).')
        value = super()._deserialize(value, attr, data, **kwargs)
        if not _DECIMAL.match(value):
            raise ValidationError('Must be a non-negative decimal string such as "199.00".')
        return value


class AwareDateTime(fields.AwareDateTime):
    """ISO-8601 with an explicit offset; a time without a zone is ambiguous and refused."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)
