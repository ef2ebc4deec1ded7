"""The campaign dashboard in the console: figures, chart, funnel, top sharers, the CSV report."""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from babel.numbers import format_currency
from conftest import CAMPAIGN, STAFF_PASSWORD, Api, Pages, drain, run_cli
from test_reports import click, sale

from accounts.users import create_user
from plumbing import database


@pytest.fixture
def funnel(app, client, owner, campaign, make_sharer, make_link):
    """Two sellers with clicks on weibo and x, three sales (one refunded in part)."""
    leader = make_sharer("大李")
    seller = make_sharer("小林", invited_by=leader["id"])
    weibo = make_link(campaign["id"], seller["id"], "weibo")
    x = make_link(campaign["id"], seller["id"], "x")
    lead = make_link(campaign["id"], leader["id"], "weibo")
    for ip in ("198.51.100.1", "198.51.100.1", "198.51.100.2"):
        click(client, weibo, ip)
    click(client, x)
    click(client, lead)
    drain(app)
    sale(owner, "S-1", weibo)
    sale(owner, "S-2", x)
    sale(owner, "S-3", lead, amount="99.00")
    assert owner.post("/api/v1/conversions", {"type": "refund", "order_id": "S-2", "amount": "50.00"}).status_code == 201
    return {"leader": leader, "seller": seller}


def figures(html: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in re.findall(r'data-figure="(\w+)">([^<]*)<', html)}


