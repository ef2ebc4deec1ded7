"""Privacy by default: a seller's poster name, a copy of their data, erasure that keeps the books balanced,
masked contact details."""
from __future__ import annotations

import json

from conftest import Pages, seller_pages
from sqlalchemy import func, select
from test_share_page import buy
from test_withdrawals import put

from accounts.models import WebSession
from payouts.models import PayoutMethod
from plumbing import database
from referrals.identity import mask_email, mask_phone
from referrals.models import Commission, LedgerEntry, Link, Sharer


def test_masks_hide_the_middle_of_numbers_and_the_local_part_of_addresses():
    assert mask_phone("+8613800138000") == "+86138****8000"
    assert mask_phone("+85291234567") == "+852****4567"
    assert mask_phone(None) == "" and mask_email(None) == ""
    assert mask_email("lin.wang@example.com") == "l***@example.com"


def test_a_seller_chooses_the_name_on_their_posters(app, make_sharer):
    seller = make_sharer("林小红", phone="13800138000", email="lin@example.com")
    pages = seller_pages(app, seller["id"])
    page = pages.get("/seller/profile").get_data(as_text=True)
    assert "+86138****8000" in page and "l***@example.com" in page and "13800138000" not in page
    assert pages.post("/seller/profile", {"display_name": ""}).status_code == 422
    res = pages.post("/seller/profile", {"display_name": "小红老师"})
    assert res.status_code == 303
    with database.read_session(app) as s:
        assert s.get(Sharer, seller["id"]).display_name == "小红老师"


def test_a_seller_downloads_their_data(app, owner, campaign, make_sharer, make_link):
    seller = make_sharer("小林", phone="13800138000", email="lin@example.com")
    link = make_link(campaign["id"], seller["id"], "weibo")
    buy(owner, link["code"])
    res = seller_pages(app, seller["id"]).get("/seller/profile/data.json")
    assert res.status_code == 200 and "attachment" in res.headers["Content-Disposition"]
    data = json.loads(res.get_data(as_text=True))
    assert data["sharer"]["phone"] == "+8613800138000" and data["sharer"]["email"] == "lin@example.com"
    assert [lk["code"] for lk in data["links"]] == [link["code"]]
    assert data["commissions"][0]["amount"] == "19.90" and data["commissions"][0]["status"] == "pending"
    assert data["ledger"][0]["bucket"] == "pending" and data["ledger"][0]["amount"] == "19.90"


def test_erasure_removes_the_person_and_keeps_the_amounts(app, owner, campaign, make_sharer, make_link, client):
    seller = make_sharer("小林", phone="13800138000", email="lin@example.com", external_id="crm-7")
    link = make_link(campaign["id"], seller["id"], "weibo")
    buy(owner, link["code"])
    assert put(owner, f"/api/v1/sharers/{seller['id']}/payout-method",  # set by staff, in force at once
               {"rail": "alipay", "account": {"identity": "13800138000", "name": "林小"}}).status_code == 200
    pages = seller_pages(app, seller["id"])
    with database.read_session(app) as s:
        before = s.scalar(select(func.sum(LedgerEntry.amount_minor)).where(LedgerEntry.sharer_id == seller["id"]))
    refused = pages.post("/seller/profile/erase", {"confirm": "maybe"}, token_from="/seller/profile")
    assert refused.status_code == 303 and pages.get("/seller/").status_code == 200  # nothing happened
    res = pages.post("/seller/profile/erase", {"confirm": "delete"}, token_from="/seller/profile")
    assert res.status_code == 303 and res.headers["Location"] == "/seller/sign-in"
    assert pages.get("/seller/").status_code == 302
    with database.read_session(app) as s:
        gone = s.get(Sharer, seller["id"])
        assert (gone.name, gone.email, gone.phone, gone.external_id) == ("—", None, None, None)
        assert s.scalars(select(Link.disabled).where(Link.sharer_id == seller["id"])).all() == [True]
        assert s.scalar(select(func.sum(LedgerEntry.amount_minor))
                        .where(LedgerEntry.sharer_id == seller["id"])) == before
        assert s.scalars(select(Commission.amount_minor).where(Commission.sharer_id == seller["id"])).all() == [1990]
        assert s.scalars(select(WebSession).where(WebSession.account_id == seller["id"],
                                                  WebSession.revoked_at.is_(None))).all() == []
        assert s.get(PayoutMethod, seller["id"]) is None  # how they were paid is personal data too
    # The link no longer earns: an old post still lands the buyer on the shop, with no click to credit.
    landed = client.get(f"/r/{link['code']}")
    assert landed.status_code == 302 and "sc_click" not in landed.headers["Location"]
    # Phone sign-in no longer finds the number.
    ask = Pages(app.test_client()).post("/seller/sign-in/phone", {"phone": "13800138000"})
    assert ask.status_code == 303


