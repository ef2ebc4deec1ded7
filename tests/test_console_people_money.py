"""Console pages for people and money: sharers and invitations, commissions, payouts."""
from __future__ import annotations

import base64
import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from conftest import STAFF_PASSWORD, Pages, run_cli
from sqlalchemy import func, select
from test_money_views import end_holding, sale

from accounts.models import SellerPass
from accounts.users import create_user
from plumbing import database, redis_client
from referrals.models import Commission, Payout, PayoutBatch, Sharer
from referrals.sharers import create_sharer
from workspaces.models import Workspace


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def workspace_id(app, index=0) -> int:
    with database.new_session(app) as s:
        return s.scalars(select(Workspace.id).order_by(Workspace.id)).all()[index]


def staff_pages(app, email, role, index=0) -> Pages:
    with database.new_session(app) as s:
        create_user(s, workspace_id(app, index), email, STAFF_PASSWORD, role)
        s.commit()
    pages = Pages(app.test_client())
    pages.sign_in(email, STAFF_PASSWORD)
    return pages


@pytest.fixture
def marketer(app, owner) -> Pages:
    return staff_pages(app, "mia@acme-tea.com", "marketer")


@pytest.fixture
def other(app, client, owner, console) -> Pages:
    """A marketer of a second workspace, B, signed in."""
    run_cli(app, "workspace", "create", "--name", "B")
    return staff_pages(app, "b@other.example", "marketer", index=1)


@pytest.fixture
def sales(app, owner, campaign, make_sharer, make_link):
    """A leader and the seller they invited, three sales; the first two past their holding period."""
    leader = make_sharer("大李", email="li@example.com")
    seller = make_sharer("小林", invited_by=leader["id"], phone="13800138000")
    link = make_link(campaign["id"], seller["id"], "weibo")
    sale(owner, "O-1", link["code"])
    sale(owner, "O-2", link["code"], amount="99.00")
    end_holding(app)
    sale(owner, "O-3", link["code"], amount="50.00")  # still holding
    return {"leader": leader, "seller": seller, "link": link}


# --- sharers -----------------------------------------------------------------------------------

def test_sharer_list_shows_newest_first_and_finds_by_name_email_or_phone(console, make_sharer):
    make_sharer("王芳", email="fang@example.com")
    make_sharer("李雷", phone="13900139000")
    page = console.get("/console/sharers")
    assert page.status_code == 200 and page.text.index("李雷") < page.text.index("王芳")
    assert "王芳" in console.get("/console/sharers?q=FANG@").text
    found = console.get("/console/sharers?q=139001").text
    assert "李雷" in found and "王芳" not in found
    none = console.get("/console/sharers?q=nobody").text
    assert "No sharer matches" in none and "Show all sharers" in none


def test_sharer_list_pages_with_next_links(app, console, owner):
    ws = workspace_id(app)
    with database.new_session(app) as s:
        for i in range(53):
            create_sharer(s, ws, f"S{i:02d}")
        s.commit()
    first = console.get("/console/sharers").text
    names = set(re.findall(r">(S\d\d)</a>", first))
    assert len(names) == 50 and "First page" not in first
    next_href = unescape(re.search(r'href="([^"]+)">Next page<', first).group(1))
    second = console.get(next_href).text
    rest = set(re.findall(r">(S\d\d)</a>", second))
    assert len(rest) == 3 and not names & rest and "Next page" not in second and "First page" in second


@pytest.mark.parametrize("query", ["cursor=garbage", "cursor=" + "A" * 300, "cursor=WzEsMl0", "q=a%01b",
                                   "q=" + "x" * 201])
def test_bad_list_parameters_are_4xx_pages(console, query):
    res = console.get("/console/sharers?" + query)
    assert 400 <= res.status_code < 500 and res.mimetype == "text/html", res.status_code


def test_adding_a_sharer_stores_them_and_opens_their_page(app, console, make_sharer):
    leader = make_sharer("大李")
    form = console.get("/console/sharers/new").text
    assert 'for="name"' in form and f'value="{leader["id"]}"' in form
    res = console.post("/console/sharers/new", {"name": " 小王 ", "email": "Wang@Example.com", "phone": "",
                                                "invited_by": str(leader["id"])})
    assert res.status_code == 303
    with database.new_session(app) as s:
        added = s.scalars(select(Sharer).where(Sharer.name == "小王")).one()
        assert (added.email, added.phone, added.invited_by, added.source) == ("wang@example.com", None, leader["id"],
                                                                             "invited")
    assert res.headers["Location"] == f"/console/sharers/{added.id}"
    page = console.get(res.headers["Location"]).text
    assert "小王 was added" in page and "大李" in page


