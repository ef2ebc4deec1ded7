"""The commission ledger: append-only movements between a sharer's buckets.

pending → approved → paid, or → reversed. Every movement is a pair of
entries that sum to zero (booking a new commission is the one exception: it
enters pending from the sale), so the buckets always add up to what was earned.
"""
from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.orm import Session

from plumbing import database
from plumbing.money import format_amount
from referrals import balances
from referrals.models import (
    Commission,
    Conversion,
    LedgerEntry,
    Payout,
    PayoutBatch,
    Prize,
    RiskReview,
    Sharer,
    TargetBonus,
)
from workspaces.models import Workspace

BUCKETS = ("pending", "approved", "paid", "reversed")
# Money from the brand's budget that no sale pays: contest prize shares and target bonuses. Each
# row moves pending → approved → paid like a commission, under its own ledger kind.
AWARDS = (Prize, TargetBonus)


def _entry(session: Session, c: Commission | None, bucket: str, amount: int, reason: str, *,
           sharer_id: int | None = None, currency: str | None = None, workspace_id: int | None = None,
           conversion_id: int | None = None, payout_id: int | None = None, memo: str = "") -> None:
    session.add(LedgerEntry(
        workspace_id=workspace_id or c.workspace_id, sharer_id=sharer_id or c.sharer_id,
        commission_id=c.id if c else None, conversion_id=conversion_id or (c.conversion_id if c else None),
        payout_id=payout_id, currency=currency or c.currency, bucket=bucket, amount_minor=amount,
        reason=reason, memo=memo))


def book(session: Session, c: Commission, memo: str = "") -> None:
    """Enter a new commission (already added to the session) as pending."""
    session.flush()
    _entry(session, c, "pending", c.amount_minor, "commission", memo=memo)


# Built once: a statement made per sale costs its compilation (a multi-row VALUES is compiled anew
# each time). RETURNING makes SQLAlchemy send the rows as one multi-row INSERT, not one per row.
_INSERT_COMMISSIONS = insert(Commission.__table__).returning(Commission.__table__.c.id)
_INSERT_ENTRIES = insert(LedgerEntry.__table__).returning(LedgerEntry.__table__.c.id)


def book_new(session: Session, commissions: list[dict], memo: str = "", sale: Conversion | None = None,
             new_rows: tuple = (), riders: tuple[database.Rider, ...] = ()) -> None:
    """Insert new commissions (column values, ``id`` included: drawn beforehand, see
    referrals.conversions) and enter each as pending: one INSERT for the commissions and one for
    their ledger lines, whatever their number; on PostgreSQL one statement for both, which also
    inserts their ``sale`` when given (a new row, its id set), ``new_rows`` (new objects, their
    ids set: a sale's new buyer and their link), each joining the session as if loaded, and the
    ``riders``' writes (a new buyer's roll-ups); elsewhere those run after, by themselves.
    Core statements: nothing to load into the session."""
    if (commissions or sale is not None) and session.get_bind().dialect.name == "postgresql":
        params = {"memo": memo, "created_at": database.utcnow()}
        for i, c in enumerate(commissions):
            params.update({f"c{i}_{name}": c[name] for name in _BOOKED_COLUMNS})
        if sale is not None:
            params.update({f"s_{name}": value for name, value in database.new_row(sale).items()})
        for j, row in enumerate(new_rows):
            params.update({f"r{j}_{name}": value for name, value in database.new_row(row).items()})
        for rider in riders:
            rider.check_params(params, session.get_bind().dialect)
            params.update(rider.params)
        database.execute_compiled(session, _booking(len(commissions), sale is not None,
                                                    tuple(row.__table__ for row in new_rows),
                                                    tuple(rider.writes for rider in riders)), params)
        for row in (*new_rows, *((sale,) if sale is not None else ())):
            database.adopt(session, row)
        return
    for row in new_rows:
        database.insert_object(session, row)
    if sale is not None:
        database.insert_object(session, sale)
    if commissions:
        session.execute(_INSERT_COMMISSIONS, commissions)
        session.execute(_INSERT_ENTRIES, [dict(
            workspace_id=c["workspace_id"], sharer_id=c["sharer_id"], commission_id=c["id"],
            conversion_id=c["conversion_id"], payout_id=None, currency=c["currency"], bucket="pending",
            amount_minor=c["amount_minor"], reason="commission", memo=memo) for c in commissions])
    for rider in riders:
        rider.alone()


