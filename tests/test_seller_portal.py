"""The seller portal with the test client: today's posts, grabs, links, earnings, the board,
bad input as 4xx pages, and no seller ever seeing another's data or another workspace's."""
from __future__ import annotations

import html
import re

import pytest
from conftest import BROWSER, CAMPAIGN, Api, csrf_token_of, drain, path_of, run_cli, seller_pages
from sqlalchemy import select
from test_scheduling import _live, iso, schedule, soon

from plumbing import database
from publishing.models import Grab
from referrals.models import Link


def library(owner, key, **query) -> list[dict]:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return owner.get(f"/api/v1/library?{qs}", key=key).json["items"]


def text_of(res) -> str:
    return html.unescape(res.get_data(as_text=True))


def sale(owner, order, code, amount="199.00", **extra):
    res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": amount, "code": code,
                                             "customer": {"external_id": f"c-{order}"}, **extra})
    assert res.status_code == 201, res.json
    return res.json


def rival_workspace(app, client) -> Api:
    return Api(client, run_cli(app, "workspace", "create", "--name", "Rival Tea")["api_key"])


@pytest.fixture
def seller_a(app, make_sharer):
    sharer = make_sharer("小林", email="lin@example.com")
    return sharer, seller_pages(app, sharer["id"])


# --- today's posts -----------------------------------------------------------------------

def test_today_shows_each_live_post_with_the_sellers_own_text_images_and_poster(app, owner, campaign, seller_a):
    sharer, pages = seller_a
    _live(app, owner, campaign["id"], "weibo", "wechat_moments")
    res = pages.get("/seller/")
    assert res.status_code == 200 and res.mimetype == "text/html"
    page = text_of(res)
    assert CAMPAIGN["title"] in page and CAMPAIGN["name"] not in page  # the name is the marketers' own
    for item in library(owner, sharer["api_key"]):
        assert f">{item['text']}</pre>" in page  # exactly what the seller pastes, their link in it
        for image in item["images"]:
            assert f'href="{image["url"]}" download=' in page
    assert page.count("Save poster") == 2 and "Weibo" in page and "WeChat Moments" in page
    assert 'data-report="/seller/grabs"' in page


def test_today_filters_by_channel_and_campaign(app, owner, campaign, seller_a):
    sharer, pages = seller_a
    _live(app, owner, campaign["id"], "weibo", "x")
    [x_post] = library(owner, sharer["api_key"], channel="x")
    [weibo_post] = library(owner, sharer["api_key"], channel="weibo")
    page = text_of(pages.get("/seller/?channel=x"))
    assert x_post["text"] in page and weibo_post["text"] not in page
    assert 'aria-current="page">X</a>' in page
    page = text_of(pages.get(f"/seller/?campaign={campaign['id']}&channel=weibo"))  # a seller notice's link
    assert weibo_post["text"] in page and x_post["text"] not in page


def test_today_lists_what_is_coming_and_explains_when_posts_appear(app, owner, campaign, seller_a):
    _, pages = seller_a
    page = text_of(pages.get("/seller/"))
    assert "No posts to share right now" in page and "Posts appear here the moment the brand publishes" in page
    schedule(owner, campaign["id"], {"channel": "weibo", "publish_at": iso(soon(3600))})
    page = text_of(pages.get("/seller/"))
    assert "Coming up" in page and "Weibo" in page and "The next ones are listed below." in page


@pytest.mark.parametrize("query, status", [
    ("channel=myspace", 422), ("channel=webhook", 422), ("channel=%00", 422), ("campaign=abc", 422),
    ("campaign=-1", 422), ("campaign=0", 422), ("campaign=99999999999", 422), ("campaign=%EF%BC%91", 422),
    ("campaign=999", 404),
])
def test_bad_filters_are_4xx_pages_not_errors(app, owner, campaign, seller_a, query, status):
    _, pages = seller_a
    res = pages.get(f"/seller/?{query}")
    assert res.status_code == status and res.mimetype == "text/html"


