"""Individual targets ("sell 10 this month, earn a ¥50 bonus"): fixed before they start, progress for the
seller, one bonus per sharer who reached it (ledger kind ``target_bonus``), approved and paid like
commissions, reversed by a refund that takes the sharer below the threshold before approval."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from conftest import CAMPAIGN
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from test_teams import NOW, finalize_during_open_refund, ok, sale, soon

from plumbing import database
from referrals.models import Commission, Grade, LedgerEntry, Sharer, TargetBonus
from teams.jobs import finalize_ended_contests
from teams.models import Target

_refunds = iter(range(10**9))


def refund(owner, order, amount):
    ok(owner.post("/api/v1/conversions", {"type": "refund", "order_id": order, "amount": amount,
                                          "refund_id": f"r{next(_refunds)}"}), 201)


@pytest.fixture
def sellers(owner, campaign, make_sharer, make_link):
    people = {n: make_sharer(n) for n in ("ann", "bob", "cat")}
    codes = {n: make_link(campaign["id"], p["id"])["code"] for n, p in people.items()}
    return {"people": people, "codes": codes}


def make_target(owner, **kw):
    body = {"name": "十单奖", "starts_at": soon(), "ends_at": (NOW + timedelta(days=30)).isoformat(),
            "measure": "orders", "threshold": "3", "bonus": "50.00", **kw}
    return ok(owner.post("/api/v1/targets", body), 201)


def shift_into_past(app, target_id):
    """Move a target's period to the three days before yesterday (as if it had run), not yet final."""
    with database.new_session(app) as s:
        s.execute(update(Target).where(Target.id == target_id).values(
            starts_at=NOW - timedelta(days=4), ends_at=NOW - timedelta(days=1)))
        s.commit()


def ledger_nets(app):
    """Every target_bonus credit equals a bonus booked; each bonus's entries sum to what it was booked at."""
    with database.new_session(app) as s:
        credited = s.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0))
                            .where(LedgerEntry.reason == "target_bonus"))
        booked = s.scalar(select(func.coalesce(func.sum(TargetBonus.amount_minor), 0)))
        assert credited == booked
        for bonus in s.scalars(select(TargetBonus)):
            assert 0 <= bonus.reversed_minor <= bonus.amount_minor
            assert (bonus.status == "reversed") == (bonus.reversed_minor == bonus.amount_minor)


@pytest.mark.parametrize("change, field", [
    ({"starts_at": (NOW - timedelta(hours=1)).isoformat()}, "starts_at"),
    ({"ends_at": (NOW + timedelta(minutes=1)).isoformat()}, "ends_at"),
    ({"measure": "recruits"}, "measure"),
    ({"threshold": "2.5"}, "threshold"),
    ({"threshold": "0"}, "threshold"),
    ({"threshold": "²"}, "threshold"),  # a digit to str.isdigit, not to int()
    ({"measure": "net_sales", "threshold": "abc"}, "threshold"),
    ({"measure": "net_sales", "threshold": "-5.00"}, "threshold"),
    ({"bonus": "0.00"}, "bonus"),
    ({"bonus": 50}, "bonus"),
    ({"name": "   "}, "name"),
    ({"starts_at": "2030-01-01T00:00:00"}, "starts_at"),
    ({"sharer_ids": []}, "sharer_ids"),
])
def test_a_bad_target_is_refused_and_nothing_stored(app, owner, change, field):
    res = owner.post("/api/v1/targets", {"name": "T", "starts_at": soon(), "ends_at": (NOW + timedelta(days=3)).isoformat(),
                                         "measure": "orders", "threshold": "10", "bonus": "50.00", **change})
    assert res.status_code == 422, res.json
    assert field in res.json["error"]["fields"]
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Target)) == 0


def test_a_target_for_a_sharer_or_campaign_of_another_workspace_is_refused(app, owner, sellers):
    base = {"name": "T", "starts_at": soon(), "ends_at": (NOW + timedelta(days=3)).isoformat(),
            "measure": "orders", "threshold": "10", "bonus": "50.00"}
    for change in ({"sharer_ids": [999999]}, {"campaign_id": 999999}, {"grade_ids": [999999]}):
        assert owner.post("/api/v1/targets", {**base, **change}).status_code == 404
    seller = sellers["people"]["ann"]["api_key"]
    assert owner.post("/api/v1/targets", base, key=seller).status_code == 403
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Target)) == 0


