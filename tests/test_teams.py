"""Teams and team contests: membership, live boards, prizes frozen and booked once, never for recruiting."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select, update

from plumbing import database
from referrals.models import Commission, LedgerEntry, Prize
from teams import contests as contest_service
from teams.jobs import finalize_ended_contests
from teams.models import Contest, TeamMember

NOW = datetime.now(timezone.utc)


def soon() -> str:
    """A start a few minutes ahead of now (not of the module's import: a loaded machine is slow)."""
    return (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()


def ok(res, status=200):
    assert res.status_code == status, res.json
    return res.json


def sale(owner, order, code, amount, at, customer=None):
    return ok(owner.post("/api/v1/conversions", {
        "type": "sale", "order_id": order, "amount": amount, "code": code, "occurred_at": at.isoformat(),
        "customer": {"external_id": customer or f"cust-{order}"}}), 201)


@pytest.fixture
def league(owner, campaign, make_sharer, make_link):
    """Two teams: Red (captain ann, member bob) and Blue (captain cat, member dan); each with a link."""
    people = {n: make_sharer(n) for n in ("ann", "bob", "cat", "dan")}
    codes = {n: make_link(campaign["id"], p["id"])["code"] for n, p in people.items()}
    red = ok(owner.post("/api/v1/teams", {"name": "Red", "captain_id": people["ann"]["id"]}), 201)
    blue = ok(owner.post("/api/v1/teams", {"name": "Blue", "captain_id": people["cat"]["id"]}), 201)
    ok(owner.post(f"/api/v1/teams/{red['id']}/members", {"sharer_id": people["bob"]["id"]}))
    ok(owner.post(f"/api/v1/teams/{blue['id']}/members", {"sharer_id": people["dan"]["id"]}))
    return {"people": people, "codes": codes, "red": red, "blue": blue}


def make_contest(owner, league, **kw):
    body = {"name": "Spring PK", "starts_at": soon(),
            "ends_at": (NOW + timedelta(days=7)).isoformat(), "team_ids": [league["red"]["id"], league["blue"]["id"]],
            "measure": "net_sales", "prizes": [{"place": 1, "amount": "500.00"}, {"place": 2, "goods": "茶具一套"}], **kw}
    return ok(owner.post("/api/v1/contests", body), 201)


def shift_into_past(app, contest_id):
    """Move a contest to the two days before now (as if it had run), keeping it unfrozen."""
    with database.new_session(app) as s:
        s.execute(update(Contest).where(Contest.id == contest_id).values(
            starts_at=NOW - timedelta(days=3), ends_at=NOW - timedelta(days=1)))
        s.commit()


def test_a_sharer_is_in_one_team_and_moving_keeps_the_invite_chain(owner, league, make_sharer):
    people, red, blue = league["people"], league["red"], league["blue"]
    newbie = make_sharer("eve", invited_by=people["ann"]["id"])
    ok(owner.post(f"/api/v1/teams/{blue['id']}/members", {"sharer_id": newbie["id"]}))
    res = owner.post(f"/api/v1/teams/{red['id']}/members", {"sharer_id": newbie["id"]})
    assert res.status_code == 409 and res.json["error"]["code"] == "already_in_team"
    moved = ok(owner.post(f"/api/v1/teams/{red['id']}/members", {"sharer_id": newbie["id"], "move": True}))
    member = next(m for m in moved["members"] if m["sharer_id"] == newbie["id"])
    assert member["invited_by"] == people["ann"]["id"]
    assert [m["sharer_id"] for m in ok(owner.get(f"/api/v1/teams/{blue['id']}"))["members"]] == [
        people["cat"]["id"], people["dan"]["id"]]
    res = owner.post(f"/api/v1/teams/{blue['id']}/members", {"sharer_id": people["ann"]["id"], "move": True})
    assert res.status_code == 409 and res.json["error"]["code"] == "captain_cannot_move"
    res = owner.client.delete(f"/api/v1/teams/{red['id']}/members/{newbie['id']}", headers=owner._headers(None))
    assert res.status_code == 204
    listed = {t["name"]: t["members"] for t in ok(owner.get("/api/v1/teams"))["items"]}
    assert listed == {"Blue": 2, "Red": 2}


def test_a_blank_team_name_is_refused(owner, league):
    res = owner.post("/api/v1/teams", {"name": "  ", "captain_id": league["people"]["bob"]["id"]})
    assert res.status_code == 422 and "name" in res.json["error"]["fields"]


def test_a_captain_adds_free_sharers_but_no_one_else_may(owner, league, make_sharer):
    people, red = league["people"], league["red"]
    eve = make_sharer("eve")
    res = owner.post(f"/api/v1/teams/{red['id']}/members", {"sharer_id": eve["id"]}, key=people["bob"]["api_key"])
    assert res.status_code == 403
    ok(owner.post(f"/api/v1/teams/{red['id']}/members", {"sharer_id": eve["id"]}, key=people["ann"]["api_key"]))
    res = owner.post(f"/api/v1/teams/{red['id']}/members", {"sharer_id": people["dan"]["id"], "move": True},
                     key=people["ann"]["api_key"])
    assert res.status_code == 403


@pytest.mark.parametrize("change, field", [
    ({"starts_at": (NOW - timedelta(hours=1)).isoformat()}, "starts_at"),
    ({"ends_at": (NOW + timedelta(minutes=1)).isoformat()}, "ends_at"),
    ({"measure": "recruits"}, "measure"),
    ({"prizes": [{"place": 1}]}, "prizes.0"),
    ({"prizes": [{"place": 1, "amount": 500}]}, "prizes.0.amount"),
    ({"prizes": [{"place": 1, "amount": "5"}, {"place": 1, "amount": "6"}]}, "prizes.1"),
    ({"name": "   "}, "name"),
])
def test_a_bad_contest_is_refused_and_nothing_stored(app, owner, league, change, field):
    body = {"name": "PK", "starts_at": soon(),
            "ends_at": (NOW + timedelta(days=1)).isoformat(), "team_ids": [league["red"]["id"], league["blue"]["id"]],
            "measure": "orders", "prizes": [{"place": 1, "amount": "100.00"}], **change}
    res = owner.post("/api/v1/contests", body)
    assert res.status_code == 422, res.json
    assert field in res.json["error"]["fields"]
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Contest)) == 0


