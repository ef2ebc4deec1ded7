"""Clicks by device, browser, system and referring site: the user-agent rules on real agents, the writer's
hourly rows against a brute-force count of the clicks (replays included), the API, CSV and backfill."""
from __future__ import annotations

import csv
import html
import io
import re
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

from alembic import command
from conftest import BROWSER, drain, path_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from plumbing import database, migrate
from referrals.clickfacets import FACETS, click_breakdown, describe_agent, facets_of, referring_site
from referrals.clickwriter import write_clicks
from referrals.models import Click

AGENTS = {
    BROWSER: ("mobile", "WeChat", "iOS"),
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile "
    "Safari/537.36": ("mobile", "Chrome", "Android"),
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 "
    "Safari/604.1": ("tablet", "Safari", "iOS"),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Safari/537.36 Edg/124.0.2478.80": ("desktop", "Edge", "Windows"),
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Safari/605.1.15": ("desktop", "Safari", "macOS"),
    "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0 Mobile "
    "Safari/537.36 Weibo (HUAWEI-NOH-AN00__weibo__13.1.0__android__android12)": ("mobile", "Weibo", "HarmonyOS"),
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0": ("desktop", "Firefox", "Linux"),
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 "
    "Chrome/115.0 Safari/537.36": ("tablet", "Samsung Internet", "Android"),
    "": ("other", "other", "other"),
}


def test_user_agents_name_their_device_browser_and_system():
    for agent, expected in AGENTS.items():
        assert describe_agent(agent) == expected, agent


def test_referrers_name_their_site():
    assert referring_site("https://www.weibo.com/u/123?from=feed") == "weibo.com"
    assert referring_site("http://M.Example.CN:8080/a") == "m.example.cn"
    assert referring_site("") == "" and referring_site("android-app://com.tencent.mm/") == ""
    assert referring_site("https://[::1") == ""  # not a web address: a direct visit
    assert facets_of("", "https://t.co/x") == {"device": "other", "browser": "other", "os": "other",
                                               "referrer": "t.co"}


REFERRERS = ["", "https://www.weibo.com/p/1", "https://t.co/abc", "https://servicewechat.com/x", "junk"]
START = datetime(2026, 6, 1, tzinfo=timezone.utc)
CLICK = st.tuples(st.sampled_from(sorted(AGENTS)), st.sampled_from(REFERRERS), st.integers(0, 3),
                  st.integers(0, 72 * 60), st.booleans(), st.integers(1, 2))


def entries(clicks) -> list[dict]:
    """Stream entries as the redirect writes them."""
    return [{"id": uuid.uuid4().hex, "ws": "1", "link": str(campaign), "campaign": str(campaign),
             "sharer": "1", "channel": "", "ts": str(int((START + timedelta(minutes=minute)).timestamp() * 1000)),
             "visitor": f"v{visitor}", "ua": agent, "ref": ref, "bot": "1" if bot else "0"}
            for agent, ref, visitor, minute, bot, campaign in clicks]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CLICK, max_size=15), max_size=4), st.integers(0, 72), st.integers(0, 72))
