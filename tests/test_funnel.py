"""The consumer-to-distributor funnel and the viral coefficient: a hand-computed fixture, a brute-force
recomputation from the raw orders, clicks and sharers after random sales, refunds and clicks made
through the API, the rollups' backfill, the API's roles and the console page."""
from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from alembic import command
from alembic.script import ScriptDirectory
from conftest import BROWSER, CAMPAIGN, drain, path_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from test_figures import ok, workspace_id

from catalog.models import Campaign
from figures.funnel import funnel, stage_times, viral
from plumbing import database, migrate
from plumbing.database import utcnow
from publishing.models import Grab, Publication
from referrals.models import Click, Conversion, LinkClickTotal, Sharer, SharerFirstSale
from workspaces.models import Workspace

HOUR, DAY = 3600, 86400


def sell(owner, order: str, code: str, buyer: str, when: datetime, amount: str = "100.00") -> dict:
    return ok(owner.post("/api/v1/conversions", {"type": "sale", "order_id": order, "amount": amount, "code": code,
                                                 "occurred_at": when.isoformat(), "customer": {"external_id": buyer}}),
              201)


def sharer_of(app, buyer: str) -> int | None:
    with database.read_session(app) as s:
        return s.scalar(select(Sharer.id).where(Sharer.external_id == buyer))


def enrolled_at(app, buyer: str, when: datetime) -> int:
    """The buyer's sharer, as if enrolled at ``when`` (the test arranges the times it checks)."""
    with database.new_session(app) as s:
        sharer_id = s.scalar(select(Sharer.id).where(Sharer.external_id == buyer))
        s.execute(update(Sharer).where(Sharer.id == sharer_id).values(created_at=when))
        s.commit()
    return sharer_id


def grab(app, campaign_id: int, sharer_id: int, when: datetime) -> None:
    with database.new_session(app) as s:
        ws = s.scalar(select(Workspace.id))
        pub = Publication(workspace_id=ws, campaign_id=campaign_id, channel="weibo", publish_at=when,
                          status="published")
        s.add(pub)
        s.flush()
        s.add(Grab(workspace_id=ws, sharer_id=sharer_id, campaign_id=campaign_id, publication_id=pub.id,
                   channel="weibo", content_version=1, grabbed_at=when))
        s.commit()


def stages(figures: dict) -> list[tuple]:
    return [(s["stage"], s["count"], s["percent_of_buyers"], s["median_seconds"]) for s in figures["stages"]]


def test_stage_times_never_run_backwards():
    t = datetime(2026, 5, 1, tzinfo=timezone.utc)
    # A seller who shared and sold before they ever bought is a sharer and a seller from that purchase on.
    assert stage_times(t, t - timedelta(days=9), [t - timedelta(days=5), None], t - timedelta(days=3)) == [t] * 4
    assert stage_times(t, None, [t], t) == [t, None, None, None]
    assert stage_times(t, t, [None, None], None) == [t, t, None, None]
    assert stage_times(t, t, [None, t + timedelta(hours=2)], t + timedelta(hours=1)) == [
        t, t, t + timedelta(hours=1), t + timedelta(hours=1)]