@pytest.mark.parametrize("data, field, message", [
    ({"name": ""}, "name", "Enter the sharer's name."),
    ({"name": "A", "email": "not-an-email"}, "email", "This is not an email address."),
    ({"name": "A", "phone": "12"}, "phone", "This is not a phone number."),
    ({"name": "A", "invited_by": "999999"}, "invited_by", "Choose a sharer of this workspace, or nobody."),
    ({"name": "A", "invited_by": "abc"}, "invited_by", "Choose a sharer of this workspace, or nobody."),
    ({"name": "A\nB"}, "name", "Remove line breaks and control characters."),
    ({"name": "x" * 201}, "name", None),
])
def test_bad_sharer_input_is_shown_next_to_its_field_and_stores_nothing(app, console, data, field, message):
    res = console.post("/console/sharers/new", data)
    assert res.status_code == 422
    assert f'id="{field}-error"' in res.text and 'aria-invalid="true"' in res.text
    if message:
        assert message in unescape(res.text)
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Sharer)) == 0


def test_another_workspaces_sharer_cannot_be_named_as_inviter(app, console, other):
    with database.new_session(app) as s:
        theirs = create_sharer(s, workspace_id(app, 1), "B's seller")
        s.commit()
        theirs_id = theirs.id
    res = console.post("/console/sharers/new", {"name": "A", "invited_by": str(theirs_id)})
    assert res.status_code == 422 and 'id="invited_by-error"' in res.text


def test_forms_without_their_csrf_token_are_refused(app, console, sales):
    sharer_id = sales["seller"]["id"]
    for path in ("/console/sharers/new", f"/console/sharers/{sharer_id}/invite", "/console/commissions/approve",
                 "/console/payouts"):
        res = console.client.post(path, data={"name": "A", "action": "all"})
        assert res.status_code == 400 and res.mimetype == "text/html", path
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(SellerPass)) == 0
        assert s.scalar(select(func.count()).select_from(Commission).where(Commission.status != "pending")) == 0


def test_an_invitation_link_is_shown_once_and_signs_the_seller_in(app, console, sales):
    sharer_id = sales["seller"]["id"]
    page = console.get(f"/console/sharers/{sharer_id}").text
    res = console.post(f"/console/sharers/{sharer_id}/invite", token_from=f"/console/sharers/{sharer_id}")
    assert res.status_code == 200
    link = re.search(r'id="invite-link"[^>]*>([^<]+)</textarea>', res.text).group(1)
    assert link.startswith("http://sharecast.test/seller/pass/") and 'data-copy="#invite-link"' in res.text
    assert "Valid until" in res.text and "Create invitation link" in page
    with database.new_session(app) as s:
        issued = s.scalars(select(SellerPass)).one()
        assert issued.kind == "invite" and issued.sharer_id == sharer_id
        assert timedelta(days=6, hours=23) < issued.expires_at - datetime.now(timezone.utc) <= timedelta(days=7)
    seller = Pages(app.test_client())
    path = link.replace("http://sharecast.test", "")
    assert seller.get(path).status_code == 200
    assert seller.post(path).headers["Location"] == "/seller/"


def test_an_invitation_is_emailed_to_a_sharer_with_an_email(app, console, sales):
    leader = sales["leader"]["id"]
    with app.app_context():
        queue = redis_client.queue()
        before = queue.count
    res = console.post(f"/console/sharers/{leader}/invite/email", token_from=f"/console/sharers/{leader}")
    assert res.status_code == 303
    assert "An invitation is on its way to li@example.com" in unescape(console.get(res.headers["Location"]).text)
    with app.app_context():
        assert queue.count == before + 1
        job = queue.jobs[-1]
    assert job.args[1] == "li@example.com" and "/seller/pass/" in job.args[4] and job.args[4] in job.args[3]
    # no email, no button, and a refusal if posted anyway
    seller = sales["seller"]["id"]
    assert "Email an invitation" not in console.get(f"/console/sharers/{seller}").text
    res = console.post(f"/console/sharers/{seller}/invite/email", token_from=f"/console/sharers/{seller}")
    assert res.status_code == 422 and "has no email address" in unescape(res.text)
    with app.app_context():
        assert queue.count == before + 1