def test_copying_a_post_records_a_grab_of_seller_channel_and_version(app, owner, campaign, seller_a):
    sharer, pages = seller_a
    _live(app, owner, campaign["id"], "weibo")
    page = pages.get("/seller/").text
    token = csrf_token_of(page)
    button = re.search(r'data-report-campaign_id="(\d+)"\s+data-report-channel="(\w+)" data-report-content_version="(\d+)"',
                       page)
    data = {"csrf_token": token, "campaign_id": button.group(1), "channel": button.group(2),
            "content_version": button.group(3)}
    res = pages.client.post("/seller/grabs", data=data)
    assert res.status_code == 204
    with database.read_session(app) as s:
        [grab] = s.scalars(select(Grab)).all()
        link = s.get(Link, grab.link_id)
    assert (grab.sharer_id, grab.campaign_id, grab.channel, grab.content_version) == (
        sharer["id"], campaign["id"], "weibo", 1)
    assert link.sharer_id == sharer["id"] and link.channel == "weibo"


@pytest.mark.parametrize("data, status", [
    ({}, 422), ({"campaign_id": "x", "channel": "weibo"}, 422), ({"campaign_id": "1"}, 422),
    ({"campaign_id": "1", "channel": "we\x00ibo"}, 422), ({"campaign_id": "1", "channel": "webhook"}, 422),
    ({"campaign_id": "1", "channel": "weibo", "content_version": "9"}, 422),
    ({"campaign_id": "1", "channel": "weibo", "content_version": "-1"}, 422),
    ({"campaign_id": "1", "channel": "x"}, 404),  # not live on X
    ({"campaign_id": "2", "channel": "weibo"}, 404),
])
def test_bad_grabs_are_refused_and_store_nothing(app, owner, campaign, seller_a, data, status):
    _, pages = seller_a
    _live(app, owner, campaign["id"], "weibo")
    res = pages.post("/seller/grabs", data, token_from="/seller/")
    assert res.status_code == status
    with database.read_session(app) as s:
        assert s.scalars(select(Grab)).all() == []


def test_a_grab_without_the_csrf_token_is_refused(app, owner, campaign, seller_a):
    _, pages = seller_a
    _live(app, owner, campaign["id"], "weibo")
    res = pages.client.post("/seller/grabs", data={"campaign_id": campaign["id"], "channel": "weibo"})
    assert res.status_code == 400


def test_pages_need_a_signed_in_seller(app, client, console):
    for path in ("/seller/", "/seller/links", "/seller/earnings", "/seller/board", "/seller/links/1"):
        res = client.get(path)
        assert res.status_code == 302 and res.headers["Location"].startswith("/seller/sign-in?next=")
        assert console.get(path).status_code == 302  # a staff session is not a seller's


# --- links ------------------------------------------------------------------------------

def test_links_page_gets_a_missing_link_on_demand_and_shows_its_qr_code(app, owner, campaign, seller_a):
    sharer, pages = seller_a
    schedule(owner, campaign["id"], {"channel": "weibo", "publish_at": iso(soon(3600))})
    page = text_of(pages.get("/seller/links"))
    assert CAMPAIGN["title"] in page and CAMPAIGN["name"] not in page and "Get my link" in page
    res = pages.post("/seller/links", {"campaign_id": campaign["id"], "channel": "weibo"})
    assert res.status_code == 303
    with database.read_session(app) as s:
        [link] = s.scalars(select(Link).where(Link.sharer_id == sharer["id"])).all()
    assert res.headers["Location"] == f"/seller/links/{link.id}"
    detail = text_of(pages.get(res.headers["Location"]))
    assert f"/r/{link.code}" in detail and f'src="http://sharecast.test/q/{link.code}.png"' in detail
    assert "Your link is ready." in detail
    again = pages.post("/seller/links", {"campaign_id": campaign["id"], "channel": "weibo"}, token_from="/seller/links")
    assert again.headers["Location"] == f"/seller/links/{link.id}"  # the same link, not a second one
    page = text_of(pages.get("/seller/links"))
    assert "Get my link" not in page and f"/r/{link.code}" in page and "Clicks: 0" in page


def test_link_clicks_are_counted_on_the_links_page(app, client, owner, campaign, seller_a, make_link):
    sharer, pages = seller_a
    _live(app, owner, campaign["id"], "weibo")
    link = make_link(campaign["id"], sharer["id"], "weibo")
    for _ in range(2):
        client.get(path_of(link["url"]), headers={"User-Agent": BROWSER})
    drain(app)
    assert "Clicks: 2" in text_of(pages.get("/seller/links"))


