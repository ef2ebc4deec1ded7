"""Repurchase, lifetime value, retention cohorts and the invite tree: hand-computed fixtures, a
brute-force recomputation over random orders and refunds, and the API's roles."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, select

from figures.customers import cohorts, repurchase
from plumbing import database, migrate
from referrals.customer_rollup import refresh_customer
from referrals.models import CohortCount, Conversion, CustomerMonth, CustomerSummary
from workspaces.models import Workspace

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def ok(res, status=200):
    assert res.status_code == status, res.json
    return res.json


def workspace_id(app) -> int:
    with database.new_session(app) as s:
        return s.scalar(select(Workspace.id))


def put_orders(app, ws, orders):
    """``orders``: (customer, occurred_at, amount_minor, refunded_minor) rows, stored as attributed sales
    (in bulk, then each customer's rollup refreshed as the conversion writer does)."""
    with database.new_session(app) as s:
        s.execute(delete(Conversion))
        for i, (customer, at, amount, refunded) in enumerate(orders):
            s.add(Conversion(workspace_id=ws, type="sale", order_id=f"o{i}", refund_id="", amount_minor=amount,
                             refunded_minor=refunded, currency="CNY", campaign_id=None, sharer_id=1,
                             attribution="code", customer_sharer_id=customer, occurred_at=at, request_hash="-",
                             response={}))
        s.flush()
        s.execute(delete(CustomerSummary))
        s.execute(delete(CustomerMonth))
        s.execute(delete(CohortCount))
        for customer in {row[0] for row in orders}:
            refresh_customer(s, ws, customer)
            refresh_customer(s, ws, customer)  # again: takes its counts back out and in, changing nothing
        s.commit()


def utc(y, m, d, h=0, minute=0):
    return datetime(y, m, d, h, minute, tzinfo=timezone.utc)


def test_hand_computed_repurchase_lifetime_value_and_cohorts(app, owner):
    ws = workspace_id(app)
    put_orders(app, ws, [
        (1, utc(2026, 9, 5), 10000, 0), (1, utc(2026, 10, 1), 5000, 0),     # repeat after 26 days
        (2, utc(2026, 9, 20), 8000, 0), (2, utc(2026, 9, 21), 3000, 3000),  # refunded in full: no second purchase
        (2, utc(2026, 11, 25), 2000, 500),                                  # second purchase after 66 days
        (3, utc(2026, 10, 2), 4000, 0),
        (4, utc(2026, 11, 3), 1000, 1000),                                  # never really bought
    ])
    with database.new_session(app) as s:
        assert repurchase(s, ws, days=30) == {
            "days": 30, "customers": 3, "repeat_customers": 1, "rate": "33.33", "currency": "CNY",
            "net_revenue": "285.00", "lifetime_value": "95.00"}
        assert repurchase(s, ws, days=90)["repeat_customers"] == 2
        assert repurchase(s, ws, days=90, first_from=utc(2026, 9, 10))["customers"] == 2
        assert repurchase(s, ws, days=90, first_from=utc(2026, 9, 10), sharer_id=1)["customers"] == 2
        table = cohorts(s, ws, months=3, now=NOW)
    assert table["items"] == [
        {"month": "2026-09", "customers": 2, "retained": [2, 1, 1], "rates": ["100.00", "50.00", "50.00"]},
        {"month": "2026-10", "customers": 1, "retained": [1, 0], "rates": ["100.00", "0.00"]},
        {"month": "2026-11", "customers": 0, "retained": [0], "rates": [None]},
    ]


ORDER = st.tuples(st.integers(1, 6), st.integers(0, 364 * 24 * 60), st.integers(1, 50000), st.sampled_from(
    ["none", "part", "all"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ORDER, max_size=25), st.integers(1, 120))
def test_figures_equal_a_brute_force_recomputation(app, owner, rows, days):
    ws = workspace_id(app)
    start = utc(2026, 1, 1)
    orders = [(c, start + timedelta(minutes=minute), amount,
               {"none": 0, "part": amount // 2, "all": amount}[refund]) for c, minute, amount, refund in rows]
    put_orders(app, ws, orders)
    bought = defaultdict(list)
    for i, (c, at, amount, refunded) in enumerate(orders):
        if refunded < amount:
            bought[c].append((at, i, amount - refunded))
    repeat = sum(1 for buys in bought.values()
                 if len(buys) > 1 and sorted(buys)[1][0] - sorted(buys)[0][0] <= timedelta(days=days))
    net = sum(n for buys in bought.values() for _, _, n in buys)
    months = defaultdict(set)
    for c, buys in bought.items():
        for at, _, _ in buys:
            months[c].add(at.year * 12 + at.month - 1)
    expected = defaultdict(int)
    for c, ms in months.items():
        for m in ms:
            expected[(min(ms), m - min(ms))] += 1
    with database.new_session(app) as s:
        figures = repurchase(s, ws, days=days)
        table = cohorts(s, ws, months=12, now=NOW)
        # a scope reads the orders themselves (every order here is sharer 1's): the same figures
        assert repurchase(s, ws, days=days, sharer_id=1) == figures
        assert cohorts(s, ws, months=12, now=NOW, sharer_id=1) == table
    assert (figures["customers"], figures["repeat_customers"]) == (len(bought), repeat)
    assert Decimal(figures["net_revenue"]) == Decimal(net) / 100
    if bought:
        ltv = (Decimal(net) / len(bought)).quantize(Decimal(1), ROUND_HALF_UP)
        assert Decimal(figures["lifetime_value"]) == ltv / 100
    for row in table["items"]:
        y, m = map(int, row["month"].split("-"))
        first = y * 12 + m - 1
        assert row["retained"] == [expected[(first, a)] for a in range(len(row["retained"]))]


def test_figures_take_a_fixed_number_of_statements(app, owner):
    ws = workspace_id(app)
    put_orders(app, ws, [(c, utc(2026, 1 + c % 10, 1 + c % 27), 100, 0) for c in range(1, 60)])
    statements = []
    with database.new_session(app) as s:
        engine = s.get_bind()
        listener = lambda *args: statements.append(args[2]) if args[2].lstrip().startswith(("SELECT", "WITH")) else None  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            repurchase(s, ws, days=30)
            cohorts(s, ws, now=NOW)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 3  # the workspace's currency, repurchase with lifetime value, cohorts


def test_the_figures_api_answers_staff_with_scopes_and_refuses_sellers(owner, campaign, make_sharer, make_link):
    seller = make_sharer("ann")
    code = make_link(campaign["id"], seller["id"])["code"]
    for order, customer, when in (("o1", "x", "2026-10-01T10:00:00+08:00"), ("o2", "x", "2026-10-20T10:00:00+08:00"),
                                  ("o3", "y", "2026-11-02T10:00:00+08:00")):
        ok(owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": "100.00", "code": code,
                                              "occurred_at": when, "customer": {"external_id": customer}}), 201)
    figures = ok(owner.get(f"/api/v1/figures/repurchase?days=30&campaign_id={campaign['id']}"))
    assert (figures["customers"], figures["repeat_customers"], figures["rate"]) == (2, 1, "50.00")
    assert ok(owner.get(f"/api/v1/figures/repurchase?sharer_id={seller['id']}&from=2026-10-15T00:00:00Z"))[
        "customers"] == 1
    table = ok(owner.get("/api/v1/figures/cohorts?months=36"))
    assert sum(row["customers"] for row in table["items"]) == 2
    assert owner.get("/api/v1/figures/cohorts", key=seller["api_key"]).status_code == 403
    res = owner.get("/api/v1/figures/repurchase?days=0")
    assert res.status_code == 422 and "days" in res.json["error"]["fields"]


def held_sales(owner, campaign, make_sharer, make_link) -> tuple[dict, dict, dict]:
    """ann sells f1 and f2 to p and f4 to r, bob f3 to q, all from one network: every order after the first
    is held for review. :return: ann, bob and the open reviews' ids by order."""
    from test_withdrawals import put

    ann, bob = make_sharer("ann"), make_sharer("bob")
    codes = {"ann": make_link(campaign["id"], ann["id"])["code"], "bob": make_link(campaign["id"], bob["id"])["code"]}
    assert put(owner, "/api/v1/risk/settings", {"rules": {"ip_prefix_orders": {"max": 1, "minutes": 60}}}).status_code == 200
    for order, seller, buyer in (("f1", "ann", "p"), ("f2", "ann", "p"), ("f3", "bob", "q"), ("f4", "ann", "r")):
        ok(owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": "100.00",
                                              "code": codes[seller], "customer": {"external_id": buyer,
                                                                                  "ip": "192.0.2.7"}}), 201)
    reviews = {r["order_id"]: r["id"] for r in ok(owner.get("/api/v1/risk/reviews?status=open"))["items"]}
    assert set(reviews) == {"f2", "f3", "f4"}
    return ann, bob, reviews


def customer_figures(app, owner, campaign_id: int) -> tuple:
    """(customers, repeat customers, lifetime value) of the workspace (the rollups) and of the campaign (the
    orders), the cohort table's customers, and the sharers with a first sale."""
    from referrals.models import SharerFirstSale

    everyone = ok(owner.get("/api/v1/figures/repurchase?days=30"))
    scoped = ok(owner.get(f"/api/v1/figures/repurchase?days=30&campaign_id={campaign_id}"))
    cells = sum(row["customers"] for row in ok(owner.get("/api/v1/figures/cohorts?months=2"))["items"])
    with database.read_session(app) as s:
        sold = set(s.scalars(select(SharerFirstSale.sharer_id)))
    return ((everyone["customers"], everyone["repeat_customers"], everyone["lifetime_value"]),
            (scoped["customers"], scoped["repeat_customers"], scoped["lifetime_value"]), cells, sold)


def test_a_purchase_rejected_in_review_leaves_the_figures_and_one_in_review_stays(app, owner, campaign, make_sharer,
                                                                                   make_link):
    """Rejecting a sale in risk review rebuilds its buyer's rollups and its seller's first sale without it:
    a rejected purchase is none (here p no longer bought twice, q never bought, bob never sold); a held
    sale still in review (f4) counts."""
    ann, bob, reviews = held_sales(owner, campaign, make_sharer, make_link)
    assert customer_figures(app, owner, campaign["id"]) == ((3, 1, "133.33"), (3, 1, "133.33"), 3,
                                                            {ann["id"], bob["id"]})
    for order in ("f2", "f3"):
        ok(owner.post(f"/api/v1/risk/reviews/{reviews[order]}/reject", {"reason": "刷单"}))
    assert customer_figures(app, owner, campaign["id"]) == ((2, 0, "100.00"), (2, 0, "100.00"), 2, {ann["id"]})


def test_the_migration_rebuilds_the_rollups_of_sales_rejected_before_it(app, owner, campaign, make_sharer, make_link):
    """Sales rejected before the rollups left rejected sales out: the migration rebuilds their buyers' and
    sellers' rows as a rejection now does."""
    from sqlalchemy import update

    from referrals.models import RiskReview

    ann, _, reviews = held_sales(owner, campaign, make_sharer, make_link)
    with database.new_session(app) as s:  # rejected as the code before did: the rollups left as they were
        s.execute(update(RiskReview).where(RiskReview.id.in_([reviews["f2"], reviews["f3"]])).values(status="rejected"))
        s.commit()
    assert customer_figures(app, owner, campaign["id"])[0] == (3, 1, "133.33")
    url = app.config["DATABASE_URL"]
    command.downgrade(migrate.alembic_config(url), "c6e8a0b2d4f1")
    migrate.upgrade(url)
    assert customer_figures(app, owner, campaign["id"]) == ((2, 0, "100.00"), (2, 0, "100.00"), 2, {ann["id"]})


def test_the_invite_tree_shows_who_brought_whom_with_their_own_sales(owner, campaign, make_sharer, make_link):
    root = make_sharer("root")
    child = make_sharer("child", invited_by=root["id"])
    grandchild = make_sharer("grandchild", invited_by=child["id"])
    great = make_sharer("great", invited_by=grandchild["id"])
    other = make_sharer("other")
    ok(owner.post("/api/v1/conversions", {"type": "sale", "order_id": "o1", "amount": "80.00",
                                          "code": make_link(campaign["id"], child["id"])["code"],
                                          "customer": {"external_id": "buyer-1"}}), 201)
    mine = ok(owner.get(f"/api/v1/sharers/{root['id']}/tree", key=root["api_key"]))
    level1 = mine["root"]["children"]
    assert [(n["name"], n["level"], n["pays_root"], n["orders"], n["net_sales"]) for n in level1] == [
        ("child", 1, True, 1, "80.00")]
    level2 = sorted(n["name"] for n in level1[0]["children"])
    assert level2 == ["", "grandchild"]  # the buyer child's sale enrolled, and child's own recruit
    assert all(not n["pays_root"] and n["children"] == [] for n in level1[0]["children"])
    assert owner.get(f"/api/v1/sharers/{root['id']}/tree?depth=3", key=root["api_key"]).status_code == 403
    assert owner.get(f"/api/v1/sharers/{other['id']}/tree", key=root["api_key"]).status_code == 403
    whole = ok(owner.get(f"/api/v1/sharers/{root['id']}/tree?depth=10"))
    assert whole["count"] == 4
    deepest = [n for n in level1[0]["children"] if n["name"] == "grandchild"]
    assert deepest and whole["root"]["children"][0]["children"]
    names = {n["name"]: n for n in whole["root"]["children"][0]["children"]}
    assert [c["sharer_id"] for c in names["grandchild"]["children"]] == [great["id"]]


def test_the_console_shows_repurchase_and_the_cohort_table(app, owner, console):
    ws = workspace_id(app)
    now = datetime.now(timezone.utc).replace(day=15, hour=12)
    last_month = (now.replace(day=1) - timedelta(days=1)).replace(day=10)
    put_orders(app, ws, [(1, last_month, 10000, 0), (1, now, 5000, 0), (2, now, 3000, 0)])
    page = console.get("/console/customers?days=90")
    assert page.status_code == 200, page.text
    assert 'data-figure="customers">2<' in page.text and 'data-figure="rate">50.00%<' in page.text
    assert ">Retention cohorts</caption>" in page.text and "shade-5" in page.text
    assert console.get("/console/customers?days=7").status_code == 422


def test_the_migration_builds_the_rollups_of_orders_recorded_before_it(app, owner, campaign, make_sharer, make_link):
    code = make_link(campaign["id"], make_sharer("ann")["id"])["code"]
    for order, customer, when in (("o1", "x", "2026-09-01T10:00:00+08:00"), ("o2", "x", "2026-10-20T10:00:00+08:00"),
                                  ("o3", "y", "2026-11-02T10:00:00+08:00")):
        ok(owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": "100.00", "code": code,
                                              "occurred_at": when, "customer": {"external_id": customer}}), 201)
    ws = workspace_id(app)
    with database.new_session(app) as s:
        before = repurchase(s, ws, days=60), cohorts(s, ws, now=NOW)
    assert before[0]["repeat_customers"] == 1
    url = app.config["DATABASE_URL"]
    command.downgrade(migrate.alembic_config(url), "f81b240dbb17")
    migrate.upgrade(url)
    with database.new_session(app) as s:
        assert (repurchase(s, ws, days=60), cohorts(s, ws, now=NOW)) == before


