"""Who may join: the public join page (open, by approval, invitation only), decisions, buyers by approval."""
from __future__ import annotations

import re
from html import unescape

from conftest import Pages
from sqlalchemy import func, select

from plumbing import database
from referrals.models import Application, Sharer


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def mode(owner, enrollment):
    res = owner.client.put("/api/v1/program", json={"enrollment": enrollment},
                           headers={"Authorization": f"Bearer {owner.key}"})
    assert res.status_code == 200 and res.json["enrollment"] == enrollment


def sharers(app):
    with database.new_session(app) as s:
        return s.scalar(select(func.count()).select_from(Sharer))


def test_invitation_only_is_the_default_and_has_no_join_form(app, owner):
    assert owner.get("/api/v1/program").json["enrollment"] == "invite"
    visitor = Pages(app.test_client())
    res = visitor.get("/join/acme-tea")
    assert res.status_code == 403 and "invitation only" in text_of(res.text)
    assert visitor.get("/join/no-such-brand").status_code == 404


def test_an_open_programme_makes_a_sharer_at_once_and_signs_them_in(app, owner):
    mode(owner, "open")
    visitor = Pages(app.test_client())
    page = visitor.get("/join/acme-tea")
    assert page.status_code == 200 and "Joining is free" in text_of(page.text)
    res = visitor.post("/join/acme-tea", {"name": "小王", "email": "wang@example.com"})
    assert res.status_code == 303 and res.headers["Location"].endswith("/seller/")
    assert sharers(app) == 1
    assert visitor.get("/seller/").status_code == 200
    bad = visitor.post("/join/acme-tea", {"name": "x", "email": "not-an-email"}, token_from="/join/acme-tea")
    assert bad.status_code == 422 and sharers(app) == 1


def test_an_application_approved_through_the_api(app, owner):
    mode(owner, "approval")
    visitor = Pages(app.test_client())
    res = visitor.post("/join/acme-tea", {"name": "小王", "email": "wang@example.com"})
    assert res.status_code == 303 and "/join/acme-tea/status/" in res.headers["Location"]
    status_page = res.headers["Location"]
    assert "Waiting" in text_of(visitor.get(status_page).text) and sharers(app) == 0
    waiting = owner.get("/api/v1/applications?status=pending").json["items"]
    assert [(a["name"], a["source"]) for a in waiting] == [("小王", "join_page")]
    approved = owner.post(f"/api/v1/applications/{waiting[0]['id']}/approve")
    assert approved.status_code == 200 and approved.json["status"] == "approved" and approved.json["sharer_id"]
    assert sharers(app) == 1 and "Approved" in text_of(visitor.get(status_page).text)
    assert owner.post(f"/api/v1/applications/{waiting[0]['id']}/approve").status_code == 409


def test_an_application_refused_with_a_reason_the_applicant_reads(app, owner):
    mode(owner, "approval")
    visitor = Pages(app.test_client())
    status_page = visitor.post("/join/acme-tea", {"name": "小王"}).headers["Location"]
    application = owner.get("/api/v1/applications").json["items"][0]
    assert owner.post(f"/api/v1/applications/{application['id']}/refuse", {"reason": ""}).status_code == 422
    res = owner.post(f"/api/v1/applications/{application['id']}/refuse", {"reason": "请先购买一次体验产品"})
    assert res.status_code == 200 and res.json["status"] == "refused"
    assert "请先购买一次体验产品" in text_of(visitor.get(status_page).text) and sharers(app) == 0


def test_a_marketer_decides_in_the_console(app, owner, console):
    mode(owner, "approval")
    for name in ("甲", "乙"):
        Pages(app.test_client()).post("/join/acme-tea", {"name": name})
    items = owner.get("/api/v1/applications").json["items"]
    ids = {a["name"]: a["id"] for a in items}
    page = text_of(console.get("/console/applications").text)
    assert "甲" in page and "乙" in page
    console.post(f"/console/applications/{ids['甲']}/decide", {"decision": "approve"},
                 token_from="/console/applications")
    console.post(f"/console/applications/{ids['乙']}/decide", {"decision": "refuse", "reason": "暂不招募"},
                 token_from="/console/applications")
    statuses = {a["name"]: (a["status"], a["reason"]) for a in owner.get("/api/v1/applications").json["items"]}
    assert statuses == {"甲": ("approved", None), "乙": ("refused", "暂不招募")}


def test_by_approval_a_buyer_gets_a_request_instead_of_a_seat(app, owner, campaign, make_sharer):
    mode(owner, "approval")
    seller = make_sharer()
    before = sharers(app)
    body = {"type": "sale", "amount": "199.00", "customer": {"external_id": "buyer-1", "name": "买家"},
            "sharer_id": seller["id"], "campaign_id": campaign["id"]}
    first = owner.post("/api/v1/conversions", {**body, "order_id": "A-1"})
    assert first.status_code == 201, first.json
    assert first.json["customer_sharer"] is None and first.json["customer_application"]["status"] == "pending"
    again = owner.post("/api/v1/conversions", {**body, "order_id": "A-2"})
    assert again.json["customer_application"]["id"] == first.json["customer_application"]["id"]
    assert sharers(app) == before
    with database.new_session(app) as s:
        application = s.scalars(select(Application)).one()
        assert application.invited_by == seller["id"] and application.source == "sale"
    approved = owner.post(f"/api/v1/applications/{application.id}/approve").json
    with database.new_session(app) as s:
        assert s.get(Sharer, approved["sharer_id"]).invited_by == seller["id"]
