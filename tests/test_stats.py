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
