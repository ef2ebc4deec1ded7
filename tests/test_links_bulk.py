"""POST /api/v1/links/bulk: up to 1,000 links at once, idempotent per row, failures alone."""
from __future__ import annotations

from sqlalchemy import func, select

from plumbing import database
from referrals.models import Link


def test_bulk_links_are_made_once_with_per_row_results(app, owner, campaign, make_sharer):
    sharers = [make_sharer(f"s{i}") for i in range(3)]
    rows = [{"campaign_id": campaign["id"], "sharer_id": s["id"], "channel": "weibo"} for s in sharers]
    rows += [{"campaign_id": campaign["id"], "sharer_id": 999},
             {"campaign_id": campaign["id"], "sharer_id": sharers[0]["id"], "channel": "telegram"}]
    res = owner.post("/api/v1/links/bulk", {"links": rows})
    assert res.status_code == 200, res.json
    items = res.json["items"]
    assert [i["status"] for i in items] == ["created"] * 3 + ["failed"] * 2
    assert items[3]["error"]["code"] == "not_found" and "channel" in items[4]["error"]["fields"]
    assert items[0]["url"].endswith("/r/" + items[0]["code"])
    again = owner.post("/api/v1/links/bulk", {"links": rows[:3]}).json["items"]
    assert [i["status"] for i in again] == ["existing"] * 3 and [i["code"] for i in again] == [i["code"] for i in items[:3]]
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Link)) == 3


def test_bulk_links_refuse_empty_oversized_or_malformed_requests(app, owner, campaign, make_sharer):
    sharer = make_sharer()
    row = {"campaign_id": campaign["id"], "sharer_id": sharer["id"]}
    assert owner.post("/api/v1/links/bulk", {"links": []}).status_code == 422
    assert owner.post("/api/v1/links/bulk", {"links": [row] * 1001}).status_code == 422
    assert owner.post("/api/v1/links/bulk", {"links": [row, {"sharer_id": "x"}]}).status_code == 422
    assert owner.post("/api/v1/links/bulk", {"links": [row]}, key=sharer["api_key"]).status_code == 403
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Link)) == 0


def test_a_thousand_links_in_one_request(app, owner, campaign, make_sharer):
    sharers = [make_sharer(f"s{i}") for i in range(10)]
    channels = [None, *campaign["channels"]]
    rows = [{"campaign_id": campaign["id"], "sharer_id": s["id"], "channel": c} for s in sharers for c in channels]
    rows = (rows * (1000 // len(rows) + 1))[:1000]  # repeats are answered "existing"
    items = owner.post("/api/v1/links/bulk", {"links": rows}).json["items"]
    assert len(items) == 1000 and sum(i["status"] == "created" for i in items) == len(sharers) * len(channels)
