"""Workspaces, API keys and roles: brands never see each other's data."""
from __future__ import annotations

from conftest import CAMPAIGN, Api, run_cli
from sqlalchemy import select

from plumbing import database
from workspaces.models import ApiKey


def test_workspace_create_prints_the_workspace_and_an_owner_key(app):
    out = run_cli(app, "workspace", "create", "--name", "Acme Tea 茶")
    assert set(out) == {"workspace", "api_key"}
    assert out["workspace"]["slug"] == "acme-tea" and isinstance(out["workspace"]["id"], int)
    again = run_cli(app, "workspace", "create", "--name", "Acme Tea")
    assert again["workspace"]["slug"] != "acme-tea" and again["api_key"] != out["api_key"]


def test_workspace_create_refuses_an_empty_name_or_unknown_currency(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["workspace", "create", "--name", "  "]).exit_code != 0
    assert runner.invoke(args=["workspace", "create", "--name", "X", "--currency", "XYZ"]).exit_code != 0
    assert runner.invoke(args=["workspace", "create", "--name", "X", "--timezone", "Mars/Base"]).exit_code != 0


def test_keys_are_stored_hashed_never_in_clear(app, owner):
    with database.new_session(app) as s:
        rows = list(s.scalars(select(ApiKey)))
    assert rows and all(owner.key not in (r.key_hash, r.prefix) and len(r.key_hash) == 64 for r in rows)


def test_requests_without_a_valid_key_are_401(client, owner):
    assert client.post("/api/v1/campaigns", json=CAMPAIGN).status_code == 401
    res = owner.post("/api/v1/campaigns", CAMPAIGN, key=owner.key[:-1] + ("A" if owner.key[-1] != "A" else "B"))
    assert res.status_code == 401 and res.json["error"]["code"] == "unauthorized"
    assert owner.post("/api/v1/campaigns", CAMPAIGN, key="not-a-key").status_code == 401


def test_a_revoked_key_stops_working(app, owner, campaign):
    from plumbing.database import utcnow

    with database.new_session(app) as s:
        for row in s.scalars(select(ApiKey)):
            row.revoked_at = utcnow()
        s.commit()
    assert owner.get(f"/api/v1/campaigns/{campaign['id']}").status_code == 401


def test_roles_limit_what_a_key_may_do(owner, campaign, make_sharer):
    seller = make_sharer()
    res = owner.post("/api/v1/campaigns", CAMPAIGN, key=seller["api_key"])
    assert res.status_code == 403 and res.json["error"]["code"] == "forbidden"
    assert owner.post("/api/v1/sharers", {"name": "x"}, key=seller["api_key"]).status_code == 403
    assert owner.get(f"/api/v1/campaigns/{campaign['id']}/stats", key=seller["api_key"]).status_code == 403
    assert owner.get(f"/api/v1/campaigns/{campaign['id']}", key=seller["api_key"]).status_code == 200


def test_a_seller_sees_only_their_own_links_and_earnings(owner, campaign, make_sharer):
    me, other = make_sharer("me"), make_sharer("other")
    mine = owner.post("/api/v1/links", {"campaign_id": campaign["id"], "sharer_id": me["id"]}, key=me["api_key"])
    assert mine.status_code == 201
    theirs = owner.post("/api/v1/links", {"campaign_id": campaign["id"], "sharer_id": other["id"]}, key=me["api_key"])
    assert theirs.status_code == 403
    assert owner.get(f"/api/v1/sharers/{me['id']}/earnings", key=me["api_key"]).status_code == 200
    assert owner.get(f"/api/v1/sharers/{other['id']}/earnings", key=me["api_key"]).status_code == 403


def test_workspaces_never_see_each_others_data(app, client, owner, campaign, make_sharer, make_link):
    seller = make_sharer()
    link = make_link(campaign["id"], seller["id"])
    rival = Api(client, run_cli(app, "workspace", "create", "--name", "Rival Tea")["api_key"])
    assert rival.get(f"/api/v1/campaigns/{campaign['id']}").status_code == 404
    assert rival.get(f"/api/v1/campaigns/{campaign['id']}/stats").status_code == 404
    assert rival.get(f"/api/v1/sharers/{seller['id']}/earnings").status_code == 404
    assert rival.post("/api/v1/links", {"campaign_id": campaign["id"], "sharer_id": seller["id"]}).status_code == 404
    # A rival's merchant cannot credit our sharer with our link code or coupon.
    res = rival.post("/api/v1/conversions", {"type": "sale", "order_id": "R-1", "amount": "10.00",
                                             "code": link["code"], "customer": {"external_id": "c"}})
    assert res.status_code == 201 and res.json["attributed"] is False
    assert rival.post("/api/v1/sharers", {"name": "spy", "invited_by": seller["id"]}).status_code == 422
