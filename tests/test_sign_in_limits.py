"""Sign-in limits count failures only, and a stranger's wrong passwords cannot lock the owner out."""
from __future__ import annotations

from conftest import STAFF_PASSWORD, csrf_token_of


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
