"""The buyer's share page: a secret address (never the public link code), their own poster and
link, an honest account of what sharing earns, and a one-time way into their seller space."""
from __future__ import annotations

import html
import re
import time
from datetime import timedelta

import pytest
from conftest import BROWSER, CAMPAIGN, Api, Pages, path_of, run_cli
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, update

from accounts.models import SellerPass
from plumbing import database
from referrals import share_tokens
from referrals.models import Link


def buy(owner, code, order="S-1", customer=None, **extra) -> dict:
    res = owner.post("/api/v1/conversions", {
        "type": "sale", "order_id": order, "amount": "199.00", "code": code,
        "customer": customer or {"external_id": f"buyer-{order}", "email": f"{order.lower()}@example.com",
                                 "name": "王芳"}, **extra})
    assert res.status_code == 201, res.json
    return res.json


@pytest.fixture
def bought(owner, campaign, make_sharer, make_link):
    """A sale through a seller's link: the answer's customer_sharer (``id``, ``share_url``)."""
    seller = make_sharer("小林")
    link = make_link(campaign["id"], seller["id"], "weibo")
    return buy(owner, link["code"])["customer_sharer"]


def page_text(res) -> str:
    return html.unescape(res.get_data(as_text=True))


def buyer_link(app, sharer_id) -> Link:
    with database.read_session(app) as s:
        return s.scalar(select(Link).where(Link.sharer_id == sharer_id, Link.channel == ""))


def test_share_url_carries_a_secret_not_the_public_link_code(app, client, bought):
    link = buyer_link(app, bought["id"])
    token = bought["share_url"].removeprefix("http://sharecast.test/s/")
    assert link.code not in token and len(token) > 40
    assert client.get(f"/s/{link.code}").status_code == 404  # the old, guessable address shows nothing
    res = client.get(path_of(bought["share_url"]))
    assert res.status_code == 200 and res.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in res.headers["Cache-Control"]


def test_the_page_shows_the_buyers_poster_link_and_an_honest_account(app, client, bought):
    link = buyer_link(app, bought["id"])
    page = page_text(client.get(path_of(bought["share_url"])))
    assert f'value="http://sharecast.test/r/{link.code}"' in page and 'data-copy="#share-link"' in page
    poster = re.search(r'<img src="(http://sharecast.test/media/[^"]+)"[^>]*alt="Poster for', page).group(1)
    assert client.get(path_of(poster)).status_code == 200
    assert f'href="{poster}" download=' in page
    assert "10% of each purchase made through your link." in page
    assert "Only real purchases count. If an order is refunded, its commission is taken back." in page
    assert "Joining is free. There are no fees, and you never have to buy stock." in page
    assert "Inviting people earns nothing by itself" in page
    assert "you also get 2% of it, paid by the brand" in page
    assert "王芳" not in page  # no personal details in the text (their poster carries their name, for friends)


def test_the_page_speaks_chinese(client, bought):
    page = page_text(client.get(path_of(bought["share_url"]), headers={"Accept-Language": "zh-CN"}))
    assert '<html lang="zh-CN">' in page
    assert "你得订单金额的 10%" in page and "加入免费，不收任何费用，也不用囤货。" in page and "保存海报" in page


def test_a_fixed_commission_is_stated_as_an_amount(owner, client, make_sharer, make_link):
    campaign = owner.post("/api/v1/campaigns", {**CAMPAIGN, "commission": {"type": "fixed", "value": "15.00"},
                                                "invite_bonus": None}).json
    link = make_link(campaign["id"], make_sharer()["id"])
    share = buy(owner, link["code"])["customer_sharer"]["share_url"]
    page = page_text(client.get(path_of(share)))
    assert "CN¥15.00 for each purchase made through your link." in page and "paid by the brand" not in page


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # a forged signature
    lambda t: t.split(".")[0],  # no signature at all
    lambda t: "x" * 300,
    lambda t: t + "%00",
    lambda t: "%E9%BE%99." + t,
])
def test_a_forged_or_mangled_token_is_a_404(client, bought, tamper):
    token = bought["share_url"].rsplit("/", 1)[1]
    assert client.get(f"/s/{tamper(token)}").status_code == 404


