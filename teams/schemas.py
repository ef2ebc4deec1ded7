"""Wire shapes of teams and contests."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from plumbing.fields import MAX_ID, AwareDateTime, Currency, DecimalString, Id, InputSchema
from referrals.bonuses import MEASURES as TARGET_MEASURES
from referrals.money_schemas import LeaderboardOut
from teams.contests import MEASURES, SPLITS


class TeamIn(InputSchema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    captain_id = Id(required=True)


class CaptainIn(InputSchema):
    captain_id = Id(required=True)


class MemberIn(InputSchema):
    sharer_id = Id(required=True)
    move = fields.Boolean(load_default=False, metadata={"description": "move the sharer out of their current team"})


class MemberOut(Schema):
    sharer_id = fields.Integer()
    name = fields.String()
    invited_by = fields.Integer(allow_none=True, metadata={"description": "the invite chain, independent of teams"})
    captain = fields.Boolean()


class TeamDetail(Schema):
    id = fields.Integer()
    name = fields.String()
    captain_id = fields.Integer()
    created_at = fields.DateTime()
    members = fields.List(fields.Nested(MemberOut))


class TeamSummary(Schema):
    id = fields.Integer()
    name = fields.String()
    captain_id = fields.Integer()
    members = fields.Integer()
    created_at = fields.DateTime()


class TeamList(Schema):
    items = fields.List(fields.Nested(TeamSummary))
    next_cursor = fields.String(allow_none=True)


class PrizeIn(InputSchema):
    place = fields.Integer(strict=True, required=True, validate=validate.Range(1, 100))
    amount = DecimalString(load_default=None, metadata={"description": "cash from the brand's budget"})
    goods = fields.String(load_default=None, validate=validate.Length(1, 200))


class ContestIn(InputSchema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    starts_at = AwareDateTime(required=True)
    ends_at = AwareDateTime(required=True)
    team_ids = fields.List(Id(), required=True, validate=validate.Length(2, 100))
    measure = fields.String(required=True, validate=validate.OneOf(MEASURES),
                            metadata={"description": "net sales, orders or new customers who bought; never recruits"})
    split = fields.String(load_default="proportional", validate=validate.OneOf(SPLITS),
                          metadata={"description": "a team's cash prize among its members: by own net sales, or equally"})
    prizes = fields.List(fields.Nested(PrizeIn), required=True, validate=validate.Length(1, 20))
    currency = Currency(load_default=None)


class ContestQuery(InputSchema):
    team_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))


class PrizeOut(Schema):
    place = fields.Integer()
    amount = fields.String()
    goods = fields.String(allow_none=True)


class BoardMemberOut(Schema):
    sharer_id = fields.Integer()
    name = fields.String(allow_none=True)
    orders = fields.Integer()
    net_sales = fields.String()
    new_customers = fields.Integer()
    prize = fields.String(metadata={"description": "this member's share of the team's cash prize"})


class BoardTeamOut(Schema):
    team_id = fields.Integer()
    name = fields.String()
    captain_id = fields.Integer()
    rank = fields.Integer(allow_none=True)
    orders = fields.Integer()
    net_sales = fields.String()
    new_customers = fields.Integer()
    prize = fields.String()
    goods = fields.List(fields.String())
    members = fields.List(fields.Nested(BoardMemberOut))


class ContestOut(Schema):
    id = fields.Integer()
    name = fields.String()
    measure = fields.String()
    split = fields.String()
    currency = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    status = fields.String(metadata={"enum": ["upcoming", "live", "ended", "final"]})
    finalized_at = fields.DateTime(allow_none=True)
    prizes = fields.List(fields.Nested(PrizeOut))
    as_of = fields.String()
    teams = fields.List(fields.Nested(BoardTeamOut))


class ContestSummary(Schema):
    id = fields.Integer()
    name = fields.String()
    measure = fields.String()
    currency = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    status = fields.String()


class ContestList(Schema):
    items = fields.List(fields.Nested(ContestSummary))
    next_cursor = fields.String(allow_none=True)


class TeamTotalsOut(Schema):
    team_id = fields.Integer()
    name = fields.String()
    captain_id = fields.Integer()
    members = fields.Integer(metadata={"description": "everyone in the team, the captain included"})
    orders = fields.Integer(metadata={"description": "the members' sales in the period, counted as the ranks are"})
    revenue = fields.String()


class TeamBoardOut(LeaderboardOut):
    team = fields.Nested(TeamTotalsOut, allow_none=True, metadata={
        "description": "a seller's team (not their invite chain) and its sales in the period; null in no team"})


class TargetIn(InputSchema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    starts_at = AwareDateTime(required=True, metadata={"description": "in the future: a target is fixed before it starts"})
    ends_at = AwareDateTime(required=True)
    measure = fields.String(required=True, validate=validate.OneOf(TARGET_MEASURES),
                            metadata={"description": "the sharer's own net sales or orders; never recruits"})
    threshold = fields.String(required=True, validate=validate.Length(1, 20), metadata={
        "description": "orders: a whole number (\"10\"); net sales: an amount (\"1000.00\")", "example": "10"})
    bonus = DecimalString(required=True, metadata={
        "description": "the fixed bonus each sharer who reaches the threshold earns, from the brand's budget"})
    campaign_id = Id(load_default=None, metadata={"description": "only this campaign's sales count"})
    sharer_ids = fields.List(Id(), load_default=None, validate=validate.Length(1, 1000),
                             metadata={"description": "only these sharers (default: everyone)"})
    grade_ids = fields.List(Id(), load_default=None, validate=validate.Length(1, 20),
                            metadata={"description": "only sharers of these grades when the period ends"})
    currency = Currency(load_default=None)


class TargetQuery(InputSchema):
    sharer_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID),
                               metadata={"description": "only the targets for this sharer (a seller: always their own)"})


class TargetLineOut(Schema):
    sharer_id = fields.Integer()
    name = fields.String(allow_none=True)
    value = fields.String(metadata={"description": "their orders, or net sales, in the period so far", "example": "7"})
    reached = fields.Boolean()
    bonus = fields.String(metadata={"description": "the bonus booked and not reversed (0 until final)"})
    bonus_status = fields.String(allow_none=True, metadata={"enum": ["pending", "approved", "paid", "reversed"]})


class TargetSummary(Schema):
    id = fields.Integer()
    name = fields.String()
    measure = fields.String(metadata={"enum": list(TARGET_MEASURES)})
    threshold = fields.String()
    bonus = fields.String()
    currency = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    campaign_id = fields.Integer(allow_none=True)
    sharer_ids = fields.List(fields.Integer(), allow_none=True)
    grade_ids = fields.List(fields.Integer(), allow_none=True)
    status = fields.String(metadata={"enum": ["upcoming", "live", "ended", "final"]})
    finalized_at = fields.DateTime(allow_none=True)


class TargetOut(TargetSummary):
    as_of = fields.DateTime()
    progress = fields.List(fields.Nested(TargetLineOut), metadata={
        "description": "sharers with sales in the period, highest first (a seller: their own line only)"})


class TargetList(Schema):
    items = fields.List(fields.Nested(TargetSummary))
    next_cursor = fields.String(allow_none=True)
