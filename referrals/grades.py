"""Seller grades: rates earned by a sharer's own sales, checked by a periodic job.

Promotion looks only at the sharer's own net sales and orders (never at how
many people they brought in), nobody pays to be promoted, and a demotion
changes future rates only: what was earned stays earned. A grade replaces a
rule, never adds a level: a sale still pays at most two.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Product
from catalog.rules import Rule, margin_ceiling, paid_at_price, parse_rule
from plumbing.errors import ApiError
from plumbing.money import amount_field, format_amount
from referrals.models import Conversion, Grade, GradeChange, Sharer
from referrals.stats import not_rejected_in_review
from workspaces.models import Workspace


@dataclass(frozen=True)
class Threshold:
    grade_id: int
    rank: int
    min_net_sales_minor: int
    min_orders: int
    period_days: int


def grade_for(thresholds: list[Threshold], figures: dict[int, tuple[int, int]]) -> int | None:
    """The highest-ranked grade whose thresholds the figures meet (pure).

    ``figures`` maps a period in days to the sharer's own (net sales, orders) over it.
    """
    met = [t for t in thresholds
           if figures[t.period_days][0] >= t.min_net_sales_minor and figures[t.period_days][1] >= t.min_orders]
    return max(met, key=lambda t: t.rank).grade_id if met else None


def _rule(kind: str | None, value: str | None) -> Rule | None:
    return Rule(kind, value) if kind else None


def rates_for(session: Session, seller: Sharer) -> tuple[Rule | None, Rule | None]:
    """The seller's grade commission (level 1) and their inviter's grade invite bonus (level 2), if any."""
    mine = session.get(Grade, seller.grade_id) if seller.grade_id else None
    inviter = session.get(Sharer, seller.invited_by) if seller.invited_by else None
    theirs = session.get(Grade, inviter.grade_id) if inviter is not None and inviter.grade_id else None
    return (_rule(mine.commission_type, mine.commission_value) if mine else None,
            _rule(theirs.invite_type, theirs.invite_value) if theirs else None)


def _values(session: Session, workspace: Workspace, data: dict, grade: Grade | None) -> dict:
    """Grade columns from ``data`` (a whole GradeIn). :raise ApiError 409, 422: see the routes."""
    errors: dict[str, str] = {}
    rules = {}
    for field in ("commission", "invite_bonus"):
        if data.get(field) is not None:
            try:
                rules[field] = parse_rule(data[field], workspace.currency)
            except ValueError as exc:
                errors[f"{field}.value"] = str(exc)
    min_net = amount_field(data, "min_net_sales", workspace.currency, errors, allow_zero=True) or 0
    if errors:
        raise ApiError(422, "validation_error", "The grade has invalid fields.", errors)
    taken = session.scalar(select(Grade.id).where(Grade.workspace_id == workspace.id, Grade.rank == data["rank"],
                                                  Grade.id != (grade.id if grade else 0)))
    if taken is not None:
        raise ApiError(409, "duplicate_rank", "Another grade has this rank.", {"rank": "taken"})
    commission, invite = rules.get("commission"), rules.get("invite_bonus")
    check_rule_margin(session, workspace, commission, invite)
    return dict(name=data["name"].strip(), rank=data["rank"], min_net_sales_minor=min_net,
                min_orders=data.get("min_orders") or 0, period_days=data.get("period_days") or 30,
                commission_type=commission.type if commission else None,
                commission_value=commission.value if commission else None,
                invite_type=invite.type if invite else None, invite_value=invite.value if invite else None)


def check_rule_margin(session: Session, workspace: Workspace, commission: Rule | None, invite: Rule | None,
                      whose: str = "grade's", field_prefix: str = "") -> None:
    """Rates (a grade's, the repeat rule) at the brand price of every costed product stay within its margin ceiling.

    :raise ApiError 422 margin_exceeded: naming the rule and the product.
    """
    if commission is None and invite is None:
        return
    for product in session.scalars(select(Product).where(Product.workspace_id == workspace.id,
                                                         Product.cost_minor.is_not(None),
                                                         Product.archived_at.is_(None))):
        first = commission or _rule(product.commission_type, product.commission_value)
        if first is None:
            continue
        paid = paid_at_price(product.price_minor, product.currency, first, invite)
        ceiling = margin_ceiling(product.price_minor, product.cost_minor, 1, workspace.margin_ceiling_percent)
        if paid > ceiling:
            name = "commission" if commission is not None else "invite_bonus"
            raise ApiError(422, "margin_exceeded",
                           f"The {whose} {name} would pay {format_amount(paid, product.currency)} on product "
                           f"{product.id} at the brand's price, above its margin ceiling of "
                           f"{format_amount(ceiling, product.currency)}.",
                           {field_prefix + name: f"exceeds the margin ceiling of product {product.id}"})


def grade_input(grade: Grade, currency: str) -> dict:
    return {"name": grade.name, "rank": grade.rank,
            "commission": {"type": grade.commission_type, "value": grade.commission_value}
            if grade.commission_type else None,
            "invite_bonus": {"type": grade.invite_type, "value": grade.invite_value} if grade.invite_type else None,
            "min_net_sales": format_amount(grade.min_net_sales_minor, currency), "min_orders": grade.min_orders,
            "period_days": grade.period_days}


def grade_json(grade: Grade, currency: str) -> dict:
    return {"id": grade.id, **grade_input(grade, currency)}


def save_grade(session: Session, workspace_id: int, data: dict, grade: Grade | None = None) -> Grade:
    """Create a grade, or apply ``data`` (any subset) to ``grade``.

    :raise ApiError 409 duplicate_rank. :raise ApiError 422: bad rules or amounts, or margin_exceeded.
    """
    workspace = session.get(Workspace, workspace_id)
    merged = {**(grade_input(grade, workspace.currency) if grade else {}), **data}
    values = _values(session, workspace, merged, grade)
    if grade is None:
        grade = Grade(workspace_id=workspace_id, **values)
        session.add(grade)
    else:
        for name, value in values.items():
            setattr(grade, name, value)
    session.flush()
    return grade


def get_grade(session: Session, workspace_id: int, grade_id: int) -> Grade:
    """:raise ApiError 404: no such grade in this workspace."""
    grade = session.scalar(select(Grade).where(Grade.id == grade_id, Grade.workspace_id == workspace_id))
    if grade is None:
        raise ApiError(404, "not_found", "No such grade.")
    return grade


def list_grades(session: Session, workspace_id: int) -> list[Grade]:
    return list(session.scalars(select(Grade).where(Grade.workspace_id == workspace_id).order_by(Grade.rank)))


def own_figures(session: Session, sharer_id: int, currency: str, since: datetime) -> tuple[int, int]:
    """The sharer's own net sales (refunds netted) and orders since ``since``: attributed sales they made,
    not self-referrals, less any rejected in risk review (one still in review counts)."""
    net, orders = session.execute(
        select(func.coalesce(func.sum(Conversion.amount_minor - Conversion.refunded_minor), 0), func.count())
        .where(Conversion.sharer_id == sharer_id, Conversion.type == "sale", Conversion.currency == currency,
               Conversion.occurred_at >= since, Conversion.attribution.not_like("none%"),
               Conversion.self_referral.is_(False), not_rejected_in_review())).one()
    return int(net), int(orders)


def evaluate(session: Session, workspace_id: int, now: datetime) -> list[GradeChange]:
    """Put every sharer of the workspace in the grade their own recent sales earn; record each change.

    Safe to run twice: a sharer already in their grade is left alone.
    """
    workspace = session.get(Workspace, workspace_id)
    thresholds = [Threshold(g.id, g.rank, g.min_net_sales_minor, g.min_orders, g.period_days)
                  for g in list_grades(session, workspace_id)]
    if not thresholds:
        return []
    periods = {t.period_days for t in thresholds}
    changes = []
    for sharer in session.scalars(select(Sharer).where(Sharer.workspace_id == workspace_id).with_for_update()):
        figures = {days: own_figures(session, sharer.id, workspace.currency, now - timedelta(days=days))
                   for days in periods}
        target = grade_for(thresholds, figures)
        if target != sharer.grade_id:
            net, orders = figures[max(periods)]
            change = GradeChange(workspace_id=workspace_id, sharer_id=sharer.id, from_grade_id=sharer.grade_id,
                                 to_grade_id=target, net_sales_minor=net, orders=orders, changed_at=now)
            session.add(change)
            sharer.grade_id = target
            changes.append(change)
    session.flush()
    return changes


def sharer_grade(session: Session, sharer: Sharer, currency: str) -> dict:
    """The sharer's grade now and the history of their changes, newest first."""
    grade = session.get(Grade, sharer.grade_id) if sharer.grade_id else None
    history = session.scalars(select(GradeChange).where(GradeChange.sharer_id == sharer.id)
                              .order_by(GradeChange.changed_at.desc(), GradeChange.id.desc()).limit(100))
    return {"grade": grade_json(grade, currency) if grade else None,
            "history": [{"from_grade_id": c.from_grade_id, "to_grade_id": c.to_grade_id,
                         "net_sales": format_amount(c.net_sales_minor, currency), "orders": c.orders,
                         "changed_at": c.changed_at.isoformat()} for c in history]}
