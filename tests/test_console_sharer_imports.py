"""Importing sharers from CSV in the console (bulk invitations, owners and marketers): the file is
imported in the background through the API's service, its page shows the progress, then each row's
outcome by its line with refused rows' reasons; a dry run keeps nothing and sends nothing;
invitations go by email in the uploader's language, never shown or kept as links; files that are
not one are explained on the form; the job is safe to run twice and an import cut short goes on."""
from __future__ import annotations

import html as markup
import io

import pytest
from conftest import STAFF_PASSWORD, Pages
from sqlalchemy import select
from test_console_imports import lose_the_worker_at, work
from test_seller_portal import text_of
from test_sharer_import import FILE, counts, queued

from accounts.users import create_user
from integrations import sharer_import
from integrations.jobs import run_sharer_import
from integrations.models import SharerImport
from plumbing import database
from referrals import csv_imports
from referrals.models import Sharer
from workspaces.models import Workspace

SUMMARY = "Rows: 5 · added: {} · already there: {} · refused: 2"


def html_text(html: str) -> str:
    return markup.unescape(html)


def upload(console, content: bytes, dry_run: bool, invite: bool = True, name="sharers.csv", **kw):
    data = {"file": (io.BytesIO(content), name)}
    if dry_run:
        data["dry_run"] = "y"
    if invite:
        data["invite"] = "y"
    return console.post("/console/imports/sharers", data, token_from="/console/imports/sharers",
                        content_type="multipart/form-data", **kw)


def import_id_of(res) -> int:
    assert res.status_code == 303, res.text[:500]
    return int(res.headers["Location"].rsplit("/", 1)[1])


def test_a_dry_run_shows_who_would_be_added_and_keeps_and_sends_nothing(app, console):
    page = text_of(console.get("/console/imports/sharers"))
    assert "Import sharers" in page and "external_id" in page and "Required: name." in page
    assert "Import sharers" in text_of(console.get("/console/sharers"))
    res = upload(console, FILE.encode("utf-8"), dry_run=True)
    location = res.headers["Location"]
    import_id_of(res)
    waiting = console.get(location)
    assert "0 of 5 rows" in text_of(waiting) and '<meta http-equiv="refresh" content="2">' in waiting.text
    work(app)
    page = text_of(console.get(location))
    assert "Dry run: nothing was kept" in page and SUMMARY.format(2, 1) in page
    assert "Invalid row." in page and "<code>name</code>" in console.get(location).text  # line 4's reason
    assert counts(app) == (0, 0) and queued(app) == []


def test_an_import_invites_by_email_in_the_uploaders_language_and_a_second_adds_no_one(app, console):
    res = upload(console, FILE.encode("utf-8"), dry_run=False, headers={"Accept-Language": "zh-CN"})
    location = res.headers["Location"]
    with app.app_context():  # the job alone, as the worker runs it, leaving the emails it queues queued
        run_sharer_import(import_id_of(res))
    html = console.get(location, headers={"Accept-Language": "en"}).get_data(as_text=True)
    page = html_text(html)
    assert "Imported" in page and SUMMARY.format(2, 1) in page
    assert "invitation emailed" in page and "no email address: create an invitation link on their page" in page
    assert "/seller/pass/" not in html  # sign-in links go by email only, never kept in the report
    [job] = queued(app)
    assert job.args[1] == "lin@example.com" and "邀请" in job.args[2]  # written in the uploader's Chinese
    assert counts(app) == (2, 1)  # 阿美 has no email: no link made for nobody to receive
    with database.new_session(app) as s:
        found = s.scalars(select(SharerImport)).one()
        assert [r["status"] for r in found.results] == ["created", "created", "failed", "failed", "existing"]
        assert "invitation_url" not in str(found.results)
        assert found.csv == ""  # the file's names and phones are forgotten once imported
        amei = s.get(Sharer, found.results[1]["sharer_id"])
        assert (amei.name, amei.phone) == ("阿美", "+8613800138000")
        assert f'/console/sharers/{amei.id}">阿美</a>' in html  # each sharer by their current name
    again = upload(console, FILE.encode("utf-8"), dry_run=False)
    with app.app_context():
        run_sharer_import(import_id_of(again))
    assert SUMMARY.format(0, 3) in text_of(console.get(again.headers["Location"]))
    assert counts(app) == (2, 1) and len(queued(app)) == 1
    assert SUMMARY.format(0, 3) in text_of(console.get("/console/imports/sharers"))


def test_files_that_are_not_an_import_are_explained_and_keep_nothing(app, console):
    for content, status, message in [
        (b"", 422, "Choose a CSV file."),
        (b"nom,courriel\nLin,lin@example.com\n", 422, "The first line must name the columns."),
        ("name\n小林\n".encode("utf-16"), 422, "The file must be UTF-8 text."),
        (b"name\n" + b"x" * (5 * 1024 * 1024), 413, "The file is too large"),
        (b"name\n" + b"x\n" * 5001, 422, "At most 5000 rows per file"),
    ]:
        res = upload(console, content, dry_run=False, name="sharers.csv" if content else "")
        assert res.status_code == status and message in text_of(res), (status, text_of(res)[:300])
    assert counts(app) == (0, 0)
    with database.new_session(app) as s:
        assert s.scalars(select(SharerImport)).all() == []


def test_a_marketer_imports_sharers_but_not_sales_and_strangers_are_sent_to_sign_in(app, client, staff):
    assert client.get("/console/imports/sharers").status_code in (302, 303)
    assert client.get("/console/imports/sharers/1").status_code in (302, 303)
    with database.new_session(app) as s:
        workspace_id = s.scalars(select(Workspace.id).where(Workspace.slug == staff["workspace"])).one()
        create_user(s, workspace_id, "mia@acme-tea.com", STAFF_PASSWORD, "marketer", "Mia")
        s.commit()
    marketer = Pages(app.test_client())
    marketer.sign_in("mia@acme-tea.com", STAFF_PASSWORD)
    assert marketer.get("/console/imports").status_code == 403
    assert "Import sales" not in text_of(marketer.get("/console/imports/sharers"))
    res = upload(marketer, FILE.encode("utf-8"), dry_run=True)
    assert marketer.get(res.headers["Location"]).status_code == 200


def test_a_worker_lost_mid_file_leaves_its_saved_progress_and_the_next_run_invites_no_one_twice(
        app, console, monkeypatch):
    text = "name,email\n" + "".join(f"Seller {i},s{i}@example.com\n" for i in range(7))
    res = upload(console, text.encode("utf-8"), dry_run=False)
    import_id = import_id_of(res)
    monkeypatch.setattr(csv_imports, "SAVE_EVERY", 2)
    real = lose_the_worker_at(monkeypatch, sharer_import, "create_sharer", 6)
    with app.app_context(), pytest.raises(RuntimeError):
        run_sharer_import(import_id)
    # Rows 1-5 were committed and invited; progress was saved after row 4 (row 5's save was due at 6).
    with database.new_session(app) as s:
        found = s.get(SharerImport, import_id)
        assert (found.status, found.done, found.created) == ("running", 4, 4)
    assert "4 of 7 rows" in text_of(console.get(res.headers["Location"]))
    assert counts(app) == (5, 5) and len(queued(app)) == 5
    monkeypatch.setattr(sharer_import, "create_sharer", real)
    with app.app_context():
        run_sharer_import(import_id)
        run_sharer_import(import_id)  # done: nothing more
    assert "Rows: 7 · added: 6 · already there: 1 · refused: 0" in text_of(console.get(res.headers["Location"]))
    assert counts(app) == (7, 7) and len(queued(app)) == 7  # row 5 was there already: no second invitation
