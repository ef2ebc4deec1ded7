"""The console's navigation bar in a real Chromium: at desktop width every section shows (the bar wraps
onto a second line), in English and in Chinese; on a phone it scrolls sideways by itself, never the page,
with the current section in view."""
from __future__ import annotations

import pytest
from conftest import axe_violations, screenshot

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
WORDS = {"zh-CN": {"email": "邮箱", "password": "密码", "other": "English"},
         "en-US": {"email": "Email", "password": "Password", "other": "中文"}}

TABS = """() => [...document.querySelectorAll('.mainnav a')].map((a) => {
    const r = a.getBoundingClientRect();
    return {name: a.textContent.trim(), left: r.left, right: r.right, top: r.top, bottom: r.bottom};
})"""


def sign_in(page, base: str, staff: dict, locale: str) -> None:
    words = WORDS[locale]
    page.goto(f"{base}/console/")
    page.get_by_label(words["email"]).fill(staff["email"])
    page.get_by_label(words["password"]).fill(staff["password"])
    page.get_by_label(words["password"]).press("Enter")
    page.wait_for_url(f"{base}/console/")


def page_fits(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")


def outside(page, tabs: list[dict]) -> list[str]:
    width, height = page.evaluate("[innerWidth, innerHeight]")
    return [t["name"] for t in tabs if t["left"] < 0 or t["right"] > width or t["top"] < 0 or t["bottom"] > height]


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_every_section_shows_at_desktop_width_in_both_languages(page_server, browser_context, staff, locale):
    page = browser_context(DESKTOP, locale=locale)
    sign_in(page, page_server, staff, locale)
    for round_ in ("accepted", "switched"):
        tabs = page.evaluate(TABS)
        assert len(tabs) > 15
        assert page_fits(page), round_
        assert outside(page, tabs) == [], round_
        assert axe_violations(page) == []
        screenshot(page, f"console-nav-desktop-{locale}-{round_}")
        page.get_by_role("link", name=WORDS[locale]["other"]).click()  # the language switch
        page.wait_for_load_state()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_on_a_phone_the_bar_scrolls_by_itself_and_shows_where_you_are(page_server, browser_context, staff, locale):
    page = browser_context(PHONE, locale=locale)
    sign_in(page, page_server, staff, locale)
    page.goto(f"{page_server}/console/withdrawals")  # the last section: far off to the right
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    nav = page.locator(".mainnav")
    assert nav.evaluate("(n) => n.scrollWidth > n.clientWidth && getComputedStyle(n).overflowX === 'auto'")
    current = page.locator(".mainnav [aria-current]")
    assert outside(page, [current.evaluate(TABS.replace("() => [...document.querySelectorAll('.mainnav a')]",
                                                        "(c) => [c]"))[0]]) == []
    for link in nav.get_by_role("link").all():  # every section is reached by scrolling the bar alone
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, link.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    screenshot(page, f"console-nav-phone-{locale}")
