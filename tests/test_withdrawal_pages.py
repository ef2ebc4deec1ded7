"""The withdrawal pages: a seller sets how they are paid and asks; staff approve or refuse; in both languages."""
from __future__ import annotations

import pytest
from conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, screenshot, seller_pages
from test_withdrawals import (  # noqa: F401
    alipay,
    approve_earnings,
    follow_up,
    private_targets,
    put,
    queued_code,
    seller,
    send,
    wechat,
)

from accounts.passes import issue_pass
from plumbing import database
from referrals.models import Sharer


def test_seller_page_saves_a_method_and_asks_and_bad_input_comes_back_as_a_message(app, owner, seller, wechat, console):  # noqa: F811
    approve_earnings(app, owner)
    pages = seller_pages(app, seller["id"])
    page = pages.get("/seller/withdraw")
    assert page.status_code == 200 and "39.80" in page.text and "WeChat" in page.text
    res = pages.post("/seller/withdraw/method", {"rail": "wechat", "openid": "bad id!"}, token_from="/seller/withdraw")
    assert res.status_code == 303
    assert "openid" in pages.get("/seller/withdraw").text
    res = pages.post("/seller/withdraw/method", {"rail": "wechat", "openid": "oUser12345", "name": "林小"},
                     token_from="/seller/withdraw")
    assert res.status_code == 303
    res = pages.post("/seller/withdraw/method/confirm", {"code": queued_code(app)}, token_from="/seller/withdraw")
    assert res.status_code == 303
    res = pages.post("/seller/withdraw", {"amount": "1000.00"}, token_from="/seller/withdraw")
    assert "must be at most your available 39.80" in pages.get("/seller/withdraw").text
    pages.post("/seller/withdraw", {"amount": "20.00"}, token_from="/seller/withdraw")
    text = pages.get("/seller/withdraw").text
    assert "Waiting for review" in text and "WeChat oUs****345 *小" in text

    listed = console.get("/console/withdrawals").text
    assert "WeChat oUs****345 *小" in listed and "20.00" in listed
    w = owner.get("/api/v1/withdrawals").json["items"][0]
    console.post(f"/console/withdrawals/{w['id']}/refuse", {"reason": ""}, token_from="/console/withdrawals")
    assert owner.get("/api/v1/withdrawals").json["items"][0]["status"] == "requested"
    console.post(f"/console/withdrawals/{w['id']}/refuse", {"reason": "请核实姓名"}, token_from="/console/withdrawals")
    text = pages.get("/seller/withdraw", headers={"Accept-Language": "zh-CN"}).text
    assert "请核实姓名" in text and "已拒绝" in text and "可提现" in text


def signed_in_console(browser_context, page_server, staff, locale):
    """A desktop browser page signed in to the console as the ``staff`` owner."""
    desk = browser_context(DESKTOP, locale=locale)
    desk.goto(f"{page_server}/console/sign-in")
    desk.fill("input[name=email]", staff["email"])
    desk.fill("input[name=password]", staff["password"])
    desk.locator("form button[type=submit]").first.click()
    return desk


WORDS = {
    "en-US": {"withdraw": "Withdraw", "save": "Save", "waiting": "Waiting for review", "paid": "Paid",
              "approve": "Approve and pay", "alipay": "Alipay"},
    "zh-CN": {"withdraw": "提现", "save": "保存", "waiting": "等待审核", "paid": "已打款",
              "approve": "批准并付款", "alipay": "支付宝"},
}


@pytest.mark.browser
@pytest.mark.parametrize("rail, size, locale, tag", [("wechat", PHONE, "zh-CN", "phone-zh"),
                                                      ("alipay", DESKTOP, "en-US", "desktop-en")])
def test_a_seller_withdraws_in_the_browser_and_the_rail_pays_once(
        app, page_server, browser_context, owner, seller, wechat, alipay, staff, rail, size, locale, tag):  # noqa: F811
    words = WORDS[locale]
    approve_earnings(app, owner)
    with database.new_session(app) as s:
        issued = issue_pass(s, s.get(Sharer, seller["id"]), "invite")
        s.commit()
    page = browser_context(size, locale=locale)
    page.goto(f"{page_server}/seller/pass/{issued.token}")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{page_server}/seller/")
    page.goto(f"{page_server}/seller/withdraw")
    form = page.locator(f"#method-{rail}")
    if not form.is_visible():
        page.locator("details", has=form).locator("summary").click()
    if rail == "wechat":
        form.locator("input[name=openid]").fill("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
        form.locator("input[name=name]").fill("林小")
    else:
        form.locator("input[name=identity]").fill("13800138000")
        form.locator("input[name=name]").fill("张小明")
    form.get_by_role("button", name=words["save"]).click()
    page.wait_for_selector("#method-confirm")
    code = queued_code(app)
    page.fill("#method-code", f"{(int(code) + 1) % 1_000_000:06d}")  # a wrong code changes nothing
    page.locator("#method-confirm button").click()
    page.wait_for_selector("#method-confirm")
    assert page.locator("#amount").count() == 0  # no method in force yet: nothing to withdraw to
    screenshot(page, f"withdraw-{rail}-{tag}-code")
    page.fill("#method-code", code)
    page.locator("#method-confirm button").click()
    page.fill("#amount", "30.00")
    page.locator("form[action$='/seller/withdraw'] button").click()
    page.wait_for_selector(".withdrawal-requested")
    assert words["waiting"] in page.locator(".withdrawal-requested").inner_text()
    assert axe_violations(page) == [] and no_horizontal_scroll(page)
    screenshot(page, f"withdraw-{rail}-{tag}-requested")

    desk = signed_in_console(browser_context, page_server, staff, locale)
    desk.goto(f"{page_server}/console/withdrawals")
    assert axe_violations(desk) == []
    screenshot(desk, f"withdraw-{rail}-{tag}-console")
    desk.get_by_role("button", name=words["approve"]).click()
    desk.wait_for_url(f"{page_server}/console/withdrawals")

    w = owner.get("/api/v1/withdrawals").json["items"][0]
    state = send(app, w["id"])  # what the worker does with the job the approval queued
    if rail == "wechat":
        assert state == "sending"
        wechat.finish()
        assert follow_up(app, w["id"]) == "paid"
        assert len(wechat.payments) == 1 and not alipay.payments
    else:
        assert state == "paid" and len(alipay.payments) == 1 and not wechat.payments
    page.reload()
    assert words["paid"] in page.locator(".withdrawal-paid").inner_text()
    screenshot(page, f"withdraw-{rail}-{tag}-paid")