def test_the_console_masks_contact_details_and_records_every_full_view(app, console, make_sharer):
    from referrals.models import ContactView

    seller = make_sharer("小林", phone="13800138000", email="lin@example.com")
    listing = console.get("/console/sharers").get_data(as_text=True)
    assert "+86138****8000" in listing and "l***@example.com" in listing
    assert "13800138000" not in listing and "lin@example.com" not in listing
    detail = console.get(f"/console/sharers/{seller['id']}").get_data(as_text=True)
    assert "+86138****8000" in detail and "lin@example.com" not in detail
    with database.read_session(app) as s:
        assert s.scalars(select(ContactView)).all() == []
    full = console.post(f"/console/sharers/{seller['id']}/contact", token_from=f"/console/sharers/{seller['id']}")
    assert full.status_code == 200
    assert "+8613800138000" in full.get_data(as_text=True) and "lin@example.com" in full.get_data(as_text=True)
    with database.read_session(app) as s:
        [view] = s.scalars(select(ContactView)).all()
        assert view.sharer_id == seller["id"] and view.user_id is not None
    assert console.get("/console/sharers?q=13800138000").status_code == 200  # search still finds by number


def test_the_sharer_list_masks_contacts_for_a_marketer_key_and_logs_an_owners_full_view(app, owner, make_sharer):
    from referrals.models import ContactView
    from workspaces.models import ApiKey

    lin = make_sharer("林小红", phone="13800138000", email="lin@example.com")
    quiet = make_sharer("不留联系")
    marketer = owner.post("/api/v1/keys", {"role": "marketer", "name": "m"}).json["key"]
    shown = {i["id"]: i for i in owner.get("/api/v1/sharers", key=marketer).json["items"]}
    assert (shown[lin["id"]]["phone"], shown[lin["id"]]["email"]) == ("+86138****8000", "l***@example.com")
    assert (shown[quiet["id"]]["phone"], shown[quiet["id"]]["email"]) == (None, None)
    # Searching still finds the full number, and answers it masked.
    [found] = owner.get("/api/v1/sharers", key=marketer, query_string={"q": "13800138000"}).json["items"]
    assert found["phone"] == "+86138****8000"
    with database.read_session(app) as s:
        assert s.scalar(select(func.count()).select_from(ContactView)) == 0
    full = {i["id"]: i for i in owner.get("/api/v1/sharers").json["items"]}
    assert (full[lin["id"]]["phone"], full[lin["id"]]["email"]) == ("+8613800138000", "lin@example.com")
    with database.read_session(app) as s:
        [view] = s.scalars(select(ContactView)).all()
        key = s.get(ApiKey, view.api_key_id)
        assert (view.sharer_id, view.user_id, key.role) == (lin["id"], None, "owner")


def test_payout_batches_show_full_contacts_and_each_view_is_kept(app, owner, campaign, make_sharer, make_link):
    from test_money_views import approve_and_pay, sale

    from referrals.models import ContactView

    lin = make_sharer("林小红", phone="13800138000")
    quiet = make_sharer("不留联系")
    for n, who in enumerate((lin, quiet)):
        sale(owner, f"PV-{n}", make_link(campaign["id"], who["id"])["code"])
    batch_id = approve_and_pay(app, owner)["batch_id"]
    marketer = owner.post("/api/v1/keys", {"role": "marketer", "name": "finance"}).json["key"]
    detail = owner.get(f"/api/v1/payouts/batches/{batch_id}", key=marketer).json
    assert {p["sharer_id"]: p["phone"] for p in detail["items"]} == {lin["id"]: "+8613800138000", quiet["id"]: None}
    assert owner.get(f"/api/v1/payouts/batches/{batch_id}.csv").status_code == 200
    with database.read_session(app) as s:
        views = s.scalars(select(ContactView).order_by(ContactView.id)).all()
        assert [v.sharer_id for v in views] == [lin["id"], lin["id"]]  # the JSON page, then the CSV
        assert all(v.api_key_id is not None and v.user_id is None for v in views)
        assert views[0].api_key_id != views[1].api_key_id  # the marketer's key, then the owner's


def test_a_failed_statement_names_itself_but_not_the_buyers_details(app, make_sharer):
    """A statement that fails (here a taken external id) raises an error naming the statement, not
    its values: such errors are logged with the request that failed, and the values are buyers'
    emails and phones."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    from workspaces.models import Workspace

    make_sharer("林", external_id="taken-1")
    with database.new_session(app) as s:
        workspace_id = s.scalar(select(Workspace.id))
        s.add(Sharer(workspace_id=workspace_id, name="王", external_id="taken-1", code="PRIV1",
                     email="wang.secret@example.com", phone="+8613900139000"))
        with pytest.raises(IntegrityError) as failed:
            s.flush()
    text = str(failed.value)
    assert "INSERT INTO sharers" in text and "parameters hidden" in text
    assert "wang.secret@example.com" not in text and "13900139000" not in text