def test_a_contest_needs_two_teams_of_the_workspace(owner, league):
    res = owner.post("/api/v1/contests", {
        "name": "PK", "starts_at": soon(),
        "ends_at": (NOW + timedelta(days=1)).isoformat(), "team_ids": [league["red"]["id"], 9999],
        "measure": "orders", "prizes": [{"place": 1, "amount": "100.00"}]})
    assert res.status_code == 404


def test_the_live_board_counts_own_net_sales_orders_and_new_buyers(app, owner, league):
    contest = make_contest(owner, league)
    shift_into_past(app, contest["id"])
    codes, at = league["codes"], NOW - timedelta(days=2)
    sale(owner, "o1", codes["bob"], "300.00", at, customer="x")
    sale(owner, "o2", codes["bob"], "100.00", at + timedelta(hours=1), customer="x")  # repeat buyer: not new
    sale(owner, "o3", codes["ann"], "100.00", at, customer="y")
    sale(owner, "o4", codes["dan"], "450.00", at, customer="z")
    sale(owner, "o5", codes["cat"], "999.00", NOW - timedelta(days=5))  # before the contest
    sale(owner, "o6", codes["cat"], "50.00", at)
    ok(owner.post("/api/v1/conversions", {"type": "refund", "order_id": "o6", "amount": "50.00"}), 201)  # all refunded
    board = ok(owner.get(f"/api/v1/contests/{contest['id']}"))
    assert board["status"] == "ended"
    red, blue = board["teams"]
    assert (red["name"], red["rank"], red["net_sales"], red["orders"], red["new_customers"]) == ("Red", 1, "500.00", 3, 2)
    assert (blue["name"], blue["rank"], blue["net_sales"], blue["orders"], blue["new_customers"]) == ("Blue", 2, "450.00", 1, 1)
    assert red["prize"] == "500.00" and blue["goods"] == ["茶具一套"]
    shares = {m["name"]: m["prize"] for m in red["members"]}
    assert shares == {"ann": "100.00", "bob": "400.00"}  # each by their own net sales: 100 and 400 of 500