def test_the_seller_sees_their_own_progress_and_staff_see_everyone(app, owner, sellers, campaign):
    target = make_target(owner)
    assert target["status"] == "upcoming" and target["threshold"] == "3" and target["bonus"] == "50.00"
    shift_into_past(app, target["id"])
    codes, at, people = sellers["codes"], NOW - timedelta(days=2), sellers["people"]
    for i in range(2):
        sale(owner, f"a{i}", codes["ann"], "10.00", at)
    for i in range(3):
        sale(owner, f"b{i}", codes["bob"], "10.00", at)
    sale(owner, "b-late", codes["bob"], "10.00", NOW - timedelta(hours=1))  # after the period
    sale(owner, "b-early", codes["bob"], "10.00", NOW - timedelta(days=5))  # before it
    mine = ok(owner.get(f"/api/v1/targets/{target['id']}", key=people["ann"]["api_key"]))
    assert [(line["sharer_id"], line["value"], line["reached"]) for line in mine["progress"]] == [
        (people["ann"]["id"], "2", False)]  # 2 of 3: only their own line
    cat = ok(owner.get(f"/api/v1/targets/{target['id']}", key=people["cat"]["api_key"]))
    assert [(line["value"], line["reached"]) for line in cat["progress"]] == [("0", False)]
    staff = ok(owner.get(f"/api/v1/targets/{target['id']}"))
    assert [(line["name"], line["value"], line["reached"]) for line in staff["progress"]] == [
        ("bob", "3", True), ("ann", "2", False)]
    assert staff["status"] == "ended"
    listed = ok(owner.get("/api/v1/targets", key=people["ann"]["api_key"]))
    assert [t["id"] for t in listed["items"]] == [target["id"]]


def test_a_seller_sees_the_targets_for_them_and_no_other_sellers_ids(app, owner, sellers):
    people = sellers["people"]
    ann, bob, cat = (people[n]["id"] for n in ("ann", "bob", "cat"))
    pair = make_target(owner, name="两人", sharer_ids=[ann, bob])
    only_cat = make_target(owner, name="一人", sharer_ids=[cat])
    everyone = make_target(owner, name="全员")
    assert sorted(pair["sharer_ids"]) == sorted([ann, bob])  # staff see the list
    listed = ok(owner.get("/api/v1/targets", key=people["ann"]["api_key"]))["items"]
    assert {t["id"]: t["sharer_ids"] for t in listed} == {pair["id"]: [ann], everyone["id"]: None}
    one = ok(owner.get(f"/api/v1/targets/{pair['id']}", key=people["ann"]["api_key"]))
    assert one["sharer_ids"] == [ann]
    assert owner.get(f"/api/v1/targets/{only_cat['id']}", key=people["ann"]["api_key"]).status_code == 404


def test_limits_to_sharers_grades_and_a_campaign(app, owner, sellers, campaign, make_link):
    people, codes, at = sellers["people"], sellers["codes"], NOW - timedelta(days=2)
    other = ok(owner.post("/api/v1/campaigns", {**CAMPAIGN, "name": "Other"}), 201)
    with database.new_session(app) as s:
        ws = s.scalar(select(Sharer.workspace_id).where(Sharer.id == people["bob"]["id"]))
        grade = Grade(workspace_id=ws, name="金牌", rank=3)
        s.add(grade)
        s.flush()
        s.execute(update(Sharer).where(Sharer.id == people["bob"]["id"]).values(grade_id=grade.id))
        grade_id = grade.id
        s.commit()
    only_ann = make_target(owner, sharer_ids=[people["ann"]["id"]], threshold="1")
    gold = make_target(owner, grade_ids=[grade_id], threshold="1")
    in_campaign = make_target(owner, campaign_id=campaign["id"], threshold="2")
    for t in (only_ann, gold, in_campaign):
        shift_into_past(app, t["id"])
    other_code = make_link(other["id"], people["cat"]["id"])["code"]
    sale(owner, "a1", codes["ann"], "10.00", at)
    sale(owner, "b1", codes["bob"], "10.00", at)
    sale(owner, "c1", codes["cat"], "10.00", at)
    sale(owner, "c2", other_code, "10.00", at)  # another campaign: cat has 1 of 2 in the campaign
    assert owner.get(f"/api/v1/targets/{gold['id']}", key=people["ann"]["api_key"]).status_code == 404
    assert [t["id"] for t in ok(owner.get("/api/v1/targets", key=people["bob"]["api_key"]))["items"]] == [
        in_campaign["id"], gold["id"]]
    with app.app_context():
        assert finalize_ended_contests() == 3
    with database.new_session(app) as s:
        won = sorted((b.target_id, b.sharer_id) for b in s.scalars(select(TargetBonus)))
    assert won == [(only_ann["id"], people["ann"]["id"]), (gold["id"], people["bob"]["id"])]


