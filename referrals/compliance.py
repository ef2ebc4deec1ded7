"""The compliance report: the programme mapped, point by point, to the line between direct
selling and pyramid selling (禁止传销条例 Art. 7; the 2013 criminal threshold of at least 30
people in at least 3 levels paid on recruits), for a period the user chooses.

Each claim carries the query that proves it (as SQL, so an auditor can run it again), the
figures it found and whether it holds. Claims are read from the ledger and the sales; none
is asserted from configuration.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from plumbing.money import format_amount
from referrals.models import Commission, Conversion, LedgerEntry, Prize, Sharer, TargetBonus
from workspaces.models import Workspace

# Every reason a ledger line may have: money moves only for sales, approval, refunds,
# review, contest prizes and target bonuses fixed in advance, and payout. A fee or a recruiting bonus would
# need a reason not in this set.
LEDGER_REASONS = {"commission", "reversal", "clawback", "approval", "payout", "withdrawal_hold",
                  "withdrawal_release", "rejection", "contest_prize", "target_bonus"}
MAX_CHAIN = 10_000  # bounds the walk up an invite chain (a loop cannot exist, but never spin)


def _sql(session: Session, query) -> str:
    return str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))


def _claim(key: str, claim: str, holds: bool, figures: dict, session: Session, query) -> dict:
    return {"id": key, "claim": claim, "holds": holds, "figures": figures, "query": _sql(session, query)}


def chain_depths(parents: dict[int, int | None]) -> dict[int, int]:
    """Each sharer's depth in the invite tree (1: invited by nobody). Pure."""
    depths: dict[int, int] = {}
    for start in parents:
        path, node = [], start
        while node is not None and node not in depths and len(path) < MAX_CHAIN:
            path.append(node)
            node = parents.get(node)
        base = depths.get(node, 0) if node is not None else 0
        for offset, sharer_id in enumerate(reversed(path), 1):
            depths[sharer_id] = base + offset
    return depths


