"""Wire shapes of the money views: commissions, payouts, ledger lines, performance, leaderboard."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from plumbing.fields import MAX_ID, AwareDateTime, Currency, InputSchema
from plumbing.pagination import PageQuery
from referrals.schemas import EarningsOut

# "held": a line of its sale was sold off the brand's price (waits for POST /commissions/release), or a risk
# rule flagged the sale (waits for its review); pending again when neither holds it.
COMMISSION_STATUSES = ("pending", "held", "approved", "paid", "reversed")


class CommissionQuery(PageQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(COMMISSION_STATUSES))
    sharer_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    campaign_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    due = fields.Boolean(load_default=None, metadata={
        "description": "true: only what POST /commissions/approve would approve now; false: all but those"})


class CommissionLineOut(Schema):
    id = fields.Integer()
    sharer_id = fields.Integer()
    sharer_name = fields.String()
    campaign_id = fields.Integer()
    campaign_title = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    level = fields.Integer(metadata={"description": "1: the seller; 2: the seller's inviter (invite bonus)"})
    amount = fields.String(metadata={"description": "as booked on the sale"})
    reversed_amount = fields.String(metadata={"description": "taken back by refunds"})
    currency = fields.String()
    status = fields.String(metadata={"enum": list(COMMISSION_STATUSES)})
    due = fields.Boolean(metadata={"description": "pending and past its holding period"})
    approvable_at = fields.DateTime()
    approved_at = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    payout_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class CommissionList(Schema):
    items = fields.List(fields.Nested(CommissionLineOut))
    next_cursor = fields.String(allow_none=True)


class AmountOut(Schema):
    currency = fields.String()
    amount = fields.String()


class PayoutOut(Schema):
    id = fields.Integer()
    batch_id = fields.Integer()
    sharer_id = fields.Integer()
    currency = fields.String()
    amount = fields.String()


class PayoutRun(Schema):
    """POST /payouts: the payouts made now (all of them, one page) and their batch."""

    items = fields.List(fields.Nested(PayoutOut))
    next_cursor = fields.String(allow_none=True, metadata={"description": "always null"})
    batch_id = fields.Integer(allow_none=True, metadata={"description": "null when nothing was due"})


class BatchOut(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    count = fields.Integer(metadata={"description": "payouts in the batch"})
    totals = fields.List(fields.Nested(AmountOut), metadata={"description": "one per currency"})


class BatchList(Schema):
    items = fields.List(fields.Nested(BatchOut))
    next_cursor = fields.String(allow_none=True)


class BatchPayoutOut(Schema):
    payout_id = fields.Integer()
    sharer_id = fields.Integer()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    amount = fields.String()
    currency = fields.String()


class BatchDetail(BatchOut):
    items = fields.List(fields.Nested(BatchPayoutOut))
    next_cursor = fields.String(allow_none=True)


REASONS = ["commission_earned", "invite_bonus_earned", "reversed_by_refund", "clawback_after_payout",
           "approved", "paid_in_payout", "held_for_withdrawal", "returned_from_withdrawal",
           "rejected_after_review"]


class LedgerLineOut(Schema):
    id = fields.Integer()
    reason = fields.String(metadata={"enum": REASONS, "description": (
        "a stable code for the sentence the page shows: commission_earned (a sale of yours), invite_bonus_earned "
        "(a sale of seller_id, whom you invited), reversed_by_refund (refund of order_id before payout), "
        "clawback_after_payout (refund of order_id after payout, netted from your next payout), approved "
        "(holding period over), paid_in_payout (payout payout_id, of batch batch_id unless a withdrawal paid it), "
        "held_for_withdrawal (a withdrawal request holds it), returned_from_withdrawal (refused or failed), "
        "rejected_after_review (a flagged sale's commission a person rejected; GET /risk/reviews says why)")})
    bucket = fields.String(metadata={"enum": ["pending", "approved", "paid", "reversed", "withdrawing"]})
    amount = fields.String(metadata={"description": "signed: what this line adds to (or takes from) the bucket"})
    currency = fields.String()
    created_at = fields.DateTime()
    commission_id = fields.Integer(allow_none=True)
    commission_status = fields.String(allow_none=True, metadata={"description": "the commission's status now"})
    level = fields.Integer(allow_none=True)
    campaign_id = fields.Integer(allow_none=True)
    campaign_title = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    refund_id = fields.String(allow_none=True)
    seller_id = fields.Integer(allow_none=True, metadata={"description": "invite bonus: who made the sale"})
    seller_name = fields.String(allow_none=True)
    payout_id = fields.Integer(allow_none=True)
    batch_id = fields.Integer(allow_none=True)


class LedgerList(Schema):
    items = fields.List(fields.Nested(LedgerLineOut))
    next_cursor = fields.String(allow_none=True)


class PerformanceQuery(InputSchema):
    campaign_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    currency = Currency(load_default=None, metadata={
        "description": "orders, revenue and earnings in this currency; the campaign's, else the workspace's"})


class PerformanceOut(Schema):
    sharer_id = fields.Integer()
    campaign_id = fields.Integer(allow_none=True)
    currency = fields.String()
    clicks = fields.Integer()
    unique_clicks = fields.Integer()
    orders = fields.Integer(metadata={"description": "attributed sales"})
    revenue = fields.String(metadata={"description": "of those sales, net of refunds"})
    refunds = fields.String()
    earnings = fields.Nested(EarningsOut, metadata={"description": (
        "without campaign_id the account's buckets (a clawback shows as a negative approved balance); "
        "with it, that campaign's commissions by status, net of refunds")})


class LeaderboardQuery(PageQuery):
    period = fields.String(load_default="week", validate=validate.OneOf(["week", "month"]))
    at = AwareDateTime(load_default=None, metadata={"description": "the period containing this time; default now"})
    currency = Currency(load_default=None, metadata={"description": "sales in this currency; the workspace's by default"})
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 200), metadata={"description": "top 20 by default"})


class RankOut(Schema):
    rank = fields.Integer(allow_none=True, metadata={"description": "ties share a rank; null without sales"})
    sharer_id = fields.Integer()
    display_name = fields.String(allow_none=True, metadata={"description": "null when the sharer gave no name"})
    orders = fields.Integer()
    revenue = fields.String()


class PeriodOut(Schema):
    period = fields.String(metadata={"enum": ["week", "month"]})
    timezone = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()


class LeaderboardOut(Schema):
    items = fields.List(fields.Nested(RankOut))
    next_cursor = fields.String(allow_none=True)
    currency = fields.String()
    period = fields.Nested(PeriodOut)
    me = fields.Nested(RankOut, allow_none=True, metadata={"description": "a seller's own row, wherever it ranks"})


class ReleaseIn(InputSchema):
    ids = fields.List(fields.Integer(strict=True, validate=validate.Range(1, MAX_ID)), required=True,
                      validate=validate.Length(1, 10_000), metadata={"description": "held commission ids"})