def test_hand_computed_funnel_and_viral_coefficient(app, owner, campaign, make_sharer, make_link):
    now = utcnow().replace(microsecond=0)
    a = make_sharer("ann")  # a seller, never a buyer: brings buyers, is no cohort herself
    code = make_link(campaign["id"], a["id"])["code"]
    sell(owner, "o1", code, "x", now - timedelta(days=20))
    sell(owner, "o2", code, "y", now - timedelta(days=18))
    sell(owner, "o3", code, "z", now - timedelta(days=15))
    ok(owner.post("/api/v1/conversions", {"type": "refund", "order_id": "o3", "amount": "100.00"}), 201)  # no buyer
    x = enrolled_at(app, "x", now - timedelta(days=20) + timedelta(hours=1))
    y = enrolled_at(app, "y", now - timedelta(days=18) + timedelta(hours=3))
    # x sells to w by code (x shared by selling), and buys from themselves (no sale of theirs, no buyer brought).
    x_code = make_link(campaign["id"], x)["code"]
    sell(owner, "o4", x_code, "w", now - timedelta(days=10))
    sell(owner, "o5", x_code, "x", now - timedelta(days=11))
    enrolled_at(app, "w", now - timedelta(days=10) + timedelta(hours=2))
    grab(app, campaign["id"], y, now - timedelta(days=8))  # y shared by taking a post, and sold nothing
    ws = workspace_id(app)
    with database.read_session(app) as s:
        figures = funnel(s, ws)
        assert figures["not_enrolled"] == 0
        assert stages(figures) == [
            ("bought", 3, "100.00", None),                  # x, y, w (z's only purchase was refunded in full)
            ("enrolled", 3, "100.00", 2 * HOUR),            # 1 h, 3 h, 2 h
            ("shared", 2, "66.67", 10 * DAY - 3 * HOUR),    # x: 10 d - 1 h (o4), y: 10 d - 3 h (the grab)
            ("sold", 1, "33.33", 0)]                        # x sold as they shared
        assert stages(funnel(s, ws, first_from=now - timedelta(days=19)))[0][1] == 2
        assert stages(funnel(s, ws, campaign_id=campaign["id"] + 1000))[0][1] == 0
        table = viral(s, ws, months=3, now=now)
        assert (table["buyers"], table["brought"], table["k"]) == (3, 1, "0.33")  # w, brought by the buyer x
        assert sum(row["buyers"] for row in table["items"]) == 3
        firsts = [now - timedelta(days=d) for d in (20, 18, 10)]  # x, y, w
        with_x = sum(1 for at in firsts if (at.year, at.month) == (firsts[0].year, firsts[0].month))
        assert [(row["brought"], row["k"]) for row in table["items"] if row["brought"]] == [
            (1, {1: "1.00", 2: "0.50", 3: "0.33"}[with_x])]
    # The API says the same, to staff only.
    assert stages(ok(owner.get("/api/v1/figures/funnel"))) == stages(figures)
    assert ok(owner.get(f"/api/v1/figures/viral?months=3&campaign_id={campaign['id']}"))["k"] == "0.33"
    assert owner.get("/api/v1/figures/funnel", key=a["api_key"]).status_code == 403
    assert owner.get("/api/v1/figures/viral?months=0").status_code == 422
    assert owner.get("/api/v1/figures/funnel?from=yesterday").status_code == 422


def test_buyers_waiting_for_approval_bought_but_are_not_sharers(app, owner, campaign, make_sharer, make_link):
    ok(owner.client.put("/api/v1/program", json={"enrollment": "approval"}, headers=owner._headers(None)))
    code = make_link(campaign["id"], make_sharer("ann")["id"])["code"]
    sell(owner, "o1", code, "x", utcnow() - timedelta(days=1))
    sell(owner, "o2", code, "x", utcnow() - timedelta(hours=20))  # one request to join, however often they buy
    with database.read_session(app) as s:
        figures = funnel(s, workspace_id(app))
    assert figures["not_enrolled"] == 1
    assert stages(figures)[:2] == [("bought", 1, "100.00", None), ("enrolled", 0, "0.00", None)]


# --- brute force ---------------------------------------------------------------------------------------

