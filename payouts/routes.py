"""/api/v1 money out: payout methods, withdrawal requests and decisions, limits, rail credentials."""
from __future__ import annotations

from flask import current_app, request, url_for

from payouts import jobs
from payouts.accounts import method_json, payout_method, rails_view, save_rail_credentials, set_payout_method
from payouts.finance_export import COLUMNS, download
from payouts.method_changes import confirm_change, pending_change, pending_json, propose_change, send_code
from payouts.notifications import paypal_notification, settle_wechat
from payouts.schemas import (
    BalanceOut,
    ConfirmCodeIn,
    PayoutMethodIn,
    PayoutMethodOut,
    PayoutSettingsIn,
    PayoutSettingsOut,
    RailCredentialsIn,
    RailList,
    RailOut,
    WithdrawalExportQuery,
    WithdrawalIn,
    WithdrawalList,
    WithdrawalOut,
    WithdrawalQuery,
    WithdrawalRefuseIn,
)
from payouts.withdrawals import (
    approve,
    balance_json,
    list_withdrawals,
    refuse,
    request_withdrawal,
    save_settings,
    settings_for,
    settings_json,
    withdrawal_json,
)
from plumbing import database, outbox, vault
from plumbing.api import ID, Blueprint, ErrorSchema
from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.money import parse_amount
from referrals.models import Sharer
from workspaces.auth import current, requires
from workspaces.models import Workspace

bp = Blueprint("payouts", __name__, url_prefix="/api/v1",
               description="Withdrawals (提现), payout methods, payout limits and rails")