# What a new commission is given (every other column of it is empty until approved or paid).
_BOOKED_COLUMNS = ("id", "workspace_id", "conversion_id", "campaign_id", "sharer_id", "level", "currency",
                   "amount_minor", "reversed_minor", "status", "price_held", "approvable_at")


@functools.cache
def _booking(count: int, with_sale: bool = False, new_tables: tuple = (), riders: tuple = ()):
    """PostgreSQL: ``count`` new commissions and their pending ledger lines in one statement (the
    commissions' INSERT, their sale's with ``with_sale``, a row of each of ``new_tables`` and the
    ``riders``' writes (``Rider.writes``) as data-modifying WITHs; foreign keys are checked at the
    statement's end). Parameters ``c<i>_<column>`` (``_BOOKED_COLUMNS``), ``memo``, ``created_at``,
    the sale's ``s_<column>``, the new rows' ``r<j>_<column>`` (every column) and the riders' own."""
    commissions, entries = Commission.__table__, LedgerEntry.__table__
    rows = range(count)
    writes = [(database.whole_row_insert(table, f"r{j}_"), f"new_{j}") for j, table in enumerate(new_tables)]
    writes += [(write, f"rider_{k}_{name}") for k, writes_of in enumerate(riders) for write, name in writes_of()]
    if with_sale:
        writes.append((database.whole_row_insert(Conversion.__table__, "s_"), "sale"))
    if not count:  # (a sale that pays nobody: its row's INSERT is the statement)
        return database.chained(writes)
    booked = insert(commissions).values([
        {**{name: bindparam(f"c{i}_{name}", type_=commissions.c[name].type) for name in _BOOKED_COLUMNS},
         "created_at": bindparam("created_at", type_=commissions.c.created_at.type)} for i in rows])
    lines = insert(entries).values([dict(
        workspace_id=bindparam(f"c{i}_workspace_id"), sharer_id=bindparam(f"c{i}_sharer_id"),
        commission_id=bindparam(f"c{i}_id"), conversion_id=bindparam(f"c{i}_conversion_id"), payout_id=None,
        currency=bindparam(f"c{i}_currency"), bucket="pending", amount_minor=bindparam(f"c{i}_amount_minor"),
        reason="commission", memo=bindparam("memo", type_=entries.c.memo.type),
        created_at=bindparam("created_at", type_=entries.c.created_at.type)) for i in rows])
    return database.chained([*writes, (booked, "booked"), (lines, "lines")])


def reverse(session: Session, c: Commission, delta: int, conversion_id: int, memo: str = "") -> str:
    """Move ``delta`` of ``c`` to reversed; returns the kind (reversal or clawback).

    Before payout the money leaves the commission's own bucket. After payout
    it is clawed back: a negative approved balance netted from the next payout.
    """
    source = {"pending": "pending", "held": "pending", "approved": "approved", "paid": "approved",
              "reversed": "approved"}[c.status]
    kind = "clawback" if c.status == "paid" else "reversal"
    _entry(session, c, source, -delta, kind, conversion_id=conversion_id, memo=memo)
    _entry(session, c, "reversed", delta, kind, conversion_id=conversion_id, memo=memo)
    c.reversed_minor += delta
    if c.reversed_minor >= c.amount_minor and c.status != "paid":
        c.status = "reversed"
    return kind


def reject(session: Session, c: Commission, memo: str) -> None:
    """A held commission a person (or the hold's expiry) rejected: what is left of it, pending → reversed."""
    net = c.amount_minor - c.reversed_minor
    _entry(session, c, "pending", -net, "rejection", memo=memo)
    _entry(session, c, "reversed", net, "rejection", memo=memo)
    c.reversed_minor, c.status = c.amount_minor, "reversed"
def book_prize(session: Session, prize: Prize | TargetBonus, memo: str = "", reason: str = "contest_prize") -> None:
    """Enter an award (already added to the session) as pending under its own kind: a contest prize
    share (``contest_prize``) or a target bonus (``target_bonus``), tied to no commission and no sale."""
    session.flush()
    _entry(session, None, "pending", prize.amount_minor, reason, sharer_id=prize.sharer_id,
           currency=prize.currency, workspace_id=prize.workspace_id, memo=memo)


def lock_awards(session: Session, workspace_id: int) -> None:
    """Hold the workspace's lock on awards (contest prizes, target bonuses) until commit: a finalize
    takes it before counting sales, a refund of an attributed sale before looking for the awards it
    counted towards, so a refund never commits unseen while its sale is counted into a new award.

    Lock order, for every writer (else two of them deadlock on PostgreSQL): a sale's commissions
    (FOR UPDATE, by id), then this lock, then prizes and target bonuses (by id). A transaction that
    holds this lock never locks commissions after it (the approval job decides each expired risk
    hold in its own transaction, apart from approving)."""
    database.lock(session, f"awards:{workspace_id}")