def test_measured_by_new_customers_a_repeat_buyer_counts_once(app, owner, league):
    contest = make_contest(owner, league, measure="new_customers")
    shift_into_past(app, contest["id"])
    codes, at = league["codes"], NOW - timedelta(days=2)
    sale(owner, "o1", codes["bob"], "900.00", at, customer="x")
    sale(owner, "o2", codes["bob"], "900.00", at + timedelta(hours=1), customer="x")
    sale(owner, "o3", codes["cat"], "10.00", at, customer="y")
    sale(owner, "o4", codes["dan"], "10.00", at, customer="z")
    board = ok(owner.get(f"/api/v1/contests/{contest['id']}"))
    assert [(t["name"], t["rank"], t["new_customers"]) for t in board["teams"]] == [("Blue", 1, 2), ("Red", 2, 1)]


def test_new_customers_leave_out_a_purchase_rejected_in_review_and_keep_one_still_in_review(app, owner, league):
    """A purchase rejected in risk review makes nobody a new customer, and was no purchase: the buyer's next one,
    by another seller, is their first. A purchase whose review is still open counts (it may be released)."""
    from test_withdrawals import put

    contest = make_contest(owner, league, measure="new_customers")
    shift_into_past(app, contest["id"])
    assert put(owner, "/api/v1/risk/settings", {"rules": {"ip_prefix_orders": {"max": 1, "minutes": 60}}}).status_code == 200
    codes, at = league["codes"], NOW - timedelta(days=2)
    for order, seller, customer in (("a1", "ann", "y"), ("b1", "bob", "x"), ("b2", "bob", "w")):  # b1, b2 held
        ok(owner.post("/api/v1/conversions", {
            "type": "sale", "order_id": order, "amount": "100.00", "code": codes[seller], "occurred_at": at.isoformat(),
            "customer": {"external_id": customer, "ip": "192.0.2.7"}}), 201)
    sale(owner, "d1", codes["dan"], "100.00", at + timedelta(hours=1), customer="x")
    sale(owner, "c1", codes["cat"], "100.00", at, customer="z")
    sale(owner, "c2", codes["cat"], "100.00", at, customer="v")
    reviews = {r["order_id"]: r["id"] for r in ok(owner.get("/api/v1/risk/reviews", query_string={"status": "open"}))["items"]}
    assert set(reviews) == {"b1", "b2"}

    def board():
        teams = ok(owner.get(f"/api/v1/contests/{contest['id']}"))["teams"]
        return [(t["name"], t["rank"], t["new_customers"], t["orders"]) for t in teams], {
            m["name"]: m["new_customers"] for t in teams for m in t["members"]}

    assert board() == ([("Red", 1, 3, 3), ("Blue", 2, 2, 3)], {"ann": 1, "bob": 2, "cat": 2, "dan": 0})
    ok(owner.post(f"/api/v1/risk/reviews/{reviews['b1']}/reject", {"reason": "同一网络反复下单"}))
    assert board() == ([("Blue", 1, 3, 3), ("Red", 2, 2, 2)], {"ann": 1, "bob": 1, "cat": 2, "dan": 1})


