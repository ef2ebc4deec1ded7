"""Hostile JSON never gives a 500 and never stores anything: every text field of every JSON body the
API takes (found from the OpenAPI document, so a new endpoint cannot be forgotten) is sent, in turn,
each class of odd input: lone surrogates, NUL, overlong strings, odd Unicode; and every body is sent
with integer literals too long for Python's parser and with a lone surrogate in a key."""
from __future__ import annotations

import copy
import json

import pytest
from conftest import CAMPAIGN
from sqlalchemy import func, select

from plumbing import database
from plumbing.database import Base
from plumbing.fields import MAX_TEXT

# Each class must answer a clear 4xx (refused) or, for text that is merely unusual, a 2xx/4xx.
REFUSED = {
    "lone_high_surrogate": "a\ud800b",
    "lone_low_surrogate": "\udfff",
    "reversed_pair": "\udc00\ud800",
    "nul": "a\x00b",
    "overlong": "x" * 100_000,
}
ODD_BUT_TEXT = {
    "bidi_override": "\u202egnp.exe",
    "bom_zwj": "\ufeff\u200d",
    "noncharacter": "\uffff\U0010ffff",
    "emoji_sequence": "🏳️‍🌈👩🏽‍💻" * 3,
    "combining": "e" + "\u0301" * 40,
    "kelvin_fullwidth": "\u212a＠．",
    "private_use": "\ue000\U000f0000",
    "longest_allowed": "x" * MAX_TEXT,  # refused by the field's own Length, or stored whole: never a 500
}


def _scene(owner, make_sharer, make_link):
    campaign = owner.post("/api/v1/campaigns", CAMPAIGN).json
    sharer = make_sharer("小林", email="lin@example.com")
    link = make_link(campaign["id"], sharer["id"], "weibo")
    return {"campaign": campaign["id"], "sharer": sharer["id"], "code": link["code"], "seller_key": sharer["api_key"]}


# (method, OpenAPI path) → (concrete path, a valid body, whose key: "owner" or "seller")
def _bodies(scene: dict) -> dict:
    cid, sid = scene["campaign"], scene["sharer"]
    return {
        ("POST", "/api/v1/campaigns"): ("/api/v1/campaigns", CAMPAIGN, "owner"),
        ("PATCH", "/api/v1/campaigns/{campaign_id}"): (f"/api/v1/campaigns/{cid}",
                                                        {"title": "春茶", "body": "好茶", "hashtags": ["茶"]}, "owner"),
        ("POST", "/api/v1/sharers"): ("/api/v1/sharers", {"name": "小王", "email": "wang@example.com",
                                                          "phone": "+8613800138000", "external_id": "w-1"}, "owner"),
        ("POST", "/api/v1/links"): ("/api/v1/links", {"campaign_id": cid, "sharer_id": sid, "channel": "x"}, "owner"),
        ("POST", "/api/v1/conversions"): ("/api/v1/conversions", {
            "type": "sale", "order_id": "HOSTILE-1", "amount": "19.90", "code": scene["code"],
            "customer": {"external_id": "c-9", "email": "buyer@example.com", "phone": "+8613900139000",
                         "name": "买家"}}, "owner"),
        ("POST", "/api/v1/commissions/approve"): ("/api/v1/commissions/approve", {"ids": [1]}, "owner"),
        ("POST", "/api/v1/campaigns/{campaign_id}/schedule"): (
            f"/api/v1/campaigns/{cid}/schedule",
            {"publications": [{"channel": "weibo", "publish_at": "2030-01-01T09:00:00+08:00"}]}, "owner"),
        ("PUT", "/api/v1/workspace/slots"): ("/api/v1/workspace/slots", {"slots": ["09:00", "20:00"]}, "owner"),
        ("POST", "/api/v1/library/grabs"): ("/api/v1/library/grabs", {"campaign_id": cid, "channel": "weibo"},
                                            "seller"),
        ("PUT", "/api/v1/sharers/{sharer_id}/notifications"): (
            f"/api/v1/sharers/{sid}/notifications", {"email": True, "webhook_url": "https://hooks.example.com/n"},
            "owner"),
        ("POST", "/api/v1/webhooks"): ("/api/v1/webhooks", {"url": "https://hooks.example.com/in",
                                                            "events": ["sale.attributed"]}, "owner"),
        ("PUT", "/api/v1/channels/{channel}/credentials"): (
            "/api/v1/channels/telegram/credentials", {"bot_token": "123:abc", "chat_id": "@acme"}, "owner"),
    }