def test_a_sharers_page_shows_links_earnings_and_ledger_lines_with_reasons(console, owner, sales):
    seller, leader = sales["seller"]["id"], sales["leader"]["id"]
    earnings = owner.get(f"/api/v1/sharers/{seller}/earnings").json
    html = console.get(f"/console/sharers/{seller}").text
    shown = dict(re.findall(r'data-earnings="(\w+)">([^<]*)<', html))
    assert shown == {"pending": "CN¥34.80", "approved": "CN¥0.00", "paid": "CN¥0.00", "reversed": "CN¥0.00"}
    assert Decimal(earnings["pending"]) == Decimal("34.80")
    text = text_of(html)
    assert "http://sharecast.test/r/" + sales["link"]["code"] in text and "Weibo" in text
    assert "Commission on order O-1 (明前龙井 · 春茶首发)" in text
    assert "Invite bonus: order O-2 sold by 小林" in text_of(console.get(f"/console/sharers/{leader}").text)


@pytest.mark.parametrize("path", ["/console/sharers/999999", "/console/sharers/0", "/console/sharers/99999999999",
                                  "/console/payouts/999999", "/console/payouts/999999.csv"])
def test_unknown_ids_are_404_pages(console, path):
    res = console.get(path)
    assert res.status_code == 404 and res.mimetype == "text/html"


def test_another_workspace_sees_none_of_ours(app, owner, sales, other):
    seller = sales["seller"]["id"]
    for path in (f"/console/sharers/{seller}",):
        assert other.get(path).status_code == 404
    for path in (f"/console/sharers/{seller}/invite", f"/console/sharers/{seller}/invite/email"):
        assert other.post(path, token_from="/console/sharers").status_code == 404
    assert "小林" not in other.get("/console/sharers").text
    assert "小林" not in other.get("/console/commissions").text
    res = other.post("/console/commissions/approve", {"action": "all"}, token_from="/console/commissions")
    assert res.status_code == 303
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Commission).where(Commission.status != "pending")) == 0


# --- commissions -------------------------------------------------------------------------------

def commission_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="ids" value="(\d+)"', html)]


def test_commissions_list_offers_only_due_ones_for_approval(console, owner, sales):
    html = console.get("/console/commissions").text
    lines = owner.get("/api/v1/commissions").json["items"]
    due = [c["id"] for c in lines if c["due"]]
    assert len(lines) == 6 and len(due) == 4 and sorted(commission_ids(html)) == sorted(due)
    assert "holding until" in html and "Invite bonus" in html
    only_due = console.get("/console/commissions?due=y").text
    assert "O-3" not in only_due and sorted(commission_ids(only_due)) == sorted(due)
    reversed_ = console.get("/console/commissions?status=reversed").text
    assert "No commission matches these filters." in reversed_


def test_approving_selected_commissions(console, owner, sales):
    due = commission_ids(console.get("/console/commissions").text)
    res = console.post("/console/commissions/approve", {"action": "selected", "ids": due[:2]},
                       token_from="/console/commissions")
    assert res.status_code == 303
    assert "Commissions approved: 2." in console.get(res.headers["Location"]).text
    approved = owner.get("/api/v1/commissions?status=approved").json["items"]
    assert sorted(c["id"] for c in approved) == sorted(due[:2])


def test_approving_all_due_keeps_the_filters(console, owner, sales):
    res = console.post("/console/commissions/approve", {"action": "all", "status": "pending", "due": "y"},
                       token_from="/console/commissions")
    assert res.status_code == 303 and res.headers["Location"] == "/console/commissions?status=pending&due=y"
    assert len(owner.get("/api/v1/commissions?status=approved").json["items"]) == 4
    again = console.post("/console/commissions/approve", {"action": "all"}, token_from="/console/commissions")
    assert "No commission is due for approval yet." in console.get(again.headers["Location"]).text


def test_approving_a_commission_still_holding_approves_nothing_and_says_why(console, owner, sales):
    lines = owner.get("/api/v1/commissions").json["items"]
    holding = [c["id"] for c in lines if not c["due"]]
    due = [c["id"] for c in lines if c["due"]]
    res = console.post("/console/commissions/approve", {"action": "selected", "ids": [due[0], holding[0]]},
                       token_from="/console/commissions")
    assert res.status_code == 409 and "Nothing was approved" in res.text and 'role="alert"' in res.text
    assert owner.get("/api/v1/commissions?status=approved").json["items"] == []