def finalize_during_open_refund(app, model, item_id, order, amount, finalize):
    """Record a refund of ``order`` in a transaction left open, run ``finalize`` (a contest's or target's)
    in another; on PostgreSQL from a thread, committing the refund once the finalize has finished or
    waits on a lock (bounded)."""
    import threading
    import time

    from sqlalchemy import text

    from referrals.conversions import record_conversion
    from referrals.schemas import ConversionIn

    with database.new_session(app) as s:
        workspace_id = s.get(model, item_id).workspace_id
    refunding = database.new_session(app)
    with app.test_request_context():
        data = ConversionIn().load({"type": "refund", "order_id": order, "amount": amount, "refund_id": "open"})
        record_conversion(refunding, workspace_id, data, "http://localhost")
    done = threading.Event()

    def finalize_now():
        with app.app_context(), database.new_session(app) as s:
            finalize(s, workspace_id, item_id, datetime.now(timezone.utc))
            s.commit()
        done.set()

    if not app.config["DATABASE_URL"].startswith("postgresql"):
        refunding.commit()
        refunding.close()
        return finalize_now()
    worker = threading.Thread(target=finalize_now)
    worker.start()
    with database.new_session(app) as s:
        for _ in range(400):
            if done.is_set() or s.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")):
                break
            time.sleep(0.025)
    refunding.commit()
    refunding.close()
    worker.join()


def test_a_refund_committing_while_the_contest_is_finalized_takes_back_its_share(app, owner, league):
    contest = make_contest(owner, league)
    shift_into_past(app, contest["id"])
    codes, at, people = league["codes"], NOW - timedelta(days=2), league["people"]
    sale(owner, "o1", codes["bob"], "300.00", at)
    sale(owner, "o2", codes["cat"], "100.00", at)
    finalize_during_open_refund(app, Contest, contest["id"], "o1", "300.00", contest_service.finalize)
    with database.new_session(app) as s:
        prizes = {p.sharer_id: p.amount_minor - p.reversed_minor for p in s.scalars(select(Prize))}
    assert prizes.get(people["bob"]["id"], 0) == 0  # red's only sale was refunded before the result


def test_finalize_freezes_the_result_and_books_prizes_once(app, owner, league):
    contest = make_contest(owner, league, split="proportional")
    res = owner.post(f"/api/v1/contests/{contest['id']}/finalize")
    assert res.status_code == 409 and res.json["error"]["code"] == "contest_not_over"
    shift_into_past(app, contest["id"])
    codes, at, people = league["codes"], NOW - timedelta(days=2), league["people"]
    sale(owner, "o1", codes["bob"], "300.00", at)
    sale(owner, "o2", codes["ann"], "100.00", at)
    sale(owner, "o3", codes["cat"], "10.00", at)
    final = ok(owner.post(f"/api/v1/contests/{contest['id']}/finalize"))
    assert final["status"] == "final"
    again = ok(owner.post(f"/api/v1/contests/{contest['id']}/finalize"))
    with app.app_context():
        assert finalize_ended_contests() == 0  # nothing left to freeze
    sale(owner, "o4", codes["cat"], "5000.00", at)  # reported late: the frozen result stands
    assert ok(owner.get(f"/api/v1/contests/{contest['id']}"))["teams"] == final["teams"] == again["teams"]
    with database.new_session(app) as s:
        prizes = {p.sharer_id: (p.amount_minor, p.status, p.place) for p in s.scalars(select(Prize))}
        lines = s.execute(select(LedgerEntry.sharer_id, LedgerEntry.bucket, LedgerEntry.amount_minor)
                          .where(LedgerEntry.reason == "contest_prize")).all()
    assert prizes == {people["bob"]["id"]: (37500, "pending", 1), people["ann"]["id"]: (12500, "pending", 1)}
    assert sorted(lines) == sorted([(people["bob"]["id"], "pending", 37500), (people["ann"]["id"], "pending", 12500)])
    ledger = ok(owner.get(f"/api/v1/sharers/{people['ann']['id']}/ledger"))["items"]
    assert {(line["reason"], line["amount"]) for line in ledger} >= {("contest_prize", "125.00")}


