"""Creative-level attribution: the post's link carries its content version (``?v=``), the redirect passes it on
untouched, the click writer keeps clicks per channel and version, sales through a click inherit it; the
breakdown against a brute-force count, the API, the dashboard. Also the click format and the GeoIP plumbing."""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import BROWSER, drain, path_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from catalog.models import Campaign
from plumbing import database
from publishing.creatives import creative_breakdown
from referrals import clickwriter, redirect
from referrals.clickbuffer import SEP, creative_tag, decode_click, encode_click
from referrals.clickfacets import click_breakdown
from referrals.clickwriter import write_clicks
from referrals.geoip import country_from_record, open_lookup
from referrals.models import Click, Conversion


def test_the_creative_tag_is_read_from_the_query_string_and_nothing_else():
    assert creative_tag("v=3") == "3" and creative_tag("utm=x&v=12&y=1") == "12" and creative_tag("v=123456") == "123456"
    for odd in ("", "v=", "v=1234567", "v=-1", "v=1a", "vv=2", "xv=2", "v=%31", "v=١", "v=3 ", "a=1"):
        assert creative_tag(odd) == "", odd


def test_a_click_carries_its_tag_and_address_and_older_clicks_still_decode():
    raw = encode_click("c1", 5, 1, 2, 3, "weibo", 1_700_000_000_000, "vis", False, "UA", "https://t.co/x", "4",
                       f"203.0.113.9{SEP}\n")
    click = decode_click(raw)
    assert (click["creative"], click["ip"], click["ua"], click["channel"]) == ("4", "203.0.113.9", "UA", "weibo")
    old = SEP.join(("1", "c2", "5", "1", "2", "3", "weibo", "1700000000000", "vis", "0", "UA", ""))
    assert decode_click(old)["creative"] == "" and decode_click(old)["ip"] == ""
    with pytest.raises(ValueError):
        decode_click(old + SEP + "extra")


START = datetime(2026, 6, 1, tzinfo=timezone.utc)
CHANNELS = ("weibo", "wechat_moments")
TAGS = ("", "1", "2", "3", "0", "99")  # the campaign has versions 1 and 2: "3", "0" and "99" are nobody's
CLICK = st.tuples(st.sampled_from(CHANNELS), st.sampled_from(TAGS), st.integers(0, 3), st.integers(0, 48 * 60),
                  st.booleans())
# A sale: which written click it went through (index, wrapped), amount, refunded part (per mille), self-referral.
SALE = st.tuples(st.integers(0, 10_000), st.integers(1, 50_000), st.sampled_from((0, 0, 250, 1000)), st.booleans())


def _campaign_with_two_looks(app, owner, campaign) -> int:
    res = owner.client.patch(f"/api/v1/campaigns/{campaign['id']}", headers=owner._headers(None),
                             json={"look": "festive"})
    assert res.status_code == 200, res.json
    with database.read_session(app) as s:
        assert s.get(Campaign, campaign["id"]).content_version == 2
    return campaign["id"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CLICK, max_size=12), max_size=4), st.lists(SALE, max_size=8), st.integers(0, 48),
       st.integers(0, 48))