def test_a_token_signed_with_another_key_or_salt_is_a_404(app, client, bought):
    link = buyer_link(app, bought["id"])
    for key, salt in (("another-secret", share_tokens.SALT), (app.config["SECRET_KEY"], "another-salt")):
        forged = URLSafeTimedSerializer(key, salt=salt).dumps([link.workspace_id, link.id])
        assert client.get(f"/s/{forged}").status_code == 404


def test_a_token_cannot_be_used_across_workspaces(app, client, owner, campaign, bought, make_sharer, make_link):
    rival = Api(client, run_cli(app, "workspace", "create", "--name", "Rival Tea")["api_key"])
    theirs = rival.post("/api/v1/campaigns", CAMPAIGN).json
    rival_seller = rival.post("/api/v1/sharers", {"name": "对手"}).json
    rival_link = rival.post("/api/v1/links", {"campaign_id": theirs["id"], "sharer_id": rival_seller["id"]}).json
    link = buyer_link(app, bought["id"])
    with database.read_session(app) as s:
        rival_link_id = s.scalar(select(Link.id).where(Link.code == rival_link["code"]))
        rival_ws = s.scalar(select(Link.workspace_id).where(Link.id == rival_link_id))
    with app.test_request_context():
        # Our own signature, but naming a link with another workspace's id: refused.
        wrong_pairs = [share_tokens.make_token(rival_ws, link.id, True), share_tokens.make_token(link.workspace_id, rival_link_id, True)]
    for token in wrong_pairs:
        assert client.get(f"/s/{token}").status_code == 404


def test_a_disabled_link_closes_its_share_page(app, client, bought):
    with database.new_session(app) as s:
        s.execute(update(Link).where(Link.sharer_id == bought["id"]).values(disabled=True))
        s.commit()
    assert client.get(path_of(bought["share_url"])).status_code == 404


def test_a_replayed_sale_answers_the_same_share_url(owner, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer()["id"])
    first = buy(owner, link["code"], order="R-1")
    again = owner.post("/api/v1/conversions", {
        "type": "sale", "order_id": "R-1", "amount": "199.00", "code": link["code"],
        "customer": {"external_id": "buyer-R-1", "email": "r-1@example.com", "name": "王芳"}})
    assert again.status_code == 200 and again.json["customer_sharer"] == first["customer_sharer"]


# --- into the seller space, once ----------------------------------------------------------

def test_the_buyer_opens_their_seller_space_once(app, bought):
    pages = Pages(app.test_client())
    share = path_of(bought["share_url"])
    page = pages.get(share).text
    assert "Open my seller space" in page
    res = pages.post(f"{share}/join", token_from=share)
    assert res.status_code == 303 and res.headers["Location"] == "/seller/"
    assert pages.get("/seller/").status_code == 200
    assert pages.get("/seller/earnings").status_code == 200
    # Spent: the page offers phone and email sign-in instead, and the POST is refused with the same ways in
    # (a buyer who gave the shop only a phone number is not sent to an email they never left).
    stranger = Pages(app.test_client())
    page = stranger.get(share).text
    assert "Open my seller space" not in page and 'href="/seller/sign-in/phone"' in page
    assert 'href="/seller/sign-in"' in page
    res = stranger.post(f"{share}/join", token_from="/seller/sign-in")  # any page's token of the session
    assert res.status_code == 410 and "signs you in once only" in res.text
    assert 'href="/seller/sign-in/phone"' in res.text and 'href="/seller/sign-in"' in res.text
    assert stranger.get("/seller/").status_code == 302
    with database.read_session(app) as s:
        [marker] = s.scalars(select(SellerPass).where(SellerPass.kind == "share")).all()
    assert marker.sharer_id == bought["id"] and marker.token_hash != share.rsplit("/", 1)[1]