def brute_force(app, ws: int, first_from=None, first_to=None, campaign_id=None) -> tuple[list, dict]:
    """The funnel's stages and the viral counts per month, from the raw rows."""
    with database.read_session(app) as s:
        sales = s.scalars(select(Conversion).where(Conversion.workspace_id == ws, Conversion.type == "sale")
                          .order_by(Conversion.occurred_at, Conversion.id)).all()
        created = dict(s.execute(select(Sharer.id, Sharer.created_at).where(Sharer.workspace_id == ws)).all())
        clicks = s.execute(select(Click.sharer_id, Click.clicked_at).where(Click.workspace_id == ws,
                                                                           Click.bot.is_(False))).all()
        grabs = s.execute(select(Grab.sharer_id, Grab.grabbed_at).where(Grab.workspace_id == ws)).all()
    first_purchase, first_sale, first_share = {}, {}, {}
    for sale in sales:
        if sale.refunded_minor >= sale.amount_minor:
            continue
        if sale.customer_sharer_id is not None:
            first_purchase.setdefault(sale.customer_sharer_id, sale)
        if sale.sharer_id is not None and not sale.self_referral:
            first_sale.setdefault(sale.sharer_id, sale.occurred_at)
    for sharer_id, at in [*clicks, *grabs, *first_sale.items()]:
        first_share[sharer_id] = min(first_share.get(sharer_id, at), at)
    chosen = {c: sale for c, sale in first_purchase.items()
              if (first_from is None or sale.occurred_at >= first_from) and (first_to is None or sale.occurred_at < first_to)
              and (campaign_id is None or sale.campaign_id == campaign_id)}
    counts, took = [0, 0, 0, 0], [[], [], [], []]
    for customer, sale in chosen.items():
        counts[0] += 1
        previous = sale.occurred_at
        for i, reached in enumerate((created.get(customer), first_share.get(customer), first_sale.get(customer)), 1):
            if reached is None:
                break
            at = max(previous, reached)
            counts[i] += 1
            took[i].append(int(at.timestamp()) - int(previous.timestamp()))
            previous = at
    rows = [(stage, counts[i], None if not counts[0] else
             str((Decimal(100 * counts[i]) / counts[0]).quantize(Decimal("0.01"), ROUND_HALF_UP)),
             statistics.median_low(took[i]) if took[i] else None)
            for i, stage in enumerate(("bought", "enrolled", "shared", "sold"))]
    month = defaultdict(lambda: [0, 0])
    for customer, sale in first_purchase.items():
        if campaign_id is not None and sale.campaign_id != campaign_id:
            continue
        m = f"{sale.occurred_at.year:04d}-{sale.occurred_at.month:02d}"
        month[m][0] += 1
    for customer, sale in first_purchase.items():
        if campaign_id is not None and sale.campaign_id != campaign_id:
            continue
        bringer = first_purchase.get(sale.sharer_id)
        if sale.self_referral or sale.sharer_id == customer or bringer is None:
            continue
        if campaign_id is not None and bringer.campaign_id != campaign_id:
            continue
        month[f"{bringer.occurred_at.year:04d}-{bringer.occurred_at.month:02d}"][1] += 1
    return rows, {m: tuple(v) for m, v in month.items()}


STEP = st.one_of(
    # a sale: seller (0-1 the sellers, 2-5 the buyers b0..b3 once enrolled), buyer, campaign, days ago
    st.tuples(st.just("sale"), st.integers(0, 5), st.integers(0, 3), st.integers(0, 1), st.integers(1, 300)),
    # a refund of an earlier order: which, part or all
    st.tuples(st.just("refund"), st.integers(0, 30), st.sampled_from(["part", "all"]), st.just(0), st.just(0)),
    # a click on a sharer's link, by a person or a bot
    st.tuples(st.just("click"), st.integers(0, 5), st.booleans(), st.integers(0, 1), st.just(0)),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(STEP, min_size=1, max_size=14))
def test_funnel_and_viral_equal_a_brute_force_recomputation(app, client, owner, campaign, make_sharer, make_link,
                                                            steps):
    ws = workspace_id(app)
    with database.read_session(app) as s:
        campaigns = sorted(s.scalars(select(Campaign.id)))
    if len(campaigns) < 2:
        campaigns.append(ok(owner.post("/api/v1/campaigns", {**CAMPAIGN, "name": "Second"}), 201)["id"])
    sellers = [sharer_of(app, "seller-0"), sharer_of(app, "seller-1")]
    for i, found in enumerate(sellers):
        if found is None:
            sellers[i] = make_sharer(f"seller {i}", external_id=f"seller-{i}")["id"]
    run = uuid.uuid4().hex[:8]
    orders: list[list] = []  # [order id, amount left in cents]
    now = utcnow()
    for kind, a, b, c, days in steps:
        if kind == "sale":
            seller = sellers[a] if a < 2 else sharer_of(app, f"b{a - 2}")
            if seller is None:
                continue
            order = f"{run}-{len(orders)}"
            sell(owner, order, make_link(campaigns[c], seller)["code"], f"b{b}", now - timedelta(days=days, minutes=a),
                 amount="10.00")
            orders.append([order, 1000])
        elif kind == "refund" and orders:
            order = orders[a % len(orders)]
            if order[1] == 0:
                continue
            cents = order[1] if b == "all" else order[1] // 2
            ok(owner.post("/api/v1/conversions", {"type": "refund", "order_id": order[0],
                                                  "amount": f"{cents // 100}.{cents % 100:02d}",
                                                  "refund_id": f"r{len(orders)}-{order[1]}"}), 201)
            order[1] -= cents
        elif kind == "click":
            sharer_id = sellers[a] if a < 2 else sharer_of(app, f"b{a - 2}")
            if sharer_id is None:
                continue
            link = make_link(campaigns[c], sharer_id)
            client.get(path_of(link["url"]), headers={"User-Agent": "Googlebot/2.1" if b else BROWSER})
            drain(app)
    cut = now - timedelta(days=150)
    with database.read_session(app) as s:
        for scope in ({}, {"campaign_id": campaigns[0]}, {"first_from": cut}, {"first_to": cut}):
            expected, months = brute_force(app, ws, **scope)
            assert stages(funnel(s, ws, **scope)) == expected, scope
            if "first_from" in scope or "first_to" in scope:
                continue
            table = viral(s, ws, months=36, now=now, campaign_id=scope.get("campaign_id"))
            got = {row["month"]: (row["buyers"], row["brought"]) for row in table["items"] if row["buyers"]}
            assert got == {m: v for m, v in months.items() if v[0]}, scope
            assert table["brought"] == sum(v[1] for v in months.values())