@pytest.mark.parametrize("data, status", [({"action": "selected"}, 422), ({"action": "selected", "ids": "x"}, 422),
                                          ({"action": "selected", "ids": "99999999999"}, 422),
                                          ({"action": "selected", "ids": "-1"}, 422),
                                          ({"action": "selected", "ids": "999999"}, 409),
                                          ({"action": "bogus"}, 422), ({}, 422)])
def test_bad_approvals_change_nothing(console, owner, sales, data, status):
    res = console.post("/console/commissions/approve", data, token_from="/console/commissions")
    assert res.status_code == status and 'role="alert"' in res.text
    assert owner.get("/api/v1/commissions?status=approved").json["items"] == []


@pytest.mark.parametrize("query", ["status=bogus", "cursor=garbage", "status=%00", "due=maybe&cursor=%FF"])
def test_bad_commission_filters_are_4xx_pages(console, query):
    res = console.get("/console/commissions?" + query)
    assert 400 <= res.status_code < 500 and res.mimetype == "text/html"


def test_a_stale_page_link_says_so_in_the_pages_language(console, sales):
    for path in ("/console/sharers", "/console/commissions", "/console/payouts", f"/console/sharers/{sales['seller']['id']}"):
        res = console.get(path + "?cursor=WzEsMl0")
        assert res.status_code == 422 and "This page link is out of date" in res.text, path
    zh = console.get("/console/commissions?cursor=x", headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 422 and "分页链接已过期" in zh.text


def cursor_of(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [cursor_of("0001-01-01T00:00:00+14:00", 1), cursor_of("9999-12-31T23:59:59-12:00", 1),
                                    cursor_of("2024-01-01T00:00:00+00:00", 2**62),
                                    cursor_of("2024-01-01T00:00:00+00:00", -2**62), cursor_of(1, 2, 3), "%E4%B8%AD"])
def test_cursors_well_formed_but_out_of_range_never_give_a_500(console, sales, cursor):
    """Times at the calendar's edge and ids beyond PostgreSQL's integer: a 422 page (SQLite may
    simply answer an empty page for the ids)."""
    for path in ("/console/sharers", "/console/commissions", "/console/payouts",
                 f"/console/sharers/{sales['seller']['id']}"):
        res = console.get(f"{path}?cursor={cursor}")
        assert res.status_code in (200, 422), path
        assert res.status_code == 200 or "This page link is out of date" in res.text, path
    assert console.get("/console/sharers").status_code == 200  # the session goes on


@pytest.mark.parametrize("q", ["%F0%9F%98%80", "%25", "_", "%27%22", "a" * 200, "%C0%AF"])
def test_odd_searches_answer_a_page(console, sales, q):
    assert console.get(f"/console/sharers?q={q}").status_code == 200


def test_an_approval_with_a_bad_filter_approves_nothing(console, owner, sales):
    res = console.post("/console/commissions/approve", {"action": "all", "status": "bogus"},
                       token_from="/console/commissions")
    assert res.status_code == 422 and "Choose one of the statuses listed." in res.text
    assert owner.get("/api/v1/commissions?status=approved").json["items"] == []


def test_a_marketer_may_approve(marketer, owner, sales):
    res = marketer.post("/console/commissions/approve", {"action": "all"}, token_from="/console/commissions")
    assert res.status_code == 303 and len(owner.get("/api/v1/commissions?status=approved").json["items"]) == 4


# --- payouts -----------------------------------------------------------------------------------

def pay(console) -> str:
    assert console.post("/console/commissions/approve", {"action": "all"},
                        token_from="/console/commissions").status_code == 303
    res = console.post("/console/payouts", {})
    assert res.status_code == 303
    return res.headers["Location"]


def test_paying_out_makes_a_batch_whose_page_and_csv_add_up(app, console, owner, sales):
    before = console.get("/console/payouts").text
    assert "Pay all approved balances" not in before and "Nothing to pay now" in before
    console.post("/console/commissions/approve", {"action": "all"}, token_from="/console/commissions")
    ready = text_of(console.get("/console/payouts").text)
    assert "CN¥35.76" in ready and "Sharers: 2" in ready and "Pay all approved balances" in ready
    location = pay(console)
    with database.new_session(app) as s:
        batch_id = s.scalar(select(PayoutBatch.id))
    assert location == f"/console/payouts/{batch_id}"
    page = console.get(location).text
    assert f"Payout batch #{batch_id} is made" in page and "Sharers paid: 2" in page
    assert 'data-total="CNY">CN¥35.76<' in page and "小林" in page and "13800138000" in page
    listing = console.get("/console/payouts").text
    assert f'href="/console/payouts/{batch_id}"' in listing and "Nothing to pay now" in listing
    csv_res = console.get(f"/console/payouts/{batch_id}.csv")
    api = owner.get(f"/api/v1/payouts/batches/{batch_id}.csv")
    assert csv_res.status_code == 200 and csv_res.mimetype == "text/csv" and csv_res.data == api.data
    assert "attachment" in csv_res.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(csv_res.data.decode("utf-8-sig"))))
    assert sorted((r["name"], r["amount"]) for r in rows) == [("大李", "5.96"), ("小林", "29.80")]
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("35.76")
    assert {r["batch_id"] for r in rows} == {str(batch_id)}
    this_year = str(datetime.now(ZoneInfo("Asia/Shanghai")).year)
    assert sorted((r["name"], r["year"], r["year_total_paid"]) for r in rows) == [
        ("大李", this_year, "5.96"), ("小林", this_year, "29.80")]
    # A withdrawal paid earlier this year (a payout without a batch) counts in the yearly total; a
    # payout of last year does not.
    with database.new_session(app) as s:
        lin = s.scalar(select(Sharer.id).where(Sharer.name == "小林"))
        batch = s.get(PayoutBatch, batch_id)
        s.add_all([Payout(workspace_id=batch.workspace_id, sharer_id=lin, currency="CNY", amount_minor=1000,
                          created_at=batch.created_at - timedelta(seconds=5)),
                   Payout(workspace_id=batch.workspace_id, sharer_id=lin, currency="CNY", amount_minor=7000,
                          created_at=batch.created_at - timedelta(days=400))])
        s.commit()
    rows = list(csv.DictReader(io.StringIO(console.get(f"/console/payouts/{batch_id}.csv").data.decode("utf-8-sig"))))
    assert sorted((r["name"], r["amount"], r["year_total_paid"]) for r in rows) == [
        ("大李", "5.96", "5.96"), ("小林", "29.80", "39.80")]


