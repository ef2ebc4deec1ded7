"""Team contests (团队PK): made with their prizes fixed, scored live, frozen once at the end.

The measure is net sales, orders, or new customers who bought: never recruits.
Standings count the same sales as the leaderboard (``stats.counted_sales``: attributed, not
self-referral, not fully refunded, not rejected in risk review; net of refunds) of the contest's
teams' members in the period. ``finalize`` freezes the standings and books each
winning member's share of the cash prize in the ledger (``contest_prize``);
it runs once however often it is called.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from plumbing import database
from plumbing.errors import ApiError
from plumbing.money import format_amount, parse_amount
from referrals import ledger
from referrals.leaderboard import masked, sales_in_window
from referrals.models import Conversion, Prize, Sharer
from referrals.stats import not_rejected_in_review
from teams.awards import place_teams, split_team_prize
from teams.models import Contest, ContestTeam, Team, TeamMember
from workspaces.models import Workspace

MEASURES = ("net_sales", "orders", "new_customers")
SPLITS = ("proportional", "equal")


def create_contest(session: Session, workspace_id: int, data: dict, now: datetime) -> Contest:
    """A contest shaped by ContestIn; the caller commits. Prizes are fixed here, for good.

    :raise ApiError 422: a period that is not in the future, fewer than two teams, a bad prize.
    :raise ApiError 404: a team of another workspace.
    """
    currency = data.get("currency") or session.get(Workspace, workspace_id).currency
    if not data["name"].strip():
        raise ApiError(422, "validation_error", "A contest needs a name.", {"name": "must not be blank"})
    if data["ends_at"] <= data["starts_at"]:
        raise ApiError(422, "validation_error", "The contest ends before it starts.", {"ends_at": "after starts_at"})
    if data["starts_at"] < now:
        raise ApiError(422, "validation_error", "Prizes are fixed before a contest starts.",
                       {"starts_at": "must be in the future"})
    team_ids = sorted(set(data["team_ids"]))
    if len(team_ids) < 2:
        raise ApiError(422, "validation_error", "A contest needs two teams or more.", {"team_ids": "two or more"})
    found = set(session.scalars(select(Team.id).where(Team.workspace_id == workspace_id, Team.id.in_(team_ids))))
    if found != set(team_ids):
        raise ApiError(404, "not_found", "No such team.", {"team_ids": f"unknown: {sorted(set(team_ids) - found)}"})
    prizes, places = [], set()
    for i, prize in enumerate(data["prizes"]):
        if prize["place"] in places or not (prize.get("amount") or prize.get("goods")):
            raise ApiError(422, "validation_error", "Each place has one prize: an amount, goods or both.",
                           {f"prizes.{i}": "a new place with amount or goods"})
        places.add(prize["place"])
        row = {"place": prize["place"]}
        if prize.get("amount"):
            try:
                row["amount_minor"] = parse_amount(prize["amount"], currency)
            except ValueError as exc:
                raise ApiError(422, "validation_error", "Invalid amount.", {f"prizes.{i}.amount": str(exc)}) from None
        if prize.get("goods"):
            row["goods"] = prize["goods"].strip()
        prizes.append(row)
    contest = Contest(workspace_id=workspace_id, name=data["name"].strip(), measure=data["measure"],
                      split=data.get("split") or "proportional", currency=currency, starts_at=data["starts_at"],
                      ends_at=data["ends_at"], prizes=sorted(prizes, key=lambda p: p["place"]))
    session.add(contest)
    session.flush()
    session.add_all(ContestTeam(contest_id=contest.id, team_id=t) for t in team_ids)
    return contest


def get_contest(session: Session, workspace_id: int, contest_id: int) -> Contest:
    """:raise ApiError 404: no such contest in this workspace."""
    contest = session.scalar(select(Contest).where(Contest.id == contest_id, Contest.workspace_id == workspace_id))
    if contest is None:
        raise ApiError(404, "not_found", "No such contest.")
    return contest


def status_of(contest: Contest, now: datetime) -> str:
    if contest.finalized_at is not None:
        return "final"
    if now < contest.starts_at:
        return "upcoming"
    return "live" if now < contest.ends_at else "ended"


def standings(session: Session, contest: Contest, until: datetime) -> dict:
    """The contest's live score in [starts_at, min(until, ends_at)), three statements:
    per team and member ``orders``, ``net_sales`` (minor units) and ``new_customers``
    (buyers whose first purchase in the workspace is one of these sales: a purchase rejected in risk
    review was none, so the buyer's next one may be their first), ranked with prizes.
    """
    end = min(until, contest.ends_at)
    teams = {t.id: t for t in session.scalars(select(Team).join(ContestTeam, ContestTeam.team_id == Team.id)
                                               .where(ContestTeam.contest_id == contest.id))}
    members = session.execute(select(TeamMember.team_id, Sharer.id, Sharer.name)
                              .join(Sharer, Sharer.id == TeamMember.sharer_id)
                              .where(TeamMember.team_id.in_(teams)).order_by(TeamMember.team_id, Sharer.id)).all()
    firsts = (select(Conversion.customer_sharer_id.label("customer"), func.min(Conversion.occurred_at).label("first_at"))
              .where(Conversion.workspace_id == contest.workspace_id, Conversion.type == "sale",
                     Conversion.customer_sharer_id.is_not(None), not_rejected_in_review())
              .group_by(Conversion.customer_sharer_id).subquery())
    new_customer = case((firsts.c.first_at == Conversion.occurred_at, Conversion.customer_sharer_id))
    scored = {row.sharer_id: row for row in session.execute(
        select(Conversion.sharer_id, func.count().label("orders"),
               func.sum(Conversion.amount_minor - Conversion.refunded_minor).label("net_sales"),
               func.count(func.distinct(new_customer)).label("new_customers"))
        .join(TeamMember, and_(TeamMember.sharer_id == Conversion.sharer_id, TeamMember.team_id.in_(teams)))
        .outerjoin(firsts, firsts.c.customer == Conversion.customer_sharer_id)
        .where(*sales_in_window(contest.workspace_id, contest.currency, contest.starts_at, end))
        .group_by(Conversion.sharer_id))}
    lines: dict[int, list[dict]] = {t: [] for t in teams}
    for team_id, sharer_id, name in members:
        row = scored.get(sharer_id)
        lines[team_id].append({"sharer_id": sharer_id, "name": name, "orders": int(row.orders) if row else 0,
                               "net_sales_minor": int(row.net_sales) if row else 0,
                               "new_customers": int(row.new_customers) if row else 0})
    totals = {t: {k: sum(m[k] for m in lines[t]) for k in ("orders", "net_sales_minor", "new_customers")} for t in teams}
    measure_key = "net_sales_minor" if contest.measure == "net_sales" else contest.measure
    placed = place_teams({t: totals[t][measure_key] for t in teams}, contest.prizes)
    rows = []
    for p in placed:
        shares = split_team_prize(p.cash_minor, {m["sharer_id"]: m["net_sales_minor"] for m in lines[p.team_id]},
                                  contest.split)
        for m in lines[p.team_id]:
            m["prize_minor"] = shares.get(m["sharer_id"], 0)
        rows.append({"team_id": p.team_id, "name": teams[p.team_id].name, "captain_id": teams[p.team_id].captain_id,
                     "rank": p.rank, **totals[p.team_id], "prize_minor": p.cash_minor, "goods": list(p.goods),
                     "members": lines[p.team_id]})
    return {"as_of": end, "teams": rows}


def ended_to_finalize(session: Session, model: type, kind: str, workspace_id: int, item_id: int, now: datetime):
    """A contest or target (``model``, named ``kind``) locked for finalizing: a transaction lock and the row
    read for update; one already final comes back as it is (the caller does nothing more).

    :raise ApiError 404: not in this workspace. :raise ApiError 409 ``<kind>_not_over``: not ended yet.
    """
    database.lock(session, f"{kind}:{item_id}")
    row = session.scalar(select(model).where(model.id == item_id, model.workspace_id == workspace_id)
                         .with_for_update())
    if row is None:
        raise ApiError(404, "not_found", f"No such {kind}.")
    if row.finalized_at is None and now < row.ends_at:
        raise ApiError(409, f"{kind}_not_over", f"The {kind} has not ended yet.")
    ledger.lock_awards(session, workspace_id)  # a refund still open commits before the sales are counted
    return row


def finalize(session: Session, workspace_id: int, contest_id: int, now: datetime) -> Contest:
    """Freeze the result of an ended contest and book each member's prize share, once; the caller commits.

    Safe to run twice or concurrently: a lock, the ``finalized_at`` mark and one
    Prize per (contest, sharer) in the database.
    :raise ApiError 409: the contest has not ended.
    """
    contest = ended_to_finalize(session, Contest, "contest", workspace_id, contest_id, now)
    if contest.finalized_at is not None:
        return contest
    result = standings(session, contest, contest.ends_at)
    holding = session.get(Workspace, workspace_id).holding_days
    for team in result["teams"]:
        for member in team["members"]:
            if member["prize_minor"] > 0:
                prize = Prize(workspace_id=workspace_id, contest_id=contest.id, team_id=team["team_id"],
                              sharer_id=member["sharer_id"], place=team["rank"], currency=contest.currency,
                              amount_minor=member["prize_minor"], basis_minor=member["net_sales_minor"],
                              period_start=contest.starts_at, period_end=contest.ends_at, status="pending",
                              approvable_at=now + timedelta(days=holding))
                session.add(prize)
                ledger.book_prize(session, prize, memo=f"contest {contest.name}")
    result["as_of"] = result["as_of"].isoformat()
    contest.result, contest.finalized_at = result, now
    return contest


def ended_unfinalized(session: Session, now: datetime) -> list[tuple[int, int]]:
    """(workspace id, contest id) of every contest past its end and not yet frozen."""
    return [tuple(r) for r in session.execute(select(Contest.workspace_id, Contest.id).where(
        Contest.finalized_at.is_(None), Contest.ends_at <= now).order_by(Contest.id))]


def _money(minor: int, currency: str) -> str:
    return format_amount(minor, currency)


def contest_json(session: Session, contest: Contest, now: datetime, viewer_sharer_id: int | None = None) -> dict:
    """The contest and its board: frozen when final, else live. A seller sees other people's names masked."""
    board = contest.result if contest.finalized_at is not None else standings(session, contest, now)
    cur = contest.currency
    teams = []
    for t in board["teams"]:
        members = [{"sharer_id": m["sharer_id"],
                    "name": m["name"] if viewer_sharer_id in (None, m["sharer_id"]) else masked(m["name"]),
                    "orders": m["orders"], "net_sales": _money(m["net_sales_minor"], cur),
                    "new_customers": m["new_customers"], "prize": _money(m["prize_minor"], cur)}
                   for m in t["members"]]
        teams.append({"team_id": t["team_id"], "name": t["name"], "captain_id": t["captain_id"], "rank": t["rank"],
                      "orders": t["orders"], "net_sales": _money(t["net_sales_minor"], cur),
                      "new_customers": t["new_customers"], "prize": _money(t["prize_minor"], cur),
                      "goods": t["goods"], "members": members})
    return {"id": contest.id, "name": contest.name, "measure": contest.measure, "split": contest.split,
            "currency": cur, "starts_at": contest.starts_at, "ends_at": contest.ends_at,
            "status": status_of(contest, now), "finalized_at": contest.finalized_at,
            "prizes": [{"place": p["place"], "amount": _money(p.get("amount_minor", 0), cur),
                        "goods": p.get("goods")} for p in contest.prizes],
            "as_of": board["as_of"] if isinstance(board["as_of"], str) else board["as_of"].isoformat(),
            "teams": teams}


def list_contests(session: Session, workspace_id: int, now: datetime, team_id: int | None = None) -> list[dict]:
    """The workspace's contests, newest first (``team_id``: those the team takes part in)."""
    query = select(Contest).where(Contest.workspace_id == workspace_id)
    if team_id is not None:
        query = query.join(ContestTeam, ContestTeam.contest_id == Contest.id).where(ContestTeam.team_id == team_id)
    return [{"id": c.id, "name": c.name, "measure": c.measure, "currency": c.currency, "starts_at": c.starts_at,
             "ends_at": c.ends_at, "status": status_of(c, now)}
            for c in session.scalars(query.order_by(Contest.starts_at.desc(), Contest.id.desc()).limit(200))]