def table_rows(html: str, caption: str) -> list[list[str]]:
    """The body rows of the table with this caption, as cell texts."""
    table = html.split(f">{caption}</caption>", 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def dashboard(campaign_id) -> str:
    return f"/console/campaigns/{campaign_id}/dashboard"


def test_dashboard_figures_are_the_apis_stats(console, owner, campaign, funnel):
    stats = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats").json
    res = console.get(dashboard(campaign["id"]))
    assert res.status_code == 200
    shown = figures(res.text)
    money = lambda amount: format_currency(Decimal(amount), "CNY", locale="en")  # noqa: E731
    assert shown == {"clicks": str(stats["clicks"]), "unique_clicks": str(stats["unique_clicks"]),
                     "orders": str(stats["orders"]), "revenue": money(stats["revenue"]),
                     "commission_total": money(stats["commission_total"]), "new_sharers": str(stats["new_sharers"])}
    assert (stats["clicks"], stats["orders"], stats["revenue"]) == (5, 3, "447.00")
    assert campaign["name"] in res.text and 'href="/console/campaigns/%d/report.csv"' % campaign["id"] in res.text


def test_funnel_by_channel_has_rates_that_follow_from_the_figures(console, owner, campaign, funnel):
    stats = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats").json
    rows = table_rows(console.get(dashboard(campaign["id"])).text, "Funnel by channel")
    by_channel = {c["channel"]: c for c in stats["by_channel"]}
    assert [r[0] for r in rows] == ["Weibo", "X"]
    weibo, x = rows
    # weibo: 4 clicks (3 of the seller's, 1 of the leader's), 2 orders, 2 new sharers
    assert weibo[1:5] == [str(by_channel["weibo"]["clicks"]), str(by_channel["weibo"]["unique_clicks"]), "2", "50.0%"]
    assert weibo[5] == format_currency(Decimal(by_channel["weibo"]["revenue"]), "CNY", locale="en")
    assert weibo[6:] == ["2", "100.0%"]
    assert x[1:5] == ["1", "1", "1", "100.0%"] and x[5] == "CN¥149.00"
    total = console.get(dashboard(campaign["id"])).text.split('<tr class="total">', 1)[1].split("</tr>", 1)[0]
    assert "All channels" in total and "60.0%" in total  # 3 orders of 5 clicks


def test_top_sharers_rank_by_revenue_and_link_to_their_page(console, owner, campaign, funnel):
    rows = table_rows(console.get(dashboard(campaign["id"])).text, "Top sharers by revenue")
    board = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats/sharers").json["items"]
    assert [r[1] for r in rows] == [s["name"] for s in board] == ["小林", "大李"]
    assert rows[0][2:4] == [str(board[0]["clicks"]), str(board[0]["orders"])]
    assert f'href="/console/sharers/{funnel["seller"]["id"]}"' in console.get(dashboard(campaign["id"])).text


def test_chart_draws_the_series_with_a_table_for_screen_readers(console, owner, campaign, funnel):
    series = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats/series").json
    html = console.get(dashboard(campaign["id"])).text
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert svg.count('class="bar-clicks"') == sum(1 for b in series["items"] if b["clicks"])
    rows = table_rows(html, "Clicks over time")
    assert len(rows) == 14 == len(series["items"])
    assert sum(int(r[1]) for r in rows) == series["totals"]["clicks"] == 5
    assert sum(int(r[3]) for r in rows) == series["totals"]["orders"] == 3
    hourly = console.get(dashboard(campaign["id"]) + "?granularity=hour")
    assert hourly.status_code == 200 and len(table_rows(hourly.text, "Clicks over time")) == 48
    assert 'aria-current="page">Last 48 hours<' in hourly.text


def test_an_empty_campaign_explains_its_empty_chart_and_tables(console, campaign):
    html = console.get(dashboard(campaign["id"])).text
    assert "No clicks in this period yet" in html and "No sharer has a click or a sale" in html
    assert figures(html)["clicks"] == "0" and "—" in html  # no rate without clicks


def test_dashboard_speaks_chinese(console, campaign, funnel):
    html = console.get(dashboard(campaign["id"]), headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert '<html lang="zh-CN">' in html and "点击" in html and "微博" in html
    assert "Clicks" not in html.split("<main", 1)[1]


@pytest.mark.parametrize("query", ["granularity=x", "granularity=", "granularity=%00"])
def test_bad_granularity_is_a_422_page(console, campaign, query):
    res = console.get(dashboard(campaign["id"]) + "?" + query)
    assert res.status_code in (400, 422) and res.mimetype == "text/html"


@pytest.mark.parametrize("path", ["/console/campaigns/999999/dashboard", "/console/campaigns/0/dashboard",
                                  "/console/campaigns/99999999999/dashboard", "/console/campaigns/abc/dashboard",
                                  "/console/campaigns/999999/report.csv"])
def test_unknown_campaigns_are_404_pages(console, path):
    res = console.get(path)
    assert res.status_code == 404 and res.mimetype == "text/html"


def test_report_csv_is_the_apis_report(console, owner, campaign, funnel):
    res = console.get(f"/console/campaigns/{campaign['id']}/report.csv")
    api = owner.get(f"/api/v1/campaigns/{campaign['id']}/report.csv")
    assert res.status_code == 200 and res.mimetype == "text/csv"
    assert res.data == api.data and res.data.startswith("\ufeff".encode())
    assert "attachment" in res.headers["Content-Disposition"] and "no-store" in res.headers["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(res.data.decode("utf-8-sig"))))
    stats = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats").json
    assert sum(int(r["clicks"]) for r in rows) == stats["clicks"]
    assert sum(int(r["orders"]) for r in rows) == stats["orders"]
    assert sum(Decimal(r["revenue"]) for r in rows) == Decimal(stats["revenue"])
    assert sum(Decimal(r["commission"]) for r in rows) == Decimal(stats["commission_total"])


def test_another_workspaces_campaign_is_a_404(app, client, owner, campaign, funnel):
    other = Api(client, run_cli(app, "workspace", "create", "--name", "B")["api_key"])
    theirs = other.post("/api/v1/campaigns", CAMPAIGN).json
    from sqlalchemy import select

    from workspaces.models import Workspace

    with database.new_session(app) as s:
        b = s.scalars(select(Workspace).order_by(Workspace.id.desc())).first()
        create_user(s, b.id, "b@other.example", STAFF_PASSWORD, "marketer")
        s.commit()
    pages = Pages(app.test_client())
    pages.sign_in("b@other.example", STAFF_PASSWORD)
    for path in (dashboard(campaign["id"]), f"/console/campaigns/{campaign['id']}/report.csv"):
        assert pages.get(path).status_code == 404, path
    assert pages.get(dashboard(theirs["id"])).status_code == 200


def test_the_dashboard_needs_a_signed_in_account(client, campaign):
    res = client.get(dashboard(campaign["id"]))
    assert res.status_code == 302 and "/console/sign-in" in res.headers["Location"]
    assert client.get(f"/console/campaigns/{campaign['id']}/report.csv").status_code == 302
