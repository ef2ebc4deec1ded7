"""What every CSV import shares: reading the file, recording its rows one by one (each whole or
not at all, a bad row never stopping the good ones), and running a kept file in the background
with its progress and each row's outcome saved as it goes (``CsvImport`` tables).

A real run commits each good row and saves its progress and outcomes in the import's row every
``SAVE_EVERY`` rows, so a run cut short goes on where it stopped. A dry run holds one transaction
to the end and rolls it back (later rows see earlier ones, as they would for real); on SQLite it
works on a copy of the database (``database.rehearsal``), so that long transaction never holds
the database's write lock. It saves nothing before its end: its progress goes to Redis, every
``SAVE_EVERY`` rows too (``progress_of`` reads both).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session

from plumbing import database, redis_client
from plumbing.database import utcnow
from plumbing.errors import ApiError, error_body
from referrals.models import CsvImport

MAX_ROWS = 5000
SAVE_EVERY = 50  # rows between two progress saves of a background import
LIVE_FOR = timedelta(days=1)  # how long a dry run's progress stays in Redis

# A row's recording: its result (with its ``status``) and what to do once it is kept (or None);
# raises ApiError to refuse the row.
Record = Callable[[dict], tuple[dict, Callable[[], None] | None]]
Progress = Callable[[list[dict]], None]


def read_rows(text: str, columns: tuple[str, ...], required: tuple[str, ...]) -> list[dict]:
    """The file's rows as dicts of its known ``columns`` (blank cells left out).

    :raise ApiError 422: no header with the required columns, unknown columns, or too many rows.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in columns]
    if missing or unknown:
        raise ApiError(422, "validation_error", "The first line must name the columns.",
                       {"columns": f"missing {', '.join(missing) or 'none'}; unknown {', '.join(unknown) or 'none'};"
                                   f" known: {', '.join(columns)}"})
    reader.fieldnames = header
    rows = []
    for row in reader:
        if len(rows) == MAX_ROWS:
            raise ApiError(422, "too_many_rows", f"At most {MAX_ROWS} rows per file; split it.")
        rows.append({k: v.strip() for k, v in row.items() if k in columns and isinstance(v, str) and v.strip()})
    return rows


def record_rows(session: Session, items: list, record: Callable, dry_run: bool, first_line: int = 2,
                progress: Progress | None = None) -> list[dict]:
    """Record each item (a row, or what was read of it) through ``record`` (a ``Record``): a good
    row is committed, then what it asks done; a refused one is rolled back whole. In a dry run
    each row is a savepoint and everything is rolled back at the end.

    ``first_line``: the file's line of ``items[0]`` (line 1 is the header; a resumed import
    starts further down); ``progress``: told the results so far after each row.
    :return: one result per row: its ``line``, and ``status`` ``failed`` with an error in the
        API's error shape, or what ``record`` answered.
    """
    results: list[dict] = []
    for line, item in enumerate(items, start=first_line):
        savepoint = session.begin_nested() if dry_run else None
        try:
            result, then = record(item)
        except ApiError as exc:
            savepoint.rollback() if savepoint else session.rollback()
            results.append({"line": line, "status": "failed", **error_body(exc.code, exc.message, exc.fields)})
        else:
            savepoint.commit() if savepoint else session.commit()
            if then is not None:
                then()
            results.append({"line": line, **result})
        if progress is not None:
            progress(results)
    if dry_run:
        session.rollback()
    return results


def totals(outcomes: tuple[str, ...], results: list[dict]) -> dict[str, int]:
    """How many results ended in each outcome."""
    return {outcome: sum(1 for r in results if r["status"] == outcome) for outcome in outcomes}


def keep_file(session: Session, model: type[CsvImport], workspace_id: int, text: str, dry_run: bool,
              columns: tuple[str, ...], required: tuple[str, ...], **settings) -> CsvImport:
    """Keep a file for its background import (``run_import``); flushes.

    :raise ApiError 422: no usable header, or too many rows (nothing kept).
    """
    found = model(workspace_id=workspace_id, dry_run=dry_run, status="queued", csv=text,
                  rows=len(read_rows(text, columns, required)), results=[], **settings)
    session.add(found)
    session.flush()
    return found


def _live_key(model: type[CsvImport], import_id: int) -> str:
    return f"sharecast:import-progress:{model.__tablename__}:{import_id}"


def progress_of(found: CsvImport) -> int:
    """How many rows of a running import are done: saved in its row, or, for a dry run, in Redis."""
    if found.status == "done" or not found.dry_run:
        return found.done
    live = redis_client.connection().get(_live_key(type(found), found.id))
    return max(found.done, int(live or 0))


ImportFile = Callable[[Session, CsvImport, list[dict], int, Progress], list[dict]]


def run_import(model: type[CsvImport], import_id: int, columns: tuple[str, ...], required: tuple[str, ...],
               import_file: ImportFile) -> None:
    """Import a kept file in the background: ``import_file(session, found, rows, first_line,
    progress)`` records ``rows`` (through ``record_rows``) and answers their results; ``found`` is
    the import, detached. Progress is saved every ``SAVE_EVERY`` rows and at the end.

    Safe to run twice: a finished import is left alone; an import cut short goes on after the
    rows it saved (recording a row twice must change nothing), except a dry run, which keeps
    nothing and so starts again from the top.
    """
    live = redis_client.connection()
    with database.new_session() as session:
        found = session.get(model, import_id)
        if found is None or found.status == "done":
            return
        if found.dry_run:
            found.done, found.results = 0, []
            for outcome in model.OUTCOMES:
                setattr(found, outcome, 0)
            live.delete(_live_key(model, import_id))
        found.status = "running"
        session.commit()
        session.refresh(found)
        session.expunge(found)
    start, before = found.done, list(found.results)

    def save(results: list[dict], finished: bool = False) -> None:
        if not finished and len(results) % SAVE_EVERY:
            return
        if found.dry_run and not finished:  # a dry run saves nothing before its end
            live.set(_live_key(model, import_id), start + len(results), ex=LIVE_FOR)
            return
        with database.new_session() as progress:
            row = progress.get(model, import_id)
            row.results = before + results
            row.done = start + len(results)
            for outcome, count in totals(model.OUTCOMES, row.results).items():
                setattr(row, outcome, count)
            if finished:
                # The file held names, phones and addresses; once imported, only its report is kept.
                row.status, row.finished_at, row.csv = "done", utcnow(), ""
            progress.commit()
        if finished:
            live.delete(_live_key(model, import_id))

    rows = read_rows(found.csv, columns, required)[start:]
    # A dry run keeps nothing: on SQLite it works on a copy, leaving the database's write lock free.
    with database.rehearsal() if found.dry_run else database.new_session() as session:
        results = import_file(session, found, rows, 2 + start, save)
    save(results, finished=True)
