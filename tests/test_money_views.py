"""Money views: commission lines, payout batches and their CSV, ledger lines, performance, leaderboard."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from conftest import BROWSER, drain, path_of, run_cli
from sqlalchemy import update

from plumbing import database
from plumbing.csvexport import csv_text
from referrals.models import Commission, Sharer
from workspaces.models import Workspace


def sale(owner, order, code, amount="199.00", **kw):
    body = {"type": "sale", "order_id": order, "amount": amount, "code": code,
            "customer": kw.pop("customer", {"external_id": f"cust-{order}"}), **kw}
    res = owner.post("/api/v1/conversions", body)
    assert res.status_code == 201, res.json
    return res.json


def refund(owner, order, amount, **kw):
    res = owner.post("/api/v1/conversions", {"type": "refund", "order_id": order, "amount": amount, **kw})
    assert res.status_code == 201, res.json
    return res.json


def end_holding(app):
    """The holding period of every commission so far is over."""
    with database.new_session(app) as s:
        s.execute(update(Commission).values(approvable_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        s.commit()


def approve_and_pay(app, owner) -> dict:
    end_holding(app)
    assert owner.post("/api/v1/commissions/approve", {}).status_code == 200
    res = owner.post("/api/v1/payouts")
    assert res.status_code == 201, res.json
    return res.json


def get(api, path, status=200, **kw):
    res = api.get(path, **kw)
    assert res.status_code == status, res.json
    return res.json


def walk(api, path, limit) -> list[dict]:
    """Every item of a list, page by page."""
    items, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        page = get(api, f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def total(amounts) -> Decimal:
    return sum((Decimal(a) for a in amounts), Decimal(0))


# --- commission lines ---------------------------------------------------------

def test_commission_lines_name_the_sharer_campaign_and_order_and_add_up(owner, campaign, make_sharer, make_link):
    leader = make_sharer("大李")
    seller = make_sharer("小林", invited_by=leader["id"])
    link = make_link(campaign["id"], seller["id"])
    answer = sale(owner, "C-1", link["code"])
    sale(owner, "C-2", link["code"], amount="50.00")
    refund(owner, "C-2", "50.00")
    lines = get(owner, "/api/v1/commissions")["items"]
    assert [(c["order_id"], c["level"], c["sharer_id"], c["status"]) for c in lines] == [
        ("C-2", 2, leader["id"], "reversed"), ("C-2", 1, seller["id"], "reversed"),
        ("C-1", 2, leader["id"], "pending"), ("C-1", 1, seller["id"], "pending")]
    first = lines[3]
    assert first["sharer_name"] == "小林" and first["campaign_title"] == campaign["title"]
    assert first["currency"] == "CNY" and first["due"] is False and first["approved_at"] is None
    assert datetime.fromisoformat(first["approvable_at"]).utcoffset() is not None
    assert total(c["amount"] for c in lines[2:]) == total(c["amount"] for c in answer["commissions"])
    assert [(c["amount"], c["reversed_amount"]) for c in lines[:2]] == [("1.00", "1.00"), ("5.00", "5.00")]
    pending = get(owner, f"/api/v1/commissions?status=pending&sharer_id={seller['id']}")["items"]
    assert [c["order_id"] for c in pending] == ["C-1"]
    assert len(get(owner, f"/api/v1/commissions?campaign_id={campaign['id']}")["items"]) == 4


def test_due_lists_exactly_what_approve_would_approve_now(app, owner, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer()["id"])
    sale(owner, "D-1", link["code"])
    assert get(owner, "/api/v1/commissions?due=true")["items"] == []
    end_holding(app)
    sale(owner, "D-2", link["code"])  # still holding
    due = [c["id"] for c in get(owner, "/api/v1/commissions?due=true")["items"]]
    assert [c["order_id"] for c in get(owner, "/api/v1/commissions?due=false")["items"]] == ["D-2"]
    assert sorted(owner.post("/api/v1/commissions/approve", {}).json["approved"]) == sorted(due) and due
    assert get(owner, "/api/v1/commissions?due=true")["items"] == []
    approved = get(owner, "/api/v1/commissions?status=approved")["items"]
    assert [c["id"] for c in approved] == due and approved[0]["approved_at"] is not None


# --- payout batches -----------------------------------------------------------

def test_each_payout_call_makes_one_batch_and_none_when_nothing_is_due(app, owner, campaign, make_sharer, make_link):
    assert owner.post("/api/v1/payouts").json == {"items": [], "next_cursor": None, "batch_id": None}
    a, b = make_sharer("甲"), make_sharer("乙")
    sale(owner, "P-1", make_link(campaign["id"], a["id"])["code"])
    sale(owner, "P-2", make_link(campaign["id"], b["id"])["code"], amount="99.00")
    run = approve_and_pay(app, owner)
    assert run["batch_id"] and {p["batch_id"] for p in run["items"]} == {run["batch_id"]}
    assert sorted((p["sharer_id"], p["amount"]) for p in run["items"]) == [(a["id"], "19.90"), (b["id"], "9.90")]
    assert owner.post("/api/v1/payouts").json["batch_id"] is None
    batches = get(owner, "/api/v1/payouts/batches")["items"]
    assert [(x["id"], x["count"], x["totals"]) for x in batches] == [
        (run["batch_id"], 2, [{"currency": "CNY", "amount": "29.80"}])]
    detail = get(owner, f"/api/v1/payouts/batches/{run['batch_id']}")
    assert detail["count"] == 2 and detail["next_cursor"] is None
    assert sorted((p["name"], p["amount"], p["currency"]) for p in detail["items"]) == [
        ("乙", "9.90", "CNY"), ("甲", "19.90", "CNY")]
    assert total(p["amount"] for p in detail["items"]) == Decimal(detail["totals"][0]["amount"])


def test_batch_csv_parses_back_and_formula_cells_are_neutralised(app, owner, campaign, make_sharer, make_link):
    names = ["=HYPERLINK(\"http://evil\")", "+SUM(1)", "-1+2", "@cmd", "王芳"]
    sharers = [make_sharer(name, phone="13800138000" if i == 0 else None) for i, name in enumerate(names)]
    for i, s in enumerate(sharers):
        sale(owner, f"X-{i}", make_link(campaign["id"], s["id"])["code"])
    with database.new_session(app) as s:  # pages and the API refuse control characters; old data may not
        s.get(Sharer, sharers[4]["id"]).email = "\tfang@example.com"
        s.commit()
    batch_id = approve_and_pay(app, owner)["batch_id"]
    res = owner.get(f"/api/v1/payouts/batches/{batch_id}.csv")
    assert res.status_code == 200 and res.mimetype == "text/csv"
    assert res.headers["Content-Disposition"].startswith("attachment;")
    assert res.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(res.data.decode("utf-8-sig"))))
    assert list(rows[0]) == ["batch_id", "payout_id", "sharer_id", "name", "email", "phone", "amount", "currency",
                            "year", "year_total_paid"]
    by_id = {int(r["sharer_id"]): r for r in rows}
    assert [by_id[s["id"]]["name"] for s in sharers] == ["'" + n for n in names[:4]] + ["王芳"]
    assert by_id[sharers[0]["id"]]["phone"] == "'+8613800138000"
    assert by_id[sharers[4]["id"]]["email"] == "'\tfang@example.com"
    assert {r["batch_id"] for r in rows} == {str(batch_id)} and {r["amount"] for r in rows} == {"19.90"}


def test_csv_text_neutralises_every_formula_start():
    text = csv_text(["a"], [[v] for v in ["=1", "+1", "-1", "@1", "\t1", "\r1", "1-", "a=b", None, 5]])
    cells = [row[0] for row in csv.reader(io.StringIO(text, newline=""))][1:]
    assert cells == ["'=1", "'+1", "'-1", "'@1", "'\t1", "'\r1", "1-", "a=b", "", "5"]


def test_batches_and_their_payouts_page_through_each_item_once(app, owner, campaign, make_sharer, make_link):
    for round_ in range(3):
        for i in range(3):
            s = make_sharer(f"S{round_}{i}")
            sale(owner, f"B-{round_}-{i}", make_link(campaign["id"], s["id"])["code"])
        approve_and_pay(app, owner)
    batches = walk(owner, "/api/v1/payouts/batches", 2)
    assert len(batches) == 3 and len({b["id"] for b in batches}) == 3
    assert [b["id"] for b in batches] == sorted((b["id"] for b in batches), reverse=True)
    payouts = walk(owner, f"/api/v1/payouts/batches/{batches[0]['id']}", 2)
    assert len(payouts) == 3 and len({p["payout_id"] for p in payouts}) == 3


# --- ledger lines ---------------------------------------------------------------

def test_ledger_lines_give_a_reason_for_every_movement_and_sum_to_the_earnings(
        app, owner, campaign, make_sharer, make_link):
    leader = make_sharer("大李")
    seller = make_sharer("小林", invited_by=leader["id"])
    code = make_link(campaign["id"], seller["id"])["code"]
    sale(owner, "L-1", code)
    sale(owner, "L-2", code)
    refund(owner, "L-2", "99.50", refund_id="r-1")  # before payout: a reversal
    run = approve_and_pay(app, owner)
    refund(owner, "L-1", "199.00")  # after payout: a clawback
    lines = get(owner, f"/api/v1/sharers/{seller['id']}/ledger")["items"]
    described = [(x["reason"], x["bucket"], x["amount"], x["order_id"]) for x in lines]
    assert described[:4] == [
        ("clawback_after_payout", "reversed", "19.90", "L-1"),
        ("clawback_after_payout", "approved", "-19.90", "L-1"),
        ("paid_in_payout", "paid", "29.85", None),
        ("paid_in_payout", "approved", "-29.85", None)]
    assert sorted(described[4:8]) == [  # (approved one commission after the other, in no set order)
        ("approved", "approved", "19.90", "L-1"), ("approved", "approved", "9.95", "L-2"),
        ("approved", "pending", "-19.90", "L-1"), ("approved", "pending", "-9.95", "L-2")]
    assert described[8:] == [
        ("reversed_by_refund", "reversed", "9.95", "L-2"), ("reversed_by_refund", "pending", "-9.95", "L-2"),
        ("commission_earned", "pending", "19.90", "L-2"), ("commission_earned", "pending", "19.90", "L-1")]
    payout_id = next(p["id"] for p in run["items"] if p["sharer_id"] == seller["id"])
    assert {(x["payout_id"], x["batch_id"]) for x in lines if x["reason"] == "paid_in_payout"} == {
        (payout_id, run["batch_id"])}
    assert [x["refund_id"] for x in lines if x["reason"] == "reversed_by_refund"] == ["r-1", "r-1"]
    assert lines[0]["commission_status"] == "paid" and lines[0]["campaign_title"] == campaign["title"]
    assert all(datetime.fromisoformat(x["created_at"]).utcoffset() is not None for x in lines)
    earnings = get(owner, f"/api/v1/sharers/{seller['id']}/earnings")
    for bucket in ("pending", "approved", "paid", "reversed"):
        assert total(x["amount"] for x in lines if x["bucket"] == bucket) == Decimal(earnings[bucket]), bucket
    bonus = get(owner, f"/api/v1/sharers/{leader['id']}/ledger")["items"][-1]
    assert (bonus["reason"], bonus["level"], bonus["seller_id"], bonus["seller_name"]) == (
        "invite_bonus_earned", 2, seller["id"], "小林")


def test_ledger_lines_page_through_each_line_once(owner, campaign, make_sharer, make_link):
    seller = make_sharer()
    code = make_link(campaign["id"], seller["id"])["code"]
    for i in range(4):
        sale(owner, f"W-{i}", code)
        refund(owner, f"W-{i}", "10.00")
    everything = get(owner, f"/api/v1/sharers/{seller['id']}/ledger?limit=200")["items"]
    assert len(everything) == 12
    assert walk(owner, f"/api/v1/sharers/{seller['id']}/ledger", 5) == everything
    assert walk(owner, "/api/v1/commissions", 3) == get(owner, "/api/v1/commissions?limit=200")["items"]


# --- performance ------------------------------------------------------------------

def test_performance_counts_clicks_orders_net_revenue_and_earnings(app, client, owner, campaign, make_sharer, make_link):
    seller = make_sharer()
    link = make_link(campaign["id"], seller["id"], "weibo")
    for _ in range(3):
        client.get(path_of(link["url"]), headers={"User-Agent": BROWSER})
    drain(app)
    sale(owner, "F-1", link["code"])
    sale(owner, "F-2", link["code"])
    refund(owner, "F-2", "99.00")
    other = owner.post("/api/v1/campaigns", {
        "name": "Other", "title": "别的", "body": "别的茶", "hashtags": [], "price": "10.00",
        "landing_url": "https://shop.example.com/o", "channels": ["weibo"],
        "commission": {"type": "fixed", "value": "1"}}).json
    sale(owner, "F-3", make_link(other["id"], seller["id"])["code"], amount="10.00")
    perf = get(owner, f"/api/v1/sharers/{seller['id']}/performance")
    assert (perf["clicks"], perf["unique_clicks"], perf["orders"]) == (3, 1, 3)
    assert (perf["revenue"], perf["refunds"], perf["currency"]) == ("309.00", "99.00", "CNY")
    earnings = get(owner, f"/api/v1/sharers/{seller['id']}/earnings")
    assert perf["earnings"] == earnings
    one = get(owner, f"/api/v1/sharers/{seller['id']}/performance?campaign_id={campaign['id']}")
    assert (one["campaign_id"], one["orders"], one["revenue"], one["clicks"]) == (campaign["id"], 2, "299.00", 3)
    assert one["earnings"] == {"currency": "CNY", "pending": "29.90", "approved": "0.00", "paid": "0.00",
                               "reversed": "9.90"}
    assert get(owner, f"/api/v1/sharers/{seller['id']}/performance?campaign_id={other['id']}")["clicks"] == 0
    mismatch = owner.get(f"/api/v1/sharers/{seller['id']}/performance?campaign_id={campaign['id']}&currency=USD")
    assert mismatch.status_code == 422 and mismatch.json["error"]["fields"] == {"currency": "must be CNY"}


# --- leaderboard ------------------------------------------------------------------

MONDAY = datetime(2025, 3, 3, tzinfo=timezone(timedelta(hours=8)))  # a Monday, 00:00 in Shanghai


def board(api, key=None, **params) -> dict:
    query = "&".join(f"{k}={v.isoformat() if isinstance(v, datetime) else v}".replace("+", "%2B")
                     for k, v in params.items())
    return get(api, f"/api/v1/leaderboard?{query}", key=key)


def test_week_and_month_start_at_local_midnight_in_the_workspace_time_zone(
        app, owner, campaign, make_sharer, make_link):
    seller = make_sharer("小林")
    code = make_link(campaign["id"], seller["id"])["code"]
    second = timedelta(seconds=1)
    sale(owner, "T-sun", code, occurred_at=(MONDAY - second).isoformat())  # Sunday 23:59:59 in Shanghai
    sale(owner, "T-mon", code, amount="100.00", occurred_at=MONDAY.isoformat())
    week = board(owner, period="week", at=MONDAY + timedelta(days=3))
    assert [(r["rank"], r["sharer_id"], r["orders"], r["revenue"]) for r in week["items"]] == [
        (1, seller["id"], 1, "100.00")]
    assert week["period"]["timezone"] == "Asia/Shanghai"
    assert datetime.fromisoformat(week["period"]["starts_at"]) == MONDAY
    assert datetime.fromisoformat(week["period"]["ends_at"]) == MONDAY + timedelta(days=7)
    assert board(owner, period="week", at=MONDAY - second)["items"][0]["revenue"] == "199.00"
    # 2025-03-01 00:00 in Shanghai starts March: the Sunday sale is in March, the one before it in February.
    march = MONDAY - timedelta(days=2)
    sale(owner, "T-feb", code, amount="5.00", occurred_at=(march - second).isoformat())
    assert board(owner, period="month", at=march)["items"][0]["revenue"] == "299.00"
    assert board(owner, period="month", at=march - second)["items"][0]["revenue"] == "5.00"
    with database.new_session(app) as s:  # the same instants, seen from New York
        s.execute(update(Workspace).values(timezone="America/New_York"))
        s.commit()
    # Monday 00:00 in Shanghai is Sunday 11:00 in New York: all three sales fall in the week before.
    assert board(owner, period="week", at=MONDAY + timedelta(days=3))["items"] == []
    ny_week = board(owner, period="week", at=MONDAY)
    assert ny_week["items"][0]["revenue"] == "304.00"
    assert ny_week["period"]["starts_at"] == "2025-02-24T00:00:00-05:00"


def test_ties_share_a_rank_and_refunds_net_out(owner, campaign, make_sharer, make_link):
    a, b, c = make_sharer("A"), make_sharer("B"), make_sharer("C")
    at = MONDAY + timedelta(hours=12)
    for s, order in [(a, "1"), (b, "2"), (c, "3"), (c, "4")]:
        sale(owner, f"R-{order}", make_link(campaign["id"], s["id"])["code"], occurred_at=at.isoformat())
    refund(owner, "R-4", "199.00")  # C's second order is refunded whole: it no longer counts
    sale(owner, "R-5", make_link(campaign["id"], c["id"])["code"], amount="10.00", occurred_at=at.isoformat())
    refund(owner, "R-5", "10.00")
    sale(owner, "R-6", make_link(campaign["id"], a["id"])["code"], amount="10.00", occurred_at=at.isoformat())
    refund(owner, "R-6", "10.00", refund_id="part-1")
    sale(owner, "R-7", make_link(campaign["id"], b["id"])["code"], amount="10.00", occurred_at=at.isoformat())
    refund(owner, "R-7", "5.00")
    rows = board(owner, period="week", at=at)["items"]
    assert [(r["display_name"], r["rank"], r["orders"], r["revenue"]) for r in rows] == [
        ("B", 1, 2, "204.00"), ("A", 2, 1, "199.00"), ("C", 2, 1, "199.00")]


def test_leaderboard_ranks_sales_never_recruits_and_shows_a_seller_their_row_and_real_team(
        owner, campaign, make_sharer, make_link):
    recruiter = make_sharer("招人王")
    for i in range(5):
        make_sharer(f"新人{i}", invited_by=recruiter["id"])
    leader = make_sharer("大李")
    member = make_sharer("小林", invited_by=leader["id"])
    newbie = make_sharer("小新", invited_by=leader["id"])
    loner = make_sharer("独行")
    at = MONDAY + timedelta(hours=1)
    for i in range(3):
        sale(owner, f"M-{i}", make_link(campaign["id"], leader["id"])["code"], occurred_at=at.isoformat(),
             customer={"external_id": f"buyer-{i}"})
    sale(owner, "M-9", make_link(campaign["id"], member["id"])["code"], occurred_at=at.isoformat())
    staff_view = board(owner, period="week", at=at, limit=1)
    assert [r["sharer_id"] for r in staff_view["items"]] == [leader["id"]]
    assert staff_view["me"] is None and staff_view["team"] is None and staff_view["next_cursor"]
    everyone = board(owner, period="week", at=at)["items"]
    assert recruiter["id"] not in {r["sharer_id"] for r in everyone}
    mine = board(owner, key=member["api_key"], period="week", at=at, limit=1)
    assert mine["me"] == {"rank": 2, "sharer_id": member["id"], "display_name": "小林", "orders": 1, "revenue": "199.00"}
    # In no team yet: inviting or being invited makes no team.
    assert mine["team"] is None
    assert board(owner, key=leader["api_key"], period="week", at=at)["team"] is None
    # A real team: the member's inviter is left out, a loner from outside the invite chain is in.
    made = owner.post("/api/v1/teams", {"name": "东队", "captain_id": member["id"]})
    assert made.status_code == 201, made.json
    assert owner.post(f"/api/v1/teams/{made.json['id']}/members", {"sharer_id": loner["id"]}).status_code == 200
    team = {"team_id": made.json["id"], "name": "东队", "captain_id": member["id"], "members": 2,
            "orders": 1, "revenue": "199.00"}
    assert board(owner, key=member["api_key"], period="week", at=at)["team"] == team
    assert board(owner, key=loner["api_key"], period="week", at=at)["team"] == team
    assert board(owner, key=leader["api_key"], period="week", at=at)["team"] is None
    assert board(owner, key=newbie["api_key"], period="week", at=at)["team"] is None
    recruits = board(owner, key=recruiter["api_key"], period="week", at=at)
    assert recruits["me"]["rank"] is None and recruits["team"] is None
    alone = board(owner, key=loner["api_key"], period="week", at=at)
    assert alone["me"]["orders"] == 0


def test_a_sale_rejected_in_review_leaves_the_leaderboard_and_team_totals_one_in_review_stays(
        owner, campaign, make_sharer, make_link):
    from test_withdrawals import put

    ann, bob = make_sharer("安"), make_sharer("宝")
    made = owner.post("/api/v1/teams", {"name": "红队", "captain_id": ann["id"]})
    assert made.status_code == 201, made.json
    assert owner.post(f"/api/v1/teams/{made.json['id']}/members", {"sharer_id": bob["id"]}).status_code == 200
    assert put(owner, "/api/v1/risk/settings", {"rules": {"ip_prefix_orders": {"max": 1, "minutes": 60}}}).status_code == 200
    at = MONDAY + timedelta(hours=2)
    ann_code, bob_code = make_link(campaign["id"], ann["id"])["code"], make_link(campaign["id"], bob["id"])["code"]
    for order, code, amount in (("L-1", ann_code, "100.00"), ("L-2", ann_code, "300.00"), ("L-3", bob_code, "150.00")):
        sale(owner, order, code, amount, occurred_at=at.isoformat(),  # one network: L-2 and L-3 held
             customer={"external_id": f"cust-{order}", "ip": "192.0.2.7"})
    sale(owner, "L-4", bob_code, "100.00", occurred_at=at.isoformat())
    reviews = {r["order_id"]: r["id"] for r in get(owner, "/api/v1/risk/reviews?status=open")["items"]}
    assert set(reviews) == {"L-2", "L-3"}

    def ranks(view):
        return [(r["sharer_id"], r["rank"], r["orders"], r["revenue"]) for r in view["items"]]

    mine = board(owner, key=ann["api_key"], period="week", at=at)
    assert ranks(mine) == [(ann["id"], 1, 2, "400.00"), (bob["id"], 2, 2, "250.00")]  # held sales count
    assert (mine["team"]["orders"], mine["team"]["revenue"]) == (4, "650.00")
    res = owner.post(f"/api/v1/risk/reviews/{reviews['L-2']}/reject", {"reason": "刷单"})
    assert res.status_code == 200, res.json
    mine = board(owner, key=ann["api_key"], period="week", at=at)
    assert ranks(mine) == [(bob["id"], 1, 2, "250.00"), (ann["id"], 2, 1, "100.00")]
    assert (mine["me"]["rank"], mine["me"]["orders"], mine["me"]["revenue"]) == (2, 1, "100.00")
    assert (mine["team"]["orders"], mine["team"]["revenue"]) == (3, "350.00")


def test_leaderboard_pages_walk_each_sharer_once(owner, campaign, make_sharer, make_link):
    at = MONDAY + timedelta(hours=2)
    for i in range(7):
        s = make_sharer(f"S{i}")
        sale(owner, f"G-{i}", make_link(campaign["id"], s["id"])["code"], amount=f"{10 + i % 3}.00",
             occurred_at=at.isoformat())
    query = f"/api/v1/leaderboard?period=week&at={at.isoformat().replace('+', '%2B')}"
    rows = walk(owner, query, 3)
    assert rows == board(owner, period="week", at=at)["items"] and len(rows) == 7
    assert [r["rank"] for r in rows] == [1, 1, 3, 3, 5, 5, 5]
    month_cursor = board(owner, period="month", at=at, limit=1)["next_cursor"]
    assert owner.get(f"/api/v1/leaderboard?period=week&cursor={month_cursor}").status_code == 422


# --- who may see what ------------------------------------------------------------

def test_a_seller_sees_only_their_own_money(owner, campaign, make_sharer, make_link):
    me, other = make_sharer("我"), make_sharer("别人")
    key = me["api_key"]
    for path in (f"/api/v1/sharers/{me['id']}/ledger", f"/api/v1/sharers/{me['id']}/performance",
                 "/api/v1/leaderboard"):
        assert owner.get(path, key=key).status_code == 200, path
    for path in (f"/api/v1/sharers/{other['id']}/ledger", f"/api/v1/sharers/{other['id']}/performance",
                 "/api/v1/commissions", "/api/v1/payouts/batches", "/api/v1/payouts/batches/1",
                 "/api/v1/payouts/batches/1.csv"):
        res = owner.get(path, key=key)
        assert res.status_code == 403 and res.json["error"]["code"] == "forbidden", path
    assert owner.post("/api/v1/payouts", key=key).status_code == 403
    assert owner.get("/api/v1/commissions", key="sk_nonsense").status_code == 401


def test_another_workspace_sees_none_of_it(app, owner, campaign, make_sharer, make_link):
    seller = make_sharer()
    sale(owner, "I-1", make_link(campaign["id"], seller["id"])["code"])
    batch_id = approve_and_pay(app, owner)["batch_id"]
    other = run_cli(app, "workspace", "create", "--name", "B")["api_key"]
    for path in (f"/api/v1/sharers/{seller['id']}/ledger", f"/api/v1/sharers/{seller['id']}/performance",
                 f"/api/v1/payouts/batches/{batch_id}", f"/api/v1/payouts/batches/{batch_id}.csv",
                 f"/api/v1/commissions?sharer_id={seller['id']}", f"/api/v1/commissions?campaign_id={campaign['id']}"):
        res = owner.get(path, key=other)
        assert res.status_code == 404 and res.json["error"]["code"] == "not_found", path
    for path in ("/api/v1/commissions", "/api/v1/payouts/batches", "/api/v1/leaderboard?period=month"):
        assert owner.get(path, key=other).json["items"] == [], path
    assert owner.post("/api/v1/payouts", key=other).json["batch_id"] is None


@pytest.mark.parametrize("path", [
    "/api/v1/commissions?limit=0", "/api/v1/commissions?limit=201", "/api/v1/commissions?limit=ten",
    "/api/v1/commissions?cursor=bm9wZQ", "/api/v1/commissions?cursor=%%%", "/api/v1/commissions?cursor=WyJ4Il0",
    "/api/v1/commissions?status=lost", "/api/v1/commissions?due=maybe", "/api/v1/commissions?sharer_id=0",
    "/api/v1/commissions?campaign_id=99999999999", "/api/v1/commissions?sharer_id=a%00",
    "/api/v1/payouts/batches?limit=-1", "/api/v1/payouts/batches?cursor=" + "x" * 201,
    "/api/v1/leaderboard?period=year", "/api/v1/leaderboard?at=2025-03-03T00:00:00",
    "/api/v1/leaderboard?at=1999-01-01T00:00:00%2B00:00", "/api/v1/leaderboard?currency=QQQ",
    "/api/v1/leaderboard?cursor=WyJ3ZWVrIiwiMjAyNS0wMy0wNCIsIkNOWSIsMjBd",  # a Tuesday
    "/api/v1/leaderboard?cursor=WyJ3ZWVrIiwiMjAyNS0wMy0wMyIsIkNOWSIsLTFd",  # a negative offset
    "/api/v1/sharers/1/ledger?cursor=WzFd", "/api/v1/sharers/1/performance?currency=12",
    "/api/v1/payouts/batches/0", "/api/v1/payouts/batches/1.csv", "/api/v1/sharers/999/ledger",
])
def test_bad_parameters_get_a_4xx_in_the_error_shape(owner, make_sharer, path):
    make_sharer()
    res = owner.get(path)
    assert 400 <= res.status_code < 500, (path, res.status_code)
    assert set(res.json) == {"error"} and res.json["error"]["code"], path


def test_a_seller_key_sees_other_sellers_names_masked_on_the_leaderboard(owner, campaign, make_sharer, make_link):
    top = make_sharer("张伟大")
    viewer = make_sharer("小林")
    code = make_link(campaign["id"], top["id"], "weibo")["code"]
    res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": "L-1", "amount": "199.00", "code": code,
                                             "customer": {"external_id": "c-9"}})
    assert res.status_code == 201
    as_seller = owner.get("/api/v1/leaderboard", key=viewer["api_key"]).json
    assert [row["display_name"] for row in as_seller["items"]] == ["张**"]
    assert as_seller["me"]["display_name"] == "小林"
    assert [row["display_name"] for row in owner.get("/api/v1/leaderboard").json["items"]] == ["张伟大"]


@pytest.mark.parametrize("first", ["9999-12-27", "0001-01-01"])
def test_a_leaderboard_cursor_from_the_calendars_edge_is_refused(owner, first):
    import base64
    import json

    cursor = base64.urlsafe_b64encode(json.dumps(["week", first, "CNY", 0]).encode()).decode().rstrip("=")
    res = owner.get("/api/v1/leaderboard", query_string={"cursor": cursor})
    assert res.status_code == 422


def test_csv_chunks_reads_rows_only_as_it_sends_them():
    from plumbing.csvexport import csv_chunks

    read = []

    def rows():
        for n in range(2500):
            read.append(n)
            yield [n, "=SUM(A1)"]

    chunks = csv_chunks(["n", "f"], rows(), rows_per_chunk=1000)
    first = next(chunks)
    assert len(read) == 1000 and first.startswith("\ufeffn,f\r\n0,'=SUM(A1)".encode())
    rest = list(chunks)
    assert len(read) == 2500 and len(rest) == 2
    assert b"".join([first, *rest]).decode("utf-8-sig").count("\r\n") == 2501