def test_the_periodic_job_freezes_ended_contests_with_equal_split(app, owner, league):
    contest = make_contest(owner, league, split="equal", prizes=[{"place": 1, "amount": "100.01"}])
    shift_into_past(app, contest["id"])
    sale(owner, "o1", league["codes"]["dan"], "20.00", NOW - timedelta(days=2))
    with app.app_context():
        assert finalize_ended_contests() == 1
    board = ok(owner.get(f"/api/v1/contests/{contest['id']}"))
    assert board["status"] == "final"
    blue = board["teams"][0]
    assert blue["name"] == "Blue" and sorted(m["prize"] for m in blue["members"]) == ["50.00", "50.01"]
    red = board["teams"][1]
    assert red["rank"] is None and red["prize"] == "0.00"  # no sales, no place


def test_prizes_are_approved_after_holding_and_paid_with_the_next_payout(app, owner, league):
    contest = make_contest(owner, league, prizes=[{"place": 1, "amount": "80.00"}])
    shift_into_past(app, contest["id"])
    people = league["people"]
    sale(owner, "o1", league["codes"]["dan"], "20.00", NOW - timedelta(days=2))
    ok(owner.post(f"/api/v1/contests/{contest['id']}/finalize"))
    with database.new_session(app) as s:
        s.execute(update(Prize).values(approvable_at=NOW - timedelta(seconds=1)))
        s.execute(update(Commission).values(approvable_at=NOW - timedelta(seconds=1)))
        s.commit()
    ok(owner.post("/api/v1/commissions/approve", {}))
    run = ok(owner.post("/api/v1/payouts"), 201)
    paid = {p["sharer_id"]: p["amount"] for p in run["items"]}
    assert paid[people["dan"]["id"]] == "82.00"  # 80.00 prize + 10% of 20.00 commission
    with database.new_session(app) as s:
        prize = s.scalar(select(Prize))
        assert (prize.status, prize.sharer_id) == ("paid", people["dan"]["id"])
    assert ok(owner.get(f"/api/v1/sharers/{people['dan']['id']}/earnings"))["paid"] == "82.00"


def test_a_seller_sees_the_board_with_other_names_masked(app, owner, league):
    contest = make_contest(owner, league)
    people = league["people"]
    board = ok(owner.get(f"/api/v1/contests/{contest['id']}", key=people["bob"]["api_key"]))
    names = {m["sharer_id"]: m["name"] for t in board["teams"] for m in t["members"]}
    assert names[people["bob"]["id"]] == "bob" and names[people["ann"]["id"]] == "a**"
    assert board["status"] == "upcoming"
    listed = ok(owner.get(f"/api/v1/contests?team_id={league['red']['id']}", key=people["bob"]["api_key"]))
    assert [c["id"] for c in listed["items"]] == [contest["id"]]
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(TeamMember)) == 4


def test_standings_take_a_fixed_number_of_statements(app, owner, league):
    contest_id = make_contest(owner, league)["id"]
    with database.new_session(app) as s:
        contest = s.get(Contest, contest_id)
        statements = []
        engine = s.get_bind()
        listener = lambda *args: statements.append(args[2]) if args[2].lstrip().startswith(("SELECT", "WITH")) else None  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            contest_service.standings(s, contest, NOW + timedelta(days=30))
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 3