def test_the_console_narrows_the_figures_to_a_campaign_a_seller_or_a_team(app, owner, console, campaign,
                                                                          make_sharer, make_link):
    a, b = make_sharer("小林"), make_sharer("王芳")
    team = ok(owner.post("/api/v1/teams", {"name": "红队", "captain_id": a["id"]}), 201)
    for order, seller, buyer in (("s1", a, "c1"), ("s2", a, "c1"), ("s3", b, "c2")):
        ok(owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": "10.00",
                                              "code": make_link(campaign["id"], seller["id"])["code"],
                                              "customer": {"external_id": buyer}}), 201)

    def figure(query: str, name: str) -> str:
        page = console.get(f"/console/customers?days=90&{query}")
        assert page.status_code == 200, page.text
        return page.text.split(f'data-figure="{name}">')[1].split("<")[0]

    assert (figure("", "customers"), figure("", "rate")) == ("2", "50.00%")
    assert (figure(f"team_id={team['id']}", "customers"), figure(f"team_id={team['id']}", "rate")) == ("1", "100.00%")
    assert (figure(f"sharer_id={b['id']}", "customers"), figure(f"sharer_id={b['id']}", "rate")) == ("1", "0.00%")
    assert figure(f"campaign_id={campaign['id']}", "customers") == "2"
    page = console.get(f"/console/customers?days=30&team_id={team['id']}").text
    assert "team 红队" in page and f'team_id={team["id"]}' in page  # the window chips keep the scope
    assert console.get("/console/customers?team_id=99999").status_code == 404
    assert console.get("/console/customers?sharer_id=abc").status_code == 422
    assert console.get("/console/customers?campaign_id=%EF%BC%91").status_code == 422
