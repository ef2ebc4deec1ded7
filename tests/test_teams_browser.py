"""Contest boards and customer figures in a real Chromium: the marketer's console at desktop width in
Chinese, the seller's phone in English; axe-core finds no serious violation, nothing scrolls sideways."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, screenshot
from playwright.sync_api import expect
from sqlalchemy import update

from accounts.passes import issue_pass
from plumbing import database
from referrals.models import Sharer
from teams.models import Contest

pytestmark = pytest.mark.browser
NOW = datetime.now(timezone.utc)


def soon() -> str:
    """A start a few minutes ahead of now (not of the module's import: a loaded machine is slow)."""
    return (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()


def check(page, name: str, phone: bool) -> None:
    assert axe_violations(page) == [], name
    if phone:
        assert no_horizontal_scroll(page), name
    screenshot(page, name)


def sign_in(page, page_server: str, staff: dict) -> None:
    page.goto(f"{page_server}/console/sign-in")
    page.fill("input[name=email]", staff["email"])
    page.fill("input[name=password]", staff["password"])
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{page_server}/console/")


@pytest.fixture
def contest(app, owner, campaign, make_sharer, make_link):
    """Red (小林 captain, 大李) against Blue (王芳), two weeks of sales, a contest that ended yesterday."""
    people = {n: make_sharer(n) for n in ("小林", "大李", "王芳")}
    red = owner.post("/api/v1/teams", {"name": "红队", "captain_id": people["小林"]["id"]}).json
    blue = owner.post("/api/v1/teams", {"name": "蓝队", "captain_id": people["王芳"]["id"]}).json
    assert owner.post(f"/api/v1/teams/{red['id']}/members", {"sharer_id": people["大李"]["id"]}).status_code == 200
    made = owner.post("/api/v1/contests", {
        "name": "春茶 PK", "starts_at": soon(),
        "ends_at": (NOW + timedelta(days=3)).isoformat(), "team_ids": [red["id"], blue["id"]], "measure": "net_sales",
        "prizes": [{"place": 1, "amount": "500.00"}, {"place": 2, "goods": "茶具一套"}]}).json
    with database.new_session(app) as s:
        s.execute(update(Contest).values(starts_at=NOW - timedelta(days=20), ends_at=NOW + timedelta(days=1)))
        s.commit()
    for i, (name, amount, days_ago) in enumerate((("大李", "300.00", 15), ("小林", "100.00", 14), ("王芳", "250.00", 12))):
        code = make_link(campaign["id"], people[name]["id"])["code"]
        for repeat in range(2):  # each buyer comes back: repurchase and a second cohort month
            res = owner.post("/api/v1/conversions", {
                "type": "sale", "order_id": f"o{i}-{repeat}", "amount": amount, "code": code,
                "occurred_at": (NOW - timedelta(days=days_ago - 10 * repeat)).isoformat(),
                "customer": {"external_id": f"buyer-{i}"}})
            assert res.status_code == 201, res.json
    return {"people": people, "id": made["id"]}


def test_marketer_reads_the_board_and_the_cohorts_and_a_seller_their_contest(app, page_server, browser_context,
                                                                             staff, contest):
    page = browser_context(DESKTOP, locale="zh-CN")
    sign_in(page, page_server, staff)
    page.get_by_role("link", name="团队 PK").first.click()
    page.get_by_role("link", name="春茶 PK").click()
    expect(page.get_by_role("heading", name="#1 红队")).to_be_visible()
    expect(page.locator("table >> text=大李").first).to_be_visible()
    check(page, "console-contest-desktop-zh", False)
    page.get_by_role("link", name="顾客", exact=True).click()
    assert page.locator("[data-figure=customers]").inner_text() == "3"
    assert page.locator("[data-figure=rate]").inner_text() == "100.00%"
    assert page.locator("svg rect.bar-clicks").count() >= 1
    assert page.get_by_role("table", name="留存同期群").is_visible()
    check(page, "console-customers-desktop-zh", False)

    with database.new_session(app) as s:
        issued = issue_pass(s, s.get(Sharer, contest["people"]["小林"]["id"]), "invite")
        s.commit()
    phone = browser_context(PHONE, locale="en-US")
    phone.goto(f"{page_server}/seller/pass/{issued.token}")
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url(f"{page_server}/seller/")
    phone.goto(f"{page_server}/seller/board")
    phone.get_by_role("link", name="Team contests").click()
    expect(phone.get_by_role("heading", name="春茶 PK")).to_be_visible()
    mine = phone.locator("[data-figure=my-share]").inner_text()
    assert "¥200.00" in mine and "¥125.00" in mine  # Red sold 800.00, 小林 200.00 of it: 125.00 of 500.00
    check(phone, "seller-contests-phone-en", True)


def test_marketer_sets_up_a_contest_in_the_console(app, page_server, browser_context, staff, owner, make_sharer):
    for team_name, captain in (("红队", "小林"), ("蓝队", "王芳")):
        assert owner.post("/api/v1/teams", {"name": team_name, "captain_id": make_sharer(captain)["id"]}).status_code == 201
    page = browser_context(DESKTOP, locale="en-US")
    sign_in(page, page_server, staff)
    page.goto(f"{page_server}/console/contests")
    page.get_by_role("link", name="Set up a contest").click()
    check(page, "console-contest-new-desktop", False)
    page.get_by_label("Contest name").fill("Spring PK")
    page.get_by_label("Measure").select_option("net_sales")
    start = (datetime.now(timezone.utc) + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Starts").fill(start)
    page.get_by_label("Ends").fill(start)  # ends when it starts: refused
    page.get_by_label("红队").check()
    page.get_by_label("First place: cash").fill("500.00")
    page.get_by_role("button", name="Set up contest").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.locator("[aria-invalid=true]").count() >= 1
    check(page, "console-contest-new-errors-desktop", False)
    assert owner.get("/api/v1/contests").json["items"] == []
    end = (datetime.now(timezone.utc) + timedelta(days=407)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Ends").fill(end)
    page.get_by_label("蓝队").check()
    page.get_by_role("button", name="Set up contest").click()
    expect(page.get_by_role("heading", name="Spring PK").first).to_be_visible()
    [made] = owner.get("/api/v1/contests").json["items"]
    assert made["name"] == "Spring PK" and made["measure"] == "net_sales"
