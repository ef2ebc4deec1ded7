"""Importing sales from CSV in the console (owners): a dry run, the import, each row's outcome by its
line with refused rows' reasons, and files that are not one explained on the form."""
from __future__ import annotations

import io

from test_imports import backfill, counts
from test_seller_portal import text_of

from plumbing import database
from referrals.models import Conversion


def upload(console, content: bytes, dry_run: bool, name="orders.csv"):
    data = {"file": (io.BytesIO(content), name)}
    if dry_run:
        data["dry_run"] = "y"
    return console.post("/console/imports", data, token_from="/console/imports", content_type="multipart/form-data")


def test_a_dry_run_shows_each_row_and_keeps_nothing_then_the_import_records_the_good_rows(
        app, console, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer("小林")["id"])
    page = text_of(console.get("/console/imports"))
    assert "Import sales" in page and "customer_external_id" in page
    before = counts(app)
    res = upload(console, backfill(link["code"]).encode("utf-8"), dry_run=True)
    assert res.status_code == 200
    page = text_of(res)
    assert "Dry run: nothing was kept" in page
    assert "Rows: 6 · recorded: 3 · already recorded: 0 · refused: 3" in page
    assert "A-1" in page and "Invalid row." in page and "<code>amount</code>" in res.text  # line 3's reason
    assert "The refunds would exceed the sale." in page  # line 7
    assert counts(app) == before
    res = upload(console, backfill(link["code"]).encode("utf-8"), dry_run=False)
    assert res.status_code == 200 and "Rows: 6 · recorded: 3 · already recorded: 0 · refused: 3" in text_of(res)
    with database.new_session(app) as s:
        assert sorted((c.type, c.order_id) for c in s.query(Conversion)) == [
            ("refund", "A-1"), ("sale", "A-1"), ("sale", "A-4")]
    again = text_of(upload(console, backfill(link["code"]).encode("utf-8"), dry_run=False))
    assert "Rows: 6 · recorded: 0 · already recorded: 3 · refused: 3" in again


def test_files_that_are_not_an_import_are_explained_and_record_nothing(app, console, campaign):
    before = counts(app)
    for content, status, message in [
        (b"", 422, "Choose a CSV file."),
        (b"order,sum\nA-1,10.00\n", 422, "The first line must name the columns."),
        ("type,order_id,amount\nsale,Ä-1,10.00\n".encode("utf-16"), 422, "The file must be UTF-8 text."),
        (b"type,order_id,amount\n" + b"x" * (5 * 1024 * 1024), 413, "The file is too large"),
    ]:
        res = upload(console, content, dry_run=False, name="orders.csv" if content else "")
        assert res.status_code == status and message in text_of(res), (status, text_of(res)[:300])
    assert counts(app) == before


def test_only_an_owner_imports(client):
    assert client.get("/console/imports").status_code in (302, 303)
