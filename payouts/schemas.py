"""Wire shapes of withdrawals, payout methods, payout limits and rail credentials."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from payouts.withdrawals import STATUSES
from plumbing.fields import MAX_ID, DecimalString, InputSchema
from plumbing.pagination import PageQuery

RAIL_NAMES = ["alipay", "bank", "paypal", "wechat"]


class PayoutMethodIn(InputSchema):
    rail = fields.String(required=True, validate=validate.OneOf(RAIL_NAMES))
    account = fields.Dict(required=True, metadata={"description": (
        "wechat {openid, name?}; alipay {identity (user id 2088…, phone or email), name (required with a "
        "phone or email)}; paypal {receiver (PayPal email, mobile number or account id)}; "
        "bank {bank_name, account_number, holder_name}")})


class PendingMethodOut(Schema):
    rail = fields.String(metadata={"enum": RAIL_NAMES})
    account = fields.String(metadata={"description": "masked"})
    sent_by = fields.String(metadata={"enum": ["sms", "email"], "description": (
        "how the code went: texted to the seller's phone, or emailed to a seller without one")})
    code_sent_to = fields.String(metadata={"description": "the seller's number or address the code went to, masked"})
    expires_at = fields.DateTime()


class PayoutMethodOut(Schema):
    rail = fields.String(allow_none=True)
    account = fields.String(allow_none=True, metadata={"description": "masked; the full account is never shown"})
    updated_at = fields.DateTime(allow_none=True)
    pending = fields.Nested(PendingMethodOut, allow_none=True, metadata={
        "description": "a seller's change waiting for the code sent to them; not in force until confirmed"})


class ConfirmCodeIn(InputSchema):
    code = fields.String(required=True, validate=validate.Length(1, 12), metadata={"example": "123456"})


class WithdrawalIn(InputSchema):
    amount = DecimalString(required=True, metadata={"description": "in the programme's currency"})
    sharer_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID), metadata={
        "description": "a seller key withdraws for itself; staff keys name the sharer"})


class WithdrawalRefuseIn(InputSchema):
    reason = fields.String(required=True, validate=validate.Length(1, 500),
                           metadata={"description": "shown to the sharer as written"})


class WithdrawalOut(Schema):
    id = fields.Integer()
    sharer_id = fields.Integer()
    sharer_name = fields.String(allow_none=True)
    amount = fields.String()
    currency = fields.String()
    rail = fields.String(metadata={"enum": RAIL_NAMES})
    account = fields.String(metadata={"description": "masked"})
    status = fields.String(metadata={"enum": list(STATUSES)})
    reason = fields.String(allow_none=True, metadata={"description": "why it was refused or failed"})
    out_no = fields.String(metadata={"description": "the request id the rail sees (out_batch_no / out_biz_no)"})
    rail_status = fields.String(allow_none=True)
    payout_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class WithdrawalQuery(PageQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    sharer_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))


class WithdrawalList(Schema):
    items = fields.List(fields.Nested(WithdrawalOut))
    next_cursor = fields.String(allow_none=True)


class BalanceOut(Schema):
    currency = fields.String()
    available = fields.String(metadata={"description": "the approved balance, which may be withdrawn"})
    withdrawing = fields.String(metadata={"description": "held by an open request"})
    min_withdrawal = fields.String()
    max_withdrawal = fields.String(allow_none=True)
    daily_limit = fields.String(allow_none=True)


class PayoutSettingsIn(InputSchema):
    min_withdrawal = DecimalString(required=True)
    max_withdrawal = DecimalString(load_default=None, allow_none=True)
    daily_limit = DecimalString(load_default=None, allow_none=True)


class PayoutSettingsOut(Schema):
    currency = fields.String()
    min_withdrawal = fields.String()
    max_withdrawal = fields.String(allow_none=True)
    daily_limit = fields.String(allow_none=True)


class RailCredentialsIn(InputSchema):
    class Meta:
        unknown = "include"  # each rail has its own fields, validated by the rail


class RailOut(Schema):
    rail = fields.String()
    automatic = fields.Boolean(metadata={"description": "pays by itself (false: the bank CSV export)"})
    configured = fields.Boolean()
    fields_set = fields.List(fields.String(), attribute="fields", data_key="fields",
                             metadata={"description": "names of the fields set; values are never shown"})
    updated_at = fields.DateTime(allow_none=True)


class RailList(Schema):
    items = fields.List(fields.Nested(RailOut))


class WithdrawalExportQuery(InputSchema):
    start = fields.Date(data_key="from", load_default=None,
                        metadata={"description": "first day (the programme's time zone); default 1 January"})
    end = fields.Date(data_key="to", load_default=None, metadata={"description": "last day, inclusive; default today"})
