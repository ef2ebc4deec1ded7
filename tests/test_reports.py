"""The marketer console's reads: campaign list, series, sharer board, CSV report, sharer list."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from conftest import BROWSER, CAMPAIGN, Api, drain, path_of, run_cli

from plumbing import database
from plumbing.csvexport import csv_response
from referrals.clickwriter import write_clicks

# --- helpers ---------------------------------------------------------------------------------------

def workspace(app, client, name="B", tz=None) -> Api:
    args = ["workspace", "create", "--name", name] + (["--timezone", tz] if tz else [])
    return Api(client, run_cli(app, *args)["api_key"])


def new_campaign(api: Api, **fields) -> dict:
    res = api.post("/api/v1/campaigns", {**CAMPAIGN, **fields})
    assert res.status_code == 201, res.json
    return res.json


def new_sharer(api: Api, name="小林", **fields) -> dict:
    res = api.post("/api/v1/sharers", {"name": name, **fields})
    assert res.status_code == 201, res.json
    return res.json


def new_link(api: Api, campaign_id, sharer_id, channel=None) -> dict:
    res = api.post("/api/v1/links", {"campaign_id": campaign_id, "sharer_id": sharer_id, "channel": channel})
    assert res.status_code in (200, 201), res.json
    return res.json


def click(client, link, ip="198.51.100.1"):
    res = client.get(path_of(link["url"]), headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": ip})
    assert res.status_code == 302


def sale(api: Api, order, link, amount="199.00", buyer=None, **kw):
    res = api.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": amount, "code": link["code"],
                                           "customer": {"external_id": buyer or f"buyer-{order}"}, **kw})
    assert res.status_code == 201, res.json
    return res.json


def refund(api: Api, order, amount):
    res = api.post("/api/v1/conversions", {"type": "refund", "order_id": order, "amount": amount})
    assert res.status_code == 201, res.json


def walk(api: Api, path: str, limit: int, **params) -> list[list[dict]]:
    """Every page of a list, following next_cursor."""
    pages, cursor = [], None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        res = api.get(path, query_string=query)
        assert res.status_code == 200, res.json
        pages.append(res.json["items"])
        cursor = res.json["next_cursor"]
        if cursor is None:
            return pages


def rollup_clicks(app, link: dict, workspace_id: int, campaign_id: int, times: list[datetime]):
    """Clicks at chosen times, through the click writer (the redirect stamps them with now)."""
    clicks = [{"id": f"{link['id']:06d}{i:015d}", "ts": str(int(t.timestamp() * 1000)), "ws": str(workspace_id),
               "link": str(link["id"]), "campaign": str(campaign_id), "sharer": str(link["sharer_id"]),
               "channel": link["channel"] or "", "visitor": f"v{i}", "ua": BROWSER, "ref": "", "bot": "0"}
              for i, t in enumerate(times)]
    with database.new_session(app) as session, session.begin():
        write_clicks(session, clicks)


def workspace_id_of(app, campaign_id) -> int:
    from catalog.models import Campaign

    with database.new_session(app) as session:
        return session.get(Campaign, campaign_id).workspace_id


@pytest.fixture
def funnel(app, client, owner, campaign, make_sharer, make_link):
    """Two sellers (the second invited by the first) with clicks, sales and a refund on weibo and x."""
    leader = make_sharer("大李", email="Li@Example.com", phone="13800138000")
    seller = make_sharer("小林", invited_by=leader["id"])
    links = {"leader_weibo": make_link(campaign["id"], leader["id"], "weibo"),
             "seller_weibo": make_link(campaign["id"], seller["id"], "weibo"),
             "seller_x": make_link(campaign["id"], seller["id"], "x")}
    for ip in ("198.51.100.1", "198.51.100.1", "198.51.100.2"):
        click(client, links["seller_weibo"], ip)
    click(client, links["seller_x"])
    click(client, links["leader_weibo"])
    drain(app)
    sale(owner, "S-1", links["seller_weibo"])
    sale(owner, "S-2", links["seller_weibo"])
    sale(owner, "S-3", links["seller_x"])
    sale(owner, "S-4", links["leader_weibo"], amount="99.00")
    refund(owner, "S-2", "99.50")
    return {"leader": leader, "seller": seller, **links}


# --- GET /api/v1/campaigns ---------------------------------------------------------------------------

def test_campaign_list_is_newest_first_with_status_and_summary_fields(owner, make_sharer):
    draft = new_campaign(owner, name="draft")
    live = new_campaign(owner, name="live", starts_at="2024-01-01T00:00:00+08:00")
    ended = new_campaign(owner, name="ended", starts_at="2024-01-01T00:00:00+08:00",
                         ends_at="2024-02-01T00:00:00+08:00")
    coming = new_campaign(owner, name="coming", starts_at="2099-01-01T00:00:00+08:00")
    seller = make_sharer()
    res = owner.get("/api/v1/campaigns", key=seller["api_key"])  # any role of the workspace
    assert res.status_code == 200, res.json
    assert res.json["next_cursor"] is None
    items = res.json["items"]
    assert [c["id"] for c in items] == [coming["id"], ended["id"], live["id"], draft["id"]]
    assert [c["status"] for c in items] == ["scheduled", "ended", "live", "draft"]
    for c in items:  # the same status GET /campaigns/{id} shows
        assert owner.get(f"/api/v1/campaigns/{c['id']}").json["status"] == c["status"]
    assert set(items[0]) == {"id", "name", "title", "status", "channels", "price", "currency", "starts_at",
                             "ends_at", "created_at"}
    assert items[1]["price"] == "199.00" and items[1]["currency"] == "CNY"
    assert items[1]["starts_at"] == "2023-12-31T16:00:00+00:00" and items[3]["ends_at"] is None
    assert datetime.fromisoformat(items[0]["created_at"]).utcoffset() is not None
    for status, expected in [("draft", [draft]), ("live", [live]), ("ended", [ended]), ("scheduled", [coming])]:
        listed = owner.get("/api/v1/campaigns", query_string={"status": status}).json["items"]
        assert [c["id"] for c in listed] == [e["id"] for e in expected]


def test_campaign_pages_walk_every_campaign_exactly_once_even_when_filtered(owner):
    made = [new_campaign(owner, name=f"c{i}", **({"starts_at": "2024-01-01T00:00:00Z"} if i % 3 == 0 else {}))
            for i in range(8)]
    pages = walk(owner, "/api/v1/campaigns", 3)
    assert [len(p) for p in pages] == [3, 3, 2]
    assert [c["id"] for p in pages for c in p] == [c["id"] for c in reversed(made)]
    live = walk(owner, "/api/v1/campaigns", 1, status="live")
    assert [c["id"] for p in live for c in p] == [made[i]["id"] for i in (6, 3, 0)]
    assert [len(p) for p in live] == [1, 1, 1]


# --- series ----------------------------------------------------------------------------------------

def test_series_buckets_are_zero_filled_and_add_up_to_the_stats(owner, campaign, funnel):
    stats = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats").json
    days = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats/series").json
    assert days["granularity"] == "day" and days["timezone"] == "Asia/Shanghai" and days["currency"] == "CNY"
    assert len(days["items"]) == 14 and days["next_cursor"] is None
    today = days["items"][-1]
    assert datetime.fromisoformat(today["start"]).utcoffset() == timedelta(hours=8)
    assert datetime.fromisoformat(today["start"]) <= datetime.now(timezone.utc) < datetime.fromisoformat(today["end"])
    assert (days["totals"]["clicks"], days["totals"]["unique_clicks"], days["totals"]["orders"],
            days["totals"]["revenue"]) == (stats["clicks"], stats["unique_clicks"], stats["orders"],
                                           stats["revenue"]) == (5, 4, 4, "596.50")
    assert sum(b["orders"] for b in days["items"]) == 4
    # everything happened just now: every bucket but today's (or, across midnight, yesterday's) is zero
    assert all(b["clicks"] == b["orders"] == 0 and b["revenue"] == "0.00" for b in days["items"][:-2])
    hours = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats/series?granularity=hour").json
    assert len(hours["items"]) == 48
    assert [datetime.fromisoformat(b["end"]) - datetime.fromisoformat(b["start"]) for b in hours["items"]] == \
        [timedelta(hours=1)] * 48
    assert sum(b["clicks"] for b in hours["items"]) == 5 and hours["totals"]["revenue"] == "596.50"
    weibo = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats/series?channel=weibo").json
    assert (weibo["channel"], weibo["totals"]) == ("weibo", {"clicks": 4, "unique_clicks": 3, "orders": 3,
                                                             "revenue": "397.50"})


def test_series_days_are_the_workspace_time_zones_days(app, client):
    def series(api, campaign_id, start, end, granularity="day"):
        res = api.get(f"/api/v1/campaigns/{campaign_id}/stats/series",
                      query_string={"granularity": granularity, "from": start, "to": end})
        assert res.status_code == 200, res.json
        return res.json

    results = {}
    for tz in ("Asia/Shanghai", "UTC", "Asia/Kolkata"):
        api = workspace(app, client, f"tz {tz}", tz)
        c = new_campaign(api)
        link = new_link(api, c["id"], new_sharer(api)["id"], "weibo")
        # 15:59 UTC is 23:59 in Shanghai, 16:00 is midnight; 18:45 UTC is 00:15 in Kolkata.
        sale(api, "late", link, occurred_at="2026-01-01T15:59:00Z")
        sale(api, "midnight", link, occurred_at="2026-01-01T16:00:00Z")
        sale(api, "kolkata", link, occurred_at="2026-01-01T18:45:00Z")
        rollup_clicks(app, link, workspace_id_of(app, c["id"]), c["id"],
                      [datetime(2026, 1, 1, 15, 30, tzinfo=timezone.utc),
                       datetime(2026, 1, 1, 16, 10, tzinfo=timezone.utc)])
        results[tz] = series(api, c["id"], "2026-01-01T00:00:00Z", "2026-01-02T23:00:00Z")
    shanghai = results["Asia/Shanghai"]
    assert [b["start"] for b in shanghai["items"]] == ["2026-01-01T00:00:00+08:00", "2026-01-02T00:00:00+08:00",
                                                       "2026-01-03T00:00:00+08:00"]
    assert [(b["clicks"], b["orders"], b["revenue"]) for b in shanghai["items"]] == [
        (1, 1, "199.00"), (1, 2, "398.00"), (0, 0, "0.00")]
    utc = results["UTC"]
    assert [b["start"] for b in utc["items"]] == ["2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00"]
    assert [(b["clicks"], b["orders"]) for b in utc["items"]] == [(2, 3), (0, 0)]
    kolkata = results["Asia/Kolkata"]
    assert kolkata["items"][0]["start"] == "2026-01-01T00:00:00+05:30"
    assert [b["orders"] for b in kolkata["items"]] == [2, 1, 0]


def test_series_days_follow_daylight_saving_time(app, client):
    api = workspace(app, client, "NY", "America/New_York")
    c = new_campaign(api)
    res = api.get(f"/api/v1/campaigns/{c['id']}/stats/series",
                  query_string={"from": "2026-03-07T12:00:00-05:00", "to": "2026-03-09T12:00:00-04:00"})
    assert res.status_code == 200, res.json
    starts = [b["start"] for b in res.json["items"]]
    assert starts == ["2026-03-07T00:00:00-05:00", "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00"]
    spans = [datetime.fromisoformat(b["end"]) - datetime.fromisoformat(b["start"]) for b in res.json["items"]]
    assert spans == [timedelta(hours=24), timedelta(hours=23), timedelta(hours=24)]


@pytest.mark.parametrize("query, field", [
    ({"granularity": "week"}, "granularity"),
    ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
    ({"from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00Z"}, "from"),
    ({"from": "yesterday"}, "from"),
    ({"granularity": "hour", "from": "2026-01-01T00:00:00Z", "to": "2026-04-05T00:00:00Z"}, "to"),
    ({"from": "2000-01-01T00:00:00Z", "to": "2099-01-01T00:00:00Z"}, "to"),
    ({"channel": "douyin"}, "channel"),
    ({"channel": ""}, "channel"),
])
def test_series_rejects_bad_parameters(owner, campaign, query, field):
    res = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats/series", query_string=query)
    assert res.status_code == 422, res.json
    assert res.json["error"]["code"] == "validation_error" and field in res.json["error"]["fields"]


def test_series_allows_exactly_the_bucket_cap(owner, campaign):
    res = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats/series",
                    query_string={"granularity": "hour", "from": "2026-01-01T00:00:00Z", "to": "2026-04-03T00:00:00Z"})
    assert res.status_code == 200 and len(res.json["items"]) == 24 * 92


# --- sharer board and by_channel -------------------------------------------------------------------

def test_sharer_board_ranks_by_revenue_with_commissions_net_of_reversals(owner, campaign, funnel):
    res = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats/sharers")
    assert res.status_code == 200, res.json
    items = res.json["items"]
    assert res.json["next_cursor"] is None
    seller, leader = funnel["seller"], funnel["leader"]
    # Buyers enrolled by the sales show up only if they have figures; they have none here.
    assert [i["sharer_id"] for i in items] == [seller["id"], leader["id"]]
    assert items[0] == {"sharer_id": seller["id"], "name": "小林", "clicks": 4, "unique_clicks": 3, "orders": 3,
                        "revenue": "497.50", "commission": "49.75", "currency": "CNY"}
    # The leader: 10% of their own 99.00 sale, plus 2% of the seller's 497.50 kept.
    assert items[1] == {"sharer_id": leader["id"], "name": "大李", "clicks": 1, "unique_clicks": 1, "orders": 1,
                        "revenue": "99.00", "commission": "19.85", "currency": "CNY"}
    stats = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats").json
    assert stats["commission_total"] == "69.60"
    assert sum(i["clicks"] for i in items) == stats["clicks"] and sum(i["orders"] for i in items) == stats["orders"]


def test_sharer_board_pages_walk_every_sharer_once_ordered_by_revenue_then_clicks(app, client, owner, campaign,
                                                                                   make_sharer, make_link):
    links = [make_link(campaign["id"], make_sharer(f"s{i}")["id"], "weibo") for i in range(5)]
    for i, link in enumerate(links):
        for n in range(i):
            click(client, link, f"198.51.100.{n + 1}")
    drain(app)
    sale(owner, "big", links[1], "300.00")
    sale(owner, "small", links[3], "10.00")
    for limit in (1, 2, 3, 200):
        pages = walk(owner, f"/api/v1/campaigns/{campaign['id']}/stats/sharers", limit)
        assert [len(p) for p in pages] == {1: [1, 1, 1, 1], 2: [2, 2], 3: [3, 1], 200: [4]}[limit]
        # revenue first, then clicks; the sharer with neither (nor a commission) is left out
        assert [r["sharer_id"] for p in pages for r in p] == [links[i]["sharer_id"] for i in (1, 3, 4, 2)]


def test_by_channel_stats_carry_the_whole_funnel(owner, campaign, funnel):
    stats = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats").json
    by = {row["channel"]: row for row in stats["by_channel"]}
    assert {k: by["weibo"][k] for k in ("clicks", "unique_clicks", "orders", "revenue", "new_sharers")} == {
        "clicks": 4, "unique_clicks": 3, "orders": 3, "revenue": "397.50", "new_sharers": 3}
    assert {k: by["x"][k] for k in ("clicks", "orders", "revenue", "new_sharers")} == {
        "clicks": 1, "orders": 1, "revenue": "199.00", "new_sharers": 1}
    assert sum(row["new_sharers"] for row in stats["by_channel"]) == stats["new_sharers"]


# --- CSV -------------------------------------------------------------------------------------------

def read_csv(res) -> list[dict]:
    assert res.data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(res.data.decode("utf-8-sig"), newline="")))


def test_report_csv_has_one_row_per_sharer_and_channel_and_opens_in_excel(owner, campaign, funnel):
    res = owner.get(f"/api/v1/campaigns/{campaign['id']}/report.csv")
    assert res.status_code == 200
    assert res.mimetype == "text/csv" and res.mimetype_params["charset"] == "utf-8"
    assert res.headers["Content-Disposition"] == f'attachment; filename="campaign-{campaign["id"]}-report.csv"'
    rows = read_csv(res)
    assert list(rows[0]) == ["campaign_id", "campaign", "sharer_id", "sharer_name", "channel", "clicks",
                             "unique_clicks", "orders", "revenue", "commission", "currency"]
    table = {(int(r["sharer_id"]), r["channel"]): r for r in rows}
    seller, leader = funnel["seller"]["id"], funnel["leader"]["id"]
    assert set(table) == {(seller, "weibo"), (seller, "x"), (leader, "weibo"), (leader, "x")}
    assert [table[seller, "weibo"][k] for k in ("sharer_name", "clicks", "unique_clicks", "orders", "revenue",
                                                "commission", "currency")] == \
        ["小林", "3", "2", "2", "298.50", "29.85", "CNY"]
    # the leader's invite bonus follows the channel of the sale that earned it
    assert (table[leader, "x"]["orders"], table[leader, "x"]["commission"]) == ("0", "3.98")
    assert all(r["campaign"] == CAMPAIGN["name"] and r["campaign_id"] == str(campaign["id"]) for r in rows)
    sharers = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats/sharers").json["items"]
    for item in sharers:  # the CSV adds up to the board
        mine = [r for r in rows if int(r["sharer_id"]) == item["sharer_id"]]
        assert sum(int(r["clicks"]) for r in mine) == item["clicks"]
        assert f"{sum(float(r['commission']) for r in mine):.2f}" == item["commission"]


def test_report_csv_neutralises_formula_cells(app, client, owner, campaign, make_sharer, make_link):
    names = ["=HYPERLINK(\"http://evil\",\"x\")", "+SUM(1)", "-2+3", "@cmd", "林=ok"]
    for name in names:
        link = make_link(campaign["id"], make_sharer(name)["id"], "weibo")
        click(client, link)
    drain(app)
    rows = read_csv(owner.get(f"/api/v1/campaigns/{campaign['id']}/report.csv"))
    assert sorted(r["sharer_name"] for r in rows) == sorted(["'" + n for n in names[:-1]] + ["林=ok"])


def test_csv_response_names_a_non_ascii_file_and_keeps_numbers_numeric(app):
    from decimal import Decimal

    with app.test_request_context():
        res = csv_response("佣金 payouts.csv", ["who", "amount"],
                           [["-a", Decimal("-3.50")], ["\tb", 2], ["\rc", None], ["d=1", "1-2"]])
    assert res.headers["Content-Disposition"] == (
        "attachment; filename=\"payouts.csv\"; filename*=UTF-8''%E4%BD%A3%E9%87%91%20payouts.csv")
    assert list(csv.reader(io.StringIO(res.get_data().decode("utf-8-sig"), newline=""))) == [
        ["who", "amount"], ["'-a", "-3.50"], ["'\tb", "2"], ["'\rc", ""], ["d=1", "1-2"]]


# --- GET /api/v1/sharers ---------------------------------------------------------------------------

def test_sharer_list_newest_first_with_source_and_search(owner, campaign, funnel):
    res = owner.get("/api/v1/sharers")
    assert res.status_code == 200, res.json
    items = res.json["items"]
    assert [i["id"] for i in items] == sorted((i["id"] for i in items), reverse=True)
    assert len(items) == 6  # leader, seller and four enrolled buyers
    leader = next(i for i in items if i["id"] == funnel["leader"]["id"])
    assert leader == {"id": funnel["leader"]["id"], "name": "大李", "email": "li@example.com",
                      "phone": "+8613800138000", "code": funnel["leader"]["code"], "invited_by": None,
                      "source": "invited", "created_at": leader["created_at"]}
    assert datetime.fromisoformat(leader["created_at"]).utcoffset() == timedelta(0)
    buyers = [i for i in items if i["source"] == "enrolled"]
    assert len(buyers) == 4 and {b["invited_by"] for b in buyers} == {funnel["seller"]["id"], funnel["leader"]["id"]}
    for q in ("LI@EXAMPLE", "example.com", "0013800", "大李"):
        found = owner.get("/api/v1/sharers", query_string={"q": q}).json["items"]
        assert [i["id"] for i in found] == [funnel["leader"]["id"]], q
    assert owner.get("/api/v1/sharers", query_string={"q": "%"}).json["items"] == []
    assert len(owner.get("/api/v1/sharers", query_string={"q": ""}).json["items"]) == 6  # an empty search box


def test_sharer_pages_walk_every_sharer_exactly_once(owner, make_sharer):
    made = [make_sharer(f"s{i}")["id"] for i in range(7)]
    pages = walk(owner, "/api/v1/sharers", 3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [s["id"] for p in pages for s in p] == list(reversed(made))
    pages = walk(owner, "/api/v1/sharers", 2, q="S")
    assert [s["id"] for p in pages for s in p] == list(reversed(made))


# --- the rules every read keeps --------------------------------------------------------------------

LISTS = ["/api/v1/campaigns", "/api/v1/sharers", "/api/v1/campaigns/{id}/stats/sharers"]
BAD_PAGING = [{"limit": "0"}, {"limit": "201"}, {"limit": "ten"}, {"cursor": "garbage!"}, {"cursor": "WzFd"},
              {"cursor": "x" * 201}]


@pytest.mark.parametrize("path, query", [(path, q) for path in LISTS for q in BAD_PAGING] + [
    ("/api/v1/campaigns", {"status": "paused"}), ("/api/v1/sharers", {"q": "x" * 201}),
    ("/api/v1/sharers", {"q": "a\x01"})])
def test_lists_reject_bad_paging_and_filters(owner, campaign, path, query):
    res = owner.get(path.format(id=campaign["id"]), query_string=query)
    assert res.status_code == 422, res.json
    assert res.json["error"]["code"] == "validation_error" and set(res.json["error"]["fields"]) == set(query)


def test_a_cursor_of_one_list_is_refused_by_another(owner, campaign, make_sharer):
    for i in range(3):
        make_sharer(f"s{i}")
        new_campaign(owner)
    sharer_cursor = owner.get("/api/v1/sharers?limit=1").json["next_cursor"]
    assert owner.get(f"/api/v1/campaigns/{campaign['id']}/stats/sharers",
                     query_string={"cursor": sharer_cursor}).status_code == 422


def test_reads_stay_inside_the_callers_workspace(app, client, owner, campaign, funnel):
    other = workspace(app, client)
    assert other.get("/api/v1/campaigns").json == {"items": [], "next_cursor": None}
    assert other.get("/api/v1/sharers").json == {"items": [], "next_cursor": None}
    for suffix in ("stats/series", "stats/sharers", "report.csv"):
        res = other.get(f"/api/v1/campaigns/{campaign['id']}/{suffix}")
        assert res.status_code == 404 and res.json["error"]["code"] == "not_found", suffix
    mine = new_campaign(other)
    assert [c["id"] for c in other.get("/api/v1/campaigns").json["items"]] == [mine["id"]]
    assert other.get(f"/api/v1/campaigns/{mine['id']}/stats/sharers").json["items"] == []
    assert [c["id"] for c in owner.get("/api/v1/campaigns").json["items"]] == [campaign["id"]]


def test_sellers_may_not_read_reports(client, owner, campaign, make_sharer):
    seller = make_sharer()
    for path in ("stats/series", "stats/sharers", "report.csv"):
        res = owner.get(f"/api/v1/campaigns/{campaign['id']}/{path}", key=seller["api_key"])
        assert res.status_code == 403, path
    assert owner.get("/api/v1/sharers", key=seller["api_key"]).status_code == 403
    assert client.get("/api/v1/sharers").status_code == 401


def test_openapi_documents_the_report_endpoints(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/campaigns"]) and {"get", "post"} <= set(paths["/api/v1/sharers"])
    for path in ("/api/v1/campaigns/{campaign_id}/stats/series", "/api/v1/campaigns/{campaign_id}/stats/sharers",
                 "/api/v1/campaigns/{campaign_id}/report.csv"):
        assert "get" in paths[path], path
    params = {p["name"] for p in paths["/api/v1/campaigns/{campaign_id}/stats/series"]["get"]["parameters"]}
    assert {"granularity", "from", "to", "channel"} <= params


@pytest.mark.parametrize("key", [["0001-01-01T00:00:00+14:00", 1], ["9999-12-31T23:59:59-14:00", 1],
                                 ["2026-01-01T00:00:00+00:00", 2**40], ["2026-01-01T00:00:00+00:00", 0]])
def test_cursors_from_the_calendars_edges_or_beyond_any_id_are_refused(owner, key):
    import base64
    import json

    cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    for path in ("/api/v1/sharers", "/api/v1/campaigns", "/api/v1/commissions", "/api/v1/payouts/batches"):
        res = owner.get(path, query_string={"cursor": cursor})
        assert res.status_code == 422 and "cursor" in res.json["error"]["fields"], (path, res.json)


def test_a_campaign_with_sales_keeps_its_currency(owner, campaign, make_sharer, make_link):
    path = f"/api/v1/campaigns/{campaign['id']}"
    assert owner.client.patch(path, json={"currency": "USD"}, headers=owner._headers(None)).status_code == 200
    assert owner.client.patch(path, json={"currency": "CNY"}, headers=owner._headers(None)).status_code == 200
    code = make_link(campaign["id"], make_sharer("小林")["id"], "weibo")["code"]
    sale = owner.post("/api/v1/conversions", {"type": "sale", "order_id": "K-1", "amount": "199.00", "code": code,
                                              "customer": {"external_id": "c-1"}})
    assert sale.status_code == 201
    res = owner.client.patch(path, json={"currency": "USD"}, headers=owner._headers(None))
    assert res.status_code == 422 and "currency" in res.json["error"]["fields"]
    assert owner.get(path).json["currency"] == "CNY"