def test_the_console_and_the_sellers_phone_show_the_board(app, owner, league, console):
    from conftest import seller_pages

    contest = make_contest(owner, league)
    shift_into_past(app, contest["id"])
    sale(owner, "o1", league["codes"]["bob"], "300.00", NOW - timedelta(days=2))
    listed = console.get("/console/contests")
    assert listed.status_code == 200 and "Spring PK" in listed.text
    page = console.get(f"/console/contests/{contest['id']}")
    assert page.status_code == 200
    assert "bob" in page.text and "¥500.00" in page.text and 'data-status="ended"' in page.text
    assert console.get("/console/contests/9999").status_code == 404
    phone = seller_pages(app, league["people"]["bob"]["id"]).get("/seller/contests")
    assert phone.status_code == 200
    assert "Spring PK" in phone.text and "¥300.00" in phone.text and "¥500.00" in phone.text
    loner = seller_pages(app, league["people"]["dan"]["id"]).get("/seller/contests")
    assert "Spring PK" in loner.text  # Blue takes part too


def test_a_refund_before_approval_takes_back_the_same_share_of_the_prize(app, owner, league):
    contest = make_contest(owner, league, prizes=[{"place": 1, "amount": "100.00"}])
    shift_into_past(app, contest["id"])
    codes, at, people = league["codes"], NOW - timedelta(days=2), league["people"]
    sale(owner, "o1", codes["bob"], "300.00", at)
    sale(owner, "o2", codes["ann"], "100.00", at)
    sale(owner, "o3", codes["dan"], "50.00", at)
    ok(owner.post(f"/api/v1/contests/{contest['id']}/finalize"))  # bob 75.00, ann 25.00 of Red's 100.00
    ok(owner.post("/api/v1/conversions", {"type": "refund", "order_id": "o1", "refund_id": "r1", "amount": "100.00"}), 201)
    ok(owner.post("/api/v1/conversions", {"type": "refund", "order_id": "o1", "refund_id": "r2", "amount": "50.00"}), 201)
    ok(owner.post("/api/v1/conversions", {"type": "refund", "order_id": "o3", "amount": "50.00"}), 201)  # no prize
    with database.new_session(app) as s:
        prizes = {p.sharer_id: (p.amount_minor, p.reversed_minor, p.status) for p in s.scalars(select(Prize))}
    assert prizes == {people["bob"]["id"]: (7500, 3750, "pending"), people["ann"]["id"]: (2500, 0, "pending")}
    bob = ok(owner.get(f"/api/v1/sharers/{people['bob']['id']}/earnings"))
    # pending: 37.50 of the prize + 10% of the 150.00 left of o1; reversed: 37.50 + 15.00
    assert (bob["pending"], bob["reversed"]) == ("52.50", "52.50")
    with database.new_session(app) as s:
        s.execute(update(Prize).values(approvable_at=NOW - timedelta(seconds=1)))
        s.commit()
    ok(owner.post("/api/v1/commissions/approve", {}))
    ok(owner.post("/api/v1/conversions", {"type": "refund", "order_id": "o1", "refund_id": "r3", "amount": "150.00"}), 201)
    with database.new_session(app) as s:
        prize = s.scalar(select(Prize).where(Prize.sharer_id == people["bob"]["id"]))
        assert (prize.status, prize.reversed_minor) == ("approved", 3750)  # after approval it stands
    assert ok(owner.get(f"/api/v1/sharers/{people['bob']['id']}/earnings"))["approved"] == "37.50"


