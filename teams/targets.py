"""Individual targets (个人目标): "sell 10 this month, earn a ¥50 bonus".

A marketer fixes a target before its period starts: the measure (the sharer's own net sales or
orders, never recruits), the threshold, one bonus amount from the brand's budget, and
optionally the sharers or grades it is for and the campaign whose sales count. Progress counts
the sales the leaderboard counts (``referrals.bonuses.own_figures``). ``finalize`` books a bonus
(ledger kind ``target_bonus``) for each sharer who reached it, once however often it runs; a
refund before approval that takes them below the threshold reverses it
(``referrals.bonuses.reverse_for_refund``). A bonus never adds a paid level to any sale.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.campaigns import get_campaign
from plumbing.errors import ApiError
from plumbing.money import format_amount, parse_amount
from referrals import ledger
from referrals.bonuses import MEASURES, own_figures
from referrals.models import Grade, Sharer, TargetBonus
from teams.contests import ended_to_finalize, status_of
from teams.models import Target
from workspaces.models import Workspace

__all__ = ["MEASURES", "create_target", "finalize", "get_target", "target_json", "list_targets", "progress"]


def _bad(field: str, message: str, detail: str) -> ApiError:
    return ApiError(422, "validation_error", message, {field: detail})


def _amount(text: str, currency: str, field: str) -> int:
    try:
        value = parse_amount(text, currency)
    except ValueError as exc:
        raise _bad(field, "Invalid amount.", str(exc)) from None
    if value <= 0:
        raise _bad(field, "Invalid amount.", "must be more than zero")
    return value


def parse_threshold(text: str, measure: str, currency: str) -> int:
    """A threshold as typed: a whole number of orders, or an amount of net sales (in minor units).

    :raise ApiError 422: not a positive whole number / amount.
    """
    if measure == "orders":
        if not text.strip().isdecimal() or not 0 < int(text) <= 1_000_000:
            raise _bad("threshold", "Invalid threshold.", "a whole number of orders from 1 to 1000000")
        return int(text)
    return _amount(text, currency, "threshold")


def show_threshold(target: Target | TargetBonus, value: int | None = None) -> str:
    """A threshold or figure as shown: ``"10"`` orders or ``"1000.00"`` of net sales."""
    value = target.threshold if value is None else value
    return str(value) if target.measure == "orders" else format_amount(value, target.currency)


def create_target(session: Session, workspace_id: int, data: dict, now: datetime) -> Target:
    """A target shaped by TargetIn; the caller commits. Its rule and bonus are fixed here, for good.

    :raise ApiError 422: a period not in the future, a bad threshold or bonus, a currency unlike the campaign's.
    :raise ApiError 404: a campaign, sharer or grade of another workspace.
    """
    name = data["name"].strip()
    if not name:
        raise _bad("name", "A target needs a name.", "must not be blank")
    if data["ends_at"] <= data["starts_at"]:
        raise _bad("ends_at", "The target ends before it starts.", "after starts_at")
    if data["starts_at"] < now:
        raise _bad("starts_at", "A target is fixed before its period starts.", "must be in the future")
    campaign = get_campaign(session, workspace_id, data["campaign_id"]) if data.get("campaign_id") else None
    currency = data.get("currency") or (campaign.currency if campaign else
                                         session.get(Workspace, workspace_id).currency)
    if campaign is not None and currency != campaign.currency:
        raise _bad("currency", "The campaign sells in another currency.", f"the campaign's: {campaign.currency}")
    threshold = parse_threshold(data["threshold"], data["measure"], currency)
    bonus = _amount(data["bonus"], currency, "bonus")
    for field, model in (("sharer_ids", Sharer), ("grade_ids", Grade)):
        wanted = sorted(set(data.get(field) or []))
        if wanted:
            found = set(session.scalars(select(model.id).where(model.workspace_id == workspace_id,
                                                               model.id.in_(wanted))))
            if found != set(wanted):
                raise ApiError(404, "not_found", "No such sharer or grade.",
                               {field: f"unknown: {sorted(set(wanted) - found)}"})
        data[field] = wanted or None
    target = Target(workspace_id=workspace_id, name=name, measure=data["measure"], threshold=threshold,
                    bonus_minor=bonus, currency=currency, starts_at=data["starts_at"], ends_at=data["ends_at"],
                    campaign_id=campaign.id if campaign else None, sharer_ids=data["sharer_ids"],
                    grade_ids=data["grade_ids"])
    session.add(target)
    session.flush()
    return target


def get_target(session: Session, workspace_id: int, target_id: int) -> Target:
    """:raise ApiError 404: no such target in this workspace."""
    target = session.scalar(select(Target).where(Target.id == target_id, Target.workspace_id == workspace_id))
    if target is None:
        raise ApiError(404, "not_found", "No such target.")
    return target


def applies_to(session: Session, target: Target, sharer_ids: list[int]) -> set[int]:
    """Which of ``sharer_ids`` the target is for: sharers of its workspace, in its list and grades if it has them."""
    query = select(Sharer.id).where(Sharer.workspace_id == target.workspace_id, Sharer.id.in_(sharer_ids))
    if target.sharer_ids:
        query = query.where(Sharer.id.in_(target.sharer_ids))
    if target.grade_ids:
        query = query.where(Sharer.grade_id.in_(target.grade_ids))
    return set(session.scalars(query)) if sharer_ids else set()


def progress(session: Session, target: Target, until: datetime, sharer_id: int | None = None,
             recorded_before: datetime | None = None) -> list[dict]:
    """Each sharer the target is for with sales in [starts_at, min(until, ends_at)): ``sharer_id``,
    ``value`` (orders, or net sales in minor units) and ``reached``, highest first; ``sharer_id``: that one only
    (a row of zero when they have no sales yet, none when the target is not for them)."""
    end = min(until, target.ends_at)
    figures = {} if end <= target.starts_at else own_figures(
        session, target.workspace_id, target.currency, target.starts_at, end, campaign_id=target.campaign_id,
        sharer_ids=[sharer_id] if sharer_id is not None else target.sharer_ids, recorded_before=recorded_before)
    if sharer_id is not None:
        figures.setdefault(sharer_id, {"orders": 0, "net_sales": 0})
    eligible = applies_to(session, target, list(figures))
    rows = [{"sharer_id": s, "value": f[target.measure], "reached": f[target.measure] >= target.threshold}
            for s, f in figures.items() if s in eligible]
    return sorted(rows, key=lambda r: (-r["value"], r["sharer_id"]))


def finalize(session: Session, workspace_id: int, target_id: int, now: datetime) -> Target:
    """Book the bonus of every sharer who reached an ended target, once; the caller commits.

    Safe to run twice or concurrently: a lock, the ``finalized_at`` mark and one TargetBonus
    per (target, sharer) in the database.
    :raise ApiError 409: the period has not ended.
    """
    target = ended_to_finalize(session, Target, "target", workspace_id, target_id, now)
    if target.finalized_at is not None:
        return target
    holding = session.get(Workspace, workspace_id).holding_days
    for row in progress(session, target, target.ends_at, recorded_before=now):
        if row["reached"]:
            bonus = TargetBonus(workspace_id=workspace_id, target_id=target.id, sharer_id=row["sharer_id"],
                                campaign_id=target.campaign_id, measure=target.measure, threshold=target.threshold,
                                basis=row["value"], currency=target.currency, amount_minor=target.bonus_minor,
                                period_start=target.starts_at, period_end=target.ends_at, status="pending",
                                approvable_at=now + timedelta(days=holding), created_at=now)
            session.add(bonus)
            ledger.book_prize(session, bonus, memo=f"target {target.name}", reason="target_bonus")
    target.finalized_at = now
    return target


def ended_unfinalized(session: Session, now: datetime) -> list[tuple[int, int]]:
    """(workspace id, target id) of every target past its end and not yet finalized."""
    return [tuple(r) for r in session.execute(select(Target.workspace_id, Target.id).where(
        Target.finalized_at.is_(None), Target.ends_at <= now).order_by(Target.id))]


def summary_json(target: Target, now: datetime, viewer_sharer_id: int | None = None) -> dict:
    """The target without progress. A seller (``viewer_sharer_id``, one it is for) sees in ``sharer_ids``
    only themselves: who else a target is limited to is the brand's business."""
    sharer_ids = target.sharer_ids
    if viewer_sharer_id is not None and sharer_ids:
        sharer_ids = [viewer_sharer_id]
    return {"id": target.id, "name": target.name, "measure": target.measure, "threshold": show_threshold(target),
            "bonus": format_amount(target.bonus_minor, target.currency), "currency": target.currency,
            "starts_at": target.starts_at, "ends_at": target.ends_at, "campaign_id": target.campaign_id,
            "sharer_ids": sharer_ids, "grade_ids": target.grade_ids, "status": status_of(target, now),
            "finalized_at": target.finalized_at}


