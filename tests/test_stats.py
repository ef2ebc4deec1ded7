"""GET /api/v1/campaigns/{id}/stats: the funnel from rollups and conversions."""
from __future__ import annotations

from conftest import BROWSER, drain, path_of


def test_stats_count_clicks_orders_revenue_commissions_and_new_sharers_by_channel(app, client, owner, campaign,
                                                                                  make_sharer, make_link):
    seller = make_sharer()
    weibo, x = make_link(campaign["id"], seller["id"], "weibo"), make_link(campaign["id"], seller["id"], "x")
    for ip in ["198.51.100.1", "198.51.100.1", "198.51.100.2"]:
        client.get(path_of(weibo["url"]), headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": ip})
    client.get(path_of(x["url"]), headers={"User-Agent": BROWSER})
    client.get(path_of(x["url"]), headers={"User-Agent": "Twitterbot/1.0"})
    drain(app)
    for order, link, buyer in [("S-1", weibo, "b1"), ("S-2", weibo, "b2"), ("S-3", x, "b1")]:
        res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": "199.00",
                                                 "code": link["code"], "customer": {"external_id": buyer}})
        assert res.status_code == 201
    owner.post("/api/v1/conversions", {"type": "refund", "order_id": "S-2", "amount": "99.50"})
    stats = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats").json
    assert (stats["clicks"], stats["unique_clicks"], stats["orders"]) == (4, 3, 3)
    assert stats["revenue"] == "497.50" and stats["refunds"] == "99.50"
    assert stats["commission_total"] == "49.75"
    assert stats["new_sharers"] == 2
    by = {row["channel"]: row for row in stats["by_channel"]}
    assert (by["weibo"]["clicks"], by["weibo"]["unique_clicks"], by["weibo"]["orders"], by["weibo"]["revenue"]) == (3, 2, 2, "298.50")
    assert (by["x"]["clicks"], by["x"]["orders"], by["x"]["revenue"]) == (1, 1, "199.00")


def test_stats_of_a_fresh_campaign_are_zero(owner, campaign):
    stats = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats").json
    assert stats["clicks"] == 0 and stats["revenue"] == "0.00" and stats["by_channel"] == []


def test_stats_take_from_and_to_like_the_series(app, client, owner, campaign, make_sharer, make_link):
    """``from``/``to`` parse as the series' do (ISO-8601 with an offset, ``from`` before ``to``), round
    out to whole UTC hours and keep the clicks, sales, refunds and commissions of that range."""
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    seller = make_sharer()
    link = make_link(campaign["id"], seller["id"], "weibo")
    client.get(path_of(link["url"]), headers={"User-Agent": BROWSER})
    drain(app)
    for order, ago in [("R-old", timedelta(hours=30)), ("R-new", timedelta(minutes=1))]:
        assert owner.post("/api/v1/conversions", {
            "type": "sale", "order_id": order, "amount": "100.00", "code": link["code"],
            "occurred_at": (now - ago).isoformat(), "customer": {"external_id": order}}).status_code == 201
    owner.post("/api/v1/conversions", {"type": "refund", "order_id": "R-old", "amount": "10.00"})
    url = f"/api/v1/campaigns/{campaign['id']}/stats"
    every = owner.get(url).json
    assert (every["clicks"], every["orders"], every["revenue"], every["refunds"]) == (1, 2, "190.00", "10.00")
    assert every["from"] is None and every["to"] is None

    recent = owner.get(url, query_string={"from": (now - timedelta(hours=2)).isoformat()}).json
    assert (recent["clicks"], recent["orders"], recent["revenue"], recent["refunds"]) == (1, 1, "100.00", "0.00")
    assert recent["commission_total"] == "10.00" and recent["to"] is None
    assert recent["from"].startswith((now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:00:00"))
    earlier = owner.get(url, query_string={"to": (now - timedelta(hours=2)).isoformat()}).json
    assert (earlier["clicks"], earlier["orders"], earlier["revenue"], earlier["refunds"]) == (0, 1, "90.00", "10.00")
    assert earlier["commission_total"] == "9.00" and earlier["by_channel"][0]["orders"] == 1
    both = owner.get(url, query_string={"from": (now - timedelta(days=2)).isoformat(),
                                        "to": (now + timedelta(hours=1)).isoformat()}).json
    assert (both["clicks"], both["orders"], both["revenue"]) == (1, 2, "190.00")

    series = f"/api/v1/campaigns/{campaign['id']}/stats/series"
    for bad in ({"from": now.isoformat(), "to": now.isoformat()},
                {"from": now.isoformat(), "to": (now - timedelta(days=1)).isoformat()},
                {"from": "2026-11-01T00:00:00"}, {"to": "yesterday"}, {"from": "2026-13-01T00:00:00Z"}):
        res, same = owner.get(url, query_string=bad), owner.get(series, query_string=bad)
        assert res.status_code == same.status_code == 422, (bad, res.json)
        assert set(res.json["error"]["fields"]) == set(same.json["error"]["fields"]), bad
    assert owner.get(url).json == every  # nothing changed
