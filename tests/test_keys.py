"""API keys an owner issues: shown once, hashed, listed without secrets, revoked at once, scoped by role."""
from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from plumbing import database
from workspaces.models import ApiKey

# What a merchant's backend may do with a server key; every other endpoint answers it 403.
SERVER_MAY = {("POST", "/api/v1/conversions"), ("GET", "/api/v1/campaigns"),
              ("GET", "/api/v1/campaigns/<int(min=1, max=2147483647):campaign_id>")}


def issue(owner, role="server", name="shop backend"):
    res = owner.post("/api/v1/keys", {"role": role, "name": name})
    assert res.status_code == 201, res.json
    return res.json


def test_issued_key_is_shown_once_and_stored_hashed(app, owner):
    body = issue(owner)
    assert body["role"] == "server" and body["name"] == "shop backend"
    assert body["key"].startswith(f"sc_{body['prefix']}_")
    listed = owner.get("/api/v1/keys").json["items"]
    mine = [k for k in listed if k["id"] == body["id"]]
    assert mine and "key" not in mine[0] and mine[0]["prefix"] == body["prefix"]
    assert body["key"] not in str(listed)
    with database.new_session(app) as s:
        row = s.get(ApiKey, body["id"])
        assert row.key_hash == hashlib.sha256(body["key"].encode()).hexdigest()
        assert body["key"] not in (row.key_hash, row.prefix, row.name)


def test_last_use_is_recorded(app, owner):
    body = issue(owner)
    assert owner.get("/api/v1/keys").json["items"][0]["last_used_at"] is None
    owner.get("/api/v1/campaigns", key=body["key"])
    listed = {k["id"]: k for k in owner.get("/api/v1/keys").json["items"]}
    assert listed[body["id"]]["last_used_at"] is not None


def test_revoked_key_answers_401_at_once(owner, campaign):
    body = issue(owner)
    assert owner.get("/api/v1/campaigns", key=body["key"]).status_code == 200
    assert owner.client.delete(f"/api/v1/keys/{body['id']}", headers=owner._headers(None)).status_code == 204
    res = owner.get("/api/v1/campaigns", key=body["key"])
    assert res.status_code == 401 and res.json["error"]["code"] == "unauthorized"
    assert body["id"] not in [k["id"] for k in owner.get("/api/v1/keys").json["items"]]
    again = owner.client.delete(f"/api/v1/keys/{body['id']}", headers=owner._headers(None))
    assert again.status_code == 404


def test_rotation_keeps_two_keys_live_until_the_old_is_revoked(owner, campaign):
    old, new = issue(owner, name="v1"), issue(owner, name="v2")
    for key in (old["key"], new["key"]):
        assert owner.get(f"/api/v1/campaigns/{campaign['id']}", key=key).status_code == 200
    owner.client.delete(f"/api/v1/keys/{old['id']}", headers=owner._headers(None))
    assert owner.get(f"/api/v1/campaigns/{campaign['id']}", key=old["key"]).status_code == 401
    assert owner.get(f"/api/v1/campaigns/{campaign['id']}", key=new["key"]).status_code == 200


def test_an_owner_key_cannot_revoke_itself(app, owner):
    with database.new_session(app) as s:
        own = s.scalar(select(ApiKey).where(ApiKey.role == "owner"))
    res = owner.client.delete(f"/api/v1/keys/{own.id}", headers=owner._headers(None))
    assert res.status_code == 409 and res.json["error"]["code"] == "key_in_use"


def test_only_server_and_marketer_keys_can_be_issued_and_only_by_an_owner(owner):
    for bad in ({"role": "owner", "name": "x"}, {"role": "seller", "name": "x"}, {"role": "server"},
                {"role": "server", "name": ""}, {"role": "server", "name": "a\x01b"}):
        res = owner.post("/api/v1/keys", bad)
        assert res.status_code == 422, (bad, res.json)
    assert owner.get("/api/v1/keys").json["items"][0]["role"] == "owner"  # nothing stored
    marketer = issue(owner, "marketer")
    assert owner.post("/api/v1/keys", {"role": "server", "name": "x"}, key=marketer["key"]).status_code == 403
    assert owner.get("/api/v1/keys", key=marketer["key"]).status_code == 403


def test_a_marketer_key_runs_campaigns(owner):
    from tests.conftest import CAMPAIGN

    marketer = issue(owner, "marketer")
    assert owner.post("/api/v1/campaigns", CAMPAIGN, key=marketer["key"]).status_code == 201


def test_a_server_key_posts_conversions(owner, campaign, make_sharer, make_link):
    server = issue(owner)
    sharer = make_sharer()
    link = make_link(campaign["id"], sharer["id"])
    res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": "o-1", "amount": "199.00",
                                             "code": link["code"], "customer": {"external_id": "c-1"}},
                     key=server["key"])
    assert res.status_code == 201 and res.json["attributed"] is True


def _concrete(rule) -> str:
    return re.sub(r"<[^>]+>", "1", rule.rule)


def test_a_server_key_is_refused_everywhere_else(app, owner):
    """Every /api/v1 endpoint and method: a server key gets 403 unless the endpoint is public
    (it answers without any key) or one a merchant's backend needs."""
    server = issue(owner)["key"]
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            path = _concrete(rule)
            anonymous = owner.client.open(path, method=method, json={})
            if anonymous.status_code != 401:
                continue  # public
            res = owner.client.open(path, method=method, json={}, headers={"Authorization": f"Bearer {server}"})
            if (method, rule.rule) in SERVER_MAY:
                assert res.status_code not in (401, 403), (method, rule.rule, res.json)
            else:
                assert res.status_code == 403, (method, rule.rule, res.status_code)
                checked += 1
    assert checked >= 40  # payouts, credentials, webhooks, keys, sharers, links, library, ...


def test_a_verified_key_costs_no_statement_and_lets_no_other_secret_in(app, owner):
    body = issue(owner, role="marketer")
    assert owner.get("/api/v1/campaigns", key=body["key"]).status_code == 200  # verified, remembered, use noted
    with database.statements(database.engine_of(app)) as seen:
        for _ in range(3):
            assert owner.get("/api/v1/campaigns", key=body["key"]).status_code == 200
    assert not [s for s in seen if "api_keys" in s]
    forged = f"sc_{body['prefix']}_{'A' * 43}"
    res = owner.get("/api/v1/campaigns", key=forged)
    assert res.status_code == 401 and res.json["error"]["code"] == "unauthorized"


def test_a_key_revoked_on_one_node_is_refused_at_once_by_another_that_trusted_it(app, owner):
    from app import create_app

    body = issue(owner, role="marketer")
    other = create_app({**{k: app.config[k] for k in ("TESTING", "INSTANCE_PATH", "DATABASE_URL", "REDIS_URL",
                                                      "SECRET_KEY", "PUBLIC_URL")}})
    headers = {"Authorization": f"Bearer {body['key']}"}
    try:
        assert other.test_client().get("/api/v1/campaigns", headers=headers).status_code == 200  # trusted there
        assert owner.client.delete(f"/api/v1/keys/{body['id']}", headers=owner._headers(None)).status_code == 204
        res = other.test_client().get("/api/v1/campaigns", headers=headers)
        assert res.status_code == 401 and res.json["error"]["code"] == "unauthorized"
    finally:
        database.engine_of(other).dispose()