def target_json(session: Session, target: Target, now: datetime, viewer_sharer_id: int | None = None) -> dict:
    """The target and its progress lines (a seller: their own line only; once final, the bonuses booked,
    with ``bonus_status``); names for staff."""
    if target.finalized_at is not None:
        booked = {b.sharer_id: b for b in session.scalars(select(TargetBonus).where(TargetBonus.target_id == target.id))}
        rows = progress(session, target, target.ends_at, viewer_sharer_id, recorded_before=target.finalized_at)
    else:
        booked, rows = {}, progress(session, target, now, viewer_sharer_id)
    names = dict(session.execute(select(Sharer.id, Sharer.name).where(Sharer.id.in_([r["sharer_id"] for r in rows]))
                                 .order_by(Sharer.id)).all()) if rows else {}
    lines = []
    for row in rows[:500]:
        bonus = booked.get(row["sharer_id"])
        lines.append({"sharer_id": row["sharer_id"], "name": names.get(row["sharer_id"]),
                      "value": show_threshold(target, row["value"]), "reached": row["reached"],
                      "bonus_status": bonus.status if bonus else None,
                      "bonus": format_amount(bonus.amount_minor - bonus.reversed_minor if bonus else 0, target.currency)})
    return {**summary_json(target, now, viewer_sharer_id), "as_of": min(now, target.ends_at), "progress": lines}