def test_finalize_books_once_and_bonuses_are_approved_and_paid_like_commissions(app, owner, sellers):
    target = make_target(owner, measure="net_sales", threshold="100.00", bonus="50.00")
    res = owner.post(f"/api/v1/targets/{target['id']}/finalize")
    assert res.status_code == 409 and res.json["error"]["code"] == "target_not_over"
    shift_into_past(app, target["id"])
    people, codes, at = sellers["people"], sellers["codes"], NOW - timedelta(days=2)
    sale(owner, "b1", codes["bob"], "60.00", at)
    sale(owner, "b2", codes["bob"], "40.00", at)
    sale(owner, "a1", codes["ann"], "99.99", at)
    final = ok(owner.post(f"/api/v1/targets/{target['id']}/finalize"))
    again = ok(owner.post(f"/api/v1/targets/{target['id']}/finalize"))
    with app.app_context():
        assert finalize_ended_contests() == 0  # nothing left to finalize: safe to run twice
    assert final["status"] == again["status"] == "final"
    lines = {line["sharer_id"]: line for line in again["progress"]}
    assert (lines[people["bob"]["id"]]["bonus"], lines[people["bob"]["id"]]["bonus_status"]) == ("50.00", "pending")
    assert (lines[people["ann"]["id"]]["bonus"], lines[people["ann"]["id"]]["bonus_status"]) == ("0.00", None)
    with database.new_session(app) as s:
        [bonus] = s.scalars(select(TargetBonus)).all()
        assert (bonus.sharer_id, bonus.amount_minor, bonus.basis, bonus.threshold) == (people["bob"]["id"], 5000, 10000, 10000)
        entries = s.execute(select(LedgerEntry.bucket, LedgerEntry.amount_minor, LedgerEntry.commission_id,
                                   LedgerEntry.conversion_id).where(LedgerEntry.reason == "target_bonus")).all()
        assert entries == [("pending", 5000, None, None)]  # its own kind, tied to no sale
        s.execute(update(TargetBonus).values(approvable_at=NOW - timedelta(seconds=1)))
        s.execute(update(Commission).values(approvable_at=NOW - timedelta(seconds=1)))
        s.commit()
    ok(owner.post("/api/v1/commissions/approve", {}))
    refund(owner, "b1", "60.00")  # after approval the bonus stands
    run = ok(owner.post("/api/v1/payouts"), 201)
    paid = {p["sharer_id"]: p["amount"] for p in run["items"]}
    assert paid[people["bob"]["id"]] == "54.00"  # 50.00 bonus + 10% of 40.00 (the 6.00 clawed back)
    with database.new_session(app) as s:
        assert s.scalar(select(TargetBonus.status)) == "paid"
    ledger_nets(app)
    report = ok(owner.get("/api/v1/compliance", query_string={
        "from": (NOW - timedelta(days=7)).isoformat(), "to": (NOW + timedelta(days=1)).isoformat()}))
    claims = {c["id"]: c for c in report["claims"]}
    bonuses = claims["target_bonuses"]
    assert bonuses["holds"] and bonuses["figures"]["bonuses"] == 1
    assert bonuses["figures"]["bonus_credits_minor"] == bonuses["figures"]["bonuses_booked_minor"] == 5000
    assert bonuses["figures"]["targets"][0]["threshold"] == "100.00"
    assert bonuses["figures"]["targets"][0]["least_own_figure"] == "100.00"
    assert claims["no_entry_fee"]["holds"] and claims["no_entry_fee"]["figures"]["ledger_credits_by_reason"]["target_bonus"] == 1
    assert report["holds"]


