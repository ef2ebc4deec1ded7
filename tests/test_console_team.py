"""Console accounts: change your password, sign out everywhere, owners add marketers."""
from __future__ import annotations

import pytest
from conftest import STAFF_PASSWORD, Pages, run_cli
from sqlalchemy import select

from accounts.models import User
from accounts.users import create_user
from plumbing import database

NEW = "a brand new passphrase"


def test_changing_the_password_keeps_this_browser_and_ends_the_others(app, staff, console):
    other = Pages(app.test_client())
    other.sign_in(staff["email"], STAFF_PASSWORD)
    res = console.post("/console/team/password", {"pw-current": STAFF_PASSWORD, "pw-new": NEW, "pw-again": NEW},
                       token_from="/console/team")
    assert res.status_code == 303
    assert console.get("/console/").status_code == 200
    assert other.get("/console/").status_code == 302
    Pages(app.test_client()).sign_in(staff["email"], NEW)


@pytest.mark.parametrize("data, field_message", [
    ({"pw-current": "wrong password!", "pw-new": NEW, "pw-again": NEW}, "This is not your current password."),
    ({"pw-current": STAFF_PASSWORD, "pw-new": "short", "pw-again": "short"}, "between 10 and 200"),
    ({"pw-current": STAFF_PASSWORD, "pw-new": NEW, "pw-again": NEW + "x"}, "The two new passwords differ."),
])
def test_a_refused_password_change_changes_nothing(app, staff, console, data, field_message):
    res = console.post("/console/team/password", data, token_from="/console/team")
    assert res.status_code == 422 and field_message in res.text
    Pages(app.test_client()).sign_in(staff["email"], STAFF_PASSWORD)


def test_sign_out_everywhere_ends_this_session_too(app, staff, console):
    other = Pages(app.test_client())
    other.sign_in(staff["email"], STAFF_PASSWORD)
    assert console.post("/console/team/sign-out-everywhere", token_from="/console/team").status_code == 303
    assert console.get("/console/").status_code == 302 and other.get("/console/").status_code == 302


def test_an_owner_adds_a_marketer_who_can_sign_in_but_not_pay_out(app, staff, console):
    res = console.post("/console/team/members", {"member-email": "Mia@Acme-Tea.com", "member-name": "Mia",
                                                 "member-role": "marketer", "member-password": NEW},
                       token_from="/console/team")
    assert res.status_code == 303
    mia = Pages(app.test_client())
    mia.sign_in("mia@acme-tea.com", NEW)
    assert mia.get("/console/team").status_code == 200
    assert "Only an owner can add accounts." in mia.get("/console/team").text
    assert mia.post("/console/payouts", token_from="/console/payouts").status_code == 403
    denied = mia.post("/console/team/members", {"member-email": "x@acme-tea.com", "member-role": "owner",
                                                "member-password": NEW}, token_from="/console/team")
    assert denied.status_code == 403


@pytest.mark.parametrize("data", [
    {"member-email": "boss@acme-tea.com", "member-role": "marketer", "member-password": NEW},
    {"member-email": "not an email", "member-role": "marketer", "member-password": NEW},
    {"member-email": "ok@acme-tea.com", "member-role": "seller", "member-password": NEW},
    {"member-email": "ok@acme-tea.com", "member-role": "marketer", "member-password": "short"},
])
def test_bad_accounts_are_refused_and_nothing_is_stored(app, staff, console, data):
    res = console.post("/console/team/members", data, token_from="/console/team")
    assert res.status_code == 422
    with database.read_session(app) as s:
        assert len(s.scalars(select(User)).all()) == 1


def test_the_team_page_lists_only_this_workspaces_accounts(app, staff, console):
    slug = run_cli(app, "workspace", "create", "--name", "Other Brand")["workspace"]["slug"]
    with database.new_session(app) as s:
        from workspaces.models import Workspace

        other = s.scalar(select(Workspace).where(Workspace.slug == slug))
        create_user(s, other.id, "zed@other.com", NEW, "owner")
        s.commit()
    page = console.get("/console/team").text
    assert "boss@acme-tea.com" in page and "zed@other.com" not in page


@pytest.mark.browser
@pytest.mark.parametrize("size, locale, tag", [("PHONE", "en-US", "phone-en"), ("DESKTOP", "zh-CN", "desktop-zh")])
def test_the_team_page_in_a_browser(page_server, browser_context, staff, size, locale, tag):
    import conftest

    page = browser_context(getattr(conftest, size), locale=locale)
    page.goto(f"{page_server}/console/sign-in")
    page.fill("input[name=email]", staff["email"])
    page.fill("input[name=password]", staff["password"])
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{page_server}/console/")
    page.goto(f"{page_server}/console/team")
    page.fill("#member-email", "mia@acme-tea.com")
    page.fill("#member-password", NEW)
    page.locator("#member-password").press("Enter")
    page.wait_for_url(f"{page_server}/console/team")
    assert page.locator("td", has_text="mia@acme-tea.com").is_visible()
    assert conftest.axe_violations(page) == []
    assert conftest.no_horizontal_scroll(page)
    conftest.screenshot(page, f"console-team-{tag}")