def list_targets(session: Session, workspace_id: int, now: datetime, sharer_id: int | None = None, *,
                 viewer_sharer_id: int | None = None) -> list[dict]:
    """The workspace's targets, newest first (``sharer_id``: only those for that sharer; ``viewer_sharer_id``:
    a seller's list, only those for them, as :func:`summary_json` shows them to a seller)."""
    sharer_id = viewer_sharer_id or sharer_id
    found = session.scalars(select(Target).where(Target.workspace_id == workspace_id)
                            .order_by(Target.starts_at.desc(), Target.id.desc()).limit(200))
    return [summary_json(t, now, viewer_sharer_id) for t in found
            if sharer_id is None or applies_to(session, t, [sharer_id])]


def seller_view(session: Session, workspace_id: int, sharer_id: int, now: datetime) -> list[dict]:
    """The seller's own progress on the targets for them that are live, upcoming or ended in the last
    31 days: each target's summary with ``value`` ("7"), ``reached`` and, once final, ``bonus_status``."""
    shown = []
    for summary in list_targets(session, workspace_id, now, viewer_sharer_id=sharer_id):
        if summary["ends_at"] < now - timedelta(days=31):
            continue
        target = get_target(session, workspace_id, summary["id"])
        line = target_json(session, target, now, sharer_id)["progress"][0]
        shown.append({**summary, **{k: line[k] for k in ("value", "reached", "bonus_status")}})
    return shown[:20]
