"""One definition of "an order that counts" (credited to a sharer, not self-referred, not wholly
refunded, not rejected in risk review), the same in the API's stats, series, top sharers, CSV report, leaderboard and dashboard."""
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


def test_a_sale_rejected_in_review_counts_nowhere_while_one_still_in_review_counts(app, owner, campaign, make_sharer,
                                                                                   make_link, staff):
    """A sale a person rejected in risk review is out of every figure of orders and revenue (and of the
    buyers it enrolled), at once and everywhere; a sale whose review is still open counts (it may be released)."""
    from datetime import datetime, timedelta, timezone

    from test_withdrawals import put

    from plumbing import database
    from referrals.grades import own_figures

    seller = make_sharer("小周")
    code = make_link(campaign["id"], seller["id"], "weibo")["code"]
    assert put(owner, "/api/v1/risk/settings", {"rules": {"ip_prefix_orders": {"max": 1, "minutes": 60}}}).status_code == 200
    for order, amount in (("fine", "100.00"), ("waiting", "200.00"), ("fraud", "400.00")):  # one network: 2 held
        res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": amount, "code": code,
                                                 "customer": {"external_id": f"c-{order}", "ip": "192.0.2.7"}})
        assert res.status_code == 201, res.json
    reviews = {r["order_id"]: r for r in owner.get("/api/v1/risk/reviews", query_string={"status": "open"}).json["items"]}
    assert set(reviews) == {"waiting", "fraud"}
    cid, sid = campaign["id"], seller["id"]
    pages = Pages(app.test_client())
    pages.sign_in(staff["email"], staff["password"])

    def figures() -> dict:
        stats = owner.get(f"/api/v1/campaigns/{cid}/stats").json
        series = owner.get(f"/api/v1/campaigns/{cid}/stats/series").json["totals"]
        [top] = owner.get(f"/api/v1/campaigns/{cid}/stats/sharers").json["items"]
        rows = list(csv.DictReader(io.StringIO(owner.get(f"/api/v1/campaigns/{cid}/report.csv").text.lstrip("\ufeff"))))
        [ranked] = owner.get("/api/v1/leaderboard?period=month").json["items"]
        creatives = owner.get(f"/api/v1/campaigns/{cid}/stats/creatives").json["items"]
        mine = owner.get(f"/api/v1/sharers/{sid}/performance").json
        tree = owner.get(f"/api/v1/sharers/{sid}/tree").json["root"]
        with database.new_session(app) as s:
            net, orders = own_figures(s, sid, "CNY", datetime.now(timezone.utc) - timedelta(days=1))
        return {
            "stats": (stats["orders"], stats["revenue"], stats["new_sharers"]),
            "series": (series["orders"], series["revenue"]),
            "top sharers": (top["orders"], top["revenue"]),
            "report": (sum(int(r["orders"]) for r in rows), f'{sum(float(r["revenue"]) for r in rows):.2f}'),
            "leaderboard": (ranked["orders"], ranked["revenue"]),
            "creatives": sum(i["orders"] for i in creatives),
            "performance": (mine["orders"], mine["revenue"]),
            "tree": (tree["orders"], tree["net_sales"]),
            "grade": (orders, net),
        }

    pending = {"stats": (3, "700.00", 3), "series": (3, "700.00"), "top sharers": (3, "700.00"),
               "report": (3, "700.00"), "leaderboard": (3, "700.00"), "creatives": 3,
               "performance": (3, "700.00"), "tree": (3, "700.00"), "grade": (3, 70000)}
    assert figures() == pending  # held sales still count: their reviews are open
    assert "700.00" in pages.get(f"/console/campaigns/{cid}/dashboard").text

    res = owner.post(f"/api/v1/risk/reviews/{reviews['fraud']['id']}/reject", {"reason": "同一网络反复下单"})
    assert res.status_code == 200, res.json
    assert figures() == {"stats": (2, "300.00", 2), "series": (2, "300.00"), "top sharers": (2, "300.00"),
                         "report": (2, "300.00"), "leaderboard": (2, "300.00"), "creatives": 2,
                         "performance": (2, "300.00"), "tree": (2, "300.00"), "grade": (2, 30000)}
    page = pages.get(f"/console/campaigns/{cid}/dashboard").text
    assert "300.00" in page and "700.00" not in page
    still = owner.get("/api/v1/risk/reviews", query_string={"status": "open"}).json["items"]
    assert [r["order_id"] for r in still] == ["waiting"]