def test_a_refund_before_approval_reverses_the_bonus_only_below_the_threshold(app, owner, sellers):
    target = make_target(owner, measure="orders", threshold="2", bonus="30.00")
    shift_into_past(app, target["id"])
    people, codes, at = sellers["people"], sellers["codes"], NOW - timedelta(days=2)
    for order in ("b1", "b2", "b3"):
        sale(owner, order, codes["bob"], "10.00", at)
    ok(owner.post(f"/api/v1/targets/{target['id']}/finalize"))
    refund(owner, "b1", "5.00")  # partly refunded: the order still counts
    refund(owner, "b1", "5.00")  # wholly: 2 orders left, still at the threshold
    with database.new_session(app) as s:
        assert s.scalar(select(TargetBonus.status)) == "pending"
    refund(owner, "b2", "10.00")  # 1 of 2: the bonus goes
    with database.new_session(app) as s:
        bonus = s.scalar(select(TargetBonus))
        assert (bonus.status, bonus.reversed_minor) == ("reversed", 3000)
    refund(owner, "b3", "10.00")  # nothing more to take back
    ledger_nets(app)
    assert ok(owner.get(f"/api/v1/sharers/{people['bob']['id']}/earnings"))["pending"] == "0.00"
    assert owner.get(f"/api/v1/targets/{target['id']}").json["progress"] == []


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), measure=st.sampled_from(["orders", "net_sales"]))
def test_property_bonuses_equal_a_brute_force_recomputation(app, owner, sellers, seed, measure):
    """Random sales and refunds, before and after the freeze: the bonuses standing equal those a
    brute-force pass over the same sales gives, and the ledger nets. The examples share one database
    (the fixtures are made once), so the sales of earlier examples stay on the record too."""
    rnd = random.Random(seed)
    orders = app.extensions.setdefault("test_orders", {})  # order id -> [sharer name, amount, refunded, in period]
    tag = f"p{len(orders)}-{seed}"
    threshold = rnd.randint(1, 4) if measure == "orders" else rnd.randint(1, 6) * 1000
    target = make_target(owner, name=tag, measure=measure, threshold=str(threshold) if measure == "orders"
                         else f"{threshold // 100}.00", bonus=f"{rnd.randint(1, 90)}.{rnd.randint(0, 99):02d}")
    shift_into_past(app, target["id"])
    names = list(sellers["codes"])
    for i in range(rnd.randint(0, 12)):
        who, amount = rnd.choice(names), rnd.randint(1, 30) * 100
        inside = rnd.random() < 0.85
        at = NOW - timedelta(days=2, minutes=i) if inside else NOW - timedelta(days=6)
        sale(owner, f"{tag}-{i}", sellers["codes"][who], f"{amount // 100}.{amount % 100:02d}", at)
        orders[f"{tag}-{i}"] = [who, amount, 0, inside]

    def some_refunds(n):
        for _ in range(n):
            if not orders:
                return
            order = rnd.choice(sorted(orders))
            row = orders[order]
            room = row[1] - row[2]
            if room:
                cut = rnd.choice([room, rnd.randint(1, room)])
                refund(owner, order, f"{cut // 100}.{cut % 100:02d}")
                row[2] += cut

    def figures():
        out = {n: 0 for n in names}
        for who, amount, refunded, inside in orders.values():
            if inside and refunded < amount:
                out[who] += 1 if measure == "orders" else amount - refunded
        return out

    some_refunds(rnd.randint(0, 4))
    reached = {n for n, v in figures().items() if v >= threshold}
    ok(owner.post(f"/api/v1/targets/{target['id']}/finalize"))
    some_refunds(rnd.randint(0, 6))
    standing = {n for n in reached if figures()[n] >= threshold}
    ids = {sellers["people"][n]["id"]: n for n in names}
    with database.new_session(app) as s:
        rows = s.scalars(select(TargetBonus).where(TargetBonus.target_id == target["id"])).all()
        assert {ids[b.sharer_id] for b in rows} == reached
        assert {ids[b.sharer_id] for b in rows if b.status == "pending"} == standing
        assert all(b.reversed_minor in (0, b.amount_minor) for b in rows)
    ledger_nets(app)