def _json_operations(owner) -> set[tuple[str, str]]:
    doc = owner.get("/api/openapi.json").json
    return {(method.upper(), path) for path, ops in doc["paths"].items() for method, op in ops.items() if isinstance(op, dict)
            if "application/json" in op.get("requestBody", {}).get("content", {})}


def _string_leaves(value, path=()):
    """The paths to every string in a JSON value (keys of objects, items of lists)."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, sub in value.items():
            yield from _string_leaves(sub, (*path, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _string_leaves(sub, (*path, i))


def _with(body, path, value):
    out = copy.deepcopy(body)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def _row_counts(app) -> dict[str, int]:
    with database.new_session(app) as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def _send(client, method, path, key, raw: bytes):
    return client.open(path, method=method, data=raw, content_type="application/json",
                       headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def scene(owner, make_sharer, make_link):
    return _scene(owner, make_sharer, make_link)


def test_every_json_operation_of_the_api_is_fuzzed(owner, scene):
    assert _json_operations(owner) == set(_bodies(scene))


def test_every_text_field_refuses_surrogates_nul_and_overlong_strings_and_stores_nothing(app, owner, scene):
    keys = {"owner": owner.key, "seller": scene["seller_key"]}
    before = _row_counts(app)
    tried = 0
    for (method, _), (path, body, who) in _bodies(scene).items():
        for leaf in _string_leaves(body):
            for name, value in REFUSED.items():
                raw = json.dumps(_with(body, leaf, value)).encode()
                res = _send(owner.client, method, path, keys[who], raw)
                tried += 1
                assert 400 <= res.status_code < 500, (name, method, path, leaf, res.status_code, res.text[:300])
                assert res.json["error"]["code"] in ("validation_error", "invalid_json"), res.json
    assert tried > 150, tried
    assert _row_counts(app) == before


def test_every_text_field_survives_odd_unicode(app, owner, scene):
    keys = {"owner": owner.key, "seller": scene["seller_key"]}
    for (method, _), (path, body, who) in _bodies(scene).items():
        for n, leaf in enumerate(_string_leaves(body)):
            for name, value in ODD_BUT_TEXT.items():
                changed = _with(body, leaf, value)
                if "order_id" in changed:  # a fresh order each time, so a success is not a 409 replay
                    changed["order_id"] = f"{changed['order_id']}-{n}-{name}"
                res = _send(owner.client, method, path, keys[who], json.dumps(changed).encode())
                assert res.status_code < 500, (name, method, path, leaf, res.status_code, res.text[:300])


@pytest.mark.parametrize("where", ["top", "nested", "key"])
def test_a_huge_integer_or_a_surrogate_key_is_invalid_json_not_a_500(app, owner, scene, where):
    keys = {"owner": owner.key, "seller": scene["seller_key"]}
    before = _row_counts(app)
    for (method, _), (path, body, who) in _bodies(scene).items():
        text = json.dumps(body)
        if where == "top":
            raw = text[:-1] + ', "amount": ' + "9" * 5000 + "}"
        elif where == "nested":
            raw = '{"x": [' + "1" * 4301 + "], " + text[1:]
        else:
            raw = '{"\\ud800": 1, ' + text[1:]
        res = _send(owner.client, method, path, keys[who], raw.encode())
        assert 400 <= res.status_code < 500, (where, method, path, res.status_code, res.text[:300])
    assert _row_counts(app) == before


def test_conversion_with_a_surrogate_in_the_customer_is_refused_not_fingerprinted(owner, scene):
    body = {"type": "sale", "order_id": "S-1", "amount": "10.00", "code": scene["code"],
            "customer": {"external_id": "\ud83d"}}
    res = _send(owner.client, "POST", "/api/v1/conversions", owner.key, json.dumps(body).encode())
    assert res.status_code == 422, res.text
    assert "customer.external_id" in res.json["error"]["fields"]