def test_a_sale_rejected_in_review_wins_no_contest_and_takes_back_its_share_of_a_prize(app, owner, league):
    """A sale a person rejected in risk review pays nothing: rejected before the contest is final it does not
    count (here Blue wins instead); rejected after, before approval, it takes back its share of the prize
    won with it, as a refund of the whole sale would (the frozen ranking and the other shares stand)."""
    from test_withdrawals import put

    early = make_contest(owner, league, prizes=[{"place": 1, "amount": "100.00"}])
    late = make_contest(owner, league, name="Autumn PK", prizes=[{"place": 1, "amount": "100.00"}])
    for contest in (early, late):
        shift_into_past(app, contest["id"])
    assert put(owner, "/api/v1/risk/settings", {"rules": {"ip_prefix_orders": {"max": 1, "minutes": 60}}}).status_code == 200
    codes, at, people = league["codes"], NOW - timedelta(days=2), league["people"]
    for order, amount in (("b1", "100.00"), ("b2", "200.00")):  # one network: the second order is held
        ok(owner.post("/api/v1/conversions", {
            "type": "sale", "order_id": order, "amount": amount, "code": codes["bob"], "occurred_at": at.isoformat(),
            "customer": {"external_id": f"cust-{order}", "ip": "192.0.2.7"}}), 201)
    sale(owner, "a1", codes["ann"], "100.00", at)
    sale(owner, "d1", codes["dan"], "250.00", at)
    [review] = ok(owner.get("/api/v1/risk/reviews", query_string={"status": "open"}))["items"]
    ok(owner.post(f"/api/v1/contests/{early['id']}/finalize"))  # still held: Red 400.00, bob 75.00, ann 25.00
    ok(owner.post(f"/api/v1/risk/reviews/{review['id']}/reject", {"reason": "同一网络反复下单"}))
    live = ok(owner.get(f"/api/v1/contests/{late['id']}"))
    assert [(t["name"], t["net_sales"]) for t in live["teams"]] == [("Blue", "250.00"), ("Red", "200.00")]
    ok(owner.post(f"/api/v1/contests/{late['id']}/finalize"))

    def awards():
        with database.new_session(app) as s:
            prizes = {(p.contest_id, p.sharer_id): (p.amount_minor, p.reversed_minor, p.status)
                      for p in s.scalars(select(Prize))}
            credited = s.scalar(select(func.sum(LedgerEntry.amount_minor)).where(LedgerEntry.reason == "contest_prize"))
            taken = s.scalar(select(func.sum(LedgerEntry.amount_minor)).where(
                LedgerEntry.reason == "reversal", LedgerEntry.bucket == "reversed", LedgerEntry.commission_id.is_(None)))
        return prizes, credited, taken

    expected = ({(early["id"], people["bob"]["id"]): (7500, 5000, "pending"),
                 (early["id"], people["ann"]["id"]): (2500, 0, "pending"),
                 (late["id"], people["dan"]["id"]): (10000, 0, "pending")}, 20000, 5000)
    assert awards() == expected
    ok(owner.post("/api/v1/conversions", {"type": "refund", "order_id": "b2", "amount": "200.00"}), 201)
    assert awards() == expected  # its share was taken back once
    bob = ok(owner.get(f"/api/v1/sharers/{people['bob']['id']}/earnings"))
    assert bob["pending"] == "35.00"  # 25.00 of the prize + 10% of b1


def test_one_contest_that_fails_to_finalize_stops_neither_the_others_nor_the_next_run(app, owner, league, monkeypatch):
    from plumbing import metrics, redis_client
    from teams import jobs

    broken, fine = make_contest(owner, league), make_contest(owner, league, name="Autumn PK")
    for contest in (broken, fine):
        shift_into_past(app, contest["id"])
    sale(owner, "o1", league["codes"]["dan"], "20.00", NOW - timedelta(days=2))
    real = jobs.finalize

    def finalize(session, workspace_id, contest_id, now):
        if contest_id == broken["id"]:
            raise RuntimeError("a contest that cannot be finalized")
        return real(session, workspace_id, contest_id, now)

    monkeypatch.setattr(jobs, "finalize", finalize)
    failures = metrics.JOB_FAILURES.labels("finalize_ended_contests")
    before = failures._value.get()
    queue = redis_client.queue(app=app)
    queue.scheduled_job_registry.remove(jobs.FINALIZE_JOB_ID)
    with app.app_context():
        assert finalize_ended_contests() == 1
    assert ok(owner.get(f"/api/v1/contests/{fine['id']}"))["status"] == "final"
    assert ok(owner.get(f"/api/v1/contests/{broken['id']}"))["status"] == "ended"  # tried again next run
    assert failures._value.get() == before + 1
    assert jobs.FINALIZE_JOB_ID in queue.scheduled_job_registry.get_job_ids()