def test_the_breakdown_equals_a_brute_force_count_of_the_clicks(app, owner, batches, a, b):
    with database.new_session(app) as s:
        for batch in map(entries, batches):
            write_clicks(s, batch)
            write_clicks(s, batch[: len(batch) // 2])  # a replayed part of a batch counts nothing twice
        s.flush()
        clicks = s.scalars(select(Click).where(Click.bot.is_(False))).all()
        start, end = START + timedelta(hours=min(a, b)), START + timedelta(hours=max(a, b), minutes=30)
        for campaign in (1, 2):
            for bounds in ((None, None), (start, end)):
                expected = {facet: Counter() for facet in FACETS}
                unique = {facet: Counter() for facet in FACETS}
                for c in clicks:
                    hour_start = c.clicked_at.replace(minute=0, second=0, microsecond=0)
                    if c.campaign_id != campaign or (bounds[0] is not None and not (
                            bounds[0].replace(minute=0) <= hour_start < bounds[1])):
                        continue
                    for facet, value in facets_of(c.user_agent, c.referrer).items():
                        expected[facet][value] += 1
                        unique[facet][value] += c.is_unique
                got = click_breakdown(s, campaign, *bounds)
                for facet in FACETS:
                    assert {i["value"]: (i["clicks"], i["unique_clicks"]) for i in got[facet]} == {
                        v: (n, unique[facet][v]) for v, n in expected[facet].items()}, (facet, bounds)
                    assert [i["clicks"] for i in got[facet]] == sorted((i["clicks"] for i in got[facet]), reverse=True)
        s.rollback()


def test_the_api_and_the_csv_break_clicks_down_by_range(app, client, owner, campaign, make_sharer, make_link):
    seller = make_sharer()
    link = make_link(campaign["id"], seller["id"], "weibo")
    android = next(a for a, v in AGENTS.items() if v[2] == "Android" and v[0] == "mobile")
    for ip, agent, ref in (("198.51.100.1", BROWSER, "https://www.weibo.com/p/1"), ("198.51.100.1", BROWSER, ""),
                           ("198.51.100.2", android, "https://www.weibo.com/p/2"), ("198.51.100.3", "Googlebot/2.1", "")):
        client.get(path_of(link["url"]), headers={"User-Agent": agent, "Referer": ref},
                   environ_base={"REMOTE_ADDR": ip})
    drain(app)
    url = f"/api/v1/campaigns/{campaign['id']}"
    res = owner.get(f"{url}/stats/clicks")
    assert res.status_code == 200, res.json
    figures = res.json
    assert figures["device"] == [{"value": "mobile", "clicks": 3, "unique_clicks": 2}]
    assert figures["browser"] == [{"value": "WeChat", "clicks": 2, "unique_clicks": 1},
                                  {"value": "Chrome", "clicks": 1, "unique_clicks": 1}]
    assert [(i["value"], i["clicks"]) for i in figures["referrer"]] == [("weibo.com", 2), ("", 1)]
    now = datetime.now(timezone.utc)
    later = owner.get(f"{url}/stats/clicks", query_string={"from": (now + timedelta(hours=2)).isoformat()}).json
    assert later["device"] == [] and later["from"].startswith((now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:00"))
    res = owner.get(f"{url}/clicks.csv", query_string={"from": (now - timedelta(days=1)).isoformat(),
                                                       "to": (now + timedelta(hours=1)).isoformat()})
    assert res.status_code == 200 and res.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(res.data.decode("utf-8-sig"))))
    assert rows[0] == ["facet", "value", "clicks", "unique_clicks"] and ["os", "iOS", "2", "1"] in rows
    bad = owner.get(f"{url}/stats/clicks", query_string={"from": now.isoformat(), "to": now.isoformat()})
    assert bad.status_code == 422 and "from" in bad.json["error"]["fields"]
    assert owner.get("/api/v1/campaigns/99999/stats/clicks").status_code == 404
    assert owner.get(f"{url}/stats/clicks", key=seller["api_key"]).status_code == 403


def test_the_migration_counts_the_clicks_kept_before_it(app, client, owner, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer()["id"])
    for agent in AGENTS:
        client.get(path_of(link["url"]), headers={"User-Agent": agent, "Referer": "https://t.co/x"})
    drain(app)
    with database.read_session(app) as s:
        before = click_breakdown(s, campaign["id"])
    assert sum(i["clicks"] for i in before["device"]) == len(AGENTS) - 1  # no user agent at all: a bot
    url = app.config["DATABASE_URL"]
    command.downgrade(migrate.alembic_config(url), "b8e2f4a61c07")
    migrate.upgrade(url)
    with database.read_session(app) as s:
        assert click_breakdown(s, campaign["id"]) == before


def test_the_dashboard_shows_where_clicks_came_from_and_exports_them(app, client, owner, console, campaign,
                                                                     make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer()["id"])
    for ip, ref in (("198.51.100.1", "https://www.weibo.com/p/1"), ("198.51.100.2", "")):
        client.get(path_of(link["url"]), headers={"User-Agent": BROWSER, "Referer": ref},
                   environ_base={"REMOTE_ADDR": ip})
    drain(app)
    page = console.get(f"/console/campaigns/{campaign['id']}/dashboard")
    assert page.status_code == 200, page.text
    browsers = page.text.split('data-facet="browser">')[1].split("</table>")[0]
    assert '<th scope="row">WeChat</th>' in browsers and '<td class="num">2</td>' in browsers
    sites = page.text.split('data-facet="referrer">')[1].split("</table>")[0]
    assert "weibo.com" in sites and "Direct or unknown" in sites
    csv_url = re.search(rf'href="(/console/campaigns/{campaign["id"]}/clicks\.csv\?[^"]+)"', page.text).group(1)
    res = console.get(html.unescape(csv_url))  # the chart's period, as the page links it
    assert res.status_code == 200 and ["device", "mobile", "2", "2"] in list(
        csv.reader(io.StringIO(res.data.decode("utf-8-sig"))))
    url = f"/console/campaigns/{campaign['id']}/clicks.csv"
    assert console.get(url, query_string={"from": "2026-11-01T00:00:00"}).status_code == 422  # no offset
    assert console.get(url, query_string={"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"}
                       ).status_code == 422
    chinese = console.get(f"/console/campaigns/{campaign['id']}/dashboard", headers={"Accept-Language": "zh-CN"})
    assert "点击来自哪里" in chinese.text and "直接访问或未知" in chinese.text