def report(session: Session, workspace_id: int, start: datetime, end: datetime) -> dict:
    """The report for sales that happened in [start, end): ``claims`` and the period's totals."""
    workspace = session.get(Workspace, workspace_id)
    in_period = and_(Conversion.workspace_id == workspace_id, Conversion.occurred_at >= start,
                     Conversion.occurred_at < end)
    claims = []

    reasons_q = select(LedgerEntry.reason, func.count()).where(
        LedgerEntry.workspace_id == workspace_id, LedgerEntry.created_at >= start, LedgerEntry.created_at < end,
        LedgerEntry.amount_minor > 0).group_by(LedgerEntry.reason).order_by(LedgerEntry.reason)
    reasons = {reason: int(count) for reason, count in session.execute(reasons_q)}
    fee_columns = sorted(f"{t.name}.{c.name}" for t in Sharer.metadata.sorted_tables for c in t.columns
                         if any(w in c.name for w in ("fee", "deposit", "entry_price", "membership")))
    claims.append(_claim(
        "no_entry_fee", "Nobody paid to become a sharer: there is no fee field, and money only ever moved for "
        "sales, approvals, refunds, reviews, contest prizes, target bonuses and payouts.", not fee_columns and set(reasons) <= LEDGER_REASONS,
        {"ledger_credits_by_reason": reasons, "fee_columns": fee_columns}, session, reasons_q))

    sale = aliased(Conversion)
    unbacked_q = (select(func.count(Commission.id)).select_from(Commission)
                  .outerjoin(sale, sale.id == Commission.conversion_id)
                  .where(Commission.workspace_id == workspace_id, Commission.created_at >= start,
                         Commission.created_at < end,
                         or_(sale.id.is_(None), sale.type != "sale", sale.amount_minor <= 0,
                             sale.attribution.like("none:%"))))
    unbacked = int(session.scalar(unbacked_q))
    commissions = int(session.scalar(select(func.count(Commission.id)).join(Conversion, Conversion.id == Commission.conversion_id)
                                     .where(in_period)))
    orphan_q = select(func.count(LedgerEntry.id)).where(
        LedgerEntry.workspace_id == workspace_id, LedgerEntry.reason == "commission", LedgerEntry.commission_id.is_(None))
    orphans = int(session.scalar(orphan_q))
    claims.append(_claim(
        "commissions_from_real_sales", "Every commission came from a real, attributed sale; none without one.",
        unbacked == 0 and orphans == 0, {"commissions": commissions, "commissions_without_a_sale": unbacked,
                                         "credits_without_a_commission": orphans}, session, unbacked_q))

    levels_q = (select(Commission.conversion_id, func.count(Commission.id), func.max(Commission.level))
                .join(Conversion, Conversion.id == Commission.conversion_id).where(in_period)
                .group_by(Commission.conversion_id)
                .having(or_(func.count(Commission.id) > 2, func.max(Commission.level) > 2)))
    too_deep = [int(row[0]) for row in session.execute(levels_q)]
    seller, level1 = aliased(Sharer), aliased(Commission)
    wrong_q = (select(func.count(Commission.id)).select_from(Commission)
               .join(level1, and_(level1.conversion_id == Commission.conversion_id, level1.level == 1))
               .join(seller, seller.id == level1.sharer_id)
               .join(Conversion, Conversion.id == Commission.conversion_id)
               .where(in_period, Commission.level == 2,
                      or_(seller.invited_by.is_(None), seller.invited_by != Commission.sharer_id)))
    wrong_inviter = int(session.scalar(wrong_q))
    deepest_paid = int(session.scalar(select(func.coalesce(func.max(Commission.level), 0))
                                      .join(Conversion, Conversion.id == Commission.conversion_id).where(in_period)))
    depths = chain_depths(dict(session.execute(select(Sharer.id, Sharer.invited_by)
                                               .where(Sharer.workspace_id == workspace_id)).all()))
    by_depth: dict[int, int] = {}
    for depth in depths.values():
        by_depth[depth] = by_depth.get(depth, 0) + 1
    claims.append(_claim(
        "at_most_two_levels", "No sale paid more than two levels: the seller and, optionally, the sharer who "
        "invited them. A deeper invite chain pays nothing more.",
        not too_deep and wrong_inviter == 0 and deepest_paid <= 2,
        {"deepest_paid_level": deepest_paid, "sales_paying_more_than_two": too_deep,
         "level_two_not_paid_to_the_inviter": wrong_inviter,
         "deepest_invite_chain": max(depths.values(), default=0),
         "sharers_by_invite_depth": {str(k): v for k, v in sorted(by_depth.items())}}, session, levels_q))

    enrolled_q = select(func.count(Sharer.id)).where(Sharer.workspace_id == workspace_id, Sharer.created_at >= start,
                                                     Sharer.created_at < end)
    joined = int(session.scalar(enrolled_q))
    claims.append(_claim(
        "nothing_for_recruiting", "No payment was based on recruiting: sharers who joined earned their inviter "
        "nothing; an invite bonus is paid only as a share of a real sale the invitee made.",
        unbacked == 0 and orphans == 0 and set(reasons) <= LEDGER_REASONS,
        {"sharers_joined": joined, "payments_for_joining": orphans}, session, enrolled_q))

    paid = aliased(Commission)
    share_q = (select(Conversion.id, Conversion.order_id, Conversion.amount_minor, Conversion.currency,
                      func.sum(paid.amount_minor))
               .join(paid, paid.conversion_id == Conversion.id).where(in_period, Conversion.amount_minor > 0)
               .group_by(Conversion.id, Conversion.order_id, Conversion.amount_minor, Conversion.currency)
               .order_by((func.sum(paid.amount_minor) * 1.0 / Conversion.amount_minor).desc(), Conversion.id).limit(1))
    top = session.execute(share_q).first()
    figures = {"sales": int(session.scalar(select(func.count(Conversion.id)).where(in_period,
                                                                                  Conversion.type == "sale"))),
               "max_share_percent": None, "order_id": None}
    if top is not None:
        _, order_id, amount, currency, total = top
        figures.update(max_share_percent=str((Decimal(int(total)) * 100 / int(amount)).quantize(Decimal("0.01"))),
                       order_id=order_id, sale_amount=format_amount(int(amount), currency),
                       paid_on_it=format_amount(int(total), currency), currency=currency)
    claims.append(_claim("max_share_paid", "The largest share of any one sale paid out in commissions.",
                         True, figures, session, share_q))
    claims.append(_prize_claim(session, workspace_id, start, end))
    claims.append(_bonus_claim(session, workspace_id, start, end))
    return {"workspace": workspace.name, "currency": workspace.currency, "from": start, "to": end,
            "holds": all(c["holds"] for c in claims), "claims": claims}