def test_the_breakdown_equals_a_brute_force_count_of_clicks_and_sales(app, owner, campaign, batches, sales, a, b):
    campaign_id = campaign["id"]
    with database.read_session(app) as s:
        if s.get(Campaign, campaign_id).content_version == 1:  # once: hypothesis runs every example on one campaign
            _campaign_with_two_looks(app, owner, campaign)
    links = {"weibo": 11, "wechat_moments": 12}
    with database.new_session(app) as s:
        for batch in batches:
            entries = [{"id": uuid.uuid4().hex, "ws": "1", "link": str(links[channel]), "campaign": str(campaign_id),
                        "sharer": "1", "channel": channel,
                        "ts": str(int((START + timedelta(minutes=minute)).timestamp() * 1000)),
                        "visitor": f"v{visitor}", "ua": BROWSER, "ref": "", "bot": "1" if bot else "0",
                        "creative": tag, "ip": ""}
                       for channel, tag, visitor, minute, bot in batch]
            write_clicks(s, entries)
            write_clicks(s, entries[: len(entries) // 2])  # a replayed part of a batch counts nothing twice
        s.flush()
        clicks = s.scalars(select(Click).where(Click.campaign_id == campaign_id).order_by(Click.id)).all()
        human = [c for c in clicks if not c.bot]
        workspace_id = s.get(Campaign, campaign_id).workspace_id
        for i, (pick, amount, refunded, self_referral) in enumerate(sales if human else []):
            click = human[pick % len(human)]
            s.add(Conversion(workspace_id=workspace_id, type="sale", order_id=f"P-{uuid.uuid4().hex}",
                             amount_minor=amount, refunded_minor=amount * refunded // 1000, currency="CNY",
                             campaign_id=campaign_id, link_id=click.link_id, sharer_id=1, channel=click.channel,
                             click_id=click.id, content_version=click.content_version, attribution="click",
                             self_referral=self_referral, occurred_at=click.clicked_at + timedelta(minutes=i),
                             request_hash="x"))
        s.flush()
        assert {c.content_version for c in clicks} <= {None, 1, 2}
        start, end = START + timedelta(hours=min(a, b)), START + timedelta(hours=max(a, b), minutes=30)
        for bounds in ((None, None), (start, end)):
            def inside(at: datetime) -> bool:
                return bounds[0] is None or bounds[0] <= at.replace(minute=0, second=0, microsecond=0) < bounds[1]

            expected: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
            for c in human:
                if inside(c.clicked_at):
                    cell = expected[(c.channel, c.content_version)]
                    cell[0] += 1
                    cell[1] += c.is_unique
            conversions = s.scalars(select(Conversion).where(Conversion.campaign_id == campaign_id)).all()
            for v in conversions:
                if inside(v.occurred_at) and not v.self_referral and v.refunded_minor < v.amount_minor:
                    cell = expected[(v.channel, v.content_version)]
                    cell[2] += 1
                    cell[3] += v.amount_minor - v.refunded_minor
            got = creative_breakdown(s, s.get(Campaign, campaign_id), *bounds)
            assert {(i["channel"], i["content_version"]): [i["clicks"], i["unique_clicks"], i["orders"],
                                                           round(float(i["net_amount"]) * 100)] for i in got} == \
                {k: v for k, v in expected.items()}, bounds
            looks = {1: "clean", 2: "festive", None: None}
            assert all(i["look"] == looks[i["content_version"]] for i in got)
            assert [i["orders"] for i in got] == sorted((i["orders"] for i in got), reverse=True)
        s.rollback()


def test_a_posts_link_names_its_version_and_the_sale_through_its_click_inherits_it(
        app, client, owner, console, campaign, make_sharer):
    seller = make_sharer()
    url = f"/api/v1/campaigns/{campaign['id']}"
    first = owner.get(f"{url}/posts?sharer_id={seller['id']}").json
    weibo_v1 = next(i["link"] for i in first["items"] if i["channel"] == "weibo")
    assert weibo_v1.endswith("?v=1") and first["content_version"] == 1
    _campaign_with_two_looks(app, owner, campaign)
    second = owner.get(f"{url}/posts?sharer_id={seller['id']}").json
    weibo_v2 = next(i["link"] for i in second["items"] if i["channel"] == "weibo")
    assert weibo_v2 == weibo_v1[:-1] + "2"  # the same tracked link, another creative
    bare = weibo_v1.split("?")[0]
    visits = [(weibo_v1, "198.51.100.1"), (weibo_v2, "198.51.100.2"), (weibo_v2, "198.51.100.3"),
              (weibo_v2, "198.51.100.3"), (bare, "198.51.100.4"), (bare + "?v=77", "198.51.100.5")]
    answers = [client.get(path_of(link), headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": ip})
               for link, ip in visits]
    assert all(r.status_code == 302 for r in answers)
    click_ids = [parse_qs(urlsplit(r.headers["Location"]).query)["sc_click"][0] for r in answers]
    # Sales name their clicks before the writer ran: the sale writes the click it names, tag included.
    for order, click_id, amount in (("C-1", click_ids[1], "100.00"), ("C-2", click_ids[2], "50.00"),
                                    ("C-3", click_ids[0], "30.00")):
        res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": amount,
                                                 "click_id": click_id,
                                                 "customer": {"external_id": f"cust-{order}"}})
        assert res.status_code in (200, 201) and res.json["attributed"], res.json
    assert owner.post("/api/v1/conversions", {"type": "refund", "order_id": "C-2", "amount": "20.00"}
                      ).status_code in (200, 201)
    drain(app)
    with database.read_session(app) as s:
        assert [s.scalar(select(Click.content_version).where(Click.id == i)) for i in click_ids] == [1, 2, 2, 2, None,
                                                                                                     None]
        assert s.scalar(select(Conversion.content_version).where(Conversion.order_id == "C-1")) == 2
    res = owner.get(f"{url}/stats/creatives")
    assert res.status_code == 200, res.json
    assert res.json["currency"] == "CNY"
    assert [(i["channel"], i["content_version"], i["look"], i["clicks"], i["unique_clicks"], i["orders"],
             i["net_amount"]) for i in res.json["items"]] == [
        ("weibo", 2, "festive", 3, 2, 2, "130.00"), ("weibo", 1, "clean", 1, 1, 1, "30.00"),
        ("weibo", None, None, 2, 2, 0, "0.00")]
    now = datetime.now(timezone.utc)
    later = owner.get(f"{url}/stats/creatives", query_string={"from": (now + timedelta(hours=2)).isoformat()}).json
    assert later["items"] == []
    bad = owner.get(f"{url}/stats/creatives", query_string={"from": now.isoformat(), "to": now.isoformat()})
    assert bad.status_code == 422 and "from" in bad.json["error"]["fields"]
    assert owner.get(f"{url}/stats/creatives", query_string={"from": "yesterday"}).status_code == 422
    assert owner.get("/api/v1/campaigns/99999/stats/creatives").status_code == 404
    assert owner.get(f"{url}/stats/creatives", key=seller["api_key"]).status_code == 403
    page = console.get(f"/console/campaigns/{campaign['id']}/dashboard")
    assert page.status_code == 200, page.text
    table = page.text.split('data-table="creatives">')[1].split("</table>")[0]
    assert "Festive" in table and "130.00" in table and "Version 2" in table and "No version tag" in table
    chinese = console.get(f"/console/campaigns/{campaign['id']}/dashboard", headers={"Accept-Language": "zh-CN"})
    assert "哪条帖子带来了销售" in chinese.text


def test_the_country_comes_from_the_geoip_lookup_and_the_address_is_never_stored(app, client, owner, campaign,
                                                                               make_sharer, make_link, monkeypatch):
    assert country_from_record({"country": {"iso_code": "cn"}}) == "CN"
    assert country_from_record({"registered_country": {"iso_code": "DE"}}) == "DE"
    assert country_from_record(None) == "" and country_from_record({"country": {"iso_code": "C1N"}}) == ""
    assert open_lookup("") is None
    link = make_link(campaign["id"], make_sharer()["id"], "weibo")
    client.get(path_of(link["url"]), headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    drain(app)  # no GeoIP database configured: no address travels and no country facet
    with database.read_session(app) as s:
        assert click_breakdown(s, campaign["id"])["country"] == []
    # With one: the redirect carries the address and the writer turns it into a country (a stand-in lookup
    # here; the next test reads a real .mmdb).
    monkeypatch.setattr(redirect.layer(app).redirector, "carry_ip", True)
    monkeypatch.setattr(clickwriter.writer_for(app), "country_of",
                        {"203.0.113.7": "CN", "198.51.100.9": "JP"}.get)
    for ip in ("203.0.113.7", "203.0.113.7", "198.51.100.9"):
        client.get(path_of(link["url"]), headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": ip})
    drain(app)
    res = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats/clicks").json
    assert res["country"] == [{"value": "CN", "clicks": 2, "unique_clicks": 0},  # its first visit came before
                              {"value": "JP", "clicks": 1, "unique_clicks": 1}]
    with database.read_session(app) as s:
        stored = [str(v) for row in s.execute(select(Click)).scalars() for v in vars(row).values()]
    assert not any("203.0.113.7" in v or "198.51.100.9" in v for v in stored)



def test_a_real_maxmind_database_gives_the_country(app, client, owner, campaign, make_sharer, make_link, monkeypatch,
                                                  tmp_path):
    """A GeoIP2-Country database written in the test (mmdb-writer), read through maxminddb as in production."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    path = tmp_path / "country.mmdb"
    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-Country", ipv4_compatible=True)
    writer.insert_network(IPSet(["203.0.113.0/24"]), {"country": {"iso_code": "CN"}})
    writer.insert_network(IPSet(["2001:db8::/32"]), {"registered_country": {"iso_code": "de"}})
    writer.to_db_file(str(path))
    country_of = open_lookup(str(path))
    assert [country_of(a) for a in ("203.0.113.200", "2001:db8::1", "198.51.100.9", "not an address")] == \
        ["CN", "DE", "", ""]
    assert open_lookup(str(tmp_path / "missing.mmdb")) is None
    (tmp_path / "broken.mmdb").write_bytes(b"not a database")
    assert open_lookup(str(tmp_path / "broken.mmdb")) is None
    link = make_link(campaign["id"], make_sharer()["id"], "weibo")
    monkeypatch.setattr(redirect.layer(app).redirector, "carry_ip", True)
    monkeypatch.setattr(clickwriter.writer_for(app), "country_of", country_of)
    for ip in ("203.0.113.7", "2001:db8::5", "198.51.100.9"):
        client.get(path_of(link["url"]), headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": ip})
    drain(app)
    res = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats/clicks").json
    # an address the database does not know counts as unknown ("")
    assert sorted((r["value"], r["clicks"]) for r in res["country"]) == [("", 1), ("CN", 1), ("DE", 1)], res["country"]