def reverse_prize(session: Session, prize: Prize | TargetBonus, delta: int, conversion_id: int,
                  memo: str = "") -> None:
    """Move ``delta`` of a pending award to reversed (a refund took back sales it was won with)."""
    kw = dict(sharer_id=prize.sharer_id, currency=prize.currency, workspace_id=prize.workspace_id,
              conversion_id=conversion_id, memo=memo)
    _entry(session, None, "pending", -delta, "reversal", **kw)
    _entry(session, None, "reversed", delta, "reversal", **kw)
    prize.reversed_minor += delta
    if prize.reversed_minor >= prize.amount_minor:
        prize.status = "reversed"


def approve(session: Session, c: Commission, now: datetime) -> None:
    net = c.amount_minor - c.reversed_minor
    _entry(session, c, "pending", -net, "approval")
    _entry(session, c, "approved", net, "approval")
    c.status, c.approved_at = "approved", now


def pay_sharer(session: Session, workspace_id: int, sharer_id: int, currency: str, now: datetime,
               batch_id: int | None = None) -> Payout | None:
    """Pay a sharer's whole approved balance (clawbacks included) if it is positive."""
    balance = bucket_balance(session, sharer_id, currency, "approved")
    if balance <= 0:
        return None
    payout = Payout(workspace_id=workspace_id, sharer_id=sharer_id, currency=currency, amount_minor=balance,
                    batch_id=batch_id, created_at=now)
    session.add(payout)
    session.flush()
    kw = dict(sharer_id=sharer_id, currency=currency, workspace_id=workspace_id, payout_id=payout.id)
    _entry(session, None, "approved", -balance, "payout", **kw)
    _entry(session, None, "paid", balance, "payout", **kw)
    for c in session.scalars(select(Commission).where(
            Commission.sharer_id == sharer_id, Commission.currency == currency, Commission.status == "approved")):
        c.status, c.paid_at, c.payout_id = "paid", now, payout.id
    for model in AWARDS:
        for award in session.scalars(select(model).where(
                model.sharer_id == sharer_id, model.currency == currency, model.status == "approved")):
            award.status, award.paid_at, award.payout_id = "paid", now, payout.id
    return payout


def payable_balances(session: Session, workspace_id: int) -> list[tuple[int, str, int]]:
    """``(sharer_id, currency, balance)`` a payout run would pay now: positive approved balances
    (clawbacks netted) of sharers not suspended, at least the programme's minimum payout."""
    workspace = session.get(Workspace, workspace_id)
    approved = balances.sums(("sharer_id", "currency"), lambda t: [
        t.c.workspace_id == workspace_id, t.c.bucket == "approved"]).subquery()
    return [(int(sharer_id), currency, int(balance)) for sharer_id, currency, balance in session.execute(
        select(approved.c.sharer_id, approved.c.currency, approved.c.total)
        .join(Sharer, Sharer.id == approved.c.sharer_id)
        .where(Sharer.suspended_at.is_(None), approved.c.total > 0))  # a suspended sharer is not paid
        # The programme's minimum payout (in its currency): smaller balances wait for the next run.
        if currency != workspace.currency or balance >= workspace.min_payout_minor]


def pay_all(session: Session, workspace_id: int, now: datetime) -> list[Payout]:
    """Pay every sharer of the workspace their approved balance, once, when it is positive and
    at least the programme's minimum payout.

    The payouts of one call form one PayoutBatch (none when nothing is due); suspended sharers
    are skipped.
    Payouts of one workspace run one at a time (a transaction lock), so two
    concurrent calls cannot both pay the same balance.
    """
    database.lock(session, f"payouts:{workspace_id}")
    due = sorted((sharer_id, currency) for sharer_id, currency, _ in payable_balances(session, workspace_id))
    if not due:
        return []
    batch = PayoutBatch(workspace_id=workspace_id, count=len(due), created_at=now)
    session.add(batch)
    session.flush()
    made = []
    for sharer_id, currency in due:
        # (None when a refund clawed the balance back to zero in between)
        payout = pay_sharer(session, workspace_id, sharer_id, currency, now, batch.id)
        if payout:
            made.append(payout)
    batch.count = len(made)
    if not made:
        session.delete(batch)
    return made