@pytest.mark.parametrize("data, status", [
    ({}, 422), ({"campaign_id": "1"}, 422), ({"campaign_id": "1", "channel": "facebook"}, 422),
    ({"campaign_id": "1", "channel": "webhook"}, 422), ({"campaign_id": "abc", "channel": "weibo"}, 422),
    ({"campaign_id": "1", "channel": "\x00"}, 422), ({"campaign_id": "77", "channel": "weibo"}, 404),
])
def test_bad_link_requests_are_refused_and_make_nothing(app, owner, campaign, seller_a, data, status):
    _, pages = seller_a
    res = pages.post("/seller/links", data, token_from="/seller/links")
    assert res.status_code == status and res.mimetype == "text/html"
    with database.read_session(app) as s:
        assert s.scalars(select(Link)).all() == []


def test_a_seller_cannot_open_another_sellers_link(app, owner, campaign, seller_a, make_sharer, make_link):
    _, pages = seller_a
    other = make_link(campaign["id"], make_sharer("小王")["id"], "weibo")
    with database.read_session(app) as s:
        other_id = s.scalar(select(Link.id).where(Link.code == other["code"]))
    assert pages.get(f"/seller/links/{other_id}").status_code == 404
    assert pages.get("/seller/links/99999999999").status_code == 404
    assert other["code"] not in pages.get("/seller/links").text


# --- earnings ---------------------------------------------------------------------------

def test_earnings_show_totals_by_state_and_each_line_with_its_reason(app, owner, campaign, seller_a, make_link):
    sharer, pages = seller_a
    link = make_link(campaign["id"], sharer["id"], "weibo")
    sale(owner, "A-1", link["code"])
    sale(owner, "A-2", link["code"], amount="99.00")
    refund = owner.post("/api/v1/conversions", {"type": "refund", "order_id": "A-2", "amount": "99.00"})
    assert refund.status_code == 201, refund.json
    res = pages.get("/seller/earnings")
    assert res.status_code == 200
    page = text_of(res)
    assert "Commission on order A-1 (明前龙井 · 春茶首发), waiting for the holding period." in page
    assert "Order A-2 was refunded, so its commission is reversed." in page
    assert "CN¥19.90" in page and "CN¥9.90" in page  # pending and reversed
    assert re.search(r"Orders</div><div class=\"value\">2<", page)
    assert "-CN¥9.90" in page and "+CN¥9.90" in page  # out of pending, into reversed


def test_invite_bonus_lines_name_the_invited_seller(app, owner, campaign, seller_a, make_sharer, make_link):
    sharer, pages = seller_a
    invited = make_sharer("小王", invited_by=sharer["id"])
    sale(owner, "B-1", make_link(campaign["id"], invited["id"])["code"])
    page = text_of(pages.get("/seller/earnings"))
    assert "Invite bonus: 小王, who joined through you, sold order B-1" in page and "CN¥3.98" in page


def test_earnings_are_the_sellers_own(app, owner, campaign, seller_a, make_sharer, make_link):
    _, pages = seller_a
    sale(owner, "OTHER-1", make_link(campaign["id"], make_sharer("小王")["id"])["code"])
    page = text_of(pages.get("/seller/earnings"))
    assert "OTHER-1" not in page and "Nothing yet." in page


@pytest.mark.parametrize("cursor", ["x", "%00", "a" * 500, "eyJ4IjoxfQ", "WyIyMDI2LTAxLTAxIiwgIngiXQ"])
def test_a_bad_earnings_cursor_is_a_422_page(app, seller_a, cursor):
    _, pages = seller_a
    res = pages.get(f"/seller/earnings?cursor={cursor}")
    assert res.status_code == 422 and "start again from the first page" in res.text


def test_earnings_page_through_older_lines(app, owner, campaign, seller_a, make_link):
    sharer, pages = seller_a
    link = make_link(campaign["id"], sharer["id"])
    for i in range(26):
        sale(owner, f"P-{i}", link["code"])
    first = text_of(pages.get("/seller/earnings"))
    older = re.search(r'href="(/seller/earnings\?cursor=[^"]+)"', first).group(1)
    second = text_of(pages.get(older))
    assert "order P-25 " in first and "order P-0 " in second and "order P-0 " not in first


# --- board ------------------------------------------------------------------------------

def test_board_ranks_by_sales_highlights_the_seller_and_masks_others(app, owner, campaign, seller_a,
                                                                     make_sharer, make_link):
    sharer, pages = seller_a
    top = make_sharer("王大明")
    sale(owner, "T-1", make_link(campaign["id"], top["id"])["code"], amount="500.00")
    sale(owner, "M-1", make_link(campaign["id"], sharer["id"])["code"])
    page = text_of(pages.get("/seller/board"))
    assert "王**" in page and "王大明" not in page
    mine = re.search(r'<tr class="mine" aria-current="true">(.*?)</tr>', page, re.S).group(1)
    assert ">2<" in mine and "小林" in mine and "CN¥199.00" in mine
    assert "This month" in text_of(pages.get("/seller/board?period=month"))