def test_paying_with_nothing_approved_makes_no_batch(app, console, sales):
    res = console.post("/console/payouts", {})
    assert res.status_code == 303 and res.headers["Location"] == "/console/payouts"
    assert "Nothing to pay: no sharer has an approved balance." in console.get("/console/payouts").text
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(PayoutBatch)) == 0


def test_a_marketer_sees_payouts_but_may_not_make_one(app, console, marketer, sales):
    marketer.post("/console/commissions/approve", {"action": "all"}, token_from="/console/commissions")
    page = marketer.get("/console/payouts").text
    assert "Pay all approved balances" not in page and "Only an owner" in page
    res = marketer.post("/console/payouts", {}, token_from="/console/payouts")
    assert res.status_code == 403 and res.mimetype == "text/html"
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(PayoutBatch)) == 0
    batch = pay(console)
    assert marketer.get(batch).status_code == 200 and marketer.get(batch + ".csv").status_code == 200


def test_another_workspaces_batches_are_404(console, other, sales):
    batch = pay(console)
    assert other.get(batch).status_code == 404 and other.get(batch + ".csv").status_code == 404
    assert batch.rsplit("/", 1)[1] not in re.findall(r'/console/payouts/(\d+)"', other.get("/console/payouts").text)


@pytest.mark.parametrize("path", ["/console/payouts?cursor=garbage", "/console/payouts/1?cursor=%00"])
def test_bad_payout_cursors_are_4xx_pages(console, sales, path):
    pay(console)
    res = console.get(path)
    assert 400 <= res.status_code < 500 and res.mimetype == "text/html"


def test_every_page_needs_a_signed_in_account(client, sales):
    for path in ("/console/sharers", "/console/sharers/new", f"/console/sharers/{sales['seller']['id']}",
                 "/console/commissions", "/console/payouts", "/console/payouts/1", "/console/payouts/1.csv"):
        res = client.get(path)
        assert res.status_code == 302 and "/console/sign-in" in res.headers["Location"], path


def test_the_navigation_lists_the_new_pages(console):
    html = console.get("/console/sharers").text
    nav = html.split('class="mainnav"', 1)[1].split("</nav>", 1)[0]
    assert [label for label in ("Sharers", "Commissions", "Payouts") if label in nav] == ["Sharers", "Commissions",
                                                                                           "Payouts"]
    assert 'aria-current="page">Sharers<' in nav