def _prize_claim(session: Session, workspace_id: int, start: datetime, end: datetime) -> dict:
    """Contest prizes booked in the period: each a Prize row (its contest, the winner's own net
    sales as basis) behind every ``contest_prize`` ledger credit, none tied to a sale's commissions."""
    prizes_q = (select(Prize.contest_id, Prize.currency, func.count(Prize.id), func.sum(Prize.amount_minor),
                       func.sum(Prize.reversed_minor), func.sum(Prize.basis_minor), func.min(Prize.basis_minor))
                .where(Prize.workspace_id == workspace_id, Prize.created_at >= start, Prize.created_at < end)
                .group_by(Prize.contest_id, Prize.currency).order_by(Prize.contest_id, Prize.currency))
    contests, booked = [], 0
    for contest_id, currency, count, amount, reversed_, basis, least in session.execute(prizes_q):
        booked += int(amount)
        contests.append({"contest_id": int(contest_id), "winners": int(count), "currency": currency,
                         "prizes": format_amount(int(amount), currency),
                         "taken_back_by_refunds": format_amount(int(reversed_), currency),
                         "winners_own_net_sales": format_amount(int(basis), currency),
                         "winners_without_own_sales": int(least) <= 0})
    credited, on_a_sale = _award_credits(session, workspace_id, "contest_prize", start, end)
    return _claim(
        "contest_prizes", "Contest prizes were fixed before each contest began and paid from the brand's budget "
        "for the teams' sales, never for recruiting; every prize credit has its prize, and none is paid out of a sale.",
        credited == booked and on_a_sale == 0,
        {"prizes": sum(c["winners"] for c in contests), "prize_credits_minor": credited,
         "prizes_booked_minor": booked, "prize_credits_on_a_sale": on_a_sale, "contests": contests},
        session, prizes_q)


def _award_credits(session: Session, workspace_id: int, reason: str, start: datetime, end: datetime) -> tuple[int, int]:
    """What the ledger credited under ``reason`` in the period, and how many of its entries (ever) name a sale."""
    credited = int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
        LedgerEntry.workspace_id == workspace_id, LedgerEntry.reason == reason,
        LedgerEntry.created_at >= start, LedgerEntry.created_at < end)))
    on_a_sale = int(session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.workspace_id == workspace_id, LedgerEntry.reason == reason,
        or_(LedgerEntry.commission_id.is_not(None), LedgerEntry.conversion_id.is_not(None)))))
    return credited, on_a_sale


def _bonus_claim(session: Session, workspace_id: int, start: datetime, end: datetime) -> dict:
    """Target bonuses booked in the period: each a TargetBonus row (its target, the measure, the threshold
    and the sharer's own figure that reached it as basis) behind every ``target_bonus`` credit."""
    bonuses_q = (select(TargetBonus.target_id, TargetBonus.measure, TargetBonus.threshold, TargetBonus.currency,
                        func.count(TargetBonus.id), func.sum(TargetBonus.amount_minor),
                        func.sum(TargetBonus.reversed_minor), func.min(TargetBonus.basis))
                 .where(TargetBonus.workspace_id == workspace_id, TargetBonus.created_at >= start,
                        TargetBonus.created_at < end)
                 .group_by(TargetBonus.target_id, TargetBonus.measure, TargetBonus.threshold, TargetBonus.currency)
                 .order_by(TargetBonus.target_id))
    targets, booked, short = [], 0, 0
    for target_id, measure, threshold, currency, count, amount, reversed_, least in session.execute(bonuses_q):
        booked += int(amount)
        short += int(least) < int(threshold)

        def shown(value: int, measure: str = measure, currency: str = currency) -> str:
            return str(value) if measure == "orders" else format_amount(value, currency)
        targets.append({"target_id": int(target_id), "measure": measure, "threshold": shown(int(threshold)),
                        "earners": int(count), "currency": currency, "bonuses": format_amount(int(amount), currency),
                        "taken_back_by_refunds": format_amount(int(reversed_), currency),
                        "least_own_figure": shown(int(least))})
    credited, on_a_sale = _award_credits(session, workspace_id, "target_bonus", start, end)
    return _claim(
        "target_bonuses", "Target bonuses were fixed before each target's period began and paid from the brand's "
        "budget to sharers whose own sales or orders reached the threshold, never for recruiting; every bonus "
        "credit has its bonus, and none is paid out of a sale.",
        credited == booked and on_a_sale == 0 and short == 0,
        {"bonuses": sum(t["earners"] for t in targets), "bonus_credits_minor": credited,
         "bonuses_booked_minor": booked, "bonus_credits_on_a_sale": on_a_sale,
         "bonuses_below_their_threshold": short, "targets": targets},
        session, bonuses_q)


def csv_rows(result: dict) -> list[list]:
    """One row per claim and figure, for a spreadsheet: claim id, holds, figure, value."""
    rows = []
    for claim in result["claims"]:
        for name, value in claim["figures"].items():
            rows.append([claim["id"], "yes" if claim["holds"] else "NO", name,
                         value if isinstance(value, (int, str)) or value is None else str(value)])
    return rows
