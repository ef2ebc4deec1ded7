"""POST /api/v1/campaigns: what a campaign must be, and clear errors when it is not."""
from __future__ import annotations

import pytest
from conftest import CAMPAIGN
from sqlalchemy import func, select

from catalog.models import Campaign
from plumbing import database


def test_campaign_is_stored_with_exact_money_and_reads_back(owner):
    res = owner.post("/api/v1/campaigns", CAMPAIGN)
    assert res.status_code == 201, res.json
    got = owner.get(f"/api/v1/campaigns/{res.json['id']}").json
    assert got["price"] == "199.00" and got["original_price"] == "299.00" and got["currency"] == "CNY"
    assert got["commission"] == {"type": "percent", "value": "10"}
    assert got["status"] == "draft" and got["publications"] == []
    assert got["attribution_window_days"] == 30


def test_a_campaign_in_yen_has_no_minor_unit(owner):
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "currency": "JPY", "price": "1980", "original_price": None,
                                           "commission": {"type": "fixed", "value": "200"}})
    assert res.status_code == 201 and res.json["price"] == "1980"
    assert owner.post("/api/v1/campaigns", {**CAMPAIGN, "currency": "JPY", "price": "19.80"}).status_code == 422


BAD = [
    ({"price": 199.0}, "price"),
    ({"price": "199.001"}, "price"),
    ({"price": "-5"}, "price"),
    ({"price": "0"}, "price"),
    ({"price": "1e3"}, "price"),
    ({"original_price": "99.00"}, "original_price"),
    ({"currency": "XXQ"}, "currency"),
    ({"landing_url": "ftp://shop.example.com/x"}, "landing_url"),
    ({"landing_url": "javascript:alert(1)"}, "landing_url"),
    ({"landing_url": "https://sharecast.test/r/abc"}, "landing_url"),
    ({"landing_url": "https://shop.example.com/a b"}, "landing_url"),
    ({"landing_url": "https://user:pw@shop.example.com/"}, "landing_url"),
    ({"landing_url": "/relative"}, "landing_url"),
    ({"landing_url": "http://[::1/x"}, "landing_url"),
    ({"name": "bad\x00name"}, "name"),
    ({"price": "１００.００"}, "price"),
    ({"starts_at": "0001-01-01T00:10:00+01:00"}, "starts_at"),
    ({"ends_at": "9999-12-31T23:59:59-05:00"}, "ends_at"),
    ({"channels": ["myspace"]}, "channels"),
    ({"channels": []}, "channels"),
    ({"channels": ["weibo", "weibo"]}, "channels"),
    ({"commission": {"type": "percent", "value": "0"}}, "commission.value"),
    ({"commission": {"type": "percent", "value": "101"}}, "commission.value"),
    ({"commission": {"type": "bribe", "value": "1"}}, "commission.type"),
    ({"commission": {"type": "fixed", "value": "250.00"}}, "commission"),
    ({"commission": {"type": "percent", "value": "90"}, "invite_bonus": {"type": "percent", "value": "20"}}, "commission"),
    ({"commission": {"type": "fixed", "value": 10}}, "commission.value"),
    ({"starts_at": "2030-01-02T00:00:00+08:00", "ends_at": "2030-01-01T00:00:00+08:00"}, "ends_at"),
    ({"ends_at": "2001-01-01T00:00:00+00:00"}, "ends_at"),
    ({"starts_at": "2030-01-01T00:00:00"}, "starts_at"),
    ({"attribution_window_days": 0}, "attribution_window_days"),
    ({"attribution_window_days": "30"}, "attribution_window_days"),
    ({"hashtags": ["t"] * 31}, "hashtags"),
    ({"name": ""}, "name"),
    ({"title": None}, "title"),
    ({"language": "en-abcdefgh-abcdefgh"}, "language"),  # a well-formed tag longer than the 16 stored
    ({"language": "en\n"}, "language"),
    ({"brand_color": "#C8102E\n"}, "brand_color"),
    ({"look": "neon"}, "look"),
    ({"badges": ["包邮", "赠品", "限时", "新品"]}, "badges"),
    ({"badges": ["顺丰包邮送礼袋"]}, "badges"),
    ({"badges": [" "]}, "badges"),
]


@pytest.mark.parametrize("change,field", BAD, ids=[f"{c[1]}-{i}" for i, c in enumerate(BAD)])
def test_bad_campaign_fields_get_a_422_naming_the_field_and_store_nothing(app, owner, change, field):
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, **change})
    assert res.status_code == 422, res.json
    assert res.json["error"]["code"] == "validation_error"
    assert field in res.json["error"]["fields"], res.json
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Campaign)) == 0


def test_missing_fields_and_malformed_bodies_are_4xx(owner):
    res = owner.post("/api/v1/campaigns", {})
    assert res.status_code == 422 and {"name", "title", "body", "price", "landing_url", "channels",
                                       "commission"} <= set(res.json["error"]["fields"])
    oops = owner.post("/api/v1/campaigns", data="{oops", content_type="application/json")
    assert oops.status_code == 400 and oops.json["error"]["code"] == "invalid_json"
    assert owner.post("/api/v1/campaigns", ["a list"]).status_code == 422
    assert owner.post("/api/v1/campaigns", data="name=x", content_type="application/x-www-form-urlencoded").status_code in (400, 415, 422)


def test_json_nested_too_deeply_to_decode_is_400_invalid_json(app, owner):
    for body in ("[" * 100_000, '{"name": ' * 50_000):
        res = owner.post("/api/v1/campaigns", data=body, content_type="application/json")
        assert res.status_code == 400, res.json
        assert res.json["error"] == {"code": "invalid_json", "message": "The request body is not valid JSON.", "fields": {}}
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Campaign)) == 0


def test_editing_a_campaign_to_a_language_tag_too_long_to_store_is_422_and_changes_nothing(owner, campaign):
    path = f"/api/v1/campaigns/{campaign['id']}"
    res = owner.client.patch(path, headers=owner._headers(None), json={"language": "zh-" + "-".join(["Hantabcd"] * 3)})
    assert res.status_code == 422, res.json
    assert "language" in res.json["error"]["fields"]
    assert owner.get(path).json["language"] == campaign["language"]


def test_unknown_campaign_is_404(owner):
    res = owner.get("/api/v1/campaigns/999999")
    assert res.status_code == 404 and res.json["error"]["code"] == "not_found"


def test_a_campaign_keeps_its_look_and_badges_and_its_posters_show_them(owner):
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "look": "festive", "badges": [" 包邮", "限时"],
                                           "seller_opener": " 今年的新茶到了："})
    assert res.status_code == 201, res.json
    got = owner.get(f"/api/v1/campaigns/{res.json['id']}").json
    assert got["look"] == "festive" and got["badges"] == ["包邮", "限时"] and got["seller_opener"] == "今年的新茶到了："
    plain = owner.post("/api/v1/campaigns", CAMPAIGN).json
    assert (plain["look"], plain["badges"], plain["seller_opener"]) == ("clean", [], "")
    assert owner.post("/api/v1/campaigns", {**CAMPAIGN, "seller_opener": "长" * 201}).status_code == 422
    festive = owner.get(f"/api/v1/campaigns/{got['id']}/posts").json["items"]
    clean = owner.get(f"/api/v1/campaigns/{plain['id']}/posts").json["items"]
    assert {p["channel"]: p["images"][0]["url"] for p in festive} != {p["channel"]: p["images"][0]["url"] for p in clean}
