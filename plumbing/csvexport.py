"""CSV downloads that spreadsheets open safely: UTF-8 with a BOM, formulas defused.

Excel reads a CSV without a byte order mark in the machine's legacy code page
(GBK on a Chinese Windows), garbling Chinese names; with the BOM it reads UTF-8.
A text cell starting with ``= + - @`` (in any width, after any spaces), a tab or a carriage return is taken by
spreadsheets as a formula (CSV injection), so it gets a leading apostrophe.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from urllib.parse import quote

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_cell(value) -> object:
    """``value`` as a cell: text that a spreadsheet would run as a formula gets a leading ``'``.

    Only text is changed; numbers (int, Decimal) are written as they are, so
    pass amounts as numbers to keep a negative one numeric. None is an empty cell.
    """
    if value is None:
        return ""
    # Spreadsheets also start a formula at a full-width or small form (＝, ﹢, ＠...), and
    # after leading spaces: judge the NFKC form of the start, spaces dropped.
    if isinstance(value, str) and unicodedata.normalize("NFKC", value[:16]).lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """The CSV (RFC 4180, CRLF line ends) of ``header`` and ``rows``, every cell through :func:`safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence], rows_per_chunk: int = 1000) -> Iterator[bytes]:
    """:func:`csv_text` as UTF-8 (with a BOM) in pieces of ``rows_per_chunk`` rows, read from ``rows`` as they come:
    a download of any length holds one piece in memory."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in header])
    pending = 0
    first = True
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        pending += 1
        if pending == rows_per_chunk:
            yield out.getvalue().encode("utf-8-sig" if first else "utf-8")
            out.seek(0)
            out.truncate()
            pending, first = 0, False
    yield out.getvalue().encode("utf-8-sig" if first else "utf-8")


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """A download of ``rows`` under ``header`` named ``filename``: UTF-8 with a BOM, formulas defused.

    The body is sent as ``rows`` yields: pass a generator (that opens what it
    reads itself; the request's context is gone by then) for an export of any size.

    ``filename`` may hold any characters: an ASCII fallback goes in ``filename``
    and the exact name in ``filename*`` (RFC 6266).
    """
    body = csv_chunks(header, rows)
    fallback = _UNSAFE_FILENAME.sub("_", filename).strip("_") or "export.csv"
    disposition = f'attachment; filename="{fallback}"'
    if fallback != filename:
        disposition += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": disposition,
        # A report is private to the workspace: no shared cache may keep it.
        "Cache-Control": "private, no-store",
    })
