"""Two SQL expressions SQLite and PostgreSQL spell differently, for the figures' queries."""
from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class month_index(FunctionElement):
    """The UTC calendar month of a timestamp as one integer, ``year * 12 + month - 1``."""

    type = Integer()
    inherit_cache = True
    name = "month_index"


class epoch_seconds(FunctionElement):
    """Whole seconds since 1970-01-01 UTC of a timestamp (the fraction dropped), exact on both backends."""

    type = Integer()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(month_index, "sqlite")
def _month_sqlite(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    return f"(CAST(strftime('%Y', {arg}) AS INTEGER) * 12 + CAST(strftime('%m', {arg}) AS INTEGER) - 1)"


@compiles(month_index, "postgresql")
def _month_postgresql(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    return (f"(CAST(EXTRACT(YEAR FROM {arg} AT TIME ZONE 'UTC') AS INTEGER) * 12"
            f" + CAST(EXTRACT(MONTH FROM {arg} AT TIME ZONE 'UTC') AS INTEGER) - 1)")


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element, compiler, **kw):
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


def month_label(index: int) -> str:
    """``month_index`` back to ``"YYYY-MM"``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