def test_the_migration_backfills_who_brought_whom_first_sales_and_first_clicks(app, client, owner, campaign,
                                                                               make_sharer, make_link):
    seller = make_sharer("ann")
    link = make_link(campaign["id"], seller["id"])
    client.get(path_of(link["url"]), headers={"User-Agent": BROWSER})
    drain(app)
    sell(owner, "o1", link["code"], "x", utcnow() - timedelta(days=3))
    x = sharer_of(app, "x")
    sell(owner, "o2", make_link(campaign["id"], x)["code"], "y", utcnow() - timedelta(days=2))
    ws = workspace_id(app)
    with database.read_session(app) as s:
        before = (funnel(s, ws), viral(s, ws, now=utcnow()),
                  s.execute(select(SharerFirstSale.sharer_id, SharerFirstSale.first_sale_at)
                            .order_by(SharerFirstSale.sharer_id)).all(),
                  s.scalar(select(LinkClickTotal.first_click_at)))
    assert before[1]["brought"] == 1 and len(before[2]) == 2 and before[3] is not None
    url = app.config["DATABASE_URL"]
    config = migrate.alembic_config(url)
    before_funnel = ScriptDirectory.from_config(config).get_revision("b8e2f4a61c07").down_revision
    command.downgrade(config, before_funnel)
    migrate.upgrade(url)
    with database.read_session(app) as s:
        after = (funnel(s, ws), viral(s, ws, now=utcnow()),
                 s.execute(select(SharerFirstSale.sharer_id, SharerFirstSale.first_sale_at)
                           .order_by(SharerFirstSale.sharer_id)).all(),
                 s.scalar(select(LinkClickTotal.first_click_at)))
    assert after == before


def test_the_console_draws_the_funnel_and_the_viral_coefficient(app, owner, console, campaign, make_sharer,
                                                                make_link):
    code = make_link(campaign["id"], make_sharer("小林")["id"])["code"]
    sell(owner, "o1", code, "x", utcnow() - timedelta(days=2))
    x = sharer_of(app, "x")
    sell(owner, "o2", make_link(campaign["id"], x)["code"], "y", utcnow() - timedelta(days=1))
    page = console.get("/console/funnel")
    assert page.status_code == 200, page.text
    text = page.text
    assert 'id="funnel-chart-title"' in text and 'id="viral-chart-title"' in text and "<svg" in text
    sold = text.split('<tr data-stage="sold">')[1].split("</tr>")[0]
    assert '<th scope="row">Sold</th>' in sold and 'data-figure="count">1<' in sold
    assert 'data-figure="k">0.50<' in text and ">Viral coefficient by month</caption>" in text
    assert "campaign Spring Longjing" in console.get(f"/console/funnel?campaign_id={campaign['id']}").text
    assert console.get("/console/funnel?campaign_id=99999").status_code == 404
    assert console.get("/console/funnel?campaign_id=x").status_code == 422
    chinese = console.get("/console/funnel", headers={"Accept-Language": "zh-CN"})
    assert "病毒系数" in chinese.text
