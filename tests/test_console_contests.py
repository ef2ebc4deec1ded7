"""Setting up a team contest in the console: the measure, the window in the workspace's time zone,
the teams and fixed prizes; bad input re-shows the form with a 422 and stores nothing."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def teams(owner, make_sharer):
    made = []
    for team_name, captain in (("红队", "小林"), ("蓝队", "王芳"), ("绿队", "阿强")):
        res = owner.post("/api/v1/teams", {"name": team_name, "captain_id": make_sharer(captain)["id"]})
        assert res.status_code == 201, res.json
        made.append(res.json)
    return made


def zone_of(app) -> str:
    from plumbing import database
    from workspaces.models import Workspace

    with database.new_session(app) as s:
        return s.query(Workspace).one().timezone


def local(days: float, zone: str) -> str:
    return (datetime.now(ZoneInfo(zone)) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def form(teams, zone, **changes) -> dict:
    return {"name": "春茶 PK", "measure": "orders", "split": "equal", "starts_at": local(1, zone),
            "ends_at": local(8, zone), "team_ids": [str(teams[0]["id"]), str(teams[1]["id"])],
            "prize_1_amount": "500.00", "prize_1_goods": "", "prize_2_amount": "", "prize_2_goods": "茶具一套",
            "prize_3_amount": "", "prize_3_goods": "", **changes}



def test_a_marketer_sets_up_a_contest_with_its_measure_window_and_prizes(console, owner, teams, app):
    zone = zone_of(app)
    page = text_of(console.get("/console/contests").text)
    assert "Set up a contest" in page
    typed = form(teams, zone)
    res = console.post("/console/contests/new", typed, token_from="/console/contests/new")
    assert res.status_code == 303, text_of(res.text)
    [contest] = owner.get("/api/v1/contests").json["items"]
    assert res.headers["Location"].endswith(f"/console/contests/{contest['id']}")
    detail = owner.get(f"/api/v1/contests/{contest['id']}").json
    assert detail["name"] == "春茶 PK" and detail["measure"] == "orders" and detail["split"] == "equal"
    assert sorted(t["team_id"] for t in detail["teams"]) == sorted([teams[0]["id"], teams[1]["id"]])
    assert [(p["place"], p["amount"], p["goods"]) for p in detail["prizes"]] == [
        (1, "500.00", None), (2, "0.00", "茶具一套")]
    # The times were typed in the workspace's zone, to the minute.
    starts = datetime.fromisoformat(detail["starts_at"]).astimezone(ZoneInfo(zone))
    assert starts.strftime("%Y-%m-%dT%H:%M") == typed["starts_at"]
    assert "春茶 PK" in text_of(console.get("/console/contests").text)


@pytest.mark.parametrize("changes, field", [
    ({"starts_at": "past"}, "starts_at"),
    ({"ends_at": "before"}, "ends_at"),
    ({"team_ids": ["one"]}, "team_ids"),
    ({"prize_1_amount": "", "prize_2_goods": ""}, "prize_1_amount"),
    ({"prize_1_amount": "abc"}, "prize_1_amount"),
    ({"prize_1_amount": "-5.00"}, "prize_1_amount"),
    ({"name": "   "}, "name"),
    ({"measure": "recruits"}, "measure"),
    ({"starts_at": "not a time"}, "starts_at"),
])
def test_a_bad_contest_reshows_the_form_and_stores_nothing(console, owner, teams, app, changes, field):
    zone = zone_of(app)
    typed = form(teams, zone)
    if changes.get("starts_at") == "past":
        changes = {"starts_at": local(-1, zone)}
    if changes.get("ends_at") == "before":
        changes = {"starts_at": local(3, zone), "ends_at": local(2, zone)}
    if changes.get("team_ids") == ["one"]:
        changes = {"team_ids": [str(teams[0]["id"])]}
    res = console.post("/console/contests/new", {**typed, **changes}, token_from="/console/contests/new")
    assert res.status_code == 422, res.status_code
    assert re.search(rf'id="{field}[^"]*"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}', res.text) \
        or f'id="{field}-error"' in res.text, field
    assert owner.get("/api/v1/contests").json["items"] == []


def test_a_team_of_another_workspace_cannot_be_chosen(console, owner, teams, app):
    zone = zone_of(app)
    res = console.post("/console/contests/new", form(teams, zone, team_ids=[str(teams[0]["id"]), "99999"]),
                       token_from="/console/contests/new")
    assert res.status_code == 422
    assert owner.get("/api/v1/contests").json["items"] == []


def test_each_page_lights_its_own_tab(console):
    """The Customers page lights "Customers" only, and the contests list "Contests" only."""
    for path, lit in (("/console/customers", "/console/customers"), ("/console/contests", "/console/contests")):
        nav = re.search(r'<nav class="mainnav".*?</nav>', console.get(path).text, re.S).group(0)
        current = re.findall(r'<a href="([^"]+)" aria-current="page">', nav)
        assert current == [lit], (path, current)
