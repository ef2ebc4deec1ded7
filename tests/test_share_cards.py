"""Share cards: Open Graph and Twitter tags on the share pages, and WeChat's JS-SDK config inside WeChat,
checked by parsing the served HTML and recomputing the signature as WeChat documents it."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from conftest import BROWSER, CAMPAIGN, Pages, path_of, seller_pages
from sqlalchemy import select
from test_share_page import buy, buyer_link
from test_wechat_sign_in import APP_ID, fake_wechat  # noqa: F401 - a fixture

from credentials.wechat import token_cache
from platforms import wechat
from plumbing import database
from referrals.identity import poster_name
from referrals.models import Sharer

DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36"


class Head(HTMLParser):
    """The page's meta tags (``og:…``, ``twitter:…``), scripts and the JS-SDK data block."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.scripts: list[str] = []
        self.wx: dict | None = None
        self._in_wx = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("property") or attrs.get("name")):
            self.meta[attrs.get("property") or attrs.get("name")] = attrs.get("content")
        if tag == "script":
            self.scripts.append(attrs.get("src") or "")
            self._in_wx = attrs.get("id") == "wx-share"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_wx = False

    def handle_data(self, data):
        if self._in_wx:
            self.wx = json.loads(data)


@pytest.fixture
def sale(owner, campaign, make_sharer, make_link):
    seller = make_sharer("小林")
    link = make_link(campaign["id"], seller["id"], "wechat_moments")
    return {"seller": seller, "link": link, "buyer": buy(owner, link["code"])["customer_sharer"]}


def test_the_share_page_carries_open_graph_and_twitter_cards_pointing_through_r(app, client, sale):
    res = client.get(path_of(sale["buyer"]["share_url"]), headers={"User-Agent": DESKTOP})
    head = Head(res.get_data(as_text=True))
    link = buyer_link(app, sale["buyer"]["id"])
    assert head.meta["og:title"] == head.meta["twitter:title"] == CAMPAIGN["title"]
    assert head.meta["og:url"] == f"http://sharecast.test/r/{link.code}"
    assert head.meta["og:description"].startswith("今年的明前龙井到了")
    assert head.meta["og:image"].startswith("http://sharecast.test/media/")
    assert client.get(path_of(head.meta["og:image"])).status_code == 200
    assert head.meta["twitter:card"] == "summary_large_image"
    # Outside WeChat nothing of the JS-SDK is loaded and the page's CSP stays closed.
    assert head.wx is None and not any("res.wx.qq.com" in s for s in head.scripts)
    assert "res.wx.qq.com" not in res.headers["Content-Security-Policy"]


def test_in_wechat_the_share_page_configures_the_js_sdk_with_a_valid_signature(app, client, sale, fake_wechat):
    path = path_of(sale["buyer"]["share_url"])
    res = client.get(path, headers={"User-Agent": BROWSER})
    head = Head(res.get_data(as_text=True))
    config, card = head.wx["config"], head.wx["card"]
    with app.app_context():
        ticket = token_cache(app).get("ticket", APP_ID)
    assert ticket and config["appId"] == APP_ID
    assert config["signature"] == wechat.js_sdk_signature(ticket, config["nonceStr"], config["timestamp"],
                                                          f"http://sharecast.test{path}")
    assert set(config["jsApiList"]) == {"updateAppMessageShareData", "updateTimelineShareData"}
    link = buyer_link(app, sale["buyer"]["id"])
    assert card["link"] == f"http://sharecast.test/r/{link.code}" and card["title"] == CAMPAIGN["title"]
    assert card["imgUrl"].startswith("http://sharecast.test/media/")
    assert "https://res.wx.qq.com/open/js/jweixin-1.6.0.js" in head.scripts
    assert "script-src 'self' https://res.wx.qq.com/open/js/jweixin-1.6.0.js" in res.headers["Content-Security-Policy"]
    # A second page view signs with the cached ticket: no new token or ticket is fetched.
    client.get(path, headers={"User-Agent": BROWSER})
    assert fake_wechat.calls.count("/cgi-bin/stable_token") == fake_wechat.calls.count("/cgi-bin/ticket/getticket") == 1


def test_when_wechat_cannot_be_reached_the_page_still_answers_without_the_js_sdk(app, client, sale, fake_wechat):
    fake_wechat.close()
    res = client.get(path_of(sale["buyer"]["share_url"]), headers={"User-Agent": BROWSER})
    assert res.status_code == 200 and Head(res.get_data(as_text=True)).wx is None


def test_the_sellers_link_page_has_the_card_and_a_share_button(app, sale, fake_wechat):
    seller = seller_pages(app, sale["seller"]["id"])
    res = seller.get(f"/seller/links/{sale['link']['id']}", headers={"User-Agent": BROWSER})
    html = res.get_data(as_text=True)
    head = Head(html)
    assert head.meta["og:url"] == sale["link"]["url"] == head.wx["card"]["link"]
    assert 'data-share="#link-card-text"' in html and f'data-share-url="{sale["link"]["url"]}"' in html
    with app.app_context():
        ticket = token_cache(app).get("ticket", APP_ID)
    config = head.wx["config"]
    assert config["signature"] == wechat.js_sdk_signature(
        ticket, config["nonceStr"], config["timestamp"], f"http://sharecast.test/seller/links/{sale['link']['id']}")



def test_poster_names_are_chosen_never_taken_from_the_shop():
    assert poster_name("王芳", None, "enrolled") == ""  # a buyer: "好友推荐" on the poster
    assert poster_name("王芳", "芳芳", "enrolled") == "芳芳"
    assert poster_name("小林", None, "invited") == "小林"  # a seller the brand invited by that name
    assert poster_name("小林", "林老师", "invited") == "林老师"


def test_a_buyer_chooses_the_name_on_their_poster(app, client, sale):
    path = path_of(sale["buyer"]["share_url"])
    before = client.get(path).get_data(as_text=True)
    assert "王芳" not in before and "recommended by a friend" in before
    poster_before = re.search(r'<img src="([^"]+)"', before).group(1)
    buyer = Pages(client)
    assert buyer.post(f"{path}/name", {"display_name": "x" * 21}, token_from=path).status_code == 422
    assert buyer.post(f"{path}/name", {"display_name": "\x07"}, token_from=path).status_code == 422
    res = buyer.post(f"{path}/name", {"display_name": " 芳芳 "}, token_from=path)
    assert res.status_code == 303
    with database.read_session(app) as s:
        assert s.scalars(select(Sharer.display_name).where(Sharer.id == sale["buyer"]["id"])).one() == "芳芳"
    after = client.get(path).get_data(as_text=True)
    assert "“芳芳”" in after and "王芳" not in after
    poster_after = re.search(r'<img src="([^"]+)"', after).group(1)
    assert poster_after != poster_before and poster_after.startswith("http://sharecast.test/media/")  # drawn again
