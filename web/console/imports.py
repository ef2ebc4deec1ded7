"""Importing CSV files in the console: past sales and refunds (owners), and sharers with their
invitations (owners and marketers). The file is kept and imported in the background
(``referrals.csv_imports.run_import``); its page shows the progress, then every row's outcome by
its line in the file, refused rows with their reasons. A dry run, the default, shows what would
happen and keeps nothing. The services are the API's (``POST /api/v1/conversions/import``,
``POST /api/v1/sharers/import``)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import g, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select

from integrations import sharer_import
from integrations.jobs import run_sharer_import
from integrations.models import SharerImport
from plumbing import database, redis_client
from plumbing.api import ID
from plumbing.errors import ApiError
from referrals import imports
from referrals.csv_imports import MAX_ROWS, keep_file, progress_of
from referrals.import_routes import MAX_BYTES
from referrals.jobs import run_sales_import
from referrals.models import CsvImport, SalesImport, Sharer
from web.console.blueprint import NAV, bp
from web.console.forms import SalesImportForm, SharerImportForm
from web.console.sharers import shown_name
from web.session import staff_required

NAV.append(("console.sales_import", _l("Import")))
RECENT = 10


@dataclass(frozen=True)
class Importer:
    """One kind of file: its table, form, columns, job, and the names of its pages."""

    kind: str  # names its macros: templates/console/_import_<kind>.html
    model: type[CsvImport]
    form: type[FlaskForm]
    columns: tuple[str, ...]
    required: tuple[str, ...]
    job: Callable[[int], None]
    index: str
    page: str
    # What else its report shows, looked up when shown: {name: value} for the template.
    lookup: Callable[[CsvImport], dict] = lambda report: {}


SALES = Importer("sales", SalesImport, SalesImportForm, imports.KEPT_COLUMNS, imports.REQUIRED, run_sales_import,
                 "console.sales_import", "console.sales_import_page")
def _sharer_names(report: CsvImport) -> dict:
    """The current names of the sharers a report lists (as the Sharers page shows them)."""
    ids = {r["sharer_id"] for r in report.results if r.get("sharer_id")}
    rows = database.session().execute(select(Sharer.id, Sharer.name).where(
        Sharer.workspace_id == report.workspace_id, Sharer.id.in_(ids))).all() if ids else []
    return {"names": {i: shown_name(name, i) for i, name in rows}}


SHARERS = Importer("sharers", SharerImport, SharerImportForm, sharer_import.COLUMNS, sharer_import.REQUIRED,
                   run_sharer_import, "console.sharer_import", "console.sharer_import_page", _sharer_names)


def _index(importer: Importer, form: FlaskForm, status: int = 200):
    recent = database.session().scalars(select(importer.model).where(importer.model.workspace_id == g.key.workspace_id)
                                        .order_by(importer.model.id.desc()).limit(RECENT)).all()
    return render_template("console/imports.html", importer=importer, form=form, recent=recent,
                           columns=importer.columns, required=importer.required, max_rows=MAX_ROWS,
                           max_mb=MAX_BYTES // (1024 * 1024)), status


def _upload(importer: Importer, settings: Callable[[FlaskForm], dict] = lambda form: {}):
    """Keep the file and start its import, then show its page; a file that is not one (missing,
    over 5 MB, not UTF-8, no usable header, too many rows) is explained on the form (413 or 422)
    and nothing is kept."""
    form = importer.form()
    if not form.validate():
        return _index(importer, form, 422)
    raw = form.file.data.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        form.file.errors = [_("The file is too large: the limit is %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024))]
        return _index(importer, form, 413)
    session = database.session()
    try:
        found = keep_file(session, importer.model, g.key.workspace_id, raw.decode("utf-8").lstrip("\ufeff"),
                          bool(form.dry_run.data), importer.columns, importer.required, **settings(form))
    except UnicodeDecodeError:
        form.file.errors = [_("The file must be UTF-8 text.")]
        return _index(importer, form, 422)
    except ApiError as exc:
        session.rollback()
        form.file.errors = [_("The first line must name the columns.") if exc.code == "validation_error"
                            else _("At most %(rows)s rows per file: split it.", rows=MAX_ROWS)]
        form.file.errors += [f"{k}: {v}" for k, v in exc.fields.items()]
        return _index(importer, form, 422)
    session.commit()
    redis_client.queue().enqueue(importer.job, found.id)
    return redirect(url_for(importer.page, import_id=found.id), 303)


def _report(importer: Importer, import_id: int):
    """:raise 404: not an import of this workspace."""
    found = database.session().scalar(select(importer.model).where(importer.model.id == import_id,
                                                                    importer.model.workspace_id == g.key.workspace_id))
    if found is None:
        raise ApiError(404, "not_found", "No such import.")
    return render_template("console/import.html", importer=importer, report=found, done=progress_of(found),
                           **(importer.lookup(found) if found.status == "done" else {}))


@bp.get("/imports")
@staff_required("owner")
def sales_import():
    """The sales import form, with the columns a file may have, and the latest imports."""
    return _index(SALES, SalesImportForm())


@bp.post("/imports")
@staff_required("owner")
def sales_import_run():
    """Keep a file of sales and refunds and start its import (a dry run unless unticked)."""
    return _upload(SALES)


@bp.get(f"/imports/<{ID}:import_id>")
@staff_required("owner")
def sales_import_page(import_id: int):
    """One sales import: its progress while it runs (the page refreshes itself), then each row's outcome."""
    return _report(SALES, import_id)


@bp.get("/imports/sharers")
@staff_required("owner", "marketer")
def sharer_import():
    """The sharer import form (bulk invitations), with the columns a file may have, and the latest imports."""
    return _index(SHARERS, SharerImportForm())


@bp.post("/imports/sharers")
@staff_required("owner", "marketer")
def sharer_import_run():
    """Keep a file of sharers and start its import (a dry run unless unticked), inviting the new
    ones with an email address in the uploader's language when asked."""
    return _upload(SHARERS, lambda form: {"invite": bool(form.invite.data), "locale": str(get_locale() or "en")})


@bp.get(f"/imports/sharers/<{ID}:import_id>")
@staff_required("owner", "marketer")
def sharer_import_page(import_id: int):
    """One sharer import: its progress while it runs (the page refreshes itself), then each row's outcome."""
    return _report(SHARERS, import_id)
