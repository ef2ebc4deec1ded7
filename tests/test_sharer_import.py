"""CSV import of sharers (bulk invitations): line-by-line report, dry run, idempotent, bad rows alone,
invitations emailed to those with an address and shown for the others."""
from __future__ import annotations

import os

import pytest
from conftest import Pages
from sqlalchemy import func, select

from accounts.models import SellerPass
from plumbing import database, redis_client
from referrals.models import Sharer

FILE = ("\ufeffname,email,phone,external_id\n"
        "小林,lin@example.com,,crm-1\n"
        "阿美,,+86 138 0013 8000,crm-2\n"
        ",nobody@example.com,,crm-3\n"          # no name
        "小王,not-an-email,,crm-4\n"            # bad email
        "小林 again,LIN@example.com,,\n")       # the same person as line 2, by email


def post_csv(owner, text: str, query: str = "", key=None):
    return owner.client.post("/api/v1/sharers/import" + query, data=text.encode("utf-8"),
                             headers={**owner._headers(key), "Content-Type": "text/csv"})


def counts(app) -> tuple[int, int]:
    with database.new_session(app) as s:
        return s.scalar(select(func.count()).select_from(Sharer)), s.scalar(select(func.count()).select_from(SellerPass))


def queued(app) -> list:
    with app.app_context():
        return [job for job in redis_client.queue().jobs if job.description == "seller sign-in link"]


def test_dry_run_shows_what_would_be_added_and_keeps_nothing(app, owner):
    res = post_csv(owner, FILE, "?dry_run=true&invite=true")
    assert res.status_code == 200, res.json
    body = res.json
    assert (body["dry_run"], body["rows"], body["created"], body["existing"], body["failed"]) == (True, 5, 2, 1, 2)
    by_line = {r["line"]: r for r in body["results"]}
    assert [by_line[n]["status"] for n in range(2, 7)] == ["created", "created", "failed", "failed", "existing"]
    assert "name" in by_line[4]["error"]["fields"] and "email" in by_line[5]["error"]["fields"]
    assert "invitation_url" not in by_line[2]
    assert counts(app) == (0, 0) and queued(app) == []


def test_import_invites_each_new_sharer_once_and_a_second_import_adds_no_one(app, owner):
    res = post_csv(owner, FILE, "?invite=true")
    assert res.status_code == 200, res.json
    by_line = {r["line"]: r for r in res.json["results"]}
    assert (res.json["created"], res.json["existing"], res.json["failed"]) == (2, 1, 2)
    assert by_line[2]["emailed"] is True and by_line[3]["emailed"] is False  # 阿美 has only a phone
    assert by_line[3]["invitation_url"].startswith("http://sharecast.test/seller/pass/")
    assert by_line[6] == {"line": 6, "status": "existing", "sharer_id": by_line[2]["sharer_id"]}
    [job] = queued(app)
    assert job.args[1] == "lin@example.com" and job.args[4] == by_line[2]["invitation_url"]
    assert counts(app) == (2, 2)
    with database.new_session(app) as s:
        amei = s.get(Sharer, by_line[3]["sharer_id"])
        assert (amei.name, amei.phone, amei.external_id) == ("阿美", "+8613800138000", "crm-2")
    again = post_csv(owner, FILE, "?invite=true").json
    assert (again["created"], again["existing"], again["failed"]) == (0, 3, 2)
    assert counts(app) == (2, 2) and len(queued(app)) == 1
    # the invitation works: it signs the sharer in
    seller = Pages(app.test_client())
    path = by_line[3]["invitation_url"].replace("http://sharecast.test", "")
    assert seller.get(path).status_code == 200
    assert seller.post(path).headers["Location"] == "/seller/"


def test_bad_files_and_roles_are_refused(app, owner):
    assert post_csv(owner, "nom,email\nx,y\n").status_code == 422
    res = owner.client.post("/api/v1/sharers/import", data=b"name\n\xff\n",
                            headers={**owner._headers(None), "Content-Type": "text/csv"})
    assert res.status_code == 422
    server_key = owner.post("/api/v1/keys", {"role": "server", "name": "shop"}).json["key"]
    assert post_csv(owner, "name\n小林\n", key=server_key).status_code == 403
    assert counts(app) == (0, 0)


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgresql"), reason=(
    "SQLite only: on PostgreSQL the dry run works in place (the SQLite copy is what this checks)"))
def test_a_sharer_is_added_while_an_api_dry_run_goes_on(app, owner, monkeypatch):
    """On SQLite the dry run's transaction is on a copy of the database: a live write does not wait for it."""
    import time

    from integrations import sharer_import

    real, live, calls = sharer_import.create_sharer, [], []

    def with_a_live_sharer_meanwhile(session, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # two rows written in the dry run's transaction
            started = time.monotonic()
            answer = app.test_client().post("/api/v1/sharers", headers=owner._headers(None), json={"name": "现场"})
            live.append((answer.status_code, time.monotonic() - started))
        return real(session, *args, **kwargs)

    monkeypatch.setattr(sharer_import, "create_sharer", with_a_live_sharer_meanwhile)
    text = "name,email\n" + "".join(f"卖家{i},s{i}@example.com\n" for i in range(5))
    res = post_csv(owner, text, "?dry_run=true")
    assert res.status_code == 200 and res.json["created"] == 5, res.json
    [(status, seconds)] = live
    assert status == 201 and seconds < 5, live
    with database.new_session(app) as s:
        assert s.scalars(select(Sharer.name)).all() == ["现场"]
