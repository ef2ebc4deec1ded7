"""A seller with no phone number confirms a change of payout method with a code emailed to them (the
workspace's SMTP, as sign-in links): the same six digits, five minutes, five tries and limits as the
texted code; and payout details wait two days after a new email address, as after a new number."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import PHONE, axe_violations, no_horizontal_scroll, screenshot, seller_pages
from sqlalchemy import func, select, update
from test_contact_change import emailed_link, run_jobs, smtp  # noqa: F401 - a fixture
from test_method_changes import WECHAT, refused_for_two_days
from test_webhooks import local_targets  # noqa: F401 - a fixture
from test_withdrawals import alipay, approve_earnings, private_targets, put, seller_with_sales, wechat  # noqa: F401

from accounts.models import PhoneCode
from accounts.passes import issue_pass
from payouts.models import PayoutMethod, PayoutMethodChange
from plumbing import database, redis_client
from plumbing.database import utcnow
from referrals.models import Sharer

ADDRESS = "mail.only@example.com"


@pytest.fixture
def mailed(owner, campaign, make_sharer, make_link) -> dict:
    """A seller reached only by email (no phone number), with two approved-to-be sales."""
    return seller_with_sales(owner, campaign, make_sharer, make_link, "小邮", ("E1", "E2"), email=ADDRESS)


def emailed_code(app, smtp, to: str = ADDRESS) -> str:  # noqa: F811
    """The code in the last email the worker sent (to ``to``)."""
    run_jobs(app)
    mail = smtp.messages[-1]
    assert mail["To"] == to
    text = mail.get_body(("plain",)).get_content()
    assert "/seller/withdraw#method-h" in text  # where to enter it
    return re.search(r"\b(\d{6})\b", text).group(1)


def confirm(owner, seller, code):
    return owner.post(f"/api/v1/sharers/{seller['id']}/payout-method/confirm", {"code": code}, key=seller["api_key"])


def texted(app) -> list:
    return [j for j in redis_client.queue(app=app).get_jobs() if j.func_name.endswith("send_sign_in_code")]


def test_an_email_only_sellers_change_waits_for_the_emailed_code(app, owner, mailed, smtp):  # noqa: F811
    path = f"/api/v1/sharers/{mailed['id']}/payout-method"
    res = put(owner, path, WECHAT, key=mailed["api_key"])
    assert res.status_code == 202, res.json
    assert res.json["pending"]["sent_by"] == "email" and res.json["pending"]["code_sent_to"] == "m***@example.com"
    assert res.json["rail"] is None
    code = emailed_code(app, smtp)
    assert smtp.messages[-1]["Subject"] == "Your code to change how Acme Tea 茶 pays you"
    assert not texted(app)  # no SMS for a seller without a phone
    with database.read_session(app) as s:  # kept as an HMAC under the address's key, never in clear
        row = s.scalar(select(PhoneCode))
        assert row.phone.startswith("mail:") and ADDRESS not in row.phone and code not in row.code_hash
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    res = confirm(owner, mailed, wrong)
    assert res.status_code == 400 and res.json["error"]["code"] == "invalid_code"
    assert owner.get(path).json["rail"] is None
    res = confirm(owner, mailed, code)
    assert res.status_code == 200 and res.json["rail"] == "wechat" and res.json["pending"] is None
    res = confirm(owner, mailed, code)  # used once
    assert res.status_code == 409 and res.json["error"]["code"] == "no_pending_change"


def test_emailed_codes_have_the_texted_codes_limits_tries_and_lifetime(app, owner, mailed, smtp):  # noqa: F811
    path = f"/api/v1/sharers/{mailed['id']}/payout-method"
    assert put(owner, path, WECHAT, key=mailed["api_key"]).status_code == 202
    res = put(owner, path, WECHAT, key=mailed["api_key"])
    assert res.status_code == 429 and res.json["error"]["code"] == "code_too_soon"
    code = emailed_code(app, smtp)
    for _ in range(5):
        assert confirm(owner, mailed, f"{(int(code) + 1) % 1_000_000:06d}").status_code == 400
    res = confirm(owner, mailed, code)  # out of tries: even the right code does nothing now
    assert res.status_code == 429 and res.json["error"]["code"] == "too_many_attempts"
    with database.new_session(app) as s:
        s.get(PayoutMethodChange, mailed["id"]).sent_at -= timedelta(minutes=1)
        s.commit()
    assert put(owner, path, WECHAT, key=mailed["api_key"]).status_code == 202
    code = emailed_code(app, smtp)
    with database.new_session(app) as s:  # five minutes on, the code has expired
        s.execute(update(PhoneCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    res = confirm(owner, mailed, code)
    assert res.status_code == 400 and res.json["error"]["code"] == "code_expired"
    with database.read_session(app) as s:
        assert s.scalar(select(func.count()).select_from(PayoutMethod)) == 0


def test_a_new_email_address_holds_payout_changes_for_two_days(app, owner, mailed, smtp):  # noqa: F811
    """Whoever holds the seller's session could confirm their own inbox on the profile, then have the
    code emailed there: so payout details wait two days after the address changes."""
    pages = seller_pages(app, mailed["id"])
    pages.post("/seller/profile/email", {"email": "mail.new@example.com"}, token_from="/seller/profile")
    pages.post(emailed_link(app, smtp, "mail.new@example.com"), token_from="/seller/profile")
    with database.read_session(app) as s:
        assert s.get(Sharer, mailed["id"]).email == "mail.new@example.com"
    refused_for_two_days(app, owner, pages, mailed, "email_recently_changed",
                         "Your email address changed less than two days ago")
    path = f"/api/v1/sharers/{mailed['id']}/payout-method"
    with database.new_session(app) as s:  # two days later the code goes to the new address
        s.get(Sharer, mailed["id"]).email_changed_at -= timedelta(hours=48)
        s.commit()
    assert put(owner, path, WECHAT, key=mailed["api_key"]).status_code == 202
    emailed_code(app, smtp, "mail.new@example.com")


def test_the_withdraw_page_asks_an_email_only_seller_for_the_emailed_code(app, owner, mailed, wechat, smtp):  # noqa: F811
    pages = seller_pages(app, mailed["id"])
    res = pages.post("/seller/withdraw/method", {"rail": "wechat", "openid": "oUser12345", "name": "林小"},
                     token_from="/seller/withdraw", headers={"Accept-Language": "en"})
    assert res.status_code == 303
    page = pages.get("/seller/withdraw", headers={"Accept-Language": "en"}).text
    assert "We emailed you a code" in page and "Code from the email" in page and "m***@example.com" in page
    code = emailed_code(app, smtp)
    zh = pages.get("/seller/withdraw", headers={"Accept-Language": "zh-CN"}).text
    assert "邮件中的验证码" in zh and "发送到你邮箱的验证码确认" in zh and "发送到你手机" not in zh
    pages.post("/seller/withdraw/method/confirm", {"code": code}, token_from="/seller/withdraw")
    page = pages.get("/seller/withdraw", headers={"Accept-Language": "en"}).text
    assert "Your payout method is saved." in page and "WeChat oUs****345 *小" in page


@pytest.mark.browser
def test_an_email_only_seller_sets_a_payout_method_in_the_browser(
        app, page_server, browser_context, owner, mailed, alipay, smtp):  # noqa: F811
    approve_earnings(app, owner)
    with database.new_session(app) as s:
        issued = issue_pass(s, s.get(Sharer, mailed["id"]), "invite")
        s.commit()
    page = browser_context(PHONE, locale="zh-CN")
    page.goto(f"{page_server}/seller/pass/{issued.token}")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{page_server}/seller/")
    page.goto(f"{page_server}/seller/withdraw")
    form = page.locator("#method-alipay")
    if not form.is_visible():
        page.locator("details", has=form).locator("summary").click()
    form.locator("input[name=identity]").fill("13800138000")
    form.locator("input[name=name]").fill("张小明")
    form.get_by_role("button", name="保存").click()
    page.wait_for_selector("#method-confirm")
    assert "m***@example.com" in page.locator("#method-confirm").inner_text()
    code = emailed_code(app, smtp)
    assert page.locator("#amount").count() == 0  # nothing in force before the code
    assert axe_violations(page) == [] and no_horizontal_scroll(page)
    screenshot(page, "withdraw-email-code-phone-zh")
    page.fill("#method-code", code)
    page.locator("#method-confirm button").click()
    page.wait_for_selector("#amount")
    assert page.locator("#method-confirm").count() == 0
    assert owner.get(f"/api/v1/sharers/{mailed['id']}/payout-method").json["rail"] == "alipay"


def test_without_an_email_channel_an_email_only_seller_is_told_so_and_nothing_is_kept(app, owner, mailed):
    res = put(owner, f"/api/v1/sharers/{mailed['id']}/payout-method", WECHAT, key=mailed["api_key"])
    assert res.status_code == 409 and res.json["error"]["code"] == "email_unavailable"
    page = seller_pages(app, mailed["id"]).post(
        "/seller/withdraw/method", {"rail": "wechat", "openid": "oUser12345", "name": "林小"},
        token_from="/seller/withdraw", follow_redirects=True, headers={"Accept-Language": "zh-CN"})
    assert "暂时无法通过邮件发送验证码" in page.text
    with database.read_session(app) as s:
        assert s.scalar(select(func.count()).select_from(PayoutMethodChange)) == 0
        assert s.scalar(select(func.count()).select_from(PhoneCode)) == 0
