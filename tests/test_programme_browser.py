"""The programme in a real Chromium: the owner sets enrollment by approval and adds a product, two people
ask to join on their phones, the marketer approves one and refuses the other, who reads the reason."""
from __future__ import annotations

import pytest
from conftest import DESKTOP, PHONE, axe_violations, no_horizontal_scroll, screenshot

pytestmark = pytest.mark.browser


def sign_in(page, base, staff):
    page.goto(f"{base}/console/sign-in")
    page.fill("input[name=email]", staff["email"])
    page.fill("input[name=password]", staff["password"])
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}/console/")


def seller_tab(app, base, browser_context, seller_id, tab, path):
    """A seller signed in on a phone in Chinese by their invitation, on the tab ``tab`` (at /seller/``path``)."""
    from test_seller_browser import invite_url

    page = browser_context(PHONE, locale="zh-CN")
    page.goto(invite_url(app, base, seller_id))
    page.get_by_role("button", name="继续").click()
    page.wait_for_url(f"{base}/seller/")
    page.get_by_role("link", name=tab, exact=True).click()
    page.wait_for_url(f"{base}/seller/{path}")
    return page


def ask_to_join(browser_context, base, name, locale):
    page = browser_context(PHONE, locale=locale)
    page.goto(f"{base}/join/acme-tea")
    assert axe_violations(page) == [] and no_horizontal_scroll(page)
    page.fill("input[name=name]", name)
    page.get_by_role("button", name={"zh-CN": "申请加入", "en-US": "Ask to join"}[locale]).click()
    page.wait_for_url(f"{base}/join/acme-tea/status/**")
    return page


def test_an_owner_opens_approval_two_apply_one_is_approved_one_refused(page_server, browser_context, staff, owner):
    console = browser_context(DESKTOP, locale="en-US")
    sign_in(console, page_server, staff)
    console.goto(f"{page_server}/console/programme")
    console.select_option("select[name=enrollment]", "approval")
    console.select_option("select[name=binding_mode]", "permanent")
    console.get_by_role("button", name="Save settings").click()
    console.wait_for_url(f"{page_server}/console/programme")
    assert owner.get("/api/v1/program").json["enrollment"] == "approval"
    assert axe_violations(console) == []

    console.goto(f"{page_server}/console/products/new")
    console.fill("input[name=name]", "明前龙井 250g")
    console.fill("input[name=sku]", "LJ-250")
    console.fill("input[name=price]", "199.00")
    console.fill("input[name=cost]", "80.00")
    console.fill("input[name=landing_url]", "https://shop.example.com/p/lj250")
    console.get_by_role("button", name="Add product").click()
    console.wait_for_url(f"{page_server}/console/products")
    assert "LJ-250" in console.inner_text("main") and axe_violations(console) == []
    screenshot(console, "console-products")

    wang = ask_to_join(browser_context, page_server, "小王", "zh-CN")
    assert "正在等待品牌方答复" in wang.inner_text("main")
    li = ask_to_join(browser_context, page_server, "Li", "en-US")
    screenshot(wang, "join-status-phone-zh")

    console.goto(f"{page_server}/console/applications")
    assert axe_violations(console) == []
    console.get_by_role("button", name="Approve 小王").click()
    console.wait_for_url(f"{page_server}/console/applications")
    console.fill("input[name=reason]", "We take sellers from Shanghai only this season.")
    console.get_by_role("button", name="Refuse Li").click()
    console.wait_for_url(f"{page_server}/console/applications")
    screenshot(console, "console-applications")

    wang.reload()
    assert "已通过" in wang.inner_text("main")
    li.reload()
    assert "We take sellers from Shanghai only this season." in li.inner_text("main")
    assert axe_violations(li) == []
    names = {s["name"] for s in owner.get("/api/v1/sharers").json["items"]}
    assert "小王" in names and "Li" not in names


def test_a_seller_sees_their_grade_and_customers_on_a_phone(app, page_server, browser_context, owner, campaign,
                                                            make_sharer, make_link):
    from test_binding import BUYER, at, put
    from test_binding import sale as bound_sale
    from test_grades import SILVER
    from test_seller_browser import check

    seller = make_sharer("小林")
    put(owner, {"binding": {"mode": "permanent"}})
    assert owner.post("/api/v1/grades", {**SILVER, "min_net_sales": "100.00", "min_orders": 1}).status_code == 201
    link = make_link(campaign["id"], seller["id"])
    assert bound_sale(owner, "M-1", BUYER, code=link["code"], occurred_at=at(-3)).status_code == 201
    again = bound_sale(owner, "M-2", {"external_id": "shop-42"}, occurred_at=at(-1))
    assert again.json["attributed_by"] == "binding"
    assert owner.post("/api/v1/grades/evaluate").json["changes"]

    page = seller_tab(app, page_server, browser_context, seller["id"], "顾客", "customers")
    main = page.inner_text("main")
    assert "银牌" in main and "你的佣金：15%" in main
    assert "+86138****8000" in main and "13800138000" not in main and "订单：2" in main
    assert "复购率" in main and "100%" in main
    check(page, "seller-customers-phone-zh")


def test_a_seller_picks_a_product_and_gets_its_poster_on_a_phone(app, page_server, browser_context, owner,
                                                                  make_sharer):
    from conftest import CAMPAIGN
    from test_products import CUP, TEA, add
    from test_scheduling import _live
    from test_seller_browser import check

    tea, cup = add(owner, TEA), add(owner, CUP)
    res = owner.post("/api/v1/campaigns", {**CAMPAIGN, "product_ids": [tea["id"], cup["id"]],
                                           "channels": ["wechat_moments"]})
    assert res.status_code == 201, res.json
    _live(app, owner, res.json["id"], "wechat_moments")
    seller = make_sharer("小林")

    page = seller_tab(app, page_server, browser_context, seller["id"], "选品", "shop")
    assert "还没有选品" in page.inner_text("main")
    check(page, "seller-shop-empty-phone-zh")
    page.get_by_role("button", name="加入我的小店").first.click()
    page.wait_for_url(f"{page_server}/seller/links/*")
    assert "已加入你的小店" in page.inner_text("main")
    check(page, "seller-shop-link-phone-zh")
    page.goto(f"{page_server}/seller/shop")
    mine = page.locator("section", has=page.get_by_role("heading", name="我分享的商品"))
    assert mine.get_by_role("link", name="我的链接和海报").count() == 1
    check(page, "seller-shop-phone-zh")