def text_of(html: str) -> str:
    import re
    from html import unescape

    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_a_marketer_sets_up_a_target_in_the_console_and_sees_its_progress(app, console, owner, sellers):
    from zoneinfo import ZoneInfo

    from workspaces.models import Workspace

    with database.new_session(app) as s:
        zone = s.scalars(select(Workspace)).first().timezone

    def local(days):
        return (datetime.now(ZoneInfo(zone)) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")

    typed = {"name": "十单奖", "measure": "orders", "threshold": "3", "bonus": "50.00", "starts_at": local(1),
             "ends_at": local(30), "campaign_id": "0"}
    assert "Set up a target" in text_of(console.get("/console/targets").text)
    for bad, field in (({"threshold": "2.5"}, "threshold"), ({"bonus": "0"}, "bonus"),
                       ({"starts_at": local(-1)}, "starts_at"), ({"name": ""}, "name")):
        res = console.post("/console/targets/new", {**typed, **bad}, token_from="/console/targets/new")
        assert res.status_code == 422, (bad, text_of(res.text))
        assert 'has-error' in res.text
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Target)) == 0
    res = console.post("/console/targets/new", typed, token_from="/console/targets/new")
    assert res.status_code == 303, text_of(res.text)
    [made] = ok(owner.get("/api/v1/targets"))["items"]
    assert (made["threshold"], made["bonus"], made["measure"], made["campaign_id"]) == ("3", "50.00", "orders", None)
    shift_into_past(app, made["id"])
    for i in range(2):
        sale(owner, f"a{i}", sellers["codes"]["ann"], "10.00", NOW - timedelta(days=2))
    page = text_of(console.get(f"/console/targets/{made['id']}").text)
    assert "ann" in page and "Not yet" in page
    zh = text_of(console.get(f"/console/targets/{made['id']}", headers={"Accept-Language": "zh-CN"}).text)
    assert "十单奖" in zh and "Not yet" not in zh and "目标" in zh
    assert console.get("/console/targets/999999").status_code == 404


def test_the_seller_sees_7_of_10_on_their_phone_in_both_languages(app, owner, sellers):
    from conftest import seller_pages

    target = make_target(owner, threshold="10", bonus="50.00")
    shift_into_past(app, target["id"])
    with database.new_session(app) as s:
        s.execute(update(Target).values(ends_at=NOW + timedelta(days=1)))  # live
        s.commit()
    for i in range(7):
        sale(owner, f"a{i}", sellers["codes"]["ann"], "10.00", NOW - timedelta(days=2))
    phone = seller_pages(app, sellers["people"]["ann"]["id"])
    page = text_of(phone.get("/seller/targets").text)
    assert "7 of 10 orders" in page and "50.00" in page and "Keep going" in page
    zh = text_of(phone.get("/seller/targets", headers={"Accept-Language": "zh-CN"}).text)
    assert "7 of 10" not in zh and "7" in zh and "10" in zh and "奖励" in zh
    assert "My targets" in phone.get("/seller/board").text


def test_a_withdrawal_marks_an_approved_bonus_paid_once_it_covers_it(app, owner, sellers):
    from referrals import ledger

    target = make_target(owner, threshold="1", bonus="30.00")
    shift_into_past(app, target["id"])
    bob = sellers["people"]["bob"]["id"]
    sale(owner, "b1", sellers["codes"]["bob"], "10.00", NOW - timedelta(days=2))  # 1.00 commission
    ok(owner.post(f"/api/v1/targets/{target['id']}/finalize"))
    with database.new_session(app) as s:
        s.execute(update(TargetBonus).values(approvable_at=NOW - timedelta(seconds=1)))
        s.execute(update(Commission).values(approvable_at=NOW - timedelta(seconds=1)))
        s.commit()
    ok(owner.post("/api/v1/commissions/approve", {}))
    with database.new_session(app) as s:
        ws = s.scalar(select(Sharer.workspace_id).where(Sharer.id == bob))
        for amount in (2000, 1100):  # the commission and 19.00 of the bonus, then the rest
            ledger.hold_for_withdrawal(s, ws, bob, "CNY", amount, "withdrawal")
            ledger.settle_withdrawal(s, ws, bob, "CNY", amount, NOW, "withdrawal")
            s.flush()
            assert s.scalar(select(TargetBonus.status)) == ("approved" if amount == 2000 else "paid")
        assert s.scalar(select(Commission.status).where(Commission.sharer_id == bob)) == "paid"
        s.commit()
    assert ok(owner.get(f"/api/v1/sharers/{bob}/earnings"))["paid"] == "31.00"


