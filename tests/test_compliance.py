"""The compliance report: its claims hold for real programmes (a property test over generated
ones), fail when the data breaks the line, and come with their queries and figures."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from conftest import CAMPAIGN, Api, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from plumbing import database
from referrals.compliance import chain_depths
from referrals.models import Commission, LedgerEntry


def claims(api) -> dict:
    res = api.get("/api/v1/compliance")
    assert res.status_code == 200, res.json
    return {c["id"]: c for c in res.json["claims"]}


def make_programme(client, app, percent: int, bonus: int, parents: list[int | None], sales: list[tuple[int, int]],
                   refunds: list[int]) -> tuple[Api, list[dict]]:
    """A fresh workspace: sharers invited as ``parents`` says, sales (sharer index, yuan), refunds of some."""
    api = Api(client, run_cli(app, "workspace", "create", "--name", "Prop")["api_key"])
    body = {**CAMPAIGN, "commission": {"type": "percent", "value": str(percent)}}
    body["invite_bonus"] = {"type": "percent", "value": str(bonus)} if bonus else None
    campaign = api.post("/api/v1/campaigns", {k: v for k, v in body.items() if v is not None}).json
    sharers = []
    for i, parent in enumerate(parents):
        res = api.post("/api/v1/sharers", {"name": f"s{i}", **({"invited_by": sharers[parent]["id"]}
                                                               if parent is not None else {})})
        assert res.status_code == 201, res.json
        sharers.append(res.json)
    for n, (who, yuan) in enumerate(sales):
        res = api.post("/api/v1/conversions", {"type": "sale", "order_id": f"o{n}", "amount": f"{yuan}.00",
                                               "sharer_id": sharers[who]["id"], "campaign_id": campaign["id"],
                                               "customer": {"external_id": f"buyer{n}"}})
        assert res.status_code == 201, res.json
    for n in refunds:
        if n < len(sales):
            assert api.post("/api/v1/conversions", {"type": "refund", "order_id": f"o{n}",
                                                    "amount": "1.00"}).status_code == 201
    return api, sharers


@st.composite
def programmes(draw):
    size = draw(st.integers(1, 6))
    parents = [None] + [draw(st.one_of(st.none(), st.integers(0, i - 1))) for i in range(1, size)]
    sales = draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(1, 999)), max_size=6))
    return (draw(st.integers(1, 30)), draw(st.integers(0, 10)), parents, sales,
            draw(st.lists(st.integers(0, 5), max_size=3, unique=True)))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(programme=programmes())
def test_the_claims_hold_for_any_programme_and_its_figures_add_up(app, client, programme):
    percent, bonus, parents, sales, refunds = programme
    api, sharers = make_programme(client, app, percent, bonus, parents, sales, refunds)
    found = claims(api)
    assert all(c["holds"] for c in found.values()), found
    two = found["at_most_two_levels"]["figures"]
    assert two["deepest_paid_level"] <= 2
    depth = {i: 1 for i, p in enumerate(parents) if p is None}
    for i, p in enumerate(parents):
        if p is not None:
            depth[i] = depth[p] + 1
    # the buyers enrolled as sharers under the seller make the chain one deeper
    assert two["deepest_invite_chain"] == max([depth[i] for i in depth] + [depth[w] + 1 for w, _ in sales])
    share = found["max_share_paid"]["figures"]
    assert found["max_share_paid"]["figures"]["sales"] == len(sales)
    if sales:
        inviter_paid = any(parents[w] is not None for w, _ in sales) and bonus
        assert Decimal(share["max_share_percent"]) <= percent + (bonus if inviter_paid else 0)
    assert found["no_entry_fee"]["figures"]["fee_columns"] == []
    for claim in found.values():
        assert claim["query"] is None or claim["query"].startswith("SELECT")


def test_a_seeded_programme_reads_true_and_exports_csv(app, client, owner):
    api, sharers = make_programme(client, app, 10, 2, [None, 0, 1, 2], [(3, 199), (2, 100), (1, 50)], [1])
    found = claims(api)
    assert all(c["holds"] for c in found.values())
    figures = found["at_most_two_levels"]["figures"]
    assert figures["deepest_invite_chain"] == 5 and figures["deepest_paid_level"] == 2
    assert figures["sharers_by_invite_depth"] == {"1": 1, "2": 1, "3": 2, "4": 2, "5": 1}
    assert found["max_share_paid"]["figures"]["max_share_percent"] == "12.00"
    res = api.get("/api/v1/compliance.csv")
    assert res.status_code == 200
    rows = list(csv.reader(io.StringIO(res.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["claim", "holds", "figure", "value"]
    assert ["at_most_two_levels", "yes", "deepest_paid_level", "2"] in rows
    assert api.get("/api/v1/compliance?from=2026-12-01T00:00:00Z&to=2026-01-01T00:00:00Z").status_code == 422
    assert api.get("/api/v1/compliance?from=yesterday").status_code == 422


def test_the_report_says_so_when_the_data_crosses_the_line(app, client, owner):
    api, sharers = make_programme(client, app, 10, 2, [None, 0, 1], [(2, 199)], [])
    with database.new_session(app) as s:
        paid = s.scalars(select(Commission).order_by(Commission.level)).all()
        # a third paid level and a payment for nothing but joining, written around the services
        s.add(Commission(workspace_id=paid[0].workspace_id, conversion_id=paid[0].conversion_id,
                         campaign_id=paid[0].campaign_id, sharer_id=sharers[0]["id"], level=3, currency="CNY",
                         amount_minor=100, status="pending", approvable_at=paid[0].approvable_at))
        s.add(LedgerEntry(workspace_id=paid[0].workspace_id, sharer_id=sharers[0]["id"], currency="CNY",
                          bucket="approved", amount_minor=500, reason="recruit_bonus"))
        s.commit()
    found = claims(api)
    assert not found["at_most_two_levels"]["holds"] and found["at_most_two_levels"]["figures"]["deepest_paid_level"] == 3
    assert not found["no_entry_fee"]["holds"] and not found["nothing_for_recruiting"]["holds"]
    assert api.get("/api/v1/compliance").json["holds"] is False
    with database.read_session(app) as s:  # the query shown is the one that finds it
        assert s.execute(text(found["at_most_two_levels"]["query"])).all()


def test_chain_depths_walks_each_chain_once():
    assert chain_depths({1: None, 2: 1, 3: 2, 4: 1, 5: None}) == {1: 1, 2: 2, 3: 3, 4: 2, 5: 1}