def _minor(text: str | None, currency: str, field: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_amount(text, currency)
    except ValueError as exc:
        raise ApiError(422, "validation_error", f"{field} {exc}.", {field: str(exc)}) from None


def _currency() -> str:
    return database.session().get(Workspace, current().workspace_id).currency


@bp.put(f"/sharers/<{ID}:sharer_id>/payout-method")
@requires("owner", "seller")
@bp.arguments(PayoutMethodIn)
@bp.response(200, PayoutMethodOut)
@bp.alt_response(202, schema=PayoutMethodOut, description="a seller's change, waiting for the code sent to them")
@bp.alt_response(409, schema=ErrorSchema, description="the seller has no phone number or email address to send a "
                                                     "code to, or one changed less than two days ago")
def put_method(data: dict, sharer_id: int):
    """Set how the sharer is paid. An owner's change applies at once (200). A seller's own change
    answers 202: it waits, under ``pending``, for the code texted to the seller's phone, or emailed
    to a seller without one (``pending.sent_by``), entered at ``POST .../payout-method/confirm``;
    until then the method in force stays.

    :raise 403: another seller's. :raise 404: unknown sharer. :raise 409: a seller with neither a phone
    number nor an email address (``phone_required``), or whose number or address changed less than two
    days ago (``phone_recently_changed``, ``email_recently_changed``; ``fields.retry_after`` in seconds),
    or a seller without a phone in a workspace that cannot send email (``email_unavailable``).
    :raise 422: a bad account. :raise 429: a code sent less than a minute ago, or five this hour.
    """
    me = current()
    me.check_acts_for(sharer_id)
    session = database.session()
    box = vault.for_app(current_app)
    if me.role != "seller":
        method = set_payout_method(session, box, me.workspace_id, sharer_id, data["rail"], data["account"])
        session.commit()
        return method_json(method)
    change, code = propose_change(session, box, current_app.config["SECRET_KEY"], me.workspace_id, sharer_id,
                                  data["rail"], data["account"], utcnow())
    session.commit()
    send_code(change, code, *_names(session, me.workspace_id, sharer_id))
    return method_json(payout_method(session, me.workspace_id, sharer_id), pending_json(change)), 202


@bp.post(f"/sharers/<{ID}:sharer_id>/payout-method/confirm")
@requires("owner", "seller")
@bp.arguments(ConfirmCodeIn)
@bp.response(200, PayoutMethodOut)
@bp.alt_response(400, schema=ErrorSchema, description="a wrong (invalid_code), expired or used (code_expired) code")
@bp.alt_response(409, schema=ErrorSchema, description="no change waiting for a code")
def confirm_method(data: dict, sharer_id: int):
    """Confirm the seller's waiting change with the code sent to them: it becomes how they are paid.

    :raise 400: a wrong code (``invalid_code``), or one expired or used (``code_expired``); nothing changes.
    :raise 403: another seller's. :raise 404: unknown sharer. :raise 409: no change waiting
    (``no_pending_change``). :raise 429: too many wrong tries (``too_many_attempts``).
    """
    me = current()
    me.check_acts_for(sharer_id)
    session = database.session()
    method, refusal = confirm_change(session, current_app.config["SECRET_KEY"], me.workspace_id, sharer_id,
                                     data["code"], utcnow())
    session.commit()  # a wrong code spent one of its tries
    if refusal is not None:
        raise refusal
    return method_json(method)


def _names(session, workspace_id: int, sharer_id: int) -> tuple[str, str, str]:
    """The seller's name, the brand's and the withdraw page's address, for an emailed code."""
    sharer = session.get(Sharer, sharer_id)
    page = f"{current_app.config['PUBLIC_URL']}{url_for('seller.withdraw', _anchor='method-h')}"
    return sharer.display_name or sharer.name, session.get(Workspace, workspace_id).name, page


@bp.get(f"/sharers/<{ID}:sharer_id>/payout-method")
@requires("owner", "marketer", "seller")
@bp.response(200, PayoutMethodOut)
def get_method(sharer_id: int):
    """How the sharer is paid, masked, and a change waiting for its code (``pending``).
    :raise 403: another seller's. :raise 404: unknown sharer."""
    current().check_acts_for(sharer_id)
    session = database.session()
    method = payout_method(session, current().workspace_id, sharer_id)
    return method_json(method, pending_json(pending_change(session, sharer_id, utcnow())))


@bp.get(f"/sharers/<{ID}:sharer_id>/balance")
@requires("owner", "marketer", "seller")
@bp.response(200, BalanceOut)
def balance(sharer_id: int):
    """What the sharer may withdraw now, what open requests hold, and the limits.
    :raise 403: another seller's. :raise 404: unknown sharer."""
    current().check_acts_for(sharer_id)
    return balance_json(database.session(), current().workspace_id, sharer_id)


@bp.post("/withdrawals")
@requires("owner", "marketer", "seller")
@bp.arguments(WithdrawalIn)
@bp.response(201, WithdrawalOut)
@bp.alt_response(409, schema=ErrorSchema, description="no payout method, the rail not set up, or a request open")
def create_withdrawal(data: dict):
    """Ask to withdraw part of the approved balance; it waits for the brand's decision.

    :raise 403: another seller's. :raise 409: no payout method, a rail the programme has not set up,
    or a request already open. :raise 422: below the minimum, above the maximum, the daily limit or
    the available balance.
    """
    me = current()
    sharer_id = data["sharer_id"] or me.sharer_id
    if sharer_id is None:
        raise ApiError(422, "validation_error", "Name the sharer.", {"sharer_id": "is required for staff keys"})
    me.check_acts_for(sharer_id)
    session = database.session()
    amount = _minor(data["amount"], _currency(), "amount")
    withdrawal = request_withdrawal(session, vault.for_app(current_app), me.workspace_id, sharer_id, amount, utcnow())
    session.commit()
    return withdrawal_json(withdrawal)


@bp.get("/withdrawals")
@requires("owner", "marketer", "seller")
@bp.arguments(WithdrawalQuery, location="query")
@bp.response(200, WithdrawalList)
def withdrawals(query: dict):
    """Withdrawals, newest first; a seller sees their own. :raise 422: bad filter or cursor."""
    me = current()
    if me.role == "seller":
        query["sharer_id"] = me.sharer_id
    return list_withdrawals(database.session(), me.workspace_id, **query)



@bp.get("/withdrawals.csv")
@requires("owner")
@bp.arguments(WithdrawalExportQuery, location="query")
@bp.response(200, description=(
    f"UTF-8 with a BOM; columns {', '.join(COLUMNS)}. Bank-rail rows carry the full bank details (the finance "
    "team pays them from this file); year_total_paid is everything the seller was paid in that calendar year"))
@bp.doc(responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def withdrawals_export(query: dict):
    """The withdrawals asked in a period (``?from=&to=``, the programme's days; default this year so far)
    as CSV for the finance team. :raise 422: a bad date, an end before the start, more than a year."""
    return download(database.session(), vault.for_app(current_app), current().workspace_id, query["start"],
                    query["end"], utcnow(), api_key_id=current().key_id)


@bp.post(f"/withdrawals/<{ID}:withdrawal_id>/approve")
@requires("owner", "marketer")
@bp.response(200, WithdrawalOut)
def approve_withdrawal(withdrawal_id: int):
    """Approve a requested withdrawal: it is sent through its rail at once (the bank rail: into the
    export). :raise 404: unknown. :raise 409: not waiting for a decision."""
    session = database.session()
    withdrawal = approve(session, current().workspace_id, withdrawal_id, current().role, utcnow())
    outbox.enqueue_after_commit(session, jobs.enqueue_send, [withdrawal.id])
    session.commit()
    return withdrawal_json(withdrawal)


@bp.post(f"/withdrawals/<{ID}:withdrawal_id>/refuse")
@requires("owner", "marketer")
@bp.arguments(WithdrawalRefuseIn)
@bp.response(200, WithdrawalOut)
def refuse_withdrawal(data: dict, withdrawal_id: int):
    """Refuse a requested withdrawal with a reason; the money goes back to the balance.
    :raise 404: unknown. :raise 409: not waiting for a decision."""
    session = database.session()
    withdrawal = refuse(session, current().workspace_id, withdrawal_id, data["reason"].strip(), current().role,
                        utcnow())
    session.commit()
    return withdrawal_json(withdrawal)


@bp.get("/payouts/settings")
@requires("owner", "marketer")
@bp.response(200, PayoutSettingsOut)
def get_settings():
    """The programme's withdrawal limits, in its currency."""
    return settings_json(settings_for(database.session(), current().workspace_id), _currency())


@bp.put("/payouts/settings")
@requires("owner")
@bp.arguments(PayoutSettingsIn)
@bp.response(200, PayoutSettingsOut)
def put_settings(data: dict):
    """Set the minimum and (optional) maximum withdrawal and daily limit per sharer.
    :raise 422: bad amounts, or limits that do not fit together."""
    session = database.session()
    currency = _currency()
    settings = save_settings(session, current().workspace_id,
                             *(_minor(data[f], currency, f) for f in ("min_withdrawal", "max_withdrawal", "daily_limit")))
    session.commit()
    return settings_json(settings, currency)


@bp.get("/payouts/rails")
@requires("owner", "marketer")
@bp.response(200, RailList)
def rails():
    """The payout rails and whether each is set up (credential values are never shown)."""
    return rails_view(database.session(), current().workspace_id)


@bp.put("/payouts/rails/<rail>")
@requires("owner")
@bp.arguments(RailCredentialsIn, description=(
    "wechat {mchid, appid, serial_no, private_key, platform_certificate, api_base?}; "
    "alipay {app_id, private_key, alipay_public_key, gateway?}; "
    "paypal {client_id, client_secret, webhook_id?, api_base?}"))
@bp.response(200, RailOut)
def put_rail(data: dict, rail: str):
    """Store (replace) a rail's merchant credentials, encrypted. :raise 404: unknown rail.
    :raise 422: a missing or malformed field, or a refused api_base/gateway."""
    session = database.session()
    row = save_rail_credentials(session, vault.for_app(current_app), current().workspace_id, rail, data,
                                current_app.config["ALLOW_PRIVATE_TARGETS"])
    session.commit()
    return {"rail": rail, "automatic": True, "configured": True, "fields": row.field_names,
            "updated_at": row.updated_at}


@bp.post(f"/payouts/rails/wechat/notify/<{ID}:workspace_id>")
def wechat_notification(workspace_id: int):
    """WeChat Pay's transfer batch notification (public: believed only when signed by the platform
    certificate and decrypted with the brand's APIv3 key). Answers ``{"code": "SUCCESS"}``, also for
    a repeat; a failed detail is handed to the follow-up job to read its reason.

    :raise 401: not signed, stale, or not decryptable (WeChat sends it again). :raise 404: unknown.
    """
    session = database.session()
    withdrawal, follow_up = settle_wechat(session, vault.for_app(current_app), workspace_id, request.headers,
                                          request.get_data(as_text=True), utcnow())
    if follow_up:
        outbox.enqueue_after_commit(session, jobs.enqueue_follow_up, [withdrawal.id])
    session.commit()
    return {"code": "SUCCESS"}


@bp.post(f"/payouts/rails/paypal/notify/<{ID}:workspace_id>")
def paypal_webhook(workspace_id: int):
    """PayPal Payouts webhooks (public: the brand subscribes this URL in its PayPal app and stores the
    webhook's id). Believed only when PayPal verifies the signature headers; the withdrawal it names
    is then followed up at once (its status read from PayPal, so a replayed event changes nothing).
    Answers ``{"received": true}``, also for an event about nothing open here.

    :raise 401: PayPal did not verify it. :raise 404: no PayPal rail with a webhook id here.
    """
    session = database.session()
    withdrawal_id = paypal_notification(session, vault.for_app(current_app), workspace_id, request.headers,
                                        request.get_data(as_text=True), current_app.config["ALLOW_PRIVATE_TARGETS"])
    if withdrawal_id is not None:
        outbox.enqueue_after_commit(session, jobs.enqueue_follow_up, [withdrawal_id])
    session.commit()
    return {"received": True}