def test_progress_takes_a_fixed_number_of_statements_whatever_the_sellers(app, owner, sellers):
    from sqlalchemy import event

    from teams import targets as target_service

    target = make_target(owner, grade_ids=None)
    shift_into_past(app, target["id"])
    for name, code in sellers["codes"].items():
        sale(owner, f"{name}-1", code, "10.00", NOW - timedelta(days=2))
    with database.new_session(app) as s:
        found = s.get(Target, target["id"])
        statements = []
        engine = s.get_bind()
        listener = lambda *args: statements.append(args[2]) if args[2].lstrip().startswith(("SELECT", "WITH")) else None  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            shown = target_service.target_json(s, found, NOW)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert len(shown["progress"]) == 3
    assert len(statements) == 3  # the figures, who the target is for, their names


def test_a_refund_committing_while_the_target_is_finalized_is_never_left_with_its_bonus(app, owner, sellers):
    """A refund whose transaction is open while the target is finalized: the finalize waits for it
    (PostgreSQL; SQLite's writers run one at a time anyway), so the bonus is either not booked or reversed."""
    from teams import targets

    target = make_target(owner, measure="orders", threshold="2", bonus="30.00")
    shift_into_past(app, target["id"])
    people, codes, at = sellers["people"], sellers["codes"], NOW - timedelta(days=2)
    sale(owner, "b1", codes["bob"], "10.00", at)
    sale(owner, "b2", codes["bob"], "10.00", at)
    finalize_during_open_refund(app, Target, target["id"], "b1", "10.00", targets.finalize)
    with database.new_session(app) as s:
        bonus = s.scalar(select(TargetBonus).where(TargetBonus.sharer_id == people["bob"]["id"]))
        assert bonus is None or bonus.status == "reversed"
    ledger_nets(app)


def test_a_sale_rejected_in_review_never_earns_a_bonus(app, owner, sellers):
    """Orders held by a risk rule and rejected (a rejected sale pays nothing) do not count towards a target:
    rejected before the target is final, no bonus; rejected after, before approval, the bonus is reversed."""
    from test_withdrawals import put

    early = make_target(owner, measure="orders", threshold="2", bonus="30.00")
    late = make_target(owner, name="另一个", measure="orders", threshold="2", bonus="20.00")
    for target in (early, late):
        shift_into_past(app, target["id"])
    assert put(owner, "/api/v1/risk/settings", {"rules": {"ip_prefix_orders": {"max": 1, "minutes": 60}}}).status_code == 200
    people, codes, at = sellers["people"], sellers["codes"], NOW - timedelta(days=2)
    for order in ("b1", "b2"):  # one network: the second order is held
        ok(owner.post("/api/v1/conversions", {
            "type": "sale", "order_id": order, "amount": "10.00", "code": codes["bob"], "occurred_at": at.isoformat(),
            "customer": {"external_id": f"cust-{order}", "ip": "192.0.2.7"}}), 201)
    [review] = ok(owner.get("/api/v1/risk/reviews", query_string={"status": "open"}))["items"]
    ok(owner.post(f"/api/v1/targets/{early['id']}/finalize"))  # still held: it counts for now
    ok(owner.post(f"/api/v1/risk/reviews/{review['id']}/reject", {"reason": "同一网络反复下单"}))
    ok(owner.post(f"/api/v1/targets/{late['id']}/finalize"))
    with database.new_session(app) as s:
        bonuses = {b.target_id: (b.status, b.reversed_minor) for b in s.scalars(select(TargetBonus))}
    assert bonuses == {early["id"]: ("reversed", 3000)}
    ledger_nets(app)
    assert ok(owner.get(f"/api/v1/sharers/{people['bob']['id']}/earnings"))["pending"] == "1.00"  # b1's commission
