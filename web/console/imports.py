"""Importing past sales and refunds from a CSV file in the console (owners): a dry run shows what
would be credited, the import records each row on its own; every row's outcome is listed by its
line in the file, refused rows with their reasons. The service is the API's
(``POST /api/v1/conversions/import``, referrals/imports.py)."""
from __future__ import annotations

from flask import current_app, g, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from plumbing import database
from plumbing.errors import ApiError
from referrals import clickwriter
from referrals.import_routes import MAX_BYTES
from referrals.imports import COLUMNS, MAX_ROWS, import_rows, read_rows
from web.console.blueprint import NAV, bp
from web.console.forms import SalesImportForm
from web.session import staff_required

NAV.append(("console.sales_import", _l("Import")))


def _page(form: SalesImportForm, report: dict | None = None, status: int = 200):
    return render_template("console/imports.html", form=form, report=report, columns=COLUMNS, max_rows=MAX_ROWS,
                           max_mb=MAX_BYTES // (1024 * 1024)), status


@bp.get("/imports")
@staff_required("owner")
def sales_import():
    """The import form, with the columns a file may have."""
    return _page(SalesImportForm())


@bp.post("/imports")
@staff_required("owner")
def sales_import_run():
    """Run the file (a dry run unless unticked) and show each row's outcome.

    A file that is not one (missing, over 5 MB, not UTF-8, no usable header, too many rows) is
    explained on the form (413 or 422) and nothing is recorded; a bad row never stops the others.
    """
    form = SalesImportForm()
    if not form.validate():
        return _page(form, status=422)
    raw = form.file.data.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        form.file.errors = [_("The file is too large: the limit is %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024))]
        return _page(form, status=413)
    try:
        rows = read_rows(raw.decode("utf-8"))
    except UnicodeDecodeError:
        form.file.errors = [_("The file must be UTF-8 text.")]
        return _page(form, status=422)
    except ApiError as exc:
        form.file.errors = [_("The first line must name the columns.") if exc.code == "validation_error"
                            else _("At most %(rows)s rows per file: split it.", rows=MAX_ROWS)]
        form.file.errors += [f"{k}: {v}" for k, v in exc.fields.items()]
        return _page(form, status=422)
    app = current_app._get_current_object()
    report = import_rows(database.session(), g.key.workspace_id, rows, app.config["PUBLIC_URL"],
                         bool(form.dry_run.data), clickwriter.writer_for(app).write_now)
    return _page(form, report)