def _sharer_earnings_statement(in_currency):
    """The sharer's currency check and sums in one statement. The sums come from a derived table
    grouped by (currency, bucket) and filtered by the sharer's id alone: their balances at the
    horizon and their lines after it (referrals/balances.py), each from an index alone (no table
    rows), however long their history."""
    sums = balances.sums(("currency", "bucket"), lambda t: [t.c.sharer_id == bindparam("sharer_id")]).subquery()
    return (select(Workspace.currency, sums.c.bucket, sums.c.total)
            .select_from(Sharer).join(Workspace, Workspace.id == Sharer.workspace_id)
            .outerjoin(sums, in_currency(sums.c.currency))
            .where(Sharer.id == bindparam("sharer_id"), Sharer.workspace_id == bindparam("workspace_id")))


# Built once: making the statement and its cache key cost more CPU than running it (the API's
# simplest authenticated GET reads this; see bench/bench_get.py).
_EARNINGS_IN = _sharer_earnings_statement(lambda currency: currency == bindparam("currency"))
_EARNINGS_IN_WORKSPACE_CURRENCY = _sharer_earnings_statement(lambda currency: currency == Workspace.currency)


def sharer_earnings(session: Session | Connection, workspace_id: int, sharer_id: int,
                    currency: str | None) -> dict[str, str] | None:
    """:func:`earnings` of a sharer of this workspace, in ``currency`` or else the workspace's, in one
    statement (the sharer's check and the currency with the sums); None when there is no such sharer."""
    params = {"sharer_id": sharer_id, "workspace_id": workspace_id}
    if currency:
        rows = session.execute(_EARNINGS_IN, {**params, "currency": currency}).all()
    else:
        rows = session.execute(_EARNINGS_IN_WORKSPACE_CURRENCY, params).all()
    if not rows:
        return None
    currency = currency or rows[0][0]
    sums = {bucket: total for _, bucket, total in rows}
    return {"currency": currency, **{b: format_amount(int(sums.get(b) or 0), currency) for b in BUCKETS}}


def earnings(session: Session, sharer_id: int, currency: str) -> dict[str, str]:
    rows = {bucket: total for bucket, total in session.execute(balances.sums(("bucket",), lambda t: [
        t.c.sharer_id == sharer_id, t.c.currency == currency]))}
    return {"currency": currency, **{b: format_amount(int(rows.get(b) or 0), currency) for b in BUCKETS}}


def approve_due(session: Session, workspace_id: int | None, now: datetime, ids: list[int] | None = None) -> list[Commission]:
    """Approve pending commissions whose holding period is over (all, or ``ids``); without ``ids``
    the contest prizes and target bonuses past their holding period are approved too (see ``approve_due_prizes``).

    :raise ValueError: an id that is not a pending commission past its holding period.
    """
    query = select(Commission).where(Commission.status == "pending")
    if workspace_id is not None:
        query = query.where(Commission.workspace_id == workspace_id)
    if ids is not None:
        query = query.where(Commission.id.in_(ids))
    else:  # lock only the due ones
        query = query.where(Commission.approvable_at <= now)
    # In id order, as a refund and a rejection lock a sale's commissions (see lock_awards).
    found = list(session.scalars(query.order_by(Commission.id).with_for_update()))
    if ids is not None:
        missing = set(ids) - {c.id for c in found}
        early = [c.id for c in found if c.approvable_at > now]
        if missing or early:
            raise ValueError(f"not pending: {sorted(missing)}; still holding: {sorted(early)}")
    due = [c for c in found if c.approvable_at <= now]
    for c in due:
        approve(session, c, now)
    if ids is None:
        approve_due_prizes(session, workspace_id, now)
    return due


def approve_due_prizes(session: Session, workspace_id: int | None, now: datetime) -> list[Prize | TargetBonus]:
    """Move pending contest prizes and target bonuses past their holding period to approved, like commissions."""
    due = []
    for model in AWARDS:
        query = select(model).where(model.status == "pending", model.approvable_at <= now)
        if workspace_id is not None:
            query = query.where(model.workspace_id == workspace_id)
        due += session.scalars(query.order_by(model.id).with_for_update())
    for prize in due:
        net = prize.amount_minor - prize.reversed_minor
        _entry(session, None, "pending", -net, "approval", sharer_id=prize.sharer_id,
               currency=prize.currency, workspace_id=prize.workspace_id)
        _entry(session, None, "approved", net, "approval", sharer_id=prize.sharer_id,
               currency=prize.currency, workspace_id=prize.workspace_id)
        prize.status, prize.approved_at = "approved", now
    return due


