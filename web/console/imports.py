"""Importing past sales and refunds from a CSV file in the console (owners): the file is kept and
imported in the background (``referrals.jobs.run_sales_import``); its page shows the progress,
then every row's outcome by its line in the file, refused rows with their reasons. A dry run
shows what would be credited and keeps nothing. The service is the API's
(``POST /api/v1/conversions/import``, referrals/imports.py)."""
from __future__ import annotations

from flask import g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from plumbing import database, redis_client
from plumbing.api import ID
from plumbing.errors import ApiError
from referrals.import_routes import MAX_BYTES
from referrals.imports import KEPT_COLUMNS, MAX_ROWS, start_import
from referrals.jobs import run_sales_import
from referrals.models import SalesImport
from web.console.blueprint import NAV, bp
from web.console.forms import SalesImportForm
from web.session import staff_required

NAV.append(("console.sales_import", _l("Import")))
RECENT = 10


def _page(form: SalesImportForm, status: int = 200):
    recent = database.session().scalars(select(SalesImport).where(SalesImport.workspace_id == g.key.workspace_id)
                                        .order_by(SalesImport.id.desc()).limit(RECENT)).all()
    return render_template("console/imports.html", form=form, recent=recent, columns=KEPT_COLUMNS, max_rows=MAX_ROWS,
                           max_mb=MAX_BYTES // (1024 * 1024)), status


@bp.get("/imports")
@staff_required("owner")
def sales_import():
    """The import form, with the columns a file may have, and the latest imports."""
    return _page(SalesImportForm())


@bp.post("/imports")
@staff_required("owner")
def sales_import_run():
    """Keep the file and start its import (a dry run unless unticked), then show its page.

    A file that is not one (missing, over 5 MB, not UTF-8, no usable header, too many rows) is
    explained on the form (413 or 422) and nothing is kept.
    """
    form = SalesImportForm()
    if not form.validate():
        return _page(form, 422)
    raw = form.file.data.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        form.file.errors = [_("The file is too large: the limit is %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024))]
        return _page(form, 413)
    session = database.session()
    try:
        found = start_import(session, g.key.workspace_id, raw.decode("utf-8").lstrip("\ufeff"),
                             bool(form.dry_run.data))
    except UnicodeDecodeError:
        form.file.errors = [_("The file must be UTF-8 text.")]
        return _page(form, 422)
    except ApiError as exc:
        session.rollback()
        form.file.errors = [_("The first line must name the columns.") if exc.code == "validation_error"
                            else _("At most %(rows)s rows per file: split it.", rows=MAX_ROWS)]
        form.file.errors += [f"{k}: {v}" for k, v in exc.fields.items()]
        return _page(form, 422)
    session.commit()
    redis_client.queue().enqueue(run_sales_import, found.id)
    return redirect(url_for("console.sales_import_page", import_id=found.id), 303)


@bp.get(f"/imports/<{ID}:import_id>")
@staff_required("owner")
def sales_import_page(import_id: int):
    """One import: its progress while it runs (the page refreshes itself), then each row's outcome.

    :raise 404: not an import of this workspace.
    """
    found = database.session().scalar(select(SalesImport).where(SalesImport.id == import_id,
                                                                SalesImport.workspace_id == g.key.workspace_id))
    if found is None:
        raise ApiError(404, "not_found", "No such import.")
    return render_template("console/import.html", report=found)