def test_joining_needs_the_forms_csrf_token(app, client, bought):
    share = path_of(bought["share_url"])
    res = client.post(f"{share}/join", data={})
    assert res.status_code == 400
    assert "Open my seller space" in client.get(share).text  # not spent by the refused POST


def test_an_old_share_page_no_longer_signs_in(app, monkeypatch, bought):
    link = buyer_link(app, bought["id"])
    past = time.time() - timedelta(days=31).total_seconds()
    with app.test_request_context():
        with monkeypatch.context() as m:
            m.setattr("itsdangerous.timed.time.time", lambda: past)
            old = share_tokens.make_token(link.workspace_id, link.id, True)
    pages = Pages(app.test_client())
    page = pages.get(f"/s/{old}").text
    assert "Your poster" in page and "Open my seller space" not in page  # the page itself still works
    assert pages.post(f"/s/{old}/join", token_from="/seller/sign-in").status_code == 410


def test_a_sellers_own_purchase_gives_no_sign_in_button(app, owner, campaign, make_sharer, make_link):
    seller = make_sharer("小林", email="lin@example.com")
    link = make_link(campaign["id"], seller["id"])
    answer = buy(owner, link["code"], customer={"external_id": "x", "email": "lin@example.com"})
    assert answer["self_referral"] is True
    share = path_of(answer["customer_sharer"]["share_url"])
    pages = Pages(app.test_client())
    assert "Open my seller space" not in pages.get(share).text
    assert pages.post(f"{share}/join", token_from="/seller/sign-in").status_code == 410


def test_a_share_page_for_a_campaign_without_poster_channels_shows_the_qr_code(app, owner, client, make_sharer,
                                                                                 make_link):
    campaign = owner.post("/api/v1/campaigns", {**CAMPAIGN, "channels": ["webhook"]}).json
    link = make_link(campaign["id"], make_sharer()["id"])
    share = buy(owner, link["code"])["customer_sharer"]["share_url"]
    page = page_text(client.get(path_of(share)))
    buyer = re.search(r'value="http://sharecast.test/r/(\w+)"', page).group(1)
    assert f'src="http://sharecast.test/q/{buyer}.png"' in page and "Save QR code" in page
    assert client.get(f"/r/{buyer}", headers={"User-Agent": BROWSER}).status_code == 302


def test_a_later_order_naming_the_buyers_email_gets_no_sign_in(app, owner, campaign, make_sharer, make_link):
    """Anyone can type a buyer's email at a checkout: the repeat order's share page must not open their space."""
    seller = make_sharer("小林")
    code = make_link(campaign["id"], seller["id"], "weibo")["code"]
    first = buy(owner, code, "S-1", {"external_id": "c-1", "email": "victim@example.com", "name": "王芳"})
    later = buy(owner, code, "S-2", {"external_id": "guest-77", "email": "victim@example.com"})
    assert later["customer_sharer"]["id"] == first["customer_sharer"]["id"] and not later["customer_sharer"]["new"]
    share = path_of(later["customer_sharer"]["share_url"])
    attacker = Pages(app.test_client())
    assert "Open my seller space" not in attacker.get(share).text
    assert attacker.post(f"{share}/join", token_from="/seller/sign-in").status_code == 410
    assert attacker.get("/seller/").status_code == 302


def test_other_spellings_of_a_share_token_are_the_same_token(app, bought):
    """base64's last character has spare bits: the spellings that verify alike share one 'used' mark."""
    import string

    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    share = path_of(bought["share_url"])
    token = share.rsplit("/", 1)[1]
    last = alphabet.index(token[-1])
    spellings = [token[:-1] + alphabet[(last & ~3) + k] for k in range(4)]
    answers = []
    for spelling in spellings:
        pages = Pages(app.test_client())
        answers.append(pages.post(f"/s/{spelling}/join", token_from="/seller/sign-in").status_code)
    assert sorted(answers) == [303, 410, 410, 410]