def test_board_shows_the_real_team_not_the_invite_chain(app, owner, campaign, seller_a, make_sharer, make_link):
    sharer, pages = seller_a
    invited = make_sharer("小王", invited_by=sharer["id"])
    sale(owner, "T-1", make_link(campaign["id"], invited["id"])["code"])
    assert "Your team" not in text_of(pages.get("/seller/board"))
    mate = make_sharer("阿强")
    team = owner.post("/api/v1/teams", {"name": "北队", "captain_id": mate["id"]}).json
    assert owner.post(f"/api/v1/teams/{team['id']}/members", {"sharer_id": sharer["id"]}).status_code == 200
    sale(owner, "T-2", make_link(campaign["id"], mate["id"])["code"], amount="50.00")
    page = text_of(pages.get("/seller/board"))
    assert "Your team: 北队" in page and re.search(r"Members</div><div class=\"value\">2<", page)
    assert "CN¥50.00" in page and "CN¥199.00" not in page.split("Your team")[1].split("Top sellers")[0]
    assert "You are not on the board yet" in page


@pytest.mark.parametrize("period", ["year", "%00", "week%00"])
def test_a_bad_board_period_is_a_422_page(app, seller_a, period):
    _, pages = seller_a
    assert pages.get(f"/seller/board?period={period}").status_code == 422


# --- isolation ---------------------------------------------------------------------------

def test_a_seller_never_sees_another_workspaces_posts_links_or_campaigns(app, client, owner, campaign, seller_a):
    _, pages = seller_a
    rival = rival_workspace(app, client)
    theirs = rival.post("/api/v1/campaigns", {**CAMPAIGN, "name": "Rival Oolong", "title": "Rival Oolong",
                                              "channels": ["weibo"]}).json
    rival_seller = rival.post("/api/v1/sharers", {"name": "对手"}).json
    _live(app, rival, theirs["id"], "weibo")
    rival_link = rival.post("/api/v1/links", {"campaign_id": theirs["id"], "sharer_id": rival_seller["id"],
                                              "channel": "weibo"}).json
    for path in ("/seller/", "/seller/links", "/seller/board"):
        assert "Rival Oolong" not in pages.get(path).text
    assert pages.get(f"/seller/?campaign={theirs['id']}").status_code == 404
    assert pages.post("/seller/links", {"campaign_id": theirs["id"], "channel": "weibo"},
                      token_from="/seller/links").status_code == 404
    assert pages.post("/seller/grabs", {"campaign_id": theirs["id"], "channel": "weibo"},
                      token_from="/seller/").status_code == 404
    with database.read_session(app) as s:
        rival_link_id = s.scalar(select(Link.id).where(Link.code == rival_link["code"]))
    assert pages.get(f"/seller/links/{rival_link_id}").status_code == 404
    rival_pages = seller_pages(app, rival_seller["id"])
    assert "Rival Oolong" in rival_pages.get("/seller/").text and CAMPAIGN["title"] not in rival_pages.get("/seller/").text


def test_two_sellers_see_their_own_links_in_the_same_posts(app, owner, campaign, seller_a, make_sharer):
    sharer, pages = seller_a
    other = make_sharer("小王")
    other_pages = seller_pages(app, other["id"])
    _live(app, owner, campaign["id"], "weibo")
    [mine] = library(owner, sharer["api_key"])
    [theirs] = library(owner, other["api_key"])
    assert mine["link"] != theirs["link"]
    assert mine["link"] in pages.get("/seller/").text and theirs["link"] not in pages.get("/seller/").text
    assert theirs["link"] in other_pages.get("/seller/").text and mine["link"] not in other_pages.get("/seller/").text


def test_every_page_speaks_chinese_when_the_browser_asks(app, owner, campaign, seller_a):
    _, pages = seller_a
    _live(app, owner, campaign["id"], "weibo")
    zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    for path, words in (("/seller/", "复制文案"), ("/seller/links", "我的链接"), ("/seller/earnings", "我的收益"),
                        ("/seller/board", "团队榜")):
        res = pages.get(path, headers=zh)
        assert res.status_code == 200 and '<html lang="zh-CN">' in res.text and words in res.text, path
