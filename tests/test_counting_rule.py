"""One definition of "an order that counts" (credited to a sharer, not self-referred, not wholly
refunded), the same in the API's stats, series, top sharers, CSV report, leaderboard and dashboard."""
from __future__ import annotations

import csv
import io

from conftest import Pages


def test_every_figure_counts_the_same_orders(app, owner, campaign, make_sharer, make_link, staff):
    seller = make_sharer("小林", email="lin@shop.com")
    code = make_link(campaign["id"], seller["id"], "weibo")["code"]

    def sale(order, amount, email):
        res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": amount, "code": code,
                                                 "customer": {"external_id": f"c-{order}", "email": email}})
        assert res.status_code == 201, res.json

    def refund(order, amount):
        res = owner.post("/api/v1/conversions", {"type": "refund", "order_id": order, "amount": amount})
        assert res.status_code == 201, res.json

    sale("kept", "199.00", "a@buyer.example")       # counts: 199.00
    sale("part", "100.00", "b@buyer.example")       # counts: 100.00 - 40.00
    refund("part", "40.00")
    sale("whole", "50.00", "c@buyer.example")       # wholly refunded: does not count
    refund("whole", "50.00")
    sale("self", "80.00", "Lin+me@shop.com")        # self-referral: does not count
    orders, revenue = 2, "259.00"

    cid = campaign["id"]
    stats = owner.get(f"/api/v1/campaigns/{cid}/stats").json
    assert (stats["orders"], stats["revenue"]) == (orders, revenue), stats
    assert stats["refunds"] == "90.00"  # refunds of every credited sale
    series = owner.get(f"/api/v1/campaigns/{cid}/stats/series").json
    assert (series["totals"]["orders"], series["totals"]["revenue"]) == (orders, revenue), series["totals"]
    [board] = owner.get(f"/api/v1/campaigns/{cid}/stats/sharers").json["items"]
    assert (board["orders"], board["revenue"]) == (orders, revenue)
    rows = list(csv.DictReader(io.StringIO(owner.get(f"/api/v1/campaigns/{cid}/report.csv").text.lstrip("\ufeff"))))
    assert sum(int(r["orders"]) for r in rows) == orders
    assert sum(float(r["revenue"]) for r in rows) == float(revenue)
    [ranked] = owner.get("/api/v1/leaderboard?period=month").json["items"]
    assert (ranked["orders"], ranked["revenue"]) == (orders, revenue), ranked
    pages = Pages(app.test_client())
    pages.sign_in(staff["email"], staff["password"])
    page = pages.get(f"/console/campaigns/{cid}/dashboard").text
    assert "259.00" in page and "309.00" not in page and "389.00" not in page