def release(session: Session, workspace_id: int, ids: list[int]) -> list[Commission]:
    """Commissions an off-price line held, reviewed: back to pending (both sit in the pending
    bucket: no money moves), unless a risk review of their sale is still open; then they stay
    held until that review is decided (see referrals/reviews.py).

    :raise ValueError: an id that is not a commission of the workspace held for its price
        (a risk hold is released through its review, never here).
    """
    found = list(session.scalars(select(Commission).where(
        Commission.workspace_id == workspace_id, Commission.id.in_(ids), Commission.status == "held",
        Commission.price_held.is_(True)).with_for_update()))
    missing = set(ids) - {c.id for c in found}
    if missing:
        raise ValueError(f"not held: {sorted(missing)}")
    under_review = set(session.scalars(select(RiskReview.conversion_id).where(
        RiskReview.conversion_id.in_({c.conversion_id for c in found}), RiskReview.status == "open")))
    for c in found:
        c.price_held = False
        if c.conversion_id not in under_review:
            c.status = "pending"
    return found
# A withdrawal's money waits here between the request and its payout (see payouts/withdrawals.py).
WITHDRAWING = "withdrawing"


def bucket_balance(session: Session, sharer_id: int, currency: str, bucket: str) -> int:
    """The sum of one bucket of a sharer, in minor units (negative after a clawback)."""
    found = session.execute(balances.sums(("bucket",), lambda t: [
        t.c.sharer_id == sharer_id, t.c.currency == currency, t.c.bucket == bucket])).first()
    return int(found.total) if found else 0


def hold_for_withdrawal(session: Session, workspace_id: int, sharer_id: int, currency: str, amount: int,
                        memo: str) -> None:
    """Move ``amount`` from approved to withdrawing (the caller checked the balance covers it)."""
    kw = dict(sharer_id=sharer_id, currency=currency, workspace_id=workspace_id, memo=memo)
    _entry(session, None, "approved", -amount, "withdrawal_hold", **kw)
    _entry(session, None, WITHDRAWING, amount, "withdrawal_hold", **kw)


def release_withdrawal(session: Session, workspace_id: int, sharer_id: int, currency: str, amount: int,
                       memo: str) -> None:
    """A refused or failed withdrawal: its amount goes back from withdrawing to approved."""
    kw = dict(sharer_id=sharer_id, currency=currency, workspace_id=workspace_id, memo=memo)
    _entry(session, None, WITHDRAWING, -amount, "withdrawal_release", **kw)
    _entry(session, None, "approved", amount, "withdrawal_release", **kw)


def settle_withdrawal(session: Session, workspace_id: int, sharer_id: int, currency: str, amount: int,
                      now: datetime, memo: str) -> Payout:
    """A withdrawal the rail paid: one Payout row, withdrawing → paid, and the sharer's oldest
    approved commissions and contest prizes marked paid as far as everything paid so far covers
    them whole (a withdrawal may pay part of one; the next one finishes it)."""
    payout = Payout(workspace_id=workspace_id, sharer_id=sharer_id, currency=currency, amount_minor=amount,
                    created_at=now)
    session.add(payout)
    session.flush()
    kw = dict(sharer_id=sharer_id, currency=currency, workspace_id=workspace_id, payout_id=payout.id, memo=memo)
    _entry(session, None, WITHDRAWING, -amount, "payout", **kw)
    _entry(session, None, "paid", amount, "payout", **kw)
    session.flush()
    # The paid bucket holds prizes and bonuses as well as commissions: all count as covered, all
    # are marked paid in the order they were approved (commissions first on a tie).
    kinds = (Commission, *AWARDS)
    covered = sum(int(session.scalar(select(func.coalesce(func.sum(model.amount_minor - model.reversed_minor), 0))
                                     .where(model.sharer_id == sharer_id, model.currency == currency,
                                            model.status == "paid"))) for model in kinds)
    left = bucket_balance(session, sharer_id, currency, "paid") - covered
    approved = [row for model in kinds for row in session.scalars(select(model).where(
        model.sharer_id == sharer_id, model.currency == currency, model.status == "approved"))]
    for row in sorted(approved, key=lambda r: (r.approved_at, kinds.index(type(r)), r.id)):
        net = row.amount_minor - row.reversed_minor
        if net > left:
            break
        left -= net
        row.status, row.paid_at, row.payout_id = "paid", now, payout.id
    return payout
