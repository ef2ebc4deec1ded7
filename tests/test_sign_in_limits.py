"""Sign-in limits count failures only, and a stranger's wrong passwords cannot lock the owner out."""
from __future__ import annotations

from conftest import STAFF_PASSWORD, csrf_token_of

from app import create_app


class Browser:
    """A cookie-keeping client at one IP address."""

    def __init__(self, app, address: str, language: str = "en"):
        self.client = app.test_client()
        self.address = address
        self.headers = {"Accept-Language": language}
        self.token = csrf_token_of(self.get("/console/sign-in").text)

    def get(self, path):
        return self.client.get(path, environ_base={"REMOTE_ADDR": self.address}, headers=self.headers)

    def sign_in(self, email, password):
        res = self.client.post("/console/sign-in", data={"email": email, "password": password,
                                                         "csrf_token": self.token},
                               environ_base={"REMOTE_ADDR": self.address}, headers=self.headers)
        if res.status_code == 303:  # a new session: the next form has a new token
            self.token = csrf_token_of(self.get("/console/sign-in").text)
        return res


def test_ten_wrong_passwords_from_a_stranger_do_not_lock_the_owner_out(app, staff):
    attacker = Browser(app, "203.0.113.7")
    codes = [attacker.sign_in(staff["email"], "wrong password").status_code for _ in range(11)]
    assert codes[:10] == [422] * 10 and codes[10] == 429
    owner = Browser(app, "198.51.100.20")
    assert owner.sign_in(staff["email"], STAFF_PASSWORD).status_code == 303


def test_signing_in_successfully_never_counts_against_the_limits(app, staff):
    office = Browser(app, "198.51.100.21")  # one address, many colleagues or many sign-ins
    codes = [office.sign_in(staff["email"], STAFF_PASSWORD).status_code for _ in range(15)]
    assert codes == [303] * 15


def test_a_botnet_exhausts_the_account_limit_for_strangers_but_not_for_the_owners_browser(app, staff):
    laptop = Browser(app, "198.51.100.22")
    assert laptop.sign_in(staff["email"], STAFF_PASSWORD).status_code == 303  # a known browser from now on
    # 50 failures over many addresses, each address within its own limits
    for bot in range(5):
        browser = Browser(app, f"203.0.113.{100 + bot}")
        assert {browser.sign_in(staff["email"], f"guess {i}").status_code for i in range(10)} == {422}
    newcomer = Browser(app, "203.0.113.200")
    refused = newcomer.sign_in(staff["email"], STAFF_PASSWORD)
    assert refused.status_code == 429  # guessing from unknown browsers has stopped, even a right guess
    assert laptop.sign_in(staff["email"], STAFF_PASSWORD).status_code == 303


def test_a_forged_device_cookie_does_not_escape_the_account_limit(app, staff):
    for bot in range(5):
        browser = Browser(app, f"203.0.113.{100 + bot}")
        for i in range(10):
            browser.sign_in(staff["email"], f"guess {i}")
    forger = Browser(app, "203.0.113.201")
    forger.client.set_cookie("sharecast_device", "eyJpZCI6IngiLCJhY2NvdW50cyI6W119.forged.sig",
                             path="/console/sign-in")
    assert forger.sign_in(staff["email"], STAFF_PASSWORD).status_code == 429


def test_the_429_page_is_translated_and_says_when_to_try_again(app, staff):
    attacker = Browser(app, "203.0.113.8", language="zh-CN")
    for _ in range(10):
        attacker.sign_in(staff["email"], "wrong password")
    res = attacker.sign_in(staff["email"], "wrong password")
    assert res.status_code == 429
    wait = int(res.headers["Retry-After"])
    assert 0 < wait <= 15 * 60
    assert "尝试次数过多" in res.text and "分钟后再试" in res.text, res.text
    assert "per 15 minute" not in res.text and "per minute" not in res.text
    english = Browser(app, "203.0.113.8").sign_in(staff["email"], "wrong password")
    assert english.status_code == 429 and "Try again in " in english.text and " min." in english.text


def test_strangers_asking_for_a_sellers_links_do_not_keep_the_seller_from_getting_one(app, make_sharer):
    from accounts.passes import issue_pass
    from plumbing import database
    from referrals.models import Sharer

    sharer = make_sharer("小林", email="lin@example.com")
    seller = Browser(app, "198.51.100.4")

    def ask(browser, email="lin@example.com"):
        token = csrf_token_of(browser.get("/seller/sign-in").text)
        return browser.client.post("/seller/sign-in", data={"email": email, "csrf_token": token},
                                   environ_base={"REMOTE_ADDR": browser.address}).status_code

    with database.new_session(app) as s:  # the seller signed in once with a link, in this browser
        issued = issue_pass(s, s.get(Sharer, sharer["id"]), "magic")
        s.commit()
    token = csrf_token_of(seller.get(f"/seller/pass/{issued.token}").text)
    spent = seller.client.post(f"/seller/pass/{issued.token}", data={"csrf_token": token},
                               environ_base={"REMOTE_ADDR": seller.address})
    assert spent.status_code == 303 and any("sharecast_device=" in c for c in spent.headers.getlist("Set-Cookie"))
    strangers = [Browser(app, f"203.0.113.{n}") for n in range(1, 5)]
    assert [ask(b, email) for b, email in zip(strangers, ["lin@example.com", "LIN@example.com ",
                                                          "lin@example.com", "Lin@Example.com"])] \
        == [200, 200, 200, 429]  # one bucket for every stranger and spelling: the inbox is not flooded
    assert ask(seller) == 200  # the seller's own browser asks on its own bucket
    assert ask(Browser(app, "203.0.113.9")) == 429


def test_with_the_limits_redis_down_they_still_hold_and_nothing_answers_500(app, staff, tmp_path):
    """Each process counts in memory meanwhile (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED)."""
    down = create_app({**{k: app.config[k] for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PUBLIC_URL")},
                       "TESTING": True, "INSTANCE_PATH": tmp_path / "other-node",
                       "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"})  # nothing listens there
    attacker, owner = Browser(down, "203.0.113.8"), Browser(down, "198.51.100.22")
    codes = [attacker.sign_in(staff["email"], "wrong password").status_code for _ in range(12)]
    assert codes == [422] * 10 + [429] * 2
    assert owner.sign_in(staff["email"], STAFF_PASSWORD).status_code == 303
